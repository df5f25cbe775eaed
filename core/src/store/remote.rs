//! [`RemoteStore`]: the store of every engine that is not the file store (Redis, PostgreSQL,
//! SQLite), written once. It holds the protocol every such store follows the same way: the
//! engine of a URL shared by all its stores, names and ids checked, each keyed call's turn taken
//! when it is made, queued writes coalesced and sent by group commit, batches through the batch
//! protocol, a failed init retried, each failure mapped to the reference's error. An engine
//! ([`Engine`]) only says how to do one thing on its server: fetch, check, delete, list.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use super::engine::{engine_for, Engine};
use super::group_commit::Upsert;
use super::server::{coalesced_write, values_window, Call, Namespace};
use super::{InitReport, Range, RangeScan, Store};
use crate::document_cache::document_cache;
use crate::error::{Cause, PersistError, Result};
use crate::key_order::sort_keys;
use crate::order::server_queue;

/// Every namespace on the server at `url` that is `prefix` or under it, sorted.
pub(crate) async fn namespaces_of<E: Engine>(url: &str, prefix: &str) -> Result<Vec<String>> {
    let failed = |cause| PersistError::Keys { entity: prefix.to_string(), cause };
    let engine = engine_for::<E>(url).map_err(|message| failed(Cause::Coded { code: "STORE_FAILED", message }))?;
    let mut found = engine.namespaces(prefix).await.map_err(failed)?;
    found.retain(|namespace| super::server::is_under(namespace, prefix));
    found.sort();
    found.dedup();
    Ok(found)
}

/// The documents of one namespace on an engine's server.
pub struct RemoteStore<E> {
    inner: Arc<Namespace<E>>,
}

impl<E> Clone for RemoteStore<E> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone() }
    }
}

impl<E: Engine> RemoteStore<E> {
    /// A store of `entity_name` under `base_dir` on the server at `url`. A relative `base_dir`
    /// stays relative: two machines with different working directories share
    /// `dump/data/signal/...`.
    pub fn new(url: &str, entity_name: &str, base_dir: &Path) -> Self {
        Self { inner: Arc::new(Namespace::new(entity_name, base_dir, engine_for::<E>(url))) }
    }

    /// The namespace holding this store's documents: its logical directory.
    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// The URL, its password hidden.
    pub fn shown_url(&self) -> String {
        match &self.inner.server {
            Ok(engine) => engine.shown().to_string(),
            Err(message) => message.clone(),
        }
    }

    /// Whether init has completed (a later `init` call returns at once).
    pub fn is_initialized(&self) -> bool {
        self.inner.init.initialized()
    }

    /// The document's JSON text, or `None` when there is none, in one round trip (a registry
    /// read), in the key's turn.
    pub fn read_optional(&self, id: &str) -> impl Future<Output = Result<Option<String>>> + Send + use<E> {
        self.inner.in_turn(id, |Call { entity, server, namespace, id }| async move {
            server.fetch(&namespace, &id).await.map_err(|cause| PersistError::Read { entity, id, cause })
        })
    }

    pub async fn count(&self) -> Result<usize> {
        let (entity, engine) = self.inner.checked()?;
        engine.count(&self.inner.namespace).await.map_err(|cause| PersistError::Count { entity, cause })
    }

    /// The JSON texts of `ids`, in order, `None` for each that is not stored: one round trip.
    pub async fn read_many(&self, ids: &[String]) -> Result<Vec<Option<String>>> {
        let (entity, engine) = self.inner.checked()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        engine.fetch_many(&self.inner.namespace, ids).await.map_err(|cause| PersistError::Values { entity, cause })
    }

    /// The JSON texts of `ids`, in order, until about `max_bytes` (at least one): a window of
    /// `values()`. A document removed meanwhile fails as a missing one.
    pub async fn read_window(&self, ids: Vec<String>, max_bytes: usize) -> Result<Vec<String>> {
        let mut texts = self.read_many(&ids).await?;
        values_window(&self.inner.entity_name, &ids, max_bytes, |index, _| texts.get_mut(index).and_then(Option::take))
    }

    /// A run of documents, a window per round trip (the first a full one: a round trip costs
    /// more than the fields it asks for), until the first window holding a missing or
    /// unparsable document.
    pub async fn read_range(&self, scan: RangeScan) -> Result<Range> {
        let mut scan = scan.first_window(super::range::WINDOW);
        let directory = self.cache_directory();
        let ticket = directory.as_ref().and_then(|directory| document_cache().begin(directory));
        let directory = directory.map(|directory| directory.key);
        loop {
            let ids = scan.next_window();
            let texts = self.read_many(&ids).await?;
            let fill = directory.as_deref().zip(ticket);
            if let Some(range) = document_cache().take_window(&mut scan, ids, texts, fill, |id| id) {
                return Ok(range);
            }
        }
    }

    /// The documents of `ids` from the process's cache, joined as a JSON array, when every one
    /// is there (engines that cache ranges only).
    pub fn cached_run(&self, ids: impl Iterator<Item = String>) -> Option<String> {
        document_cache().read_run(&self.cache_directory()?.key, ids)
    }

    /// Where the document cache keeps this store's documents: its key in the order, when its
    /// engine caches ranges.
    fn cache_directory(&self) -> Option<crate::identity::DirKey> {
        let engine = self.inner.server.as_ref().ok().filter(|_| E::CACHES_RANGES)?;
        Some(server_queue().directory_key(&self.inner.order_directory(engine)))
    }

    /// A 19.5.0 batch write ([`crate::store::batch`]): the turns taken now, then one read of the
    /// ids for `only_missing` and the documents in one group commit.
    pub fn write_batch(
        &self,
        documents: Vec<(String, Vec<u8>)>,
        only_missing: bool,
    ) -> impl Future<Output = Result<Vec<String>>> + Send + use<E> {
        super::batch::write_batch(&self.inner, documents, only_missing)
    }

    /// Every document, with its id, in key order.
    pub async fn read_all(&self) -> Result<Vec<(String, String)>> {
        let ids = self.keys().await?;
        let texts = self.read_window(ids.clone(), usize::MAX).await?;
        Ok(ids.into_iter().zip(texts).collect())
    }
}

impl<E: Engine> Store for RemoteStore<E> {
    fn entity_name(&self) -> &str {
        &self.inner.entity_name
    }

    /// Makes the engine ready once per store (connects, creates its schema); a failure is
    /// retried by the next call.
    async fn init(&self, _initial: bool) -> Result<InitReport> {
        let (entity, engine) = self.inner.checked()?;
        self.inner
            .init
            .get_or_try_init(|| async { engine.ready().await.map_err(|cause| PersistError::Init { entity, cause }) })
            .await?;
        Ok(InitReport::default())
    }

    fn read(&self, id: &str) -> impl Future<Output = Result<String>> + use<E> {
        let (entity, id_owned) = (self.inner.entity_name.clone(), id.to_string());
        let optional = self.read_optional(id);
        async move { optional.await?.ok_or(PersistError::NotFound { entity, id: id_owned }) }
    }

    fn has(&self, id: &str) -> impl Future<Output = Result<bool>> + use<E> {
        self.inner.in_turn(id, |Call { entity, server, namespace, id }| async move {
            server.exists(&namespace, &id).await.map_err(|cause| PersistError::Has { entity, id, cause })
        })
    }

    /// Writes queued on one key coalesce as on the file store: a write issued while another on
    /// that key still waits for its turn joins it, and one upsert of the newest value resolves
    /// them all, once the server acknowledged it (in a group commit with other keys' writes).
    fn write(&self, id: &str, json: Vec<u8>) -> impl Future<Output = Result<()>> + use<E> {
        let checked = self.inner.checked_id(id);
        let (id, namespace) = (id.to_string(), self.inner.namespace.clone());
        let slot = checked
            .as_ref()
            .ok()
            .map(|(_, engine)| server_queue().enqueue_write(&self.inner.order_key(engine, &id), json));
        async move {
            let (entity, engine) = checked?;
            let Some(slot) = slot else { return Err(PersistError::Write { entity, id, cause: no_turn() }) };
            let failed = |cause| PersistError::Write { entity: entity.clone(), id: id.clone(), cause };
            let key = id.clone();
            coalesced_write(slot, failed, |json| async move {
                // Checked here, so one bad document never fails the batch it would join.
                std::str::from_utf8(&json).map_err(|_| Cause::Message("the document is not UTF-8".into()))?;
                engine.group().submit(&engine, Upsert { namespace, id: key, json }).await
            })
            .await
        }
    }

    fn remove(&self, id: &str) -> impl Future<Output = Result<()>> + use<E> {
        self.inner.in_turn(id, |Call { entity, server, namespace, id }| async move {
            let removed = server.delete(&namespace, &id).await;
            match removed {
                Ok(true) => Ok(()),
                Ok(false) => Err(PersistError::NotFoundForDeletion { entity, id }),
                Err(cause) => Err(PersistError::Remove { entity, id, cause }),
            }
        })
    }

    /// Takes its place in the order of every key of the namespace when it is called.
    fn remove_all(&self) -> impl Future<Output = Result<()>> + use<E> {
        let checked = self.inner.checked();
        let namespace = self.inner.namespace.clone();
        let turn = checked
            .as_ref()
            .ok()
            .map(|(_, engine)| server_queue().enqueue_barrier(&self.inner.order_directory(engine)));
        async move {
            let (entity, engine) = checked?;
            let Some(mut turn) = turn else { return Err(PersistError::RemoveAll { entity, cause: no_turn() }) };
            turn.ready().await;
            engine.delete_namespace(&namespace).await.map_err(|cause| PersistError::RemoveAll { entity, cause })
        }
    }

    async fn keys(&self) -> Result<Vec<String>> {
        let (entity, engine) = self.inner.checked()?;
        let mut keys = engine.ids(&self.inner.namespace).await.map_err(|cause| PersistError::Keys { entity, cause })?;
        sort_keys(&mut keys);
        Ok(keys)
    }
}

/// A valid call always has a turn; should it not, it fails instead of running unordered.
fn no_turn() -> Cause {
    Cause::Message("the call was given no turn".into())
}
