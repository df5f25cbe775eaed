//! What the server stores share: URLs shown without their passwords, the namespace checks
//! and write-order keys, and the coalesced-write protocol.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::{oneshot, OnceCell};

use crate::error::{Cause, PersistError, Result};
use crate::id::{invalid_entity_id, invalid_entity_name};
use crate::order::{server_queue, KeyedQueue, WriteSlot};
use crate::store::batch::BatchEngine;
use crate::store::remote::Engine;

pub use crate::redact::redact_url;

/// Whether a connection failure's text is TLS refusing the server (an untrusted or invalid
/// certificate, a failed handshake): `STORE_TLS_FAILED`, which no retry mends.
pub(crate) fn is_tls_failure(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("certificate") || text.contains("tls handshake")
}

/// A server a store talks to, as the write order names it (scheme, address, database).
pub trait Named {
    fn identity(&self) -> &str;
}

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
    /// group commit (a server batch per 1,024 documents, each landing or failing whole); or, on
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

/// One document write as a server store sends it: namespace, id, the exact JSON text.
pub struct Upsert {
    pub namespace: String,
    pub id: String,
    pub json: Vec<u8>,
}

/// A server that takes several upserts in one round trip and one commit (one `HSET` per
/// namespace in a pipeline, one multi-row `INSERT`): the whole batch lands or fails together.
pub trait BatchSink: Send + Sync + 'static {
    fn send_batch(&self, batch: Vec<Upsert>) -> impl Future<Output = std::result::Result<(), Cause>> + Send;
}

/// At most this many upserts, or about this many bytes, go in one batch.
const BATCH_ITEMS: usize = 1024;
const BATCH_BYTES: usize = 8 << 20;

type Waiting = (Upsert, oneshot::Sender<std::result::Result<(), Cause>>);

/// Group commit for a server: an upsert submitted while a batch is on its way waits for it to
/// come back and goes in the next batch with every other upsert submitted meanwhile, so writes
/// to many keys at once cost a few round trips and server fsyncs, not one each. A lone write
/// goes at once. When a batch finds the server unreachable (or not answering), everything
/// waiting fails with it at once instead of waiting for a reconnection batch after batch. The
/// order queue still lets one write per key be in flight, so the upserts of a batch are on
/// distinct keys; their order in it is the order they were submitted.
#[derive(Default)]
pub struct GroupCommit {
    state: Mutex<GroupState>,
}

#[derive(Default)]
struct GroupState {
    waiting: Vec<Waiting>,
    sending: bool,
}

impl GroupCommit {
    /// Sends `upsert` in the next batch `sink` takes; resolves with that batch's outcome.
    pub async fn submit<S: BatchSink>(
        self: &Arc<Self>,
        sink: &Arc<S>,
        upsert: Upsert,
    ) -> std::result::Result<(), Cause> {
        let (sender, outcome) = oneshot::channel();
        let start = {
            let mut state = lock(&self.state);
            state.waiting.push((upsert, sender));
            !std::mem::replace(&mut state.sending, true)
        };
        if start {
            tokio::spawn(send_batches(self.clone(), sink.clone()));
        }
        let abandoned = || Err(Cause::Message("the batch of writes was abandoned by a task that died".into()));
        outcome.await.unwrap_or_else(|_| abandoned())
    }

    /// Sends every one of `upserts` (on distinct keys) in the next batches `sink` takes;
    /// resolves once all are acknowledged, or with the first failure.
    pub async fn submit_all<S: BatchSink>(
        self: &Arc<Self>,
        sink: &Arc<S>,
        upserts: Vec<Upsert>,
    ) -> std::result::Result<(), Cause> {
        let mut outcomes = Vec::with_capacity(upserts.len());
        let start = {
            let mut state = lock(&self.state);
            for upsert in upserts {
                let (sender, outcome) = oneshot::channel();
                state.waiting.push((upsert, sender));
                outcomes.push(outcome);
            }
            !outcomes.is_empty() && !std::mem::replace(&mut state.sending, true)
        };
        if start {
            tokio::spawn(send_batches(self.clone(), sink.clone()));
        }
        for outcome in outcomes {
            outcome.await.unwrap_or_else(|_| {
                Err(Cause::Message("the batch of writes was abandoned by a task that died".into()))
            })?;
        }
        Ok(())
    }
}

fn lock(state: &Mutex<GroupState>) -> std::sync::MutexGuard<'_, GroupState> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sends batches until none waits. Should the task end early (a panic), [`Abandon`] fails the
/// waiting upserts and lets the next submit start a sender again.
async fn send_batches<S: BatchSink>(group: Arc<GroupCommit>, sink: Arc<S>) {
    let mut abandon = Abandon { group: &group, armed: true };
    loop {
        let batch = {
            let mut state = lock(&group.state);
            if state.waiting.is_empty() {
                state.sending = false;
                abandon.armed = false;
                return;
            }
            let (mut items, mut bytes) = (0, 0);
            while items < state.waiting.len() && items < BATCH_ITEMS && bytes < BATCH_BYTES {
                bytes += state.waiting[items].0.json.len();
                items += 1;
            }
            state.waiting.drain(..items).collect::<Vec<_>>()
        };
        let (upserts, senders): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let outcome = sink.send_batch(upserts).await;
        // The server is gone (or not answering): what waits now would wait for a reconnection
        // each, one batch after another; it fails at once with the same error instead.
        let unreachable = matches!(&outcome, Err(Cause::Coded { code: "STORE_UNREACHABLE" | "STORE_TIMEOUT", .. }));
        let stranded = if unreachable { std::mem::take(&mut lock(&group.state).waiting) } else { Vec::new() };
        for sender in senders.into_iter().chain(stranded.into_iter().map(|(_, sender)| sender)) {
            let _ = sender.send(outcome.clone());
        }
    }
}

struct Abandon<'a> {
    group: &'a GroupCommit,
    armed: bool,
}

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = lock(&self.group.state);
            state.waiting.clear();
            state.sending = false;
        }
    }
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
