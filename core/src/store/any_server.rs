//! [`ServerStore`]: the one type the binding holds for whichever server a URL names.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use super::{check_postgres_url, check_redis_url, InitReport, PgStore, Range, RangeScan, RedisStore, Store};
use crate::error::Result;

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

/// A store on a server, chosen by the URL's scheme: `redis://` / `rediss://` or
/// `postgres://` / `postgresql://`. Each call's place in the key's order is taken when it is
/// made, as with every store.
#[derive(Clone)]
pub enum ServerStore {
    Redis(RedisStore),
    Postgres(PgStore),
}

/// Checks a server store URL now: its scheme is one of the server stores', and it parses.
pub fn check_store_url(url: &str) -> std::result::Result<(), String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        check_postgres_url(url)
    } else if url.starts_with("redis://") || url.starts_with("rediss://") {
        check_redis_url(url)
    } else {
        Err(format!("{} is not a redis://, rediss:// or postgres:// URL", super::redact_url(url)))
    }
}

/// Every namespace (a directory of the file layout holding documents) on the server at `url`
/// that is `prefix` or under it (`""`: all), sorted.
pub async fn server_namespaces(url: &str, prefix: &str) -> Result<Vec<String>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        super::postgres::postgres_namespaces(url, prefix).await
    } else {
        super::redis::redis_namespaces(url, prefix).await
    }
}

impl ServerStore {
    /// The store of one listed namespace: its parent as the base directory, its last segment as
    /// the entity name (the store joins them back into the same namespace).
    pub fn for_namespace(url: &str, namespace: &str) -> Self {
        let (base_dir, entity_name) = namespace.rsplit_once('/').unwrap_or(("", namespace));
        let base_dir = if base_dir.is_empty() && namespace.starts_with('/') { "/" } else { base_dir };
        ServerStore::open(url, entity_name, Path::new(base_dir))
    }

    pub fn open(url: &str, entity_name: &str, base_dir: &Path) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            ServerStore::Postgres(PgStore::new(url, entity_name, base_dir))
        } else {
            ServerStore::Redis(RedisStore::new(url, entity_name, base_dir))
        }
    }

    pub fn is_initialized(&self) -> bool {
        match self {
            ServerStore::Redis(store) => store.is_initialized(),
            ServerStore::Postgres(store) => store.is_initialized(),
        }
    }

    /// The document's JSON text, or `None`, in one round trip.
    pub fn read_optional(&self, id: &str) -> Boxed<Option<String>> {
        match self {
            ServerStore::Redis(store) => Box::pin(store.read_optional(id)),
            ServerStore::Postgres(store) => Box::pin(store.read_optional(id)),
        }
    }

    pub async fn count(&self) -> Result<usize> {
        match self {
            ServerStore::Redis(store) => store.count().await,
            ServerStore::Postgres(store) => store.count().await,
        }
    }

    pub async fn read_window(&self, ids: Vec<String>, max_bytes: usize) -> Result<Vec<String>> {
        match self {
            ServerStore::Redis(store) => store.read_window(ids, max_bytes).await,
            ServerStore::Postgres(store) => store.read_window(ids, max_bytes).await,
        }
    }

    /// The texts of `ids`, in order, `None` for each not stored, in one round trip.
    pub async fn read_many(&self, ids: &[String]) -> Result<Vec<Option<String>>> {
        match self {
            ServerStore::Redis(store) => store.read_many(ids).await,
            ServerStore::Postgres(store) => store.read_many(ids).await,
        }
    }

    /// A run of documents, a window per round trip (the first a full one: a round trip costs
    /// more than the fields it asks for), until the first window holding a missing or
    /// unparsable document.
    pub async fn read_range(&self, scan: RangeScan) -> Result<Range> {
        let mut scan = scan.first_window(super::range::WINDOW);
        loop {
            let texts = self.read_many(&scan.next_window()).await?;
            if let Some(range) = scan.take(texts) {
                return Ok(range);
            }
        }
    }

    /// Every document, with its id, in key order.
    pub async fn read_all(&self) -> Result<Vec<(String, String)>> {
        let ids = self.keys().await?;
        let texts = self.read_window(ids.clone(), usize::MAX).await?;
        Ok(ids.into_iter().zip(texts).collect())
    }

    /// 19.5.0's batch write, the protocol of [`crate::store::batch`]: of ids given twice the
    /// last counts (with `only_missing`, the first); every turn taken now; with
    /// `only_missing` a document is written only where none is stored when the turns come.
    /// Resolves with the ids written. Sent as group-commit batches of up to 1,024 documents, each
    /// landing or failing whole: a failed call may have written some of its documents (each
    /// whole), as a failed batch on files may have renamed some.
    pub fn write_batch(
        &self,
        documents: Vec<(String, Vec<u8>)>,
        only_missing: bool,
    ) -> impl Future<Output = Result<Vec<String>>> + Send + use<> {
        let future: Boxed<Vec<String>> = match self {
            ServerStore::Redis(store) => Box::pin(store.write_batch(documents, only_missing)),
            ServerStore::Postgres(store) => Box::pin(store.write_batch(documents, only_missing)),
        };
        future
    }
}

impl Store for ServerStore {
    fn entity_name(&self) -> &str {
        match self {
            ServerStore::Redis(store) => store.entity_name(),
            ServerStore::Postgres(store) => store.entity_name(),
        }
    }

    async fn init(&self, initial: bool) -> Result<InitReport> {
        match self {
            ServerStore::Redis(store) => store.init(initial).await,
            ServerStore::Postgres(store) => store.init(initial).await,
        }
    }

    fn read(&self, id: &str) -> impl Future<Output = Result<String>> + use<> {
        let future: Boxed<String> = match self {
            ServerStore::Redis(store) => Box::pin(store.read(id)),
            ServerStore::Postgres(store) => Box::pin(store.read(id)),
        };
        future
    }

    fn has(&self, id: &str) -> impl Future<Output = Result<bool>> + use<> {
        let future: Boxed<bool> = match self {
            ServerStore::Redis(store) => Box::pin(store.has(id)),
            ServerStore::Postgres(store) => Box::pin(store.has(id)),
        };
        future
    }

    fn write(&self, id: &str, json: Vec<u8>) -> impl Future<Output = Result<()>> + use<> {
        let future: Boxed<()> = match self {
            ServerStore::Redis(store) => Box::pin(store.write(id, json)),
            ServerStore::Postgres(store) => Box::pin(store.write(id, json)),
        };
        future
    }

    fn remove(&self, id: &str) -> impl Future<Output = Result<()>> + use<> {
        let future: Boxed<()> = match self {
            ServerStore::Redis(store) => Box::pin(store.remove(id)),
            ServerStore::Postgres(store) => Box::pin(store.remove(id)),
        };
        future
    }

    fn remove_all(&self) -> impl Future<Output = Result<()>> + use<> {
        let future: Boxed<()> = match self {
            ServerStore::Redis(store) => Box::pin(store.remove_all()),
            ServerStore::Postgres(store) => Box::pin(store.remove_all()),
        };
        future
    }

    async fn keys(&self) -> Result<Vec<String>> {
        match self {
            ServerStore::Redis(store) => store.keys().await,
            ServerStore::Postgres(store) => store.keys().await,
        }
    }
}
