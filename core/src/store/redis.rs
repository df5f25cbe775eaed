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
//!
//! Behind Sentinel (`redis-sentinel://s1:26379,s2:26379/0#mymaster`, Lettuce's URL form) the
//! primary is whichever server the sentinels name: one multiplexed connection to it, checked to
//! be a primary, and asked of the sentinels again after it dropped or answered as a replica
//! (`READONLY`), so the store follows a failover without a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{Cmd, Pipeline, RedisFuture, Value};
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
    /// How the server is reached: at its address, or wherever the sentinels say the primary is.
    link: Link,
    /// Replicas a write waits for (`?wait=<n>`), and how long (`?wait_timeout_ms=`).
    wait: Option<(u32, u64)>,
    /// Writes ready at once go out together: one pipeline, one AOF fsync.
    group: Arc<GroupCommit>,
}

enum Link {
    Direct { client: redis::Client, connection: OnceCell<ConnectionManager> },
    Sentinel(Sentinel),
}

/// The primary as the sentinels name it: the connection to it now, with the generation that
/// tells a call which connection it failed on, so only that one is dropped.
struct Sentinel {
    /// The primary's service name (the URL's fragment).
    service: String,
    /// Asking the sentinels, one call at a time.
    client: tokio::sync::Mutex<SentinelClient>,
    /// Each sentinel, asked on its own when no primary was found: does it know the service?
    sentinels: Vec<redis::Client>,
    current: Mutex<Option<(u64, MultiplexedConnection)>>,
    generation: std::sync::atomic::AtomicU64,
}

/// A connection a call runs on: the manager's, or the one to the primary the sentinels named
/// (with its generation).
enum Connection {
    Managed(ConnectionManager),
    ToPrimary(u64, MultiplexedConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Managed(connection) => connection.req_packed_command(cmd),
            Connection::ToPrimary(_, connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Managed(connection) => connection.req_packed_commands(pipeline, offset, count),
            Connection::ToPrimary(_, connection) => connection.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Managed(connection) => connection.get_db(),
            Connection::ToPrimary(_, connection) => connection.get_db(),
        }
    }
}

/// Checks a Redis URL now (scheme, options), so a bad one is refused where it is given.
pub fn check_redis_url(url: &str) -> std::result::Result<(), String> {
    if !["redis://", "rediss://", "redis-sentinel://"].iter().any(|scheme| url.starts_with(scheme)) {
        return Err(format!("{} is not a redis://, rediss:// or redis-sentinel:// URL", redact_url(url)));
    }
    engine_for::<RedisServer>(url).map(drop)
}

/// The options this store reads from a Redis URL's query: `wait` replicas (with
/// `wait_timeout_ms`), and behind Sentinel the sentinels' own `sentinel_password`.
#[derive(Default)]
struct Options {
    wait: Option<(u32, u64)>,
    sentinel_password: Option<String>,
}

fn options(query: &str, shown: &str) -> std::result::Result<Options, String> {
    let (mut wait, mut wait_timeout, mut sentinel_password) = (None, 1_000, None);
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let number = || value.parse::<u64>().map_err(|_| format!("{shown}: {name} must be a whole number"));
        match &*name {
            "wait" => wait = Some(u32::try_from(number()?).map_err(|_| format!("{shown}: wait is too large"))?),
            "wait_timeout_ms" => wait_timeout = number()?,
            "sentinel_password" => sentinel_password = Some(value.into_owned()),
            _ => return Err(format!("{shown}: unknown option {name} (wait, wait_timeout_ms, sentinel_password)")),
        }
    }
    Ok(Options { wait: wait.map(|replicas| (replicas, wait_timeout)), sentinel_password })
}

/// A `redis-sentinel://[[user]:password@]host:port[,host:port...][/db][?options]#service` URL,
/// the form Lettuce (the Java client) reads: the sentinels' addresses, the database, the
/// primary's service name, and the password of the Redis servers (the sentinels' own is
/// `?sentinel_password=`).
fn sentinel_link(url: &str, shown: &str) -> std::result::Result<(Link, String, Options), String> {
    let bad =
        |why: &str| format!("{shown}: {why} (redis-sentinel://[:password@]host:26379[,host:port...][/db]#service)");
    let rest = url.strip_prefix("redis-sentinel://").ok_or_else(|| bad("not a redis-sentinel:// URL"))?;
    let (rest, service) = rest.split_once('#').ok_or_else(|| bad("no service name after #"))?;
    let service = url::form_urlencoded::parse(format!("s={service}").as_bytes())
        .next()
        .map(|(_, name)| name.into_owned())
        .unwrap_or_default();
    if service.is_empty() {
        return Err(bad("no service name after #"));
    }
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hosts) = authority.rsplit_once('@').map_or((None, authority), |(user, hosts)| (Some(user), hosts));
    let decode = |text: &str| {
        url::form_urlencoded::parse(format!("v={}", text.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    let (username, password) = match userinfo {
        Some(userinfo) => match userinfo.split_once(':') {
            Some((user, password)) => (Some(decode(user)).filter(|user| !user.is_empty()), Some(decode(password))),
            None => (Some(decode(userinfo)).filter(|user| !user.is_empty()), None),
        },
        None => (None, None),
    };
    let mut sentinels = Vec::new();
    for host in hosts.split(',') {
        let (name, port) = host.rsplit_once(':').unwrap_or((host, "26379"));
        let port = port.parse::<u16>().map_err(|_| bad(&format!("{port:?} is not a port")))?;
        let name = name.trim_start_matches('[').trim_end_matches(']');
        if name.is_empty() {
            return Err(bad("a sentinel without a host"));
        }
        sentinels.push((name.to_string(), port));
    }
    let db = match path {
        "" => 0,
        db => db.parse::<i64>().map_err(|_| bad(&format!("{db:?} is not a database number")))?,
    };
    let options = options(query, shown)?;
    let addresses = sentinels.iter().map(|(host, port)| redis::ConnectionAddr::Tcp(host.clone(), *port));
    let mut builder = SentinelClientBuilder::new(addresses, &service, SentinelServerType::Master)
        .map_err(|error| format!("{shown}: {error}"))?
        .set_client_to_redis_db(db);
    if let Some(username) = &username {
        builder = builder.set_client_to_redis_username(username);
    }
    if let Some(password) = &password {
        builder = builder.set_client_to_redis_password(password);
    }
    if let Some(password) = &options.sentinel_password {
        builder = builder.set_client_to_sentinel_password(password);
    }
    let client = builder.build().map_err(|error| format!("{shown}: {error}"))?;
    let each = sentinels
        .iter()
        .map(|(host, port)| {
            use redis::IntoConnectionInfo;
            let mut info = redis::ConnectionAddr::Tcp(host.clone(), *port).into_connection_info()?;
            if let Some(password) = &options.sentinel_password {
                info = info.set_redis_settings(redis::RedisConnectionInfo::default().set_password(password));
            }
            redis::Client::open(info)
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|error| format!("{shown}: {error}"))?;
    // One identity for every spelling of the same sentinels, service and database.
    sentinels.sort();
    let identity = format!("sentinel/{service}/{sentinels:?}/{db}");
    let link = Link::Sentinel(Sentinel {
        service,
        client: tokio::sync::Mutex::new(client),
        sentinels: each,
        current: Mutex::new(None),
        generation: Default::default(),
    });
    Ok((link, identity, options))
}

impl BatchSink for RedisServer {
    /// A batch is one `HSET` (or one per namespace, in one MULTI/EXEC), whatever its size: a
    /// crash mid-batch leaves all of it or none.
    const WHOLE_BATCHES: bool = true;

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
        // One `HSET` is applied whole; several (namespaces) go in one MULTI/EXEC.
        if namespaces.len() > 1 {
            pipe.atomic();
        }
        for namespace in namespaces {
            let command = pipe.cmd("HSET").arg(namespace);
            for upsert in batch.iter().filter(|upsert| upsert.namespace == namespace) {
                command.arg(&upsert.id).arg(&upsert.json);
            }
            command.ignore();
        }
        pipe.query_async::<()>(&mut connection).await.map_err(|error| self.failure(&connection, &error))?;
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
            .map_err(|error| self.failure(&connection, &error))?;
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
            .map_err(|error| self.failure(&connection, &error))?;
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
                .map_err(|error| self.failure(&connection, &error))?;
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
        if url.starts_with("redis-sentinel://") {
            let (link, identity, options) = sentinel_link(url, &shown)?;
            return Ok(RedisServer { shown, identity, link, wait: options.wait, group: Arc::default() });
        }
        let parsed = url::Url::parse(url).map_err(|error| format!("{shown} is not a URL: {error}"))?;
        let options = options(parsed.query().unwrap_or_default(), &shown)?;
        if options.sentinel_password.is_some() {
            return Err(format!("{shown}: sentinel_password is an option of redis-sentinel:// URLs"));
        }
        let mut bare = parsed.clone();
        bare.set_query(None);
        let client = redis::Client::open(bare.as_str()).map_err(|error| format!("{shown}: {error}"))?;
        let info = client.get_connection_info();
        let identity = format!("{}/{}", info.addr(), info.redis_settings().db());
        let link = Link::Direct { client, connection: OnceCell::new() };
        Ok(RedisServer { shown, identity, link, wait: options.wait, group: Arc::default() })
    }

    /// `command` on the shared connection, its reply as a `T`.
    async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> std::result::Result<T, Cause> {
        let mut connection = self.connection().await?;
        command.query_async(&mut connection).await.map_err(|error| self.failure(&connection, &error))
    }

    /// The shared connection, made on first use (a failure is retried by the next call).
    async fn connection(&self) -> std::result::Result<Connection, Cause> {
        match &self.link {
            Link::Direct { client, connection } => {
                Self::managed(client, connection).await.map(Connection::Managed).map_err(|error| self.cause(&error))
            }
            Link::Sentinel(sentinel) => self.to_primary(sentinel).await,
        }
    }

    async fn managed(
        client: &redis::Client,
        connection: &OnceCell<ConnectionManager>,
    ) -> std::result::Result<ConnectionManager, redis::RedisError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(RECONNECT_RETRIES)
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_secs(2));
        let made = connection
            .get_or_try_init(|| async {
                // First one plain attempt: an unreachable server, a wrong password, a database out
                // of range fail the call at once (the manager would retry them with backoff).
                let mut probe = client.get_multiplexed_async_connection_with_config(&connection_config()).await?;
                redis::cmd("PING").query_async::<()>(&mut probe).await?;
                drop(probe);
                let mut connection = client.get_connection_manager_with_config(config).await?;
                redis::cmd("PING").query_async::<()>(&mut connection).await?;
                Ok::<_, redis::RedisError>(connection)
            })
            .await;
        made.cloned()
    }

    /// The connection to the primary, asked of the sentinels when there is none (at first, or
    /// after it dropped or found itself a replica). The sentinels' answer is checked: the server
    /// they name must say it is a primary.
    async fn to_primary(&self, sentinel: &Sentinel) -> std::result::Result<Connection, Cause> {
        let current = || {
            lock(&sentinel.current)
                .clone()
                .map(|(generation, connection)| Connection::ToPrimary(generation, connection))
        };
        if let Some(connection) = current() {
            return Ok(connection);
        }
        let mut client = sentinel.client.lock().await;
        if let Some(connection) = current() {
            return Ok(connection);
        }
        let found = async {
            let primary = client.async_get_client().await?;
            let mut connection = primary.get_multiplexed_async_connection_with_config(&connection_config()).await?;
            let role: redis::Value = redis::cmd("ROLE").query_async(&mut connection).await?;
            let is_primary = matches!(&role, redis::Value::Array(parts)
                if matches!(parts.first(), Some(redis::Value::BulkString(name)) if name == b"master"));
            if !is_primary {
                return Err(redis::RedisError::from((
                    redis::ErrorKind::Io,
                    "the server the sentinels named is not a primary (a failover in progress)",
                )));
            }
            Ok(connection)
        };
        let connection = match tokio::time::timeout(CONNECTION_TIMEOUT * 2, found).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(error)) => return Err(self.sentinel_cause(sentinel, &error).await),
            Err(_) => {
                return Err(Cause::Coded {
                    code: "STORE_TIMEOUT",
                    message: format!(
                        "no primary for {:?} from the sentinels within {} s ({})",
                        sentinel.service,
                        (CONNECTION_TIMEOUT * 2).as_secs(),
                        self.shown
                    ),
                })
            }
        };
        let generation = sentinel.generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        *lock(&sentinel.current) = Some((generation, connection.clone()));
        Ok(Connection::ToPrimary(generation, connection))
    }

    /// Why the sentinels gave no usable primary. When none named one that answers as a primary,
    /// each is asked on its own whether it monitors the service at all: none does, the name is
    /// wrong (a set-up error, STORE_FAILED); one does, a failover is under way (STORE_UNREACHABLE,
    /// the next call asks again).
    async fn sentinel_cause(&self, sentinel: &Sentinel, error: &redis::RedisError) -> Cause {
        if error.kind() != redis::ErrorKind::MasterNameNotFoundBySentinel {
            return self.cause(error);
        }
        let service = &sentinel.service;
        let mut answered = 0;
        for client in &sentinel.sentinels {
            let asked = async {
                let mut connection = client.get_multiplexed_async_connection_with_config(&connection_config()).await?;
                redis::cmd("SENTINEL")
                    .arg("get-master-addr-by-name")
                    .arg(service)
                    .query_async::<Option<Vec<String>>>(&mut connection)
                    .await
            };
            match tokio::time::timeout(CONNECTION_TIMEOUT, asked).await {
                Ok(Ok(Some(_))) => {
                    return Cause::Coded {
                        code: "STORE_UNREACHABLE",
                        message: format!(
                            "the primary the sentinels name for {service:?} does not answer as a primary (a failover \
                             in progress): {error} ({})",
                            self.shown
                        ),
                    }
                }
                Ok(Ok(None)) => answered += 1,
                _ => {}
            }
        }
        if answered == 0 {
            return Cause::Coded {
                code: "STORE_UNREACHABLE",
                message: format!("no sentinel answered: {error} ({})", self.shown),
            };
        }
        Cause::Coded {
            code: "STORE_FAILED",
            message: format!(
                "no sentinel monitors a primary named {service:?} ({answered} of {} asked; check the URL's #service): {}",
                sentinel.sentinels.len(),
                self.shown
            ),
        }
    }

    /// What failed on `connection`. Behind Sentinel, a connection that dropped, timed out or
    /// answers as a replica is forgotten, so the next call asks the sentinels for the primary.
    fn failure(&self, connection: &Connection, error: &redis::RedisError) -> Cause {
        let readonly = error.code() == Some("READONLY");
        if let (Link::Sentinel(sentinel), Connection::ToPrimary(generation, _)) = (&self.link, connection) {
            let cause = if readonly {
                Cause::Coded {
                    code: "STORE_UNREACHABLE",
                    message: format!("the primary became a replica (a failover): {error} ({})", self.shown),
                }
            } else {
                self.cause(error)
            };
            if readonly || matches!(&cause, Cause::Coded { code: "STORE_UNREACHABLE" | "STORE_TIMEOUT", .. }) {
                let mut current = lock(&sentinel.current);
                if current.as_ref().is_some_and(|(held, _)| held == generation) {
                    *current = None;
                }
            }
            return cause;
        }
        self.cause(error)
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

fn connection_config() -> redis::AsyncConnectionConfig {
    redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECTION_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `WAIT n timeout` after a write when the URL asks for replicas; fewer acknowledgments than
/// asked for fail the write (it may still be on the primary: its outcome is unknown).
async fn wait_for_replicas(server: &RedisServer, connection: &mut Connection) -> std::result::Result<(), Cause> {
    let Some((replicas, timeout)) = server.wait else { return Ok(()) };
    let acknowledged: u32 = redis::cmd("WAIT")
        .arg(replicas)
        .arg(timeout)
        .query_async(connection)
        .await
        .map_err(|error| server.failure(connection, &error))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The service name, the server identity and the `wait` option a sentinel URL parses to.
    type Parsed = (String, String, Option<(u32, u64)>);

    fn sentinel(url: &str) -> std::result::Result<Parsed, String> {
        let (link, identity, options) = sentinel_link(url, &redact_url(url))?;
        let Link::Sentinel(sentinel) = link else { panic!("a sentinel link") };
        Ok((sentinel.service, identity, options.wait))
    }

    #[test]
    fn a_sentinel_url_names_the_sentinels_the_database_and_the_service() {
        let (service, identity, wait) =
            sentinel("redis-sentinel://:pw@127.0.0.1:26380,127.0.0.1:26379/2?wait=1&wait_timeout_ms=500#my%20primary")
                .unwrap();
        assert_eq!(service, "my primary");
        assert_eq!(wait, Some((1, 500)));
        // The sentinels in any order are one server in the write order.
        let (_, same, _) = sentinel("redis-sentinel://127.0.0.1:26379,127.0.0.1:26380/2#my%20primary").unwrap();
        assert_eq!(identity, same);
        let (_, other_db, _) = sentinel("redis-sentinel://127.0.0.1:26379,127.0.0.1:26380/3#my%20primary").unwrap();
        assert_ne!(identity, other_db);
        let (_, default_port, _) = sentinel("redis-sentinel://127.0.0.1#mymaster").unwrap();
        assert!(default_port.contains("26379"), "{default_port}");
    }

    #[test]
    fn a_bad_sentinel_url_is_refused_naming_it_without_its_passwords() {
        for (url, why) in [
            ("redis-sentinel://:pw@127.0.0.1:26379/0", "no service name after #"),
            ("redis-sentinel://:pw@127.0.0.1:26379/0#", "no service name after #"),
            ("redis-sentinel://:pw@127.0.0.1:port/0#m", "\"port\" is not a port"),
            ("redis-sentinel://:pw@127.0.0.1:1,:2/0#m", "a sentinel without a host"),
            ("redis-sentinel://:pw@127.0.0.1:1/zero#m", "\"zero\" is not a database number"),
            ("redis-sentinel://:pw@127.0.0.1:1/0?sentinel_password=sp&waitt=1#m", "unknown option waitt"),
        ] {
            let error = sentinel(url).map(drop).unwrap_err();
            assert!(error.contains(why), "{url}: {error}");
            assert!(!error.contains("pw@") && !error.contains("=sp"), "{error}");
        }
        let direct = RedisServer::open("redis://127.0.0.1:6379/0?sentinel_password=x").map(drop).unwrap_err();
        assert!(direct.contains("sentinel_password is an option of redis-sentinel:// URLs"), "{direct}");
    }
}
