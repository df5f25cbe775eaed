//! The SQLite store (`sqlite:<path>`): every document in one table of one database file,
//! `backtest_persist (namespace, id, document)`, keyed as the PostgreSQL store's (the file
//! layout's directory and the entity id), the document the exact JSON text. One file instead of
//! one file per document: a year of 1m candles is one file of tens of MB, not half a million
//! files of 4 KiB blocks.
//!
//! Durable as the file store: WAL mode with `synchronous=FULL`, so a write resolves once its
//! commit is in the write-ahead log on disk, and survives a power cut. Writes ready at once
//! (group commit: a batch of candles, log entries, concurrent writes) are one transaction, one
//! WAL sync. Every SQLite call runs on a blocking thread, never on the JS thread nor on the
//! runtime's async workers. Two processes may share a file: SQLite's locks order them, a writer
//! waiting up to 5 s for another (`STORE_TIMEOUT` after that). A file that is not a SQLite
//! database, or is corrupt, fails with `STORE_CORRUPT` and is never reset.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use super::engine::{engine_for, Engine, Named};
use super::group_commit::{BatchSink, GroupCommit, Upsert};
use super::remote::RemoteStore;
use crate::error::Cause;

/// The documents of one namespace in a SQLite database file.
pub type SqliteStore = RemoteStore<SqliteDb>;

/// How long a call waits for a lock another connection (or process) holds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the checkpoint at exit waits for another connection's lock.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(500);
/// The write-ahead log is copied into the file (checkpointed) once it holds this many pages of
/// 4 KiB (SQLite's default), and cut back to [`WAL_SIZE_LIMIT`] bytes after: it never grows
/// without bound while a bot runs.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 1000;
const WAL_SIZE_LIMIT: i64 = 8 << 20;
/// Read connections kept open for reuse (WAL readers never block the writer).
const READERS: usize = 4;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS backtest_persist (
    namespace TEXT NOT NULL,
    id TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (namespace, id)
) WITHOUT ROWID";

const UPSERT: &str = "INSERT INTO backtest_persist (namespace, id, document) VALUES (?1, ?2, ?3) \
                      ON CONFLICT (namespace, id) DO UPDATE SET document = excluded.document";
const INSERT_MISSING: &str =
    "INSERT INTO backtest_persist (namespace, id, document) VALUES (?1, ?2, ?3) ON CONFLICT (namespace, id) DO NOTHING";
const SELECT: &str = "SELECT document FROM backtest_persist WHERE namespace = ?1 AND id = ?2";

/// A database file as the stores of one URL share it.
pub struct SqliteDb {
    shown: String,
    identity: String,
    inner: Arc<Inner>,
    group: Arc<GroupCommit>,
}

struct Inner {
    path: PathBuf,
    /// The directory of the file, held so that its identity (the file's) stays its own.
    _directory: Option<Arc<crate::identity::DirPin>>,
    shown: String,
    /// The one connection that writes (SQLite has one writer at a time anyway).
    writer: Mutex<Option<Connection>>,
    readers: Mutex<Vec<Connection>>,
}

/// The database file a `sqlite:` URL names, or why it names none.
fn path_of(url: &str) -> std::result::Result<PathBuf, String> {
    let path = url.strip_prefix("sqlite:").ok_or_else(|| format!("{url} is not a sqlite: URL"))?;
    let path = path.strip_prefix("//").unwrap_or(path);
    if path.is_empty() {
        return Err(format!("{url}: no database file (sqlite:./dump/candles.db, sqlite:/srv/bot/state.db)"));
    }
    Ok(super::resolve(std::path::Path::new(path)))
}

/// `PRAGMA integrity_check` of the database file at `url`: `"ok"`, or what SQLite found wrong
/// (one problem a line). Checks only; a file that is not there is not created.
pub async fn sqlite_integrity(url: &str) -> crate::error::Result<String> {
    let failed = |cause| crate::error::PersistError::Values { entity: url.to_string(), cause };
    let engine =
        engine_for::<SqliteDb>(url).map_err(|message| failed(Cause::Coded { code: "STORE_FAILED", message }))?;
    if !engine.inner.path.exists() {
        return Err(failed(Cause::Coded { code: "STORE_UNREACHABLE", message: format!("no database file at {url}") }));
    }
    let checked = engine
        .read(|connection| {
            let mut check = connection.prepare("PRAGMA integrity_check")?;
            let lines: rusqlite::Result<Vec<String>> = check.query_map([], |row| row.get(0))?.collect();
            lines
        })
        .await;
    match checked {
        Ok(lines) => Ok(lines.join("\n")),
        // A file too damaged for the check to run: that is its finding.
        Err(Cause::Coded { code: "STORE_CORRUPT", message }) => Ok(message),
        Err(cause) => Err(failed(cause)),
    }
}

/// Checks a SQLite URL now, so a bad one is refused where it is given.
pub fn check_sqlite_url(url: &str) -> std::result::Result<(), String> {
    engine_for::<SqliteDb>(url).map(drop)
}

/// Creates the missing directories above `file` (`./dump/` of `sqlite:./dump/candles.db` on a
/// fresh project), each made durable in its parent before the database is created inside it.
fn create_parents_durably(file: &std::path::Path) -> std::io::Result<()> {
    let Some(parent) = file.parent() else { return Ok(()) };
    let missing: Vec<&std::path::Path> = parent.ancestors().take_while(|dir| !dir.exists()).collect();
    for dir in missing.into_iter().rev() {
        match std::fs::create_dir(dir) {
            Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => return Err(error),
            _ => {}
        }
        #[cfg(unix)]
        if let Some(above) = dir.parent() {
            std::fs::File::open(above)?.sync_all()?;
        }
    }
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Inner {
    /// A new connection, the database prepared: WAL, full sync, the busy timeout, the table.
    fn connect(&self) -> rusqlite::Result<Connection> {
        create_parents_durably(&self.path).map_err(|error| {
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(error.to_string()),
            )
        })?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&self.path, flags)?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        // Reads the header first: a file that is not a database fails here, untouched.
        connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get::<_, String>(0))?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
        connection.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        connection.execute_batch(CREATE_TABLE)?;
        Ok(connection)
    }

    /// The log copied into the file and emptied, on the writing connection (if it ever wrote).
    fn checkpoint(&self) -> bool {
        let writer = lock(&self.writer);
        let Some(connection) = writer.as_ref() else { return false };
        let _ = connection.busy_timeout(CHECKPOINT_WAIT);
        let done = connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get::<_, i64>(0))
            .is_ok_and(|busy| busy == 0);
        let _ = connection.busy_timeout(BUSY_TIMEOUT);
        done
    }

    /// `work` on the writing connection, on this (blocking) thread.
    fn write<T>(&self, work: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> std::result::Result<T, Cause> {
        let mut writer = lock(&self.writer);
        if writer.is_none() {
            *writer = Some(self.connect().map_err(|error| self.cause(&error))?);
        }
        let connection = writer.as_mut().ok_or_else(|| Cause::Message("no connection".into()))?;
        let outcome = work(connection).map_err(|error| self.cause(&error));
        if outcome.is_err() {
            // A connection that failed may be in any state (a rolled-back transaction, a file
            // gone): the next write opens a fresh one.
            *writer = None;
        }
        outcome
    }

    /// `work` on a reading connection, on this (blocking) thread.
    fn read<T>(&self, work: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> std::result::Result<T, Cause> {
        let pooled = lock(&self.readers).pop();
        let connection = match pooled {
            Some(connection) => connection,
            None => self.connect().map_err(|error| self.cause(&error))?,
        };
        let outcome = work(&connection).map_err(|error| self.cause(&error));
        if outcome.is_ok() {
            let mut readers = lock(&self.readers);
            if readers.len() < READERS {
                readers.push(connection);
            }
        }
        outcome
    }

    /// What failed, with a code for the failures a caller handles differently.
    fn cause(&self, error: &rusqlite::Error) -> Cause {
        let (code, what) = match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => (
                "STORE_TIMEOUT",
                format!("the database stayed locked by another connection for {} s", BUSY_TIMEOUT.as_secs()),
            ),
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                ("STORE_CORRUPT", "the file is not a SQLite database, or it is corrupt; it was left as it is".into())
            }
            Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
                ("STORE_FAILED", "the database is read-only".into())
            }
            Some(ErrorCode::DiskFull) => ("STORE_FAILED", "the disk is full".into()),
            Some(ErrorCode::CannotOpen) => ("STORE_UNREACHABLE", "the database file cannot be opened".into()),
            _ => ("STORE_FAILED", "SQLite failed".into()),
        };
        Cause::Coded { code, message: format!("{what}: {error} ({})", self.shown) }
    }
}

/// What names one database file whatever the spelling (relative, `..`, symlinks, a bind
/// mount): the identity of the nearest directory above it that exists ([`crate::identity`],
/// held open as long as the engine lives), then the rest of its path. A symlink as the file's
/// own name is followed first. No file or directory is created.
fn file_identity(path: &std::path::Path) -> (String, Option<Arc<crate::identity::DirPin>>) {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut rest = Vec::new();
    let mut directory = path.as_path();
    loop {
        let Some(name) = directory.file_name() else {
            return (format!("sqlite:{}", path.display()), None);
        };
        rest.push(name.to_os_string());
        let Some(parent) = directory.parent() else { return (format!("sqlite:{}", path.display()), None) };
        directory = parent;
        if directory.is_dir() {
            break;
        }
    }
    let identity = crate::identity::identify(directory);
    let mut key = identity.key.clone();
    key.extend(rest.iter().rev());
    (format!("sqlite:{}", key.display()), identity.pin())
}

/// The files open in this process, by identity: every URL naming one shares its connections
/// and group commit, so two spellings are one store.
type OpenFiles = HashMap<String, (Arc<Inner>, Arc<GroupCommit>)>;

fn open_files() -> &'static Mutex<OpenFiles> {
    static FILES: OnceLock<Mutex<OpenFiles>> = OnceLock::new();
    FILES.get_or_init(Mutex::default)
}

/// Copies the write-ahead log of every database file this process wrote into the file itself
/// and empties it (`wal_checkpoint(TRUNCATE)`), waiting for writes in progress: after it, the
/// `.db` file alone holds every acknowledged write. Called when the process exits; a file whose
/// checkpoint cannot run now (another process reading) keeps its log, which SQLite replays on
/// the next open. Returns the files checkpointed.
pub fn checkpoint_sqlite_files() -> usize {
    let inners: Vec<Arc<Inner>> = lock(open_files()).values().map(|(inner, _)| inner.clone()).collect();
    inners.iter().filter(|inner| inner.checkpoint()).count()
}

impl SqliteDb {
    fn open(url: &str) -> std::result::Result<SqliteDb, String> {
        let path = path_of(url)?;
        let shown = url.to_string();
        let (identity, directory) = file_identity(&path);
        let mut files = lock(open_files());
        let (inner, group) = files
            .entry(identity.clone())
            .or_insert_with(|| {
                let inner = Inner {
                    path,
                    _directory: directory,
                    shown: shown.clone(),
                    writer: Mutex::default(),
                    readers: Mutex::default(),
                };
                (Arc::new(inner), Arc::default())
            })
            .clone();
        Ok(SqliteDb { identity, inner, shown, group })
    }

    /// `work` with the writing connection, on a blocking thread.
    fn write<T, W>(&self, work: W) -> impl Future<Output = std::result::Result<T, Cause>> + Send + use<T, W>
    where
        T: Send + 'static,
        W: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        async move { blocking(move || inner.write(work)).await }
    }

    /// `work` with a reading connection, on a blocking thread.
    fn read<T, W>(&self, work: W) -> impl Future<Output = std::result::Result<T, Cause>> + Send + use<T, W>
    where
        T: Send + 'static,
        W: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        async move { blocking(move || inner.read(work)).await }
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::result::Result<T, Cause> + Send + 'static,
) -> std::result::Result<T, Cause> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|error| Err(Cause::Message(format!("the SQLite task failed: {error}"))))
}

/// `sql` run for each row (namespace, id, document) in one transaction, taking the write lock
/// at once: how many rows each run changed. One commit, one WAL sync.
fn each_row(connection: &mut Connection, sql: &str, rows: &[Upsert]) -> rusqlite::Result<Vec<usize>> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = {
        let mut statement = transaction.prepare_cached(sql)?;
        let mut changed = Vec::with_capacity(rows.len());
        for row in rows {
            let document = String::from_utf8_lossy(&row.json);
            changed.push(statement.execute((&row.namespace, &row.id, document.as_ref()))?);
        }
        changed
    };
    transaction.commit()?;
    Ok(changed)
}

impl BatchSink for SqliteDb {
    /// A storage batch of any size is one transaction: a restart sees all of it or none.
    const WHOLE_BATCHES: bool = true;

    /// Every upsert of the batch in one transaction.
    async fn send_batch(&self, batch: Vec<Upsert>) -> std::result::Result<(), Cause> {
        self.write(move |connection| each_row(connection, UPSERT, &batch).map(drop)).await
    }
}

impl Named for SqliteDb {
    fn identity(&self) -> &str {
        &self.identity
    }
}

impl Engine for SqliteDb {
    /// A database file on this machine: candle ranges read from it are cached, as on files.
    const CACHES_RANGES: bool = true;
    const INSERTS_MISSING: bool = true;

    /// `INSERT ... ON CONFLICT DO NOTHING` for each row in one transaction; a row changed
    /// nothing when its id was there.
    async fn insert_missing(&self, rows: Vec<Upsert>) -> std::result::Result<Vec<bool>, Cause> {
        self.write(move |connection| {
            let changed = each_row(connection, INSERT_MISSING, &rows)?;
            Ok(changed.into_iter().map(|count| count > 0).collect())
        })
        .await
    }

    fn engines() -> &'static Mutex<HashMap<String, Arc<Self>>> {
        static ENGINES: OnceLock<Mutex<HashMap<String, Arc<SqliteDb>>>> = OnceLock::new();
        ENGINES.get_or_init(Default::default)
    }

    fn open(url: &str) -> std::result::Result<Self, String> {
        SqliteDb::open(url)
    }

    fn shown(&self) -> &str {
        &self.shown
    }

    fn group(&self) -> &Arc<GroupCommit> {
        &self.group
    }

    /// Opens the file (creating it), checks it is a database, prepares WAL and the table.
    async fn ready(&self) -> std::result::Result<(), Cause> {
        self.write(|_| Ok(())).await
    }

    async fn fetch(&self, namespace: &str, id: &str) -> std::result::Result<Option<String>, Cause> {
        let (namespace, id) = (namespace.to_string(), id.to_string());
        self.read(move |connection| {
            use rusqlite::OptionalExtension;
            connection.prepare_cached(SELECT)?.query_row((&namespace, &id), |row| row.get(0)).optional()
        })
        .await
    }

    /// One read transaction: every document of one snapshot.
    async fn fetch_many(&self, namespace: &str, ids: &[String]) -> std::result::Result<Vec<Option<String>>, Cause> {
        let (namespace, ids) = (namespace.to_string(), ids.to_vec());
        self.read(move |connection| {
            use rusqlite::OptionalExtension;
            connection.execute_batch("BEGIN")?;
            let read = (|| {
                let mut select = connection.prepare_cached(SELECT)?;
                ids.iter().map(|id| select.query_row((&namespace, id), |row| row.get(0)).optional()).collect()
            })();
            connection.execute_batch("COMMIT")?;
            read
        })
        .await
    }

    async fn exists(&self, namespace: &str, id: &str) -> std::result::Result<bool, Cause> {
        Ok(self.fetch(namespace, id).await?.is_some())
    }

    async fn delete(&self, namespace: &str, id: &str) -> std::result::Result<bool, Cause> {
        let (namespace, id) = (namespace.to_string(), id.to_string());
        self.write(move |connection| {
            let removed = connection
                .prepare_cached("DELETE FROM backtest_persist WHERE namespace = ?1 AND id = ?2")?
                .execute((&namespace, &id))?;
            Ok(removed > 0)
        })
        .await
    }

    async fn delete_namespace(&self, namespace: &str) -> std::result::Result<(), Cause> {
        let namespace = namespace.to_string();
        self.write(move |connection| {
            connection
                .prepare_cached("DELETE FROM backtest_persist WHERE namespace = ?1")?
                .execute([&namespace])
                .map(drop)
        })
        .await
    }

    async fn ids(&self, namespace: &str) -> std::result::Result<Vec<String>, Cause> {
        let namespace = namespace.to_string();
        self.read(move |connection| {
            let mut select = connection.prepare_cached("SELECT id FROM backtest_persist WHERE namespace = ?1")?;
            let ids = select.query_map([&namespace], |row| row.get(0))?.collect();
            ids
        })
        .await
    }

    async fn count(&self, namespace: &str) -> std::result::Result<usize, Cause> {
        let namespace = namespace.to_string();
        self.read(move |connection| {
            connection
                .prepare_cached("SELECT count(*) FROM backtest_persist WHERE namespace = ?1")?
                .query_row([&namespace], |row| row.get::<_, i64>(0))
                .map(|count| count as usize)
        })
        .await
    }

    /// Listing a file that is not there creates none: it holds nothing.
    async fn namespaces(&self, _prefix: &str) -> std::result::Result<Vec<String>, Cause> {
        if !self.inner.path.exists() {
            return Ok(Vec::new());
        }
        self.read(|connection| {
            let mut select = connection.prepare_cached("SELECT DISTINCT namespace FROM backtest_persist")?;
            let found = select.query_map([], |row| row.get(0))?.collect();
            found
        })
        .await
    }
}
