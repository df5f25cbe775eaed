//! The PostgreSQL store: every document in one table, `backtest_persist (namespace, id,
//! document)`, keyed by the store's logical directory (`<baseDir>/<entityName>`, lexically
//! normalised, the file store's path) and the entity id, the document the exact JSON text.
//! A write is one `INSERT ... ON CONFLICT DO UPDATE`, committed before it resolves (with the
//! server's default `synchronous_commit = on`, that means flushed to its WAL); a reader sees one
//! committed value or another, never a mix.
//!
//! Order and coalescing are the Redis store's: turns taken when a call is made, queued writes
//! on one key joined into one statement of the newest value. Connections come from a pool (at
//! most 8, each checked out for one statement); a connection that broke is replaced on the next
//! checkout, so calls after a server restart work without restarting the process.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::sync::OnceCell;
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

use super::server::{
    coalesced_write, is_tls_failure, is_under, redact_url, shared_server, values_window, BatchSink, Call, GroupCommit,
    Named, Namespace, ServerEngine, Upsert,
};
use super::{InitReport, Store};
use crate::error::{Cause, PersistError, Result};
use crate::key_order::sort_keys;
use crate::order::server_queue;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a call waits for a pooled connection before failing with `STORE_TIMEOUT`.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);
const POOL_SIZE: usize = 8;
/// A batch aborted by a deadlock is sent again this many times.
const DEADLOCK_RETRIES: u32 = 3;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS backtest_persist (
    namespace text NOT NULL,
    id text NOT NULL,
    document text NOT NULL,
    PRIMARY KEY (namespace, id)
)";

/// TLS for `sslmode=require`: rustls (ring), the roots the system trusts.
fn tls_connector() -> std::result::Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(format!(
            "sslmode=require, but no trusted root certificates were found (install ca-certificates, or point SSL_CERT_FILE at the server's CA){}",
            found.errors.first().map(|error| format!(": {error}")).unwrap_or_default()
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Why a statement failed: before it ran (no connection, no table), or the server's answer.
enum Failure {
    Cause(Cause),
    Sql(tokio_postgres::Error),
}

/// A PostgreSQL server as the stores of one URL share it: one pool.
struct Server {
    shown: String,
    identity: String,
    pool: Pool,
    /// Whether the table is known to exist: created once, again after it vanished.
    table: Mutex<Arc<OnceCell<()>>>,
    /// Writes ready at once go out together: one statement, one commit, one WAL flush.
    group: Arc<GroupCommit>,
}

fn servers() -> &'static Mutex<HashMap<String, Arc<Server>>> {
    static SERVERS: OnceLock<Mutex<HashMap<String, Arc<Server>>>> = OnceLock::new();
    SERVERS.get_or_init(Default::default)
}

/// Checks a PostgreSQL URL now, so a bad one is refused where it is given.
pub fn check_postgres_url(url: &str) -> std::result::Result<(), String> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(format!("{} is not a postgres:// URL", redact_url(url)));
    }
    Server::for_url(url).map(drop)
}

impl BatchSink for Server {
    /// Every upsert of the batch in one `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO
    /// UPDATE`: one statement, so one transaction, committed (and with `synchronous_commit = on`
    /// flushed to the WAL) before it answers. A key twice in one batch keeps its later value (a
    /// statement may not update one row twice).
    async fn send_batch(&self, batch: Vec<Upsert>) -> std::result::Result<(), Cause> {
        let (mut namespaces, mut ids, mut documents) = (Vec::new(), Vec::new(), Vec::<String>::new());
        let mut rows: HashMap<(String, String), usize> = HashMap::with_capacity(batch.len());
        for upsert in batch {
            let document =
                String::from_utf8(upsert.json).map_err(|_| Cause::Message("the document is not UTF-8".into()))?;
            match rows.entry((upsert.namespace.clone(), upsert.id.clone())) {
                std::collections::hash_map::Entry::Occupied(row) => documents[*row.get()] = document,
                std::collections::hash_map::Entry::Vacant(row) => {
                    row.insert(documents.len());
                    namespaces.push(upsert.namespace);
                    ids.push(upsert.id);
                    documents.push(document);
                }
            }
        }
        // Rows locked in one order by every writer: two processes' batches never deadlock on
        // each other. A deadlock with some other client aborts the statement (nothing of it
        // committed), so it is retried.
        let upsert = "INSERT INTO backtest_persist (namespace, id, document) \
                      SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS batch (namespace, id, document) \
                      ORDER BY namespace, id \
                      ON CONFLICT (namespace, id) DO UPDATE SET document = EXCLUDED.document";
        let (namespaces, ids, documents) = (&namespaces, &ids, &documents);
        let mut deadlocks = 0;
        loop {
            let sent = self
                .run(|client| async move {
                    // Prepared once per connection: an unprepared statement costs a second round trip.
                    let statement = client.prepare_cached(upsert).await?;
                    client.execute(&statement, &[namespaces, ids, documents]).await
                })
                .await;
            match sent {
                Ok(_) => return Ok(()),
                Err(Failure::Sql(error))
                    if error.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED) && deadlocks < DEADLOCK_RETRIES =>
                {
                    deadlocks += 1;
                }
                Err(failure) => return Err(self.failure_cause(failure)),
            }
        }
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

    /// One `SELECT ... = ANY`.
    async fn fetch_many(&self, namespace: &str, ids: &[String]) -> std::result::Result<Vec<Option<String>>, Cause> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .run(|client| async move {
                client
                    .query(
                        "SELECT id, document FROM backtest_persist WHERE namespace = $1 AND id = ANY($2)",
                        &[&namespace, &ids],
                    )
                    .await
            })
            .await
            .map_err(|failure| self.failure_cause(failure))?;
        let mut found: HashMap<String, String> = rows.into_iter().map(|row| (row.get(0), row.get(1))).collect();
        Ok(ids.iter().map(|id| found.remove(id)).collect())
    }
}

impl Server {
    fn for_url(url: &str) -> std::result::Result<Arc<Server>, String> {
        shared_server(servers(), url, || Server::open(url))
    }

    fn open(url: &str) -> std::result::Result<Server, String> {
        let shown = redact_url(url);
        let mut config: tokio_postgres::Config = url.parse().map_err(|error| format!("{shown}: {error}"))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        let identity = format!("pg/{:?}/{:?}/{:?}", config.get_hosts(), config.get_ports(), config.get_dbname());
        let recycling = ManagerConfig { recycling_method: RecyclingMethod::Fast };
        // `sslmode=require`: TLS, the server's certificate checked against the system's trust
        // store (or SSL_CERT_FILE); otherwise plain, as libpq's unverified `prefer` would add
        // nothing a user can rely on.
        let manager = match config.get_ssl_mode() {
            SslMode::Require => {
                Manager::from_config(config, tls_connector().map_err(|error| format!("{shown}: {error}"))?, recycling)
            }
            _ => Manager::from_config(config, NoTls, recycling),
        };
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(CHECKOUT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|error| format!("{shown}: {error}"))?;
        Ok(Server { shown, identity, pool, table: Mutex::default(), group: Arc::default() })
    }

    /// Runs `op` on a pooled connection, the table created first: every operation works on a
    /// server no process has written to yet (reads find nothing, as in an empty directory).
    /// When the table has vanished since (the server's data directory wiped, the table
    /// dropped), it is created again and `op` runs once more: no restart is needed.
    async fn run<T, F, Fut>(&self, op: F) -> std::result::Result<T, Failure>
    where
        F: Fn(deadpool_postgres::Client) -> Fut,
        Fut: Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    {
        let mut recreated = false;
        loop {
            let table = self.ensure_table().await.map_err(Failure::Cause)?;
            let client = self.pooled().await.map_err(Failure::Cause)?;
            match op(client).await {
                Err(error) if error.code() == Some(&SqlState::UNDEFINED_TABLE) && !recreated => {
                    recreated = true;
                    self.forget_table(&table);
                }
                outcome => return outcome.map_err(Failure::Sql),
            }
        }
    }

    /// [`Server::run`], its failure as a cause.
    async fn query<T, F, Fut>(&self, op: F) -> std::result::Result<T, Cause>
    where
        F: Fn(deadpool_postgres::Client) -> Fut,
        Fut: Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    {
        self.run(op).await.map_err(|failure| self.failure_cause(failure))
    }

    fn failure_cause(&self, failure: Failure) -> Cause {
        match failure {
            Failure::Cause(cause) => cause,
            Failure::Sql(error) => self.cause(&error),
        }
    }

    async fn pooled(&self) -> std::result::Result<deadpool_postgres::Client, Cause> {
        self.pool.get().await.map_err(|error| self.pool_cause(&error))
    }

    /// Creates the table once (two processes racing on it is fine); resolves with the cell
    /// that says so, for [`Server::forget_table`].
    async fn ensure_table(&self) -> std::result::Result<Arc<OnceCell<()>>, Cause> {
        let table = self.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        table
            .get_or_try_init(|| async {
                let client = self.pooled().await?;
                match client.batch_execute(CREATE_TABLE).await {
                    Ok(()) => Ok(()),
                    // Another process created it at the same moment.
                    Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => Ok(()),
                    Err(error) => Err(self.cause(&error)),
                }
            })
            .await?;
        Ok(table)
    }

    /// The table was found missing: the next call creates it again (unless another call
    /// already did, replacing `seen`).
    fn forget_table(&self, seen: &Arc<OnceCell<()>>) {
        let mut table = self.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if Arc::ptr_eq(&table, seen) {
            *table = Arc::default();
        }
    }

    fn pool_cause(&self, error: &deadpool_postgres::PoolError) -> Cause {
        use deadpool_postgres::PoolError;
        match error {
            PoolError::Backend(error) => self.cause(error),
            PoolError::Timeout(kind) => {
                let what = match kind {
                    deadpool_postgres::TimeoutType::Create => {
                        format!("no connection to the server within {} s", CONNECT_TIMEOUT.as_secs())
                    }
                    deadpool_postgres::TimeoutType::Wait => {
                        format!("all {POOL_SIZE} connections were busy for {} s", CHECKOUT_TIMEOUT.as_secs())
                    }
                    deadpool_postgres::TimeoutType::Recycle => {
                        format!("checking a pooled connection took over {} s", CONNECT_TIMEOUT.as_secs())
                    }
                };
                Cause::Coded { code: "STORE_TIMEOUT", message: format!("{what} ({})", self.shown) }
            }
            other => Cause::Coded { code: "STORE_FAILED", message: format!("{other} ({})", self.shown) },
        }
    }

    fn cause(&self, error: &tokio_postgres::Error) -> Cause {
        let detail = match error.as_db_error() {
            Some(db) => format!("{}: {}", db.severity(), db.message()),
            None => {
                use std::error::Error as _;
                match error.source() {
                    Some(source) => format!("{error}: {source}"),
                    None => error.to_string(),
                }
            }
        };
        let code = match error.code() {
            Some(state)
                if *state == SqlState::INVALID_PASSWORD || *state == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
            {
                "STORE_AUTH_FAILED"
            }
            // Starting up or shutting down: it will take sessions again.
            Some(state) if *state == SqlState::CANNOT_CONNECT_NOW || *state == SqlState::ADMIN_SHUTDOWN => {
                "STORE_UNREACHABLE"
            }
            Some(_) => "STORE_FAILED",
            None if is_tls_failure(&detail) => "STORE_TLS_FAILED",
            None if error.is_closed() => "STORE_UNREACHABLE",
            None if error.to_string().contains("timed out") => "STORE_TIMEOUT",
            None => "STORE_UNREACHABLE",
        };
        Cause::Coded { code, message: format!("{detail} ({})", self.shown) }
    }
}

/// Every namespace in the `backtest_persist` table of the server at `url` that is `prefix` or
/// under it, sorted; none when the table does not exist (listing never creates it).
pub async fn postgres_namespaces(url: &str, prefix: &str) -> Result<Vec<String>> {
    let failed = |cause| PersistError::Keys { entity: prefix.to_string(), cause };
    let server = Server::for_url(url).map_err(|message| failed(Cause::Coded { code: "STORE_FAILED", message }))?;
    let client = server.pooled().await.map_err(failed)?;
    let exists = client
        .query_one("SELECT to_regclass('backtest_persist') IS NOT NULL", &[])
        .await
        .map_err(|error| failed(server.cause(&error)))?;
    if !exists.get::<_, bool>(0) {
        return Ok(Vec::new());
    }
    let rows = client
        .query("SELECT DISTINCT namespace FROM backtest_persist", &[])
        .await
        .map_err(|error| failed(server.cause(&error)))?;
    let mut found: Vec<String> =
        rows.into_iter().map(|row| row.get::<_, String>(0)).filter(|namespace| is_under(namespace, prefix)).collect();
    found.sort();
    Ok(found)
}

/// The documents of one namespace in the `backtest_persist` table.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Namespace<Server>>,
}

impl PgStore {
    /// A store of `entity_name` under `base_dir` on the server at `url` (`postgres://`). A
    /// relative `base_dir` stays relative, as on Redis.
    pub fn new(url: &str, entity_name: &str, base_dir: &Path) -> Self {
        Self { inner: Arc::new(Namespace::new(entity_name, base_dir, Server::for_url(url))) }
    }

    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    pub fn is_initialized(&self) -> bool {
        self.inner.init.initialized()
    }

    /// The document's JSON text, or `None`: one `SELECT`.
    pub fn read_optional(&self, id: &str) -> impl std::future::Future<Output = Result<Option<String>>> + use<> {
        self.inner.in_turn(id, |Call { entity, server, namespace, id }| async move {
            let (namespace, key) = (&namespace, &id);
            let row = server
                .query(|client| async move {
                    let statement = client
                        .prepare_cached("SELECT document FROM backtest_persist WHERE namespace = $1 AND id = $2")
                        .await?;
                    client.query_opt(&statement, &[namespace, key]).await
                })
                .await
                .map_err(|cause| PersistError::Read { entity, id: id.clone(), cause })?;
            Ok(row.map(|row| row.get::<_, String>(0)))
        })
    }

    pub async fn count(&self) -> Result<usize> {
        let (entity, server) = self.inner.checked()?;
        let namespace = &self.inner.namespace;
        let row = server
            .query(|client| async move {
                client.query_one("SELECT count(*) FROM backtest_persist WHERE namespace = $1", &[namespace]).await
            })
            .await
            .map_err(|cause| PersistError::Count { entity, cause })?;
        Ok(row.get::<_, i64>(0) as usize)
    }

    /// The JSON texts of `ids`, in order, `None` for each that is not stored: one `SELECT`.
    pub async fn read_many(&self, ids: &[String]) -> Result<Vec<Option<String>>> {
        let (entity, server) = self.inner.checked()?;
        server.fetch_many(&self.inner.namespace, ids).await.map_err(|cause| PersistError::Values { entity, cause })
    }

    /// A 19.5.0 batch write ([`crate::store::batch`]): the turns taken now, then one `SELECT`
    /// for `only_missing` and the documents in one group commit.
    pub fn write_batch(
        &self,
        documents: Vec<(String, Vec<u8>)>,
        only_missing: bool,
    ) -> impl std::future::Future<Output = Result<Vec<String>>> + Send + use<> {
        super::batch::write_batch(&self.inner, documents, only_missing)
    }

    /// The JSON texts of `ids`, in order, until about `max_bytes` (at least one).
    pub async fn read_window(&self, ids: Vec<String>, max_bytes: usize) -> Result<Vec<String>> {
        let mut texts = self.read_many(&ids).await?;
        values_window(&self.inner.entity_name, &ids, max_bytes, |index, _| texts.get_mut(index).and_then(Option::take))
    }
}

impl Store for PgStore {
    fn entity_name(&self) -> &str {
        &self.inner.entity_name
    }

    /// Connects, and creates the table once per server.
    async fn init(&self, _initial: bool) -> Result<InitReport> {
        let (entity, server) = self.inner.checked()?;
        self.inner
            .init
            .get_or_try_init(|| async {
                server.ensure_table().await.map(drop).map_err(|cause| PersistError::Init { entity, cause })
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
            let (namespace, key) = (&namespace, &id);
            let row = server
                .query(|client| async move {
                    client
                        .query_opt("SELECT 1 FROM backtest_persist WHERE namespace = $1 AND id = $2", &[namespace, key])
                        .await
                })
                .await
                .map_err(|cause| PersistError::Has { entity, id: id.clone(), cause })?;
            Ok(row.is_some())
        })
    }

    /// Queued writes on one key coalesce into one upsert of the newest value.
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
                // Checked here, so one bad document never fails the batch it would join.
                std::str::from_utf8(&json).map_err(|_| Cause::Message("the document is not UTF-8".into()))?;
                server.group.submit(&server, Upsert { namespace, id, json }).await
            })
            .await
        }
    }

    fn remove(&self, id: &str) -> impl std::future::Future<Output = Result<()>> + use<> {
        self.inner.in_turn(id, |Call { entity, server, namespace, id }| async move {
            let (namespace, key) = (&namespace, &id);
            let removed = server
                .query(|client| async move {
                    client
                        .execute("DELETE FROM backtest_persist WHERE namespace = $1 AND id = $2", &[namespace, key])
                        .await
                })
                .await
                .map_err(|cause| PersistError::Remove { entity: entity.clone(), id: id.clone(), cause })?;
            if removed == 0 {
                return Err(PersistError::NotFoundForDeletion { entity: entity.clone(), id: id.clone() });
            }
            Ok(())
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
            let namespace = &namespace;
            server
                .query(|client| async move {
                    client.execute("DELETE FROM backtest_persist WHERE namespace = $1", &[namespace]).await
                })
                .await
                .map(drop)
                .map_err(|cause| PersistError::RemoveAll { entity, cause })
        }
    }

    async fn keys(&self) -> Result<Vec<String>> {
        let (entity, server) = self.inner.checked()?;
        let namespace = &self.inner.namespace;
        let rows = server
            .query(|client| async move {
                client.query("SELECT id FROM backtest_persist WHERE namespace = $1", &[namespace]).await
            })
            .await
            .map_err(|cause| PersistError::Keys { entity, cause })?;
        let mut keys: Vec<String> = rows.into_iter().map(|row| row.get(0)).collect();
        sort_keys(&mut keys);
        Ok(keys)
    }
}
