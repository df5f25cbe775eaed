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
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::sync::OnceCell;
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

use super::engine::is_tls_failure;
use super::engine::{engine_for, Engine, Named};
use super::group_commit::{BatchSink, GroupCommit, Upsert};
use super::remote::RemoteStore;
use super::server::redact_url;
use crate::error::Cause;

/// The documents of one namespace in the `backtest_persist` table.
pub type PgStore = RemoteStore<PgServer>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a call waits for a pooled connection before failing with `STORE_TIMEOUT`.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);
const POOL_SIZE: usize = 8;
/// A statement the server aborted for a deadlock or a serialization failure runs again this many times.
const ABORT_RETRIES: u32 = 5;

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

/// Whether the server aborted the statement to let another transaction through: nothing of it
/// was done, and the same statement may succeed when run again.
fn is_transient_abort(error: &tokio_postgres::Error) -> bool {
    let code = error.code();
    code == Some(&SqlState::T_R_DEADLOCK_DETECTED) || code == Some(&SqlState::T_R_SERIALIZATION_FAILURE)
}

/// Why a statement failed: before it ran (no connection, no table), or the server's answer.
enum Failure {
    Cause(Cause),
    Sql(tokio_postgres::Error),
}

/// A PostgreSQL server as the stores of one URL share it: one pool.
pub struct PgServer {
    shown: String,
    identity: String,
    pool: Pool,
    /// Whether the table is known to exist: created once, again after it vanished.
    table: Mutex<Arc<OnceCell<()>>>,
    /// Writes ready at once go out together: one statement, one commit, one WAL flush.
    group: Arc<GroupCommit>,
}

/// Checks a PostgreSQL URL now, so a bad one is refused where it is given.
pub fn check_postgres_url(url: &str) -> std::result::Result<(), String> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(format!("{} is not a postgres:// URL", redact_url(url)));
    }
    engine_for::<PgServer>(url).map(drop)
}

impl BatchSink for PgServer {
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
        // each other (a deadlock with anything else is retried by `run`).
        let upsert = "INSERT INTO backtest_persist (namespace, id, document) \
                      SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS batch (namespace, id, document) \
                      ORDER BY namespace, id \
                      ON CONFLICT (namespace, id) DO UPDATE SET document = EXCLUDED.document";
        let (namespaces, ids, documents) = (&namespaces, &ids, &documents);
        self.query(|client| async move {
            // Prepared once per connection: an unprepared statement costs a second round trip.
            let statement = client.prepare_cached(upsert).await?;
            client.execute(&statement, &[namespaces, ids, documents]).await
        })
        .await
        .map(drop)
    }
}

impl Named for PgServer {
    fn identity(&self) -> &str {
        &self.identity
    }
}

impl Engine for PgServer {
    fn engines() -> &'static Mutex<HashMap<String, Arc<Self>>> {
        static ENGINES: OnceLock<Mutex<HashMap<String, Arc<PgServer>>>> = OnceLock::new();
        ENGINES.get_or_init(Default::default)
    }

    fn open(url: &str) -> std::result::Result<Self, String> {
        PgServer::open(url)
    }

    fn shown(&self) -> &str {
        &self.shown
    }

    fn group(&self) -> &Arc<GroupCommit> {
        &self.group
    }

    /// Connects, and creates the table once per server.
    async fn ready(&self) -> std::result::Result<(), Cause> {
        self.ensure_table().await.map(drop)
    }

    /// One prepared `SELECT`.
    async fn fetch(&self, namespace: &str, id: &str) -> std::result::Result<Option<String>, Cause> {
        let row = self
            .query(|client| async move {
                let statement = client
                    .prepare_cached("SELECT document FROM backtest_persist WHERE namespace = $1 AND id = $2")
                    .await?;
                client.query_opt(&statement, &[&namespace, &id]).await
            })
            .await?;
        Ok(row.map(|row| row.get::<_, String>(0)))
    }

    /// One `SELECT ... = ANY`.
    async fn fetch_many(&self, namespace: &str, ids: &[String]) -> std::result::Result<Vec<Option<String>>, Cause> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .query(|client| async move {
                client
                    .query(
                        "SELECT id, document FROM backtest_persist WHERE namespace = $1 AND id = ANY($2)",
                        &[&namespace, &ids],
                    )
                    .await
            })
            .await?;
        let mut found: HashMap<String, String> = rows.into_iter().map(|row| (row.get(0), row.get(1))).collect();
        Ok(ids.iter().map(|id| found.remove(id)).collect())
    }

    async fn exists(&self, namespace: &str, id: &str) -> std::result::Result<bool, Cause> {
        let row = self
            .query(|client| async move {
                client
                    .query_opt("SELECT 1 FROM backtest_persist WHERE namespace = $1 AND id = $2", &[&namespace, &id])
                    .await
            })
            .await?;
        Ok(row.is_some())
    }

    async fn delete(&self, namespace: &str, id: &str) -> std::result::Result<bool, Cause> {
        let removed = self
            .query(|client| async move {
                client
                    .execute("DELETE FROM backtest_persist WHERE namespace = $1 AND id = $2", &[&namespace, &id])
                    .await
            })
            .await?;
        Ok(removed > 0)
    }

    async fn delete_namespace(&self, namespace: &str) -> std::result::Result<(), Cause> {
        self.query(|client| async move {
            client.execute("DELETE FROM backtest_persist WHERE namespace = $1", &[&namespace]).await
        })
        .await
        .map(drop)
    }

    async fn ids(&self, namespace: &str) -> std::result::Result<Vec<String>, Cause> {
        let rows = self
            .query(|client| async move {
                client.query("SELECT id FROM backtest_persist WHERE namespace = $1", &[&namespace]).await
            })
            .await?;
        Ok(rows.into_iter().map(|row| row.get(0)).collect())
    }

    async fn count(&self, namespace: &str) -> std::result::Result<usize, Cause> {
        let row = self
            .query(|client| async move {
                client.query_one("SELECT count(*) FROM backtest_persist WHERE namespace = $1", &[&namespace]).await
            })
            .await?;
        Ok(row.get::<_, i64>(0) as usize)
    }

    /// `SELECT DISTINCT namespace`; none when the table does not exist (listing never creates it).
    async fn namespaces(&self, _prefix: &str) -> std::result::Result<Vec<String>, Cause> {
        let client = self.pooled().await?;
        let exists = client
            .query_one("SELECT to_regclass('backtest_persist') IS NOT NULL", &[])
            .await
            .map_err(|error| self.cause(&error))?;
        if !exists.get::<_, bool>(0) {
            return Ok(Vec::new());
        }
        let rows = client
            .query("SELECT DISTINCT namespace FROM backtest_persist", &[])
            .await
            .map_err(|error| self.cause(&error))?;
        Ok(rows.into_iter().map(|row| row.get::<_, String>(0)).collect())
    }
}

impl PgServer {
    fn open(url: &str) -> std::result::Result<PgServer, String> {
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
        Ok(PgServer { shown, identity, pool, table: Mutex::default(), group: Arc::default() })
    }

    /// Runs `op` on a pooled connection, the table created first: every operation works on a
    /// server no process has written to yet (reads find nothing, as in an empty directory).
    /// When the table has vanished since (the server's data directory wiped, the table
    /// dropped), it is created again and `op` runs once more: no restart is needed.
    ///
    /// Every `op` is one statement in its own transaction, so a statement the server aborted
    /// to break a deadlock (another process's `removeAll` deleting rows in scan order while a
    /// batch upserts them in key order) or a serialization failure changed nothing, and runs
    /// again, as PostgreSQL asks of its clients.
    async fn run<T, F, Fut>(&self, op: F) -> std::result::Result<T, Failure>
    where
        F: Fn(deadpool_postgres::Client) -> Fut,
        Fut: Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    {
        let (mut recreated, mut aborted) = (false, 0);
        loop {
            let table = self.ensure_table().await.map_err(Failure::Cause)?;
            let client = self.pooled().await.map_err(Failure::Cause)?;
            match op(client).await {
                Err(error) if error.code() == Some(&SqlState::UNDEFINED_TABLE) && !recreated => {
                    recreated = true;
                    self.forget_table(&table);
                }
                Err(error) if is_transient_abort(&error) && aborted < ABORT_RETRIES => aborted += 1,
                outcome => return outcome.map_err(Failure::Sql),
            }
        }
    }

    /// [`PgServer::run`], its failure as a cause.
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
    /// that says so, for [`PgServer::forget_table`].
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
