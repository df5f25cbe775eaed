//! What a store engine is: one server (Redis, PostgreSQL) or database file (SQLite), shared by
//! every store of its URL, and the calls particular to it. The layer above ([`super::server`],
//! [`super::remote`]) holds the protocol every engine follows the same way; this module knows
//! nothing of turns, namespaces or stores.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use super::group_commit::{BatchSink, GroupCommit, Upsert};
use crate::error::Cause;

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

/// What a store engine does on its server, one call each. Every method runs once the caller's
/// turn has come (where it has one); it only reports what failed, as a [`Cause`].
pub trait Engine: Named + BatchSink + Sized {
    /// The engines of this process by URL: every store of one URL shares one.
    fn engines() -> &'static Mutex<HashMap<String, Arc<Self>>>;
    /// An engine for `url` (no I/O: connections are made on first use), or why the URL is unusable.
    fn open(url: &str) -> std::result::Result<Self, String>;
    /// The URL as messages show it (passwords hidden).
    fn shown(&self) -> &str;
    fn group(&self) -> &Arc<GroupCommit>;
    /// Whatever `waitForInit` must find ready: a connection, a table.
    fn ready(&self) -> impl Future<Output = std::result::Result<(), Cause>> + Send;
    fn fetch(
        &self,
        namespace: &str,
        id: &str,
    ) -> impl Future<Output = std::result::Result<Option<String>, Cause>> + Send;
    /// The texts of `ids` in order, `None` for each not stored: one round trip.
    fn fetch_many(
        &self,
        namespace: &str,
        ids: &[String],
    ) -> impl Future<Output = std::result::Result<Vec<Option<String>>, Cause>> + Send;
    fn exists(&self, namespace: &str, id: &str) -> impl Future<Output = std::result::Result<bool, Cause>> + Send;
    /// Deletes one document; whether there was one.
    fn delete(&self, namespace: &str, id: &str) -> impl Future<Output = std::result::Result<bool, Cause>> + Send;
    fn delete_namespace(&self, namespace: &str) -> impl Future<Output = std::result::Result<(), Cause>> + Send;
    /// The ids of a namespace, in any order.
    fn ids(&self, namespace: &str) -> impl Future<Output = std::result::Result<Vec<String>, Cause>> + Send;
    fn count(&self, namespace: &str) -> impl Future<Output = std::result::Result<usize, Cause>> + Send;
    /// Every namespace that is `prefix` or under it (`""`: all), in any order.
    fn namespaces(&self, prefix: &str) -> impl Future<Output = std::result::Result<Vec<String>, Cause>> + Send;
    /// Whether [`Engine::insert_missing`] does an "only missing" batch in one step.
    const INSERTS_MISSING: bool = false;

    /// Inserts each row whose id holds no document, in one step (a transaction), with the key's
    /// turns held by the caller; says for each row whether it was inserted.
    fn insert_missing(&self, rows: Vec<Upsert>) -> impl Future<Output = std::result::Result<Vec<bool>, Cause>> + Send {
        let _ = rows;
        async { Err(Cause::Message("this store reads, then writes".into())) }
    }

    /// Whether candle ranges read from it may be kept in the process's document cache: only
    /// where every change to them is this machine's to see (a database file, not a server other
    /// machines write to).
    const CACHES_RANGES: bool = false;
}

/// The engine of `url`, shared by every store of that URL.
pub(crate) fn engine_for<E: Engine>(url: &str) -> std::result::Result<Arc<E>, String> {
    let mut engines = E::engines().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(engine) = engines.get(url) {
        return Ok(engine.clone());
    }
    let engine = Arc::new(E::open(url)?);
    engines.insert(url.to_string(), engine.clone());
    Ok(engine)
}
