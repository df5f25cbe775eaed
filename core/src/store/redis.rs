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
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::engine::is_tls_failure;
use super::engine::{engine_for, Engine, Named};
use super::group_commit::{BatchSink, GroupCommit, Upsert};
use super::remote::RemoteStore;
pub use super::server::redact_url;
use crate::error::Cause;

/// The documents of one namespace in a Redis hash.
pub type RedisStore = RemoteStore<RedisServer>;

/// How long a connection attempt or a reply may take before the call fails with `STORE_TIMEOUT`.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);
/// Reconnection attempts after the connection drops, spaced 100 ms, 200 ms, ... up to 2 s.
const RECONNECT_RETRIES: usize = 6;

/// A Redis server as the stores of one URL share it.
pub struct RedisServer {
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

/// Checks a Redis URL now (scheme, options), so a bad one is refused where it is given.
pub fn check_redis_url(url: &str) -> std::result::Result<(), String> {
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err(format!("{} is not a redis:// or rediss:// URL", redact_url(url)));
    }
    engine_for::<RedisServer>(url).map(drop)
}

impl BatchSink for RedisServer {
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

impl Named for RedisServer {
    fn identity(&self) -> &str {
        &self.identity
    }
}

impl Engine for RedisServer {
    fn engines() -> &'static Mutex<HashMap<String, Arc<Self>>> {
        static ENGINES: OnceLock<Mutex<HashMap<String, Arc<RedisServer>>>> = OnceLock::new();
        ENGINES.get_or_init(Default::default)
    }

    fn open(url: &str) -> std::result::Result<Self, String> {
        RedisServer::open(url)
    }

    fn shown(&self) -> &str {
        &self.shown
    }

    fn group(&self) -> &Arc<GroupCommit> {
        &self.group
    }

    /// Connects (once per server) and checks that the server answers as this URL says.
    async fn ready(&self) -> std::result::Result<(), Cause> {
        self.connection().await.map(drop)
    }

    /// One `HGET`.
    async fn fetch(&self, namespace: &str, id: &str) -> std::result::Result<Option<String>, Cause> {
        self.query(redis::cmd("HGET").arg(namespace).arg(id)).await
    }

    /// One `HMGET`.
    async fn fetch_many(&self, namespace: &str, ids: &[String]) -> std::result::Result<Vec<Option<String>>, Cause> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.query(redis::cmd("HMGET").arg(namespace).arg(ids)).await
    }

    async fn exists(&self, namespace: &str, id: &str) -> std::result::Result<bool, Cause> {
        self.query(redis::cmd("HEXISTS").arg(namespace).arg(id)).await
    }

    async fn delete(&self, namespace: &str, id: &str) -> std::result::Result<bool, Cause> {
        let mut connection = self.connection().await?;
        let removed: u64 = redis::cmd("HDEL")
            .arg(namespace)
            .arg(id)
            .query_async(&mut connection)
            .await
            .map_err(|error| self.cause(&error))?;
        if removed > 0 {
            wait_for_replicas(self, &mut connection).await?;
        }
        Ok(removed > 0)
    }

    async fn delete_namespace(&self, namespace: &str) -> std::result::Result<(), Cause> {
        let mut connection = self.connection().await?;
        redis::cmd("DEL")
            .arg(namespace)
            .query_async::<()>(&mut connection)
            .await
            .map_err(|error| self.cause(&error))?;
        wait_for_replicas(self, &mut connection).await
    }

    async fn ids(&self, namespace: &str) -> std::result::Result<Vec<String>, Cause> {
        self.query(redis::cmd("HKEYS").arg(namespace)).await
    }

    async fn count(&self, namespace: &str) -> std::result::Result<usize, Cause> {
        self.query(redis::cmd("HLEN").arg(namespace)).await
    }

    /// One `SCAN ... TYPE hash` walk; keys that are not UTF-8 are not ours.
    async fn namespaces(&self, prefix: &str) -> std::result::Result<Vec<String>, Cause> {
        let mut connection = self.connection().await?;
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
                .map_err(|error| self.cause(&error))?;
            found.extend(keys.into_iter().filter_map(|key| String::from_utf8(key).ok()));
            if next == 0 {
                return Ok(found);
            }
            cursor = next;
        }
    }
}

impl RedisServer {
    fn open(url: &str) -> std::result::Result<RedisServer, String> {
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
        Ok(RedisServer {
            shown,
            identity,
            client,
            wait: wait.map(|replicas| (replicas, wait_timeout)),
            connection: OnceCell::new(),
            group: Arc::default(),
        })
    }

    /// `command` on the shared connection, its reply as a `T`.
    async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> std::result::Result<T, Cause> {
        let mut connection = self.connection().await?;
        command.query_async(&mut connection).await.map_err(|error| self.cause(&error))
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
        } else if error.is_io_error()
            || error.is_connection_refusal()
            || error.is_connection_dropped()
            // Coming back: loading its data set after a restart, or a replica without its primary.
            || error.code().is_some_and(|code| matches!(code, "LOADING" | "MASTERDOWN" | "TRYAGAIN"))
        {
            "STORE_UNREACHABLE"
        } else {
            "STORE_FAILED"
        };
        Cause::Coded { code, message: format!("{} ({})", error, self.shown) }
    }
}

/// `WAIT n timeout` after a write when the URL asks for replicas; fewer acknowledgments than
/// asked for fail the write (it may still be on the primary: its outcome is unknown).
async fn wait_for_replicas(server: &RedisServer, connection: &mut ConnectionManager) -> std::result::Result<(), Cause> {
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
