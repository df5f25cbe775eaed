//! The Redis store: the documents of one namespace in one Redis hash, named by the store's
//! logical directory (`<baseDir>/<entityName>`, lexically normalised, exactly the path the file
//! store would use), one field per entity id holding the exact JSON text. So data moves between
//! the file store and Redis without renaming, and `HSET`/`HGET` make every document whole: a
//! reader sees one write or another, never a mix.
//!
//! Order: operations on one key take their turn when called (the process-wide server queue,
//! keyed by server and key), so writes land in call order within a process; across processes
//! the last write to reach the server wins. A resolved write is one the server acknowledged;
//! with `appendonly yes` and `appendfsync always` the server acknowledges only after its AOF is
//! fsynced. `?wait=<n>` in the URL adds `WAIT n` after each write, so it resolves only once `n`
//! replicas have it.
//!
//! The connection is a [`redis::aio::ConnectionManager`]: one multiplexed connection shared by
//! every store of the URL, reconnected with bounded exponential backoff after the server goes
//! away. Calls in flight when it drops fail with a clear error; later calls go out on the new
//! connection, without restarting the process.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::{InitReport, Store};
use crate::error::{Cause, PersistError, Result};
use crate::key_order::sort_keys;
use crate::order::server_queue;

pub use super::server::redact_url;
use super::server::{
    coalesced_write, is_tls_failure, is_under, shared_server, values_window, BatchSink, Call, GroupCommit, Named,
    Namespace, ServerEngine, Upsert,
};

/// How long a connection attempt or a reply may take before the call fails with `STORE_TIMEOUT`.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);
/// Reconnection attempts after the connection drops, spaced 100 ms, 200 ms, ... up to 2 s.
const RECONNECT_RETRIES: usize = 6;

/// A Redis server as the stores of one URL share it.
struct Server {
    /// The URL with its password replaced by `***`, for messages.
    shown: String,
    /// What names the server in the write order: scheme, host, port, database.
    identity: String,
    client: redis::Client,
    /// Replicas a write waits for (`?wait=<n>`), and how long (`?wait_timeout_ms=`).
    wait: Option<(u32, u64)>,
    connection: OnceCell<ConnectionManager>,
    /// Writes ready at once go out together: one pipeline, one AOF fsync.
    group: Arc<GroupCommit>,
}

/// The servers of this process, by URL: every store of one URL shares one connection.
fn servers() -> &'static Mutex<HashMap<String, Arc<Server>>> {
    static SERVERS: OnceLock<Mutex<HashMap<String, Arc<Server>>>> = OnceLock::new();
    SERVERS.get_or_init(Default::default)
}

/// Checks a Redis URL now (scheme, options), so a bad one is refused where it is given.
pub fn check_redis_url(url: &str) -> std::result::Result<(), String> {
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err(format!("{} is not a redis:// or rediss:// URL", redact_url(url)));
    }
    Server::for_url(url).map(drop)
}

impl BatchSink for Server {
    /// One `HSET` per namespace with every field of the batch, pipelined: the server runs them
    /// in one go and, with `appendfsync always`, fsyncs its AOF once before it answers.
    async fn send_batch(&self, batch: Vec<Upsert>) -> std::result::Result<(), Cause> {
        let mut connection = self.connection().await?;
        let mut pipe = redis::pipe();
        let mut namespaces: Vec<&str> = Vec::new();
        for upsert in &batch {
            if !namespaces.contains(&upsert.namespace.as_str()) {
                namespaces.push(&upsert.namespace);
            }
        }
        for namespace in namespaces {
            let command = pipe.cmd("HSET").arg(namespace);
            for upsert in batch.iter().filter(|upsert| upsert.namespace == namespace) {
                command.arg(&upsert.id).arg(&upsert.json);
            }
            command.ignore();
        }
        pipe.query_async::<()>(&mut connection).await.map_err(|error| self.cause(&error))?;
        wait_for_replicas(self, &mut connection).await
    }
}

impl Named for Server {
    fn identity(&self) -> &str {
        &self.identity
    }
}

impl ServerEngine for Server {
    fn group(&self) -> &Arc<GroupCommit> {
        &self.group
    }

    /// One `HMGET`.
    async fn fetch_many(&self, namespace: &str, ids: &[String]) -> std::result::Result<Vec<Option<String>>, Cause> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut connection = self.connection().await?;
        redis::cmd("HMGET")
            .arg(namespace)
            .arg(ids)
            .query_async(&mut connection)
            .await
            .map_err(|error| self.cause(&error))
    }
}

impl Server {
    fn for_url(url: &str) -> std::result::Result<Arc<Server>, String> {
        shared_server(servers(), url, || Server::open(url))
    }

    fn open(url: &str) -> std::result::Result<Server, String> {
        let shown = redact_url(url);
        let parsed = url::Url::parse(url).map_err(|error| format!("{shown} is not a URL: {error}"))?;
        let mut wait = None;
        let mut wait_timeout = 1_000;
        for (name, value) in parsed.query_pairs() {
            let number = value.parse::<u64>().map_err(|_| format!("{shown}: {name} must be a whole number"))?;
            match &*name {
                "wait" => wait = Some(u32::try_from(number).map_err(|_| format!("{shown}: wait is too large"))?),
                "wait_timeout_ms" => wait_timeout = number,
                _ => return Err(format!("{shown}: unknown option {name} (wait, wait_timeout_ms)")),
            }
        }
        let mut bare = parsed.clone();
        bare.set_query(None);
        let client = redis::Client::open(bare.as_str()).map_err(|error| format!("{shown}: {error}"))?;
        let info = client.get_connection_info();
        let identity = format!("{}/{}", info.addr(), info.redis_settings().db());
        Ok(Server {
            shown,
            identity,
            client,
            wait: wait.map(|replicas| (replicas, wait_timeout)),
            connection: OnceCell::new(),
            group: Arc::default(),
        })
    }

    /// The shared connection, made on first use (a failure is retried by the next call).
    async fn connection(&self) -> std::result::Result<ConnectionManager, Cause> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(RECONNECT_RETRIES)
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_secs(2));
        let made = self
            .connection
            .get_or_try_init(|| async {
                // First one plain attempt: an unreachable server, a wrong password, a database out
                // of range fail the call at once (the manager would retry them with backoff).
                let probe = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(CONNECTION_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT));
                let mut probe = self.client.get_multiplexed_async_connection_with_config(&probe).await?;
                redis::cmd("PING").query_async::<()>(&mut probe).await?;
                drop(probe);
                let mut connection = self.client.get_connection_manager_with_config(config).await?;
                redis::cmd("PING").query_async::<()>(&mut connection).await?;
                Ok::<_, redis::RedisError>(connection)
            })
            .await;
        made.cloned().map_err(|error| self.cause(&error))
    }

    /// What failed, with a code for the failures a caller handles differently.
    fn cause(&self, error: &redis::RedisError) -> Cause {
        if error.kind() == redis::ErrorKind::Parse {
            // Something answered, but not in Redis's protocol (another service on that port).
            let reply = error.to_string().lines().next().unwrap_or_default().to_string();
            return Cause::Coded {
                code: "STORE_UNREACHABLE",
                message: format!(
                    "no Redis server at {}: what answers there does not speak the Redis protocol ({reply})",
                    self.shown
                ),
            };
        }
        let code = if error.kind() == redis::ErrorKind::AuthenticationFailed
            || error.code().is_some_and(|code| code == "WRONGPASS" || code == "NOAUTH")
        {
            "STORE_AUTH_FAILED"
        } else if is_tls_failure(&error.to_string()) {
            "STORE_TLS_FAILED"
        } else if error.is_timeout() {
            "STORE_TIMEOUT"
        } else if error.is_io_error() || error.is_connection_refusal() || error.is_connection_dropped() {
            "STORE_UNREACHABLE"
        } else {
            "STORE_FAILED"
        };
        Cause::Coded { code, message: format!("{} ({})", error, self.shown) }
    }
}

/// Every namespace (hash) on the server at `url` that is `prefix` or under it, sorted: what the
/// command line lists. One `SCAN ... TYPE hash` walk; keys that are not UTF-8 are not ours.
pub async fn redis_namespaces(url: &str, prefix: &str) -> Result<Vec<String>> {
    let failed = |cause| PersistError::Keys { entity: prefix.to_string(), cause };
    let server = Server::for_url(url).map_err(|message| failed(Cause::Coded { code: "STORE_FAILED", message }))?;
    let mut connection = server.connection().await.map_err(failed)?;
    let escaped: String = prefix
        .trim_end_matches('/')
        .chars()
        .flat_map(|c| if "*?[]\\".contains(c) { vec!['\\', c] } else { vec![c] })
        .collect();
    let (mut cursor, mut found) = (0u64, Vec::new());
    loop {
        let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{escaped}*"))
            .arg("COUNT")
            .arg(1000)
            .arg("TYPE")
            .arg("hash")
            .query_async(&mut connection)
            .await
            .map_err(|error| failed(server.cause(&error)))?;
        found
            .extend(keys.into_iter().filter_map(|key| String::from_utf8(key).ok()).filter(|key| is_under(key, prefix)));
        if next == 0 {
            break;
        }
        cursor = next;
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// The documents of one namespace in a Redis hash.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Namespace<Server>>,
}

impl RedisStore {
    /// A store of `entity_name` under `base_dir` on the server at `url` (`redis://`,
    /// `rediss://`). A relative `base_dir` stays relative: two machines with different working
    /// directories share `dump/data/signal/...`.
    pub fn new(url: &str, entity_name: &str, base_dir: &Path) -> Self {
        Self { inner: Arc::new(Namespace::new(entity_name, base_dir, Server::for_url(url))) }
    }

    /// The hash holding this store's documents.
    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// The URL, its password redacted.
    pub fn shown_url(&self) -> String {
        match &self.inner.server {
            Ok(server) => server.shown.clone(),
            Err(message) => message.clone(),
        }
    }

    /// The document's JSON text, or `None` when there is none: one `HGET`, where `has` then
    /// `read` would take two round trips (a registry read).
    pub fn read_optional(&self, id: &str) -> impl std::future::Future<Output = Result<Option<String>>> + use<> {
        self.inner.in_turn(id, |Call { entity, server, namespace, id }| async move {
            let failed = |cause| PersistError::Read { entity: entity.clone(), id: id.clone(), cause };
            let mut connection = server.connection().await.map_err(failed)?;
            redis::cmd("HGET")
                .arg(&namespace)
                .arg(&id)
                .query_async(&mut connection)
                .await
                .map_err(|error| failed(server.cause(&error)))
        })
    }

    /// Whether init has completed (a later `init` call returns at once).
    pub fn is_initialized(&self) -> bool {
        self.inner.init.initialized()
    }

    /// Number of documents (`HLEN`).
    pub async fn count(&self) -> Result<usize> {
        let (entity, server) = self.inner.checked()?;
        let failed = |cause| PersistError::Count { entity: entity.clone(), cause };
        let mut connection = server.connection().await.map_err(failed)?;
        redis::cmd("HLEN")
            .arg(&self.inner.namespace)
            .query_async(&mut connection)
            .await
            .map_err(|error| failed(server.cause(&error)))
    }

    /// The JSON texts of `ids`, in order, `None` for each that is not stored: one `HMGET`.
    pub async fn read_many(&self, ids: &[String]) -> Result<Vec<Option<String>>> {
        let (entity, server) = self.inner.checked()?;
        server.fetch_many(&self.inner.namespace, ids).await.map_err(|cause| PersistError::Values { entity, cause })
    }

    /// A 19.5.0 batch write ([`crate::store::batch`]): the turns taken now, then one `HMGET`
    /// for `only_missing` and the documents in one group commit.
    pub fn write_batch(
        &self,
        documents: Vec<(String, Vec<u8>)>,
        only_missing: bool,
    ) -> impl std::future::Future<Output = Result<Vec<String>>> + Send + use<> {
        super::batch::write_batch(&self.inner, documents, only_missing)
    }

    /// The JSON texts of `ids`, in order, until about `max_bytes` (at least one): a window of
    /// `values()`. A document removed meanwhile fails as a missing one.
    pub async fn read_window(&self, ids: Vec<String>, max_bytes: usize) -> Result<Vec<String>> {
        let mut texts = self.read_many(&ids).await?;
        values_window(&self.inner.entity_name, &ids, max_bytes, |index, _| texts.get_mut(index).and_then(Option::take))
    }
}

impl Store for RedisStore {
    fn entity_name(&self) -> &str {
        &self.inner.entity_name
    }

    /// Connects (once per server) and checks that the server answers as this URL says.
    async fn init(&self, _initial: bool) -> Result<InitReport> {
        let (entity, server) = self.inner.checked()?;
        self.inner
            .init
            .get_or_try_init(|| async {
                server.connection().await.map(drop).map_err(|cause| PersistError::Init { entity, cause })
            })
            .await?;
        Ok(InitReport::default())
    }

    fn read(&self, id: &str) -> impl std::future::Future<Output = Result<String>> + use<> {
        let (entity, id_owned) = (self.inner.entity_name.clone(), id.to_string());
        let optional = self.read_optional(id);
        async move { optional.await?.ok_or(PersistError::NotFound { entity, id: id_owned }) }
    }

    fn has(&self, id: &str) -> impl std::future::Future<Output = Result<bool>> + use<> {
        self.inner.in_turn(id, |Call { entity, server, namespace, id }| async move {
            let failed = |cause| PersistError::Has { entity: entity.clone(), id: id.clone(), cause };
            let mut connection = server.connection().await.map_err(failed)?;
            redis::cmd("HEXISTS")
                .arg(&namespace)
                .arg(&id)
                .query_async(&mut connection)
                .await
                .map_err(|error| failed(server.cause(&error)))
        })
    }

    /// Writes queued on one key coalesce as on the file store: a write issued while another on
    /// that key still waits for its turn joins it, and one `HSET` of the newest value resolves
    /// them all, once it is acknowledged.
    fn write(&self, id: &str, json: Vec<u8>) -> impl std::future::Future<Output = Result<()>> + use<> {
        let checked = self.inner.checked_id(id);
        let (id, namespace) = (id.to_string(), self.inner.namespace.clone());
        let slot = checked
            .as_ref()
            .ok()
            .map(|(_, server)| server_queue().enqueue_write(&self.inner.order_key(server, &id), json));
        async move {
            let (entity, server) = checked?;
            let slot = slot.expect("a slot is taken for every valid call");
            let failed = |cause| PersistError::Write { entity: entity.clone(), id: id.clone(), cause };
            let (namespace, id) = (namespace.clone(), id.clone());
            coalesced_write(slot, failed, |json| async move {
                server.group.submit(&server, Upsert { namespace, id, json }).await
            })
            .await
        }
    }

    fn remove(&self, id: &str) -> impl std::future::Future<Output = Result<()>> + use<> {
        self.inner.in_turn(id, |Call { entity, server, namespace, id }| async move {
            let failed = |cause| PersistError::Remove { entity: entity.clone(), id: id.clone(), cause };
            let mut connection = server.connection().await.map_err(failed)?;
            let removed: u64 = redis::cmd("HDEL")
                .arg(&namespace)
                .arg(&id)
                .query_async(&mut connection)
                .await
                .map_err(|error| failed(server.cause(&error)))?;
            if removed == 0 {
                return Err(PersistError::NotFoundForDeletion { entity: entity.clone(), id: id.clone() });
            }
            wait_for_replicas(&server, &mut connection).await.map_err(failed)
        })
    }

    fn remove_all(&self) -> impl std::future::Future<Output = Result<()>> + use<> {
        let checked = self.inner.checked();
        let namespace = self.inner.namespace.clone();
        let turn = checked
            .as_ref()
            .ok()
            .map(|(_, server)| server_queue().enqueue_barrier(&self.inner.order_directory(server)));
        async move {
            let (entity, server) = checked?;
            let mut turn = turn.expect("a turn is taken for every valid call");
            turn.ready().await;
            let failed = |cause| PersistError::RemoveAll { entity: entity.clone(), cause };
            let mut connection = server.connection().await.map_err(failed)?;
            redis::cmd("DEL")
                .arg(&namespace)
                .query_async::<()>(&mut connection)
                .await
                .map_err(|error| failed(server.cause(&error)))?;
            wait_for_replicas(&server, &mut connection).await.map_err(failed)
        }
    }

    async fn keys(&self) -> Result<Vec<String>> {
        let (entity, server) = self.inner.checked()?;
        let failed = |cause| PersistError::Keys { entity: entity.clone(), cause };
        let mut connection = server.connection().await.map_err(failed)?;
        let mut keys: Vec<String> = redis::cmd("HKEYS")
            .arg(&self.inner.namespace)
            .query_async(&mut connection)
            .await
            .map_err(|error| failed(server.cause(&error)))?;
        sort_keys(&mut keys);
        Ok(keys)
    }
}

/// `WAIT n timeout` after a write when the URL asks for replicas; fewer acknowledgments than
/// asked for fail the write (it may still be on the primary: its outcome is unknown).
async fn wait_for_replicas(server: &Server, connection: &mut ConnectionManager) -> std::result::Result<(), Cause> {
    let Some((replicas, timeout)) = server.wait else { return Ok(()) };
    let acknowledged: u32 = redis::cmd("WAIT")
        .arg(replicas)
        .arg(timeout)
        .query_async(connection)
        .await
        .map_err(|error| server.cause(&error))?;
    if acknowledged < replicas {
        return Err(Cause::Coded {
            code: "STORE_TIMEOUT",
            message: format!(
                "{acknowledged} of {replicas} replicas acknowledged the write within {timeout} ms ({})",
                server.shown
            ),
        });
    }
    Ok(())
}
