//! The store abstraction the registries work against, and the default file store.

mod file;

use std::future::Future;
use std::pin::Pin;

pub use file::FileStore;

use crate::error::Result;

/// A future that owns everything it needs, so a caller can hand it to any runtime.
pub type StoreFuture<T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>;

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
/// `write` and `remove` fix their place in the key's order when they are called, before the
/// returned future is first polled: operations on one key take effect in call order.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    fn entity_name(&self) -> &str;
    /// Prepares the namespace once; a failed run is retried by the next call.
    async fn init(&self) -> Result<InitReport>;
    /// The document's JSON text.
    async fn read(&self, id: &str) -> Result<String>;
    async fn has(&self, id: &str) -> Result<bool>;
    fn write(&self, id: &str, json: Vec<u8>) -> StoreFuture<()>;
    fn remove(&self, id: &str) -> StoreFuture<()>;
    async fn remove_all(&self) -> Result<()>;
    /// Entity ids in the reference's collation order.
    async fn keys(&self) -> Result<Vec<String>>;
}
