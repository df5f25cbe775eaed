//! The store abstraction the registries work against, and the default file store.
//!
//! The trait uses native `async fn` in traits, so each store's futures keep their own
//! `Send`-ness: the file store's run on the thread pool, a JS adapter's on the JS thread.

#[cfg(all(feature = "redis", feature = "postgres", feature = "sqlite"))]
mod any_server;
mod batch;
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
mod engine;
mod file;
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
mod group_commit;
#[cfg(feature = "postgres")]
mod postgres;
mod range;
#[cfg(feature = "redis")]
mod redis;
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
mod remote;
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
mod server;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::future::Future;

#[cfg(all(feature = "redis", feature = "postgres", feature = "sqlite"))]
pub use self::any_server::{check_store_url, server_namespaces, ServerStore};
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
pub use self::engine::Engine;
#[cfg(feature = "postgres")]
pub use self::postgres::{
    check_postgres_url, pg_table_schema, PgServer, PgStore, TableSchema, CREATE_TABLE as PG_CREATE_TABLE,
};
#[cfg(feature = "redis")]
pub use self::redis::{check_redis_url, RedisServer, RedisStore};
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
pub use self::remote::RemoteStore;
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
pub use self::server::redact_url;
#[cfg(feature = "sqlite")]
pub use self::sqlite::{check_sqlite_url, checkpoint_sqlite_files, sqlite_integrity, SqliteDb, SqliteStore};
pub use file::{resolve, FileStore, ImmediateWrite, PlannedWrite, MAX_CONCURRENT_FILE_TASKS, MAX_STRING_LENGTH};
pub use range::{Range, RangeScan};

use crate::error::Result;

/// What an init run did, for the caller to report on its own side (the JS console).
#[derive(Debug, Default, Clone)]
pub struct InitReport {
    /// Lines to print with `console.error`, in order, as the reference does.
    pub logs: Vec<String>,
    /// Corrupt documents moved into quarantine: (original path, quarantined path).
    pub quarantined: Vec<(std::path::PathBuf, std::path::PathBuf)>,
    /// Stale temp files of crashed writes that were removed.
    pub swept: Vec<std::path::PathBuf>,
}

/// One persistence namespace (an entity name): documents of JSON text keyed by entity id.
///
/// `write`, `remove` and `remove_all` fix their place in the key's order when they are called, before the
/// returned future is first polled: operations on one key take effect in call order.
pub trait Store {
    fn entity_name(&self) -> &str;
    /// Prepares the namespace once; a failed run is retried by the next call. `initial` says
    /// whether this is the registry's first use of the store (informational).
    fn init(&self, initial: bool) -> impl Future<Output = Result<InitReport>>;
    /// The document's JSON text.
    fn read(&self, id: &str) -> impl Future<Output = Result<String>> + use<Self>;
    fn has(&self, id: &str) -> impl Future<Output = Result<bool>> + use<Self>;
    fn write(&self, id: &str, json: Vec<u8>) -> impl Future<Output = Result<()>> + use<Self>;
    fn remove(&self, id: &str) -> impl Future<Output = Result<()>> + use<Self>;
    /// Takes its place in the order of every key of the namespace when it is called.
    fn remove_all(&self) -> impl Future<Output = Result<()>> + use<Self>;
    /// Entity ids in the reference's collation order.
    fn keys(&self) -> impl Future<Output = Result<Vec<String>>>;
}
