//! [`ServerStore`]: the one type the binding holds for whichever engine a URL names. Every
//! method is the [`RemoteStore`](super::RemoteStore) method of that engine: a new engine is one
//! more variant, one more scheme, and one more arm of `each!`.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use super::remote::namespaces_of;
use super::sqlite::{check_sqlite_url, SqliteDb, SqliteStore};
use super::{
    check_postgres_url, check_redis_url, InitReport, PgServer, PgStore, Range, RangeScan, RedisServer, RedisStore,
    Store,
};
use crate::error::Result;

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

/// A store on a server or in a database file, chosen by the URL's scheme: `redis://` /
/// `rediss://` / `redis-sentinel://`, `postgres://` / `postgresql://`, or `sqlite:<path>`. Each call's place in the
/// key's order is taken when it is made, as with every store.
#[derive(Clone)]
pub enum ServerStore {
    Redis(RedisStore),
    Postgres(PgStore),
    Sqlite(SqliteStore),
}

/// `$body` with `$store` bound to whichever engine's store `$self` is.
macro_rules! each {
    ($self:expr, $store:ident => $body:expr) => {
        match $self {
            ServerStore::Redis($store) => $body,
            ServerStore::Postgres($store) => $body,
            ServerStore::Sqlite($store) => $body,
        }
    };
}

/// The engine a URL names by its scheme.
enum Scheme {
    Redis,
    Postgres,
    Sqlite,
}

fn scheme(url: &str) -> Option<Scheme> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(Scheme::Postgres)
    } else if ["redis://", "rediss://", "redis-sentinel://"].iter().any(|scheme| url.starts_with(scheme)) {
        Some(Scheme::Redis)
    } else if url.starts_with("sqlite:") {
        Some(Scheme::Sqlite)
    } else {
        None
    }
}

/// Checks a server store URL now: its scheme is one of the server stores', and it parses.
pub fn check_store_url(url: &str) -> std::result::Result<(), String> {
    match scheme(url) {
        Some(Scheme::Postgres) => check_postgres_url(url),
        Some(Scheme::Redis) => check_redis_url(url),
        Some(Scheme::Sqlite) => check_sqlite_url(url),
        None => Err(format!(
            "{} is not a redis://, rediss://, redis-sentinel://, postgres:// or sqlite: URL",
            super::redact_url(url)
        )),
    }
}

/// Every namespace (a directory of the file layout holding documents) on the server at `url`
/// that is `prefix` or under it (`""`: all), sorted.
pub async fn server_namespaces(url: &str, prefix: &str) -> Result<Vec<String>> {
    match scheme(url) {
        Some(Scheme::Postgres) => namespaces_of::<PgServer>(url, prefix).await,
        Some(Scheme::Sqlite) => namespaces_of::<SqliteDb>(url, prefix).await,
        _ => namespaces_of::<RedisServer>(url, prefix).await,
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
        match scheme(url) {
            Some(Scheme::Postgres) => ServerStore::Postgres(PgStore::new(url, entity_name, base_dir)),
            Some(Scheme::Sqlite) => ServerStore::Sqlite(SqliteStore::new(url, entity_name, base_dir)),
            _ => ServerStore::Redis(RedisStore::new(url, entity_name, base_dir)),
        }
    }

    pub fn is_initialized(&self) -> bool {
        each!(self, store => store.is_initialized())
    }

    /// The document's JSON text, or `None`, in one round trip.
    pub fn read_optional(&self, id: &str) -> Boxed<Option<String>> {
        each!(self, store => Box::pin(store.read_optional(id)))
    }

    pub async fn count(&self) -> Result<usize> {
        each!(self, store => store.count().await)
    }

    pub async fn read_window(&self, ids: Vec<String>, max_bytes: usize) -> Result<Vec<String>> {
        each!(self, store => store.read_window(ids, max_bytes).await)
    }

    /// The texts of `ids`, in order, `None` for each not stored, in one round trip.
    pub async fn read_many(&self, ids: &[String]) -> Result<Vec<Option<String>>> {
        each!(self, store => store.read_many(ids).await)
    }

    /// A run of documents (a candle range), a window per round trip.
    pub async fn read_range(&self, scan: RangeScan) -> Result<Range> {
        each!(self, store => store.read_range(scan).await)
    }

    /// A run of documents from the process's cache (a SQLite store's candles), joined as a JSON
    /// array, when every one is there.
    pub fn cached_run(&self, ids: impl Iterator<Item = String>) -> Option<String> {
        each!(self, store => store.cached_run(ids))
    }

    /// Every document, with its id, in key order.
    pub async fn read_all(&self) -> Result<Vec<(String, String)>> {
        each!(self, store => store.read_all().await)
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
        let future: Boxed<Vec<String>> = each!(self, store => Box::pin(store.write_batch(documents, only_missing)));
        future
    }
}

impl Store for ServerStore {
    fn entity_name(&self) -> &str {
        each!(self, store => store.entity_name())
    }

    async fn init(&self, initial: bool) -> Result<InitReport> {
        each!(self, store => store.init(initial).await)
    }

    fn read(&self, id: &str) -> impl Future<Output = Result<String>> + use<> {
        let future: Boxed<String> = each!(self, store => Box::pin(store.read(id)));
        future
    }

    fn has(&self, id: &str) -> impl Future<Output = Result<bool>> + use<> {
        let future: Boxed<bool> = each!(self, store => Box::pin(store.has(id)));
        future
    }

    fn write(&self, id: &str, json: Vec<u8>) -> impl Future<Output = Result<()>> + use<> {
        let future: Boxed<()> = each!(self, store => Box::pin(store.write(id, json)));
        future
    }

    fn remove(&self, id: &str) -> impl Future<Output = Result<()>> + use<> {
        let future: Boxed<()> = each!(self, store => Box::pin(store.remove(id)));
        future
    }

    fn remove_all(&self) -> impl Future<Output = Result<()>> + use<> {
        let future: Boxed<()> = each!(self, store => Box::pin(store.remove_all()));
        future
    }

    async fn keys(&self) -> Result<Vec<String>> {
        each!(self, store => store.keys().await)
    }
}
