//! What the server stores share: URLs shown without their passwords, the namespace checks
//! and write-order keys, and the coalesced-write protocol.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::error::{Cause, PersistError, Result};
use crate::id::{invalid_entity_id, invalid_entity_name};
use crate::order::WriteSlot;

/// A URL with the password (if any) replaced by `***`, even when the URL does not parse.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => redact_unparsed(url),
    }
}

/// `scheme://user:password@rest` with the password replaced, found by its delimiters alone.
fn redact_unparsed(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|at| at + 3) else { return url.to_string() };
    let rest = &url[scheme_end..];
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let Some(at) = authority.rfind('@') else { return url.to_string() };
    let Some(colon) = authority[..at].find(':') else { return url.to_string() };
    format!("{}{}:***{}", &url[..scheme_end], &authority[..colon], &rest[at..])
}

/// A server a store talks to, as the write order names it (scheme, address, database).
pub(crate) trait Named {
    fn identity(&self) -> &str;
}

/// What a server store keeps of one namespace: its entity name, its logical directory
/// (`<baseDir>/<entityName>`, lexically normalised; a relative one stays relative, so machines
/// with different working directories share it), its server, and its once-only init.
pub(crate) struct Namespace<S> {
    pub entity_name: String,
    pub namespace: String,
    name_error: Option<String>,
    pub server: std::result::Result<Arc<S>, String>,
    pub init: OnceCell<()>,
}

impl<S: Named> Namespace<S> {
    pub fn new(entity_name: &str, base_dir: &Path, server: std::result::Result<Arc<S>, String>) -> Self {
        Self {
            entity_name: entity_name.to_string(),
            namespace: path_clean::clean(base_dir.join(entity_name)).to_string_lossy().replace('\\', "/"),
            name_error: invalid_entity_name(entity_name),
            server,
            init: OnceCell::new(),
        }
    }

    /// The entity name and the server, or why neither can be used (a bad name, a bad URL).
    pub fn checked(&self) -> Result<(String, Arc<S>)> {
        let entity = self.entity_name.clone();
        if let Some(reason) = &self.name_error {
            return Err(PersistError::InvalidName { entity, reason: reason.clone() });
        }
        match &self.server {
            Ok(server) => Ok((entity, server.clone())),
            Err(message) => Err(PersistError::Init {
                entity,
                cause: Cause::Coded { code: "STORE_FAILED", message: message.clone() },
            }),
        }
    }

    /// As [`Namespace::checked`], for an operation on `id`, which must be a plain file name.
    pub fn checked_id(&self, id: &str) -> Result<(String, Arc<S>)> {
        let (entity, server) = self.checked()?;
        match invalid_entity_id(id) {
            Some(reason) => {
                Err(PersistError::InvalidId { entity, id: id.to_string(), reason: format!("{id:?} {reason}") })
            }
            None => Ok((entity, server)),
        }
    }

    /// The key of `id` in the write order: the server, then the logical path of its document.
    pub fn order_key(&self, server: &S, id: &str) -> PathBuf {
        PathBuf::from(format!("{}/{}/{id}", server.identity(), self.namespace))
    }

    /// The directory every key of this namespace is in, for `removeAll`'s barrier.
    pub fn order_directory(&self, server: &S) -> PathBuf {
        PathBuf::from(format!("{}/{}", server.identity(), self.namespace))
    }
}

/// A write that may have joined others on its key: waits to lead (or for the write it joined),
/// then `send`s the newest content once and resolves every joined caller with the outcome.
pub(crate) async fn coalesced_write<Fut>(
    slot: WriteSlot,
    failed: impl Fn(Cause) -> PersistError,
    send: impl FnOnce(Vec<u8>) -> Fut,
) -> Result<()>
where
    Fut: Future<Output = std::result::Result<(), Cause>>,
{
    let mut lead = match slot.into_lead().await {
        Ok(lead) => lead,
        Err(outcome) => {
            return outcome.map_err(|error| match error {
                PersistError::Write { cause, .. } => failed(cause),
                other => other,
            })
        }
    };
    lead.ready().await;
    let sealed = lead.seal();
    let outcome = send(sealed.json.clone()).await.map_err(failed);
    sealed.finish(&outcome);
    outcome
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_show_whether_or_not_the_url_parses() {
        assert_eq!(redact_url("redis://:s3cret@127.0.0.1:6379/0"), "redis://:***@127.0.0.1:6379/0");
        assert_eq!(
            redact_url("postgres://bot:pw@localhost:notaport/bots"),
            "postgres://bot:***@localhost:notaport/bots"
        );
        assert_eq!(redact_url("postgres://bot:p@ss@host/db"), "postgres://bot:***@host/db");
        assert_eq!(redact_url("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
    }
}
