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
use tokio_postgres::types::{ToSql, Type};
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
/// How long a statement may wait for the server's answer (`?timeout_ms=` changes it): then the
/// call fails with `STORE_TIMEOUT` and the statement is cancelled on the server.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
const POOL_SIZE: usize = 8;
/// A statement the server aborted for a deadlock or a serialization failure runs again this many times.
const ABORT_RETRIES: u32 = 5;

/// The table as this package creates it. `document` is `json`: PostgreSQL checks each document
/// is JSON and keeps its exact text (`jsonb` would reorder keys and drop duplicates), so SQL's
/// JSON operators work on it (`document->>'priceOpen'`). A table made before with a `text`
/// column is used as it is (`backtest-persist schema --apply` converts it).
pub const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS backtest_persist (
    namespace text NOT NULL,
    id text NOT NULL,
    document json NOT NULL,
    PRIMARY KEY (namespace, id)
)";

/// A statement that reads, sent to the primary: Pgpool-II load-balances a `SELECT` to a replica
/// unless it starts with this comment (its documented hint), and a replica may not have replayed
/// the write the caller just saw resolve. Every other server ignores the comment.
macro_rules! on_primary {
    ($sql:literal) => {
        concat!("/*NO LOAD BALANCE*/ ", $sql)
    };
}

const TABLE_EXISTS: &str = on_primary!("SELECT to_regclass('backtest_persist') IS NOT NULL");
const FETCH: &str = on_primary!("SELECT document::text FROM backtest_persist WHERE namespace = $1 AND id = $2");
const FETCH_MANY: &str =
    on_primary!("SELECT id, document::text FROM backtest_persist WHERE namespace = $1 AND id = ANY($2)");
const EXISTS: &str = on_primary!("SELECT 1 FROM backtest_persist WHERE namespace = $1 AND id = $2");
const IDS: &str = on_primary!("SELECT id FROM backtest_persist WHERE namespace = $1");
const COUNT: &str = on_primary!("SELECT count(*) FROM backtest_persist WHERE namespace = $1");
const NAMESPACES: &str = on_primary!("SELECT DISTINCT namespace FROM backtest_persist");
const DELETE: &str = "DELETE FROM backtest_persist WHERE namespace = $1 AND id = $2";
/// The rows locked in key order first (the `ARRAY` subquery runs before the delete scans), the
/// order every batch upsert locks them in: a `removeAll` and another process's batch never
/// wait for each other in a circle.
const DELETE_NAMESPACE: &str = "DELETE FROM backtest_persist WHERE namespace = $1 AND id = ANY(ARRAY(\
    SELECT id FROM backtest_persist WHERE namespace = $1 ORDER BY id FOR UPDATE))";
/// Rows locked in one order by every writer (namespace, then id): two processes' batches never
/// deadlock on each other. `::json` checks each document on the way in; on a table whose column
/// is still `text` the same exact text is stored.
const UPSERT: &str = "INSERT INTO backtest_persist (namespace, id, document) \
    SELECT namespace, id, document::json FROM unnest($1::text[], $2::text[], $3::text[]) AS batch (namespace, id, document) \
    ORDER BY namespace, id \
    ON CONFLICT (namespace, id) DO UPDATE SET document = EXCLUDED.document";

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

/// How connections to the server are made: plain, or TLS (`sslmode=require`). Kept for
/// cancelling a statement that outlived its timeout, which needs a connection of its own.
#[derive(Clone)]
enum Tls {
    Plain,
    Rustls(tokio_postgres_rustls::MakeRustlsConnect),
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

/// This package's own options of a `postgres://` URL, taken out before the rest goes to the
/// driver (which refuses options it does not know): `timeout_ms`, how long a statement may wait
/// for the server. Returns the URL without them and the timeout.
fn own_options(url: &str, shown: &str) -> std::result::Result<(String, Duration), String> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_string(), STATEMENT_TIMEOUT)) };
    let (mut kept, mut timeout) = (Vec::new(), STATEMENT_TIMEOUT);
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("timeout_ms", value)) => {
                let millis =
                    value.parse::<u64>().ok().filter(|millis| *millis > 0).ok_or_else(|| {
                        format!("{shown}: timeout_ms must be a positive whole number of milliseconds")
                    })?;
                timeout = Duration::from_millis(millis);
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    Ok((url, timeout))
}

/// A PostgreSQL server as the stores of one URL share it: one pool.
pub struct PgServer {
    shown: String,
    identity: String,
    pool: Pool,
    tls: Tls,
    /// How long a statement may wait for the server's answer.
    timeout: Duration,
    /// Whether the table is known to exist: checked (created if missing) once, again after it vanished.
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

/// A statement's parameters with their types: every statement is sent unnamed (parse, bind and
/// execute in one round trip), so nothing prepared outlives its transaction and a pooler in
/// transaction mode (PgBouncer) may hand each statement to another server connection.
type Params<'a> = [(&'a (dyn ToSql + Sync), Type)];

impl BatchSink for PgServer {
    /// One statement whatever its size: a batch of 6,000 rows is one transaction, so a crash
    /// mid-batch leaves all of it or none (arrays have no parameter-count limit).
    const WHOLE_BATCHES: bool = true;

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
        let params: &Params =
            &[(&namespaces, Type::TEXT_ARRAY), (&ids, Type::TEXT_ARRAY), (&documents, Type::TEXT_ARRAY)];
        self.query(|client| async move { client.execute_typed(UPSERT, params).await }).await.map(drop)
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

    /// Connects, and finds the table (creating it where it is missing) once per server.
    async fn ready(&self) -> std::result::Result<(), Cause> {
        self.ensure_table().await.map(drop)
    }

    async fn fetch(&self, namespace: &str, id: &str) -> std::result::Result<Option<String>, Cause> {
        let params: &Params = &[(&namespace, Type::TEXT), (&id, Type::TEXT)];
        let row = self.query(|client| async move { client.query_typed_opt(FETCH, params).await }).await?;
        Ok(row.map(|row| row.get::<_, String>(0)))
    }

    /// One `SELECT ... = ANY`.
    async fn fetch_many(&self, namespace: &str, ids: &[String]) -> std::result::Result<Vec<Option<String>>, Cause> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let params: &Params = &[(&namespace, Type::TEXT), (&ids, Type::TEXT_ARRAY)];
        let rows = self.query(|client| async move { client.query_typed(FETCH_MANY, params).await }).await?;
        let mut found: HashMap<String, String> = rows.into_iter().map(|row| (row.get(0), row.get(1))).collect();
        Ok(ids.iter().map(|id| found.remove(id)).collect())
    }

    async fn exists(&self, namespace: &str, id: &str) -> std::result::Result<bool, Cause> {
        let params: &Params = &[(&namespace, Type::TEXT), (&id, Type::TEXT)];
        let row = self.query(|client| async move { client.query_typed_opt(EXISTS, params).await }).await?;
        Ok(row.is_some())
    }

    async fn delete(&self, namespace: &str, id: &str) -> std::result::Result<bool, Cause> {
        let params: &Params = &[(&namespace, Type::TEXT), (&id, Type::TEXT)];
        let removed = self.query(|client| async move { client.execute_typed(DELETE, params).await }).await?;
        Ok(removed > 0)
    }

    async fn delete_namespace(&self, namespace: &str) -> std::result::Result<(), Cause> {
        let params: &Params = &[(&namespace, Type::TEXT)];
        self.query(|client| async move { client.execute_typed(DELETE_NAMESPACE, params).await }).await.map(drop)
    }

    async fn ids(&self, namespace: &str) -> std::result::Result<Vec<String>, Cause> {
        let params: &Params = &[(&namespace, Type::TEXT)];
        let rows = self.query(|client| async move { client.query_typed(IDS, params).await }).await?;
        Ok(rows.into_iter().map(|row| row.get(0)).collect())
    }

    async fn count(&self, namespace: &str) -> std::result::Result<usize, Cause> {
        let params: &Params = &[(&namespace, Type::TEXT)];
        let row = self.query(|client| async move { client.query_typed_one(COUNT, params).await }).await?;
        Ok(row.get::<_, i64>(0) as usize)
    }

    /// `SELECT DISTINCT namespace`; none when the table does not exist (listing never creates
    /// it, and needs no more than `SELECT` on it).
    async fn namespaces(&self, _prefix: &str) -> std::result::Result<Vec<String>, Cause> {
        let client = self.pooled().await?;
        let listed = async {
            let exists = client.query_typed_one(TABLE_EXISTS, &[]).await?;
            if !exists.get::<_, bool>(0) {
                return Ok(Vec::new());
            }
            client.query_typed(NAMESPACES, &[]).await
        };
        let rows = self.bounded(client.cancel_token(), listed).await?.map_err(|error| self.cause(&error))?;
        Ok(rows.into_iter().map(|row| row.get::<_, String>(0)).collect())
    }
}

impl PgServer {
    fn open(url: &str) -> std::result::Result<PgServer, String> {
        let shown = redact_url(url);
        let (driver_url, timeout) = own_options(url, &shown)?;
        let mut config: tokio_postgres::Config = driver_url.parse().map_err(|error| format!("{shown}: {error}"))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        // A peer that vanished without closing (a failed-over host, a cut network) is found
        // within about 20 s, so a pooled connection to it is replaced, not waited on forever.
        if !driver_url.contains("keepalives") {
            config
                .keepalives_idle(Duration::from_secs(10))
                .keepalives_interval(Duration::from_secs(2))
                .keepalives_retries(3);
        }
        if !driver_url.contains("tcp_user_timeout") {
            config.tcp_user_timeout(Duration::from_secs(20));
        }
        let identity = format!("pg/{:?}/{:?}/{:?}", config.get_hosts(), config.get_ports(), config.get_dbname());
        let recycling = ManagerConfig { recycling_method: RecyclingMethod::Fast };
        // `sslmode=require`: TLS, the server's certificate checked against the system's trust
        // store (or SSL_CERT_FILE); otherwise plain, as libpq's unverified `prefer` would add
        // nothing a user can rely on.
        let (manager, tls) = match config.get_ssl_mode() {
            SslMode::Require => {
                let connector = tls_connector().map_err(|error| format!("{shown}: {error}"))?;
                (Manager::from_config(config, connector.clone(), recycling), Tls::Rustls(connector))
            }
            _ => (Manager::from_config(config, NoTls, recycling), Tls::Plain),
        };
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(CHECKOUT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|error| format!("{shown}: {error}"))?;
        Ok(PgServer { shown, identity, pool, tls, timeout, table: Mutex::default(), group: Arc::default() })
    }

    /// Runs `op` on a pooled connection, the table found first: every operation works on a
    /// server no process has written to yet (reads find nothing, as in an empty directory).
    /// When the table has vanished since (the server's data directory wiped, the table
    /// dropped), it is created again and `op` runs once more: no restart is needed.
    ///
    /// Every `op` is one statement in its own transaction, so a statement the server aborted
    /// to break a deadlock or for a serialization failure changed nothing, and runs again, as
    /// PostgreSQL asks of its clients.
    async fn run<T, F, Fut>(&self, op: F) -> std::result::Result<T, Failure>
    where
        F: Fn(deadpool_postgres::Client) -> Fut,
        Fut: Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    {
        let (mut recreated, mut aborted) = (false, 0);
        loop {
            let table = self.ensure_table().await.map_err(Failure::Cause)?;
            let client = self.pooled().await.map_err(Failure::Cause)?;
            let cancel = client.cancel_token();
            match self.bounded(cancel, op(client)).await.map_err(Failure::Cause)? {
                Err(error) if error.code() == Some(&SqlState::UNDEFINED_TABLE) && !recreated => {
                    recreated = true;
                    self.forget_table(&table);
                }
                Err(error) if is_transient_abort(&error) && aborted < ABORT_RETRIES => aborted += 1,
                outcome => return outcome.map_err(Failure::Sql),
            }
        }
    }

    /// `statement`'s outcome, or `STORE_TIMEOUT` once it has waited longer than the timeout: the
    /// statement is then cancelled on the server (its connection is usable again once the server
    /// has answered the cancel). A write that timed out may still have been committed: its
    /// outcome is unknown, and it never resolves as done.
    async fn bounded<T>(
        &self,
        cancel: tokio_postgres::CancelToken,
        statement: impl Future<Output = T>,
    ) -> std::result::Result<T, Cause> {
        match tokio::time::timeout(self.timeout, statement).await {
            Ok(outcome) => Ok(outcome),
            Err(_) => {
                let tls = self.tls.clone();
                tokio::spawn(async move {
                    let _ = match tls {
                        Tls::Plain => cancel.cancel_query(NoTls).await,
                        Tls::Rustls(connector) => cancel.cancel_query(connector).await,
                    };
                });
                Err(Cause::Coded {
                    code: "STORE_TIMEOUT",
                    message: format!(
                        "the server did not answer within {} ms; the statement was cancelled, and a write may or may not have been committed ({})",
                        self.timeout.as_millis(),
                        self.shown
                    ),
                })
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

    /// Finds the table once, creating it only where it is missing: a role granted nothing but
    /// `SELECT, INSERT, UPDATE, DELETE` on a table its DBA made (no `CREATE` on the schema) uses
    /// it as it is. Two processes creating it at once is fine. Resolves with the cell that says
    /// it is there, for [`PgServer::forget_table`].
    async fn ensure_table(&self) -> std::result::Result<Arc<OnceCell<()>>, Cause> {
        let table = self.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        table
            .get_or_try_init(|| async {
                let client = self.pooled().await?;
                let found = async {
                    let exists = client.query_typed_one(TABLE_EXISTS, &[]).await?;
                    if exists.get::<_, bool>(0) {
                        return Ok(());
                    }
                    match client.batch_execute(CREATE_TABLE).await {
                        // Another process created it at the same moment.
                        Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => Ok(()),
                        outcome => outcome,
                    }
                };
                self.bounded(client.cancel_token(), found).await?.map_err(|error| self.cause(&error))
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
            // Starting up, shutting down, failing over, a standby where a primary was (a
            // connection exception, class 08): it will take sessions again, elsewhere if need be.
            Some(state)
                if *state == SqlState::CANNOT_CONNECT_NOW
                    || *state == SqlState::ADMIN_SHUTDOWN
                    || *state == SqlState::CRASH_SHUTDOWN
                    || *state == SqlState::READ_ONLY_SQL_TRANSACTION
                    || state.code().starts_with("08") =>
            {
                "STORE_UNREACHABLE"
            }
            // FATAL ends the session, whatever its SQLSTATE: Pgpool-II says a backend it lost
            // (a failover starting) this way, with XX000.
            Some(_) if error.as_db_error().is_some_and(|db| matches!(db.severity(), "FATAL" | "PANIC")) => {
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

/// The `backtest_persist` table's `document` column, as `backtest-persist schema` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    /// The column's type (`json`, or `text` for a table made before it was `json`); `None`
    /// when there is no table.
    pub document_type: Option<String>,
    /// Whether this call converted the column from `text` to `json`.
    pub converted: bool,
}

/// What the table's `document` column is on the server at `url` and, with `convert`, a `text`
/// column turned into `json` in one statement (every row checked as it is converted: one row
/// that is not JSON fails it, and nothing changes). The conversion rewrites the table under an
/// exclusive lock: calls of running bots wait for it. Needs the table's owner; reading the
/// schema needs nothing but a connection.
pub async fn pg_table_schema(url: &str, convert: bool) -> crate::error::Result<TableSchema> {
    use crate::error::PersistError;
    let failed = |cause| PersistError::Init { entity: "backtest_persist".into(), cause };
    let server =
        engine_for::<PgServer>(url).map_err(|message| failed(Cause::Coded { code: "STORE_FAILED", message }))?;
    let client = server.pooled().await.map_err(failed)?;
    const COLUMN: &str = on_primary!(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
         WHERE attrelid = to_regclass('backtest_persist') AND attname = 'document' AND NOT attisdropped"
    );
    let server = &server;
    let column = |client: deadpool_postgres::Client| async move {
        let row = server.bounded(client.cancel_token(), client.query_typed_opt(COLUMN, &[])).await?;
        row.map(|row| row.map(|row| row.get::<_, String>(0))).map_err(|error| server.cause(&error))
    };
    let before = column(client).await.map_err(failed)?;
    if !convert || before.as_deref() != Some("text") {
        return Ok(TableSchema { document_type: before, converted: false });
    }
    let client = server.pooled().await.map_err(failed)?;
    let altered =
        client.batch_execute("ALTER TABLE backtest_persist ALTER COLUMN document TYPE json USING document::json");
    let converting = |cause| PersistError::Write { entity: "backtest_persist".into(), id: "document".into(), cause };
    server
        .bounded(client.cancel_token(), altered)
        .await
        .map_err(converting)?
        .map_err(|error| converting(server.cause(&error)))?;
    let after = column(server.pooled().await.map_err(failed)?).await.map_err(failed)?;
    Ok(TableSchema { document_type: after, converted: true })
}
