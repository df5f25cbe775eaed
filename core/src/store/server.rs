//! What the stores of every engine share, above the engines: URLs shown without their
//! passwords, the namespace checks and write-order keys, the keyed call's turn, the coalesced-write
//! protocol and the batch plan.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::error::{Cause, PersistError, Result};
use crate::id::{invalid_entity_id, invalid_entity_name};
use crate::order::{server_queue, KeyedQueue, WriteSlot};
use crate::store::batch::BatchEngine;
use crate::store::engine::{Engine, Named};
use crate::store::group_commit::Upsert;

pub use crate::redact::redact_url;

impl<S: Engine> BatchEngine for Arc<Namespace<S>> {
    type Plan = (String, Arc<S>);

    fn plan_batch(&self, ids: &[String]) -> Result<(&'static KeyedQueue, Vec<PathBuf>, Self::Plan)> {
        let (entity, server) = self.checked()?;
        let mut keys = Vec::with_capacity(ids.len());
        for id in ids {
            self.checked_id(id)?;
            keys.push(self.order_key(&server, id));
        }
        Ok((server_queue(), keys, (entity, server)))
    }

    /// With the turns held: one read of the ids for `only_missing`, then every document in one
    /// group commit (a server batch per 1,024 documents, each landing or failing whole; on an
    /// engine whose batches are whole, one for them all); or, on
    /// an engine that can, the rows inserted where missing in one step.
    fn apply_batch(
        self,
        (entity, server): Self::Plan,
        mut documents: Vec<(String, Vec<u8>)>,
        only_missing: bool,
    ) -> impl Future<Output = Result<Vec<String>>> + Send + 'static {
        let namespace = self.namespace.clone();
        async move {
            let first = documents.first().map(|(id, _)| id.clone()).unwrap_or_default();
            let failed = |cause| PersistError::Write { entity: entity.clone(), id: first.clone(), cause };
            if let Some((id, _)) = documents.iter().find(|(_, json)| std::str::from_utf8(json).is_err()) {
                let cause = Cause::Message("the document is not UTF-8".into());
                return Err(PersistError::Write { entity: entity.clone(), id: id.clone(), cause });
            }
            if only_missing && !S::INSERTS_MISSING && !documents.is_empty() {
                let ids: Vec<String> = documents.iter().map(|(id, _)| id.clone()).collect();
                let stored = server.fetch_many(&namespace, &ids).await.map_err(failed)?;
                let mut stored = stored.into_iter();
                documents.retain(|_| stored.next().flatten().is_none());
            }
            let ids: Vec<String> = documents.iter().map(|(id, _)| id.clone()).collect();
            let upserts: Vec<Upsert> =
                documents.into_iter().map(|(id, json)| Upsert { namespace: namespace.clone(), id, json }).collect();
            if only_missing && S::INSERTS_MISSING && !upserts.is_empty() {
                // One step on the engine: each row inserted unless its id is there.
                let inserted = server.insert_missing(upserts).await.map_err(failed)?;
                return Ok(ids.into_iter().zip(inserted).filter_map(|(id, new)| new.then_some(id)).collect());
            }
            server.group().submit_all(&server, upserts).await.map_err(failed)?;
            Ok(ids)
        }
    }
}

/// A directory as a namespace: `/`-separated. A backslash separates only where the file system
/// says so (Windows): on Linux `dump\data` is one directory name, beside `dump/data`, as on files.
fn logical_path(directory: &Path) -> String {
    let text = directory.to_string_lossy();
    if cfg!(windows) {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
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
            namespace: logical_path(&path_clean::clean(base_dir.join(entity_name))),
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

    /// Takes `id`'s turn in the key's order now, when the call is made, and runs `op` once it
    /// comes (a bad name or id fails at once, without a turn).
    pub fn in_turn<T, Fut, F>(&self, id: &str, op: F) -> impl Future<Output = Result<T>> + use<S, T, Fut, F>
    where
        F: FnOnce(Call<S>) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let checked = self.checked_id(id);
        let turn = checked.as_ref().ok().map(|(_, server)| server_queue().enqueue(&self.order_key(server, id)));
        let (id, namespace) = (id.to_string(), self.namespace.clone());
        async move {
            let (entity, server) = checked?;
            if let Some(mut turn) = turn {
                turn.ready().await;
                op(Call { entity, server, namespace, id }).await
            } else {
                unreachable_turn()
            }
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

/// What a keyed call works with once its turn has come.
pub(crate) struct Call<S> {
    pub entity: String,
    pub server: Arc<S>,
    pub namespace: String,
    pub id: String,
}

/// A valid call always has a turn; should it not, the call fails instead of running unordered.
fn unreachable_turn<T>() -> Result<T> {
    Err(PersistError::Init { entity: String::new(), cause: Cause::Message("the call was given no turn".into()) })
}

/// The texts of `ids`, in order, until about `max_bytes` (at least one): a window of
/// `values()`. `text_of(index, id)` is what the server returned for that id; a document removed
/// meanwhile fails as a missing one.
pub(crate) fn values_window(
    entity: &str,
    ids: &[String],
    max_bytes: usize,
    mut text_of: impl FnMut(usize, &str) -> Option<String>,
) -> Result<Vec<String>> {
    let mut window = Vec::new();
    let mut bytes = 0;
    for (index, id) in ids.iter().enumerate() {
        let Some(text) = text_of(index, id) else {
            return Err(PersistError::Values {
                entity: entity.to_string(),
                cause: Cause::Message(format!("Entity {entity}:{id} not found")),
            });
        };
        bytes += text.len();
        window.push(text);
        if bytes >= max_bytes {
            break;
        }
    }
    Ok(window)
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

/// Whether `namespace` is `prefix` or under it (`""`: every namespace), for listing a server.
pub(crate) fn is_under(namespace: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty() || namespace == prefix || namespace.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
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
