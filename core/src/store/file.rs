//! The default store: one `<id>.json` file per entity in `<baseDir>/<entityName>/`.
//!
//! Writes are durable atomic replaces ordered per key; listings skip temp files; init creates
//! the directory, sweeps temp files left by crashed writers and moves documents that do not
//! parse into `.quarantine/` with their bytes intact. All file I/O runs on blocking threads.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use std::future::Future;

use super::{InitReport, Store};
use crate::atomic::{parent_dir, write_durable_on, AtomicOptions};
use crate::error::{Cause, IoFailure, PersistError, Result};
use crate::fs::{real_fs, DirEntry, FileSystem};
use crate::id::{invalid_entity_id, unsafe_component};
use crate::json::is_valid_json;
use crate::key_order::sort_keys;
use crate::order::{file_queue, Turn, WriteBatch, WriteSlot};
use crate::TMP_FILE_PREFIX;

/// Name of the folder inside a store's directory that receives corrupt documents.
pub const QUARANTINE_DIR: &str = ".quarantine";
/// Temp files younger than this may belong to a writer in another process and are kept.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(120);
const QUARANTINE_ATTEMPTS: u32 = 5;
const QUARANTINE_RETRY_DELAY: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

struct Inner {
    entity_name: String,
    directory: PathBuf,
    /// `directory` made absolute once, to key the process-wide write queue.
    queue_directory: PathBuf,
    name_error: Option<&'static str>,
    init: OnceCell<()>,
    fs: Arc<dyn FileSystem>,
    /// Directories this store created whose names are not yet known to be durable (a failed
    /// fsync of their parent): the next init syncs them again.
    unsynced_dirs: Arc<std::sync::Mutex<Vec<PathBuf>>>,
}

impl FileStore {
    /// A store for `entity_name` under `base_dir`. The name is checked when the store is first
    /// used, so that a store which is never touched never fails.
    pub fn new(entity_name: &str, base_dir: &Path) -> Self {
        Self::with_file_system(entity_name, base_dir, real_fs())
    }

    /// A store whose file system calls go through `fs` (tests put a simulated one here).
    pub fn with_file_system(entity_name: &str, base_dir: &Path, fs: Arc<dyn FileSystem>) -> Self {
        let directory = path_clean::clean(base_dir.join(entity_name));
        let queue_directory = std::path::absolute(&directory).unwrap_or_else(|_| directory.clone());
        Self {
            inner: Arc::new(Inner {
                entity_name: entity_name.to_string(),
                directory,
                queue_directory,
                name_error: unsafe_component(entity_name),
                init: OnceCell::new(),
                fs,
                unsynced_dirs: Arc::default(),
            }),
        }
    }

    pub fn directory(&self) -> &Path {
        &self.inner.directory
    }

    /// `<directory>/<id>.json`, without any check: the reference's `_getFilePath`.
    pub fn file_path(&self, id: &str) -> PathBuf {
        self.inner.directory.join(format!("{id}.json"))
    }

    /// Number of entity files (temp files excluded).
    pub async fn count(&self) -> Result<usize> {
        let entity = self.checked_name()?;
        let directory = self.inner.directory.clone();
        let fs = self.inner.fs.clone();
        let listed = blocking(move || list_entity_ids(&*fs, &directory)).await;
        match listed {
            Ok(Ok(ids)) => Ok(ids.len()),
            Ok(Err(io)) => Err(PersistError::Count { entity, cause: io.into() }),
            Err(cause) => Err(PersistError::Count { entity, cause }),
        }
    }

    /// Every entity's id and JSON text, in key order: the fast path of `values()`.
    pub async fn read_all(&self) -> Result<Vec<(String, String)>> {
        let entity = self.checked_name()?;
        let directory = self.inner.directory.clone();
        let name = entity.clone();
        let fs = self.inner.fs.clone();
        let read = blocking(move || -> std::result::Result<Vec<(String, String)>, Cause> {
            let mut ids = list_entity_ids(&*fs, &directory)?;
            sort_keys(&mut ids);
            let paths: Vec<PathBuf> = ids.iter().map(|id| directory.join(format!("{id}.json"))).collect();
            let texts = parallel_map(&paths, |path| fs.read(path).map(decode_utf8));
            ids.iter()
                .zip(paths.iter().zip(texts))
                .map(|(id, (path, text))| match text {
                    Ok(text) => Ok((id.clone(), text)),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        Err(Cause::Message(format!("Entity {name}:{id} not found")))
                    }
                    Err(error) => Err(Cause::Message(
                        PersistError::Read {
                            entity: name.clone(),
                            id: id.clone(),
                            cause: IoFailure::new(&error, "open", path).into(),
                        }
                        .to_string(),
                    )),
                })
                .collect()
        })
        .await;
        match read {
            Ok(Ok(texts)) => Ok(texts),
            Ok(Err(cause)) | Err(cause) => Err(PersistError::Values { entity, cause }),
        }
    }

    /// Reads a document on the calling thread: one short system call, for callers already on
    /// a worker thread (a hop to another would cost more than the read).
    pub fn read_now(&self, id: &str) -> Result<String> {
        let path = self.entity_file(id)?;
        let entity = self.inner.entity_name.clone();
        match self.inner.fs.read(&path) {
            Ok(bytes) => Ok(decode_utf8(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err(PersistError::NotFound { entity, id: id.to_string() })
            }
            Err(error) => Err(PersistError::Read {
                entity,
                id: id.to_string(),
                cause: IoFailure::new(&error, "open", &path).into(),
            }),
        }
    }

    /// Whether a document exists, checked on the calling thread (see [`FileStore::read_now`]).
    pub fn has_now(&self, id: &str) -> Result<bool> {
        let path = self.entity_file(id)?;
        match self.inner.fs.exists(&path) {
            Ok(found) => Ok(found),
            Err(error) => Err(PersistError::Has {
                entity: self.inner.entity_name.clone(),
                id: id.to_string(),
                cause: IoFailure::new(&error, "access", &path).into(),
            }),
        }
    }

    /// Whether init has completed (a later `init` call returns at once).
    pub fn is_initialized(&self) -> bool {
        self.inner.init.initialized()
    }

    /// Takes the write's place in its key's order now. When the key has nothing queued and no
    /// other file task is running, the write can run at once on the caller's worker thread
    /// ([`ImmediateWrite::run`]): one thread hop for the whole durable write, which is what a
    /// bot writing one value at a time does. Otherwise it queues, coalescing with the writes
    /// queued on the key.
    pub fn plan_write(
        &self,
        id: &str,
        json: Vec<u8>,
    ) -> Result<PlannedWrite<impl Future<Output = Result<()>> + Send + 'static>> {
        let path = self.entity_file(id)?;
        let key = self.queue_key(id);
        let entity = self.inner.entity_name.clone();
        let id = id.to_string();
        let fs = self.inner.fs.clone();
        let slot = match file_queue().enqueue_write(&key, json) {
            WriteSlot::Leader { mut turn, batch } => {
                if turn.try_ready() {
                    if let Some(slot) = idle_slot() {
                        let write = Box::new(ImmediateWrite { fs, path, key, turn, batch, entity, id, _slot: slot });
                        return Ok(PlannedWrite::Immediate(write));
                    }
                }
                WriteSlot::Leader { turn, batch }
            }
            follower => follower,
        };
        Ok(PlannedWrite::Queued(queued_write(fs, path, key, slot, entity, id)))
    }

    fn checked_name(&self) -> Result<String> {
        match self.inner.name_error {
            Some(reason) => {
                Err(PersistError::InvalidName { entity: self.inner.entity_name.clone(), reason: reason.to_string() })
            }
            None => Ok(self.inner.entity_name.clone()),
        }
    }

    /// The file of a valid id in a store with a valid name.
    fn entity_file(&self, id: &str) -> Result<PathBuf> {
        let entity = self.checked_name()?;
        if let Some(reason) = invalid_entity_id(id) {
            return Err(PersistError::InvalidId { entity, id: id.to_string(), reason: format!("{id:?} {reason}") });
        }
        Ok(self.file_path(id))
    }

    fn queue_key(&self, id: &str) -> PathBuf {
        self.inner.queue_directory.join(format!("{id}.json"))
    }
}

impl Store for FileStore {
    fn entity_name(&self) -> &str {
        &self.inner.entity_name
    }

    async fn init(&self, _initial: bool) -> Result<InitReport> {
        let entity = self.checked_name()?;
        let mut report = None;
        self.inner
            .init
            .get_or_try_init(|| async {
                let directory = self.inner.directory.clone();
                let name = entity.clone();
                let fs = self.inner.fs.clone();
                let unsynced = self.inner.unsynced_dirs.clone();
                match blocking(move || recover(&*fs, &unsynced, &directory, &name)).await {
                    Ok(Ok(done)) => {
                        report = Some(done);
                        Ok(())
                    }
                    Ok(Err(cause)) | Err(cause) => Err(PersistError::Init { entity: entity.clone(), cause }),
                }
            })
            .await?;
        Ok(report.unwrap_or_default())
    }

    async fn read(&self, id: &str) -> Result<String> {
        self.read_now(id)
    }

    async fn has(&self, id: &str) -> Result<bool> {
        self.has_now(id)
    }

    fn write(&self, id: &str, json: Vec<u8>) -> impl Future<Output = Result<()>> + use<> {
        let planned = self.plan_write(id, json);
        let entity = self.inner.entity_name.clone();
        let id = id.to_string();
        async move {
            match planned? {
                PlannedWrite::Immediate(write) => tokio::task::spawn_blocking(move || write.run())
                    .await
                    .unwrap_or_else(|error| Err(PersistError::Write { entity, id, cause: task_failed(error) })),
                PlannedWrite::Queued(write) => write.await,
            }
        }
    }

    fn remove(&self, id: &str) -> impl Future<Output = Result<()>> + use<> {
        let checked = self.entity_file(id).map(|path| (path, file_queue().enqueue(&self.queue_key(id))));
        let entity = self.inner.entity_name.clone();
        let id = id.to_string();
        let fs = self.inner.fs.clone();
        async move {
            let (path, mut turn) = checked?;
            turn.ready().await;
            let removed = blocking(move || {
                fs.remove_file(&path).map_err(|error| IoFailure::new(&error, "unlink", &path))?;
                fs.sync_dir(parent_dir(&path))
            })
            .await;
            drop(turn);
            match removed {
                Ok(Ok(())) => Ok(()),
                Ok(Err(io)) if io.is_not_found() && io.syscall == "unlink" => {
                    Err(PersistError::NotFoundForDeletion { entity, id })
                }
                Ok(Err(io)) => Err(PersistError::Remove { entity, id, cause: io.into() }),
                Err(cause) => Err(PersistError::Remove { entity, id, cause }),
            }
        }
    }

    async fn remove_all(&self) -> Result<()> {
        let entity = self.checked_name()?;
        // Writes and removals already issued on this store's keys land before the listing.
        for mut turn in file_queue().enqueue_all_under(&self.inner.queue_directory) {
            turn.ready().await;
        }
        let directory = self.inner.directory.clone();
        let fs = self.inner.fs.clone();
        let removed = blocking(move || -> std::result::Result<(), IoFailure> {
            for id in list_entity_ids(&*fs, &directory)? {
                let path = directory.join(format!("{id}.json"));
                match fs.remove_file(&path) {
                    Ok(()) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => return Err(IoFailure::new(&error, "unlink", &path)),
                }
            }
            fs.sync_dir(&directory)
        })
        .await;
        match removed {
            Ok(Ok(())) => Ok(()),
            Ok(Err(io)) => Err(PersistError::RemoveAll { entity, cause: io.into() }),
            Err(cause) => Err(PersistError::RemoveAll { entity, cause }),
        }
    }

    async fn keys(&self) -> Result<Vec<String>> {
        let entity = self.checked_name()?;
        let directory = self.inner.directory.clone();
        let fs = self.inner.fs.clone();
        let listed = blocking(move || {
            list_entity_ids(&*fs, &directory).map(|mut ids| {
                sort_keys(&mut ids);
                ids
            })
        })
        .await;
        match listed {
            Ok(Ok(ids)) => Ok(ids),
            Ok(Err(io)) => Err(PersistError::Keys { entity, cause: io.into() }),
            Err(cause) => Err(PersistError::Keys { entity, cause }),
        }
    }
}

/// A write planned by [`FileStore::plan_write`].
pub enum PlannedWrite<F> {
    /// Ready to run now, on a thread that may block.
    Immediate(Box<ImmediateWrite>),
    /// Waiting for its turn on the key (or coalesced into a queued write).
    Queued(F),
}

/// A write whose turn has come and which holds a file-task slot.
pub struct ImmediateWrite {
    fs: Arc<dyn FileSystem>,
    path: PathBuf,
    key: PathBuf,
    turn: Turn,
    batch: Arc<WriteBatch>,
    entity: String,
    id: String,
    _slot: tokio::sync::SemaphorePermit<'static>,
}

impl ImmediateWrite {
    /// Writes durably on this thread (it blocks for the system calls) and resolves every write
    /// that coalesced into this one meanwhile.
    pub fn run(self: Box<Self>) -> Result<()> {
        let Self { fs, path, key, turn, batch, entity, id, _slot } = *self;
        let (json, followers) = file_queue().seal(&key, &batch);
        let written = write_durable_on(&*fs, &path, &json, &AtomicOptions::default());
        drop(turn);
        let outcome = written.map_err(|io| PersistError::Write { entity, id, cause: io.into() });
        for follower in followers {
            let _ = follower.send(outcome.clone());
        }
        outcome
    }
}

/// A write that waits for its turn, then writes the newest content of its batch.
async fn queued_write(
    fs: Arc<dyn FileSystem>,
    path: PathBuf,
    key: PathBuf,
    slot: WriteSlot,
    entity: String,
    id: String,
) -> Result<()> {
    let (mut turn, batch) = match slot {
        WriteSlot::Follower(done) => {
            return done.await.unwrap_or_else(|_| {
                Err(PersistError::Write { entity, id, cause: Cause::Message("the write was abandoned".into()) })
            })
        }
        WriteSlot::Leader { turn, batch } => (turn, batch),
    };
    turn.ready().await;
    // Sealed on the worker thread, as late as possible: writes issued until then still join.
    // (Should the task itself fail, the joined callers' channels close and they fail too.)
    let written = blocking(move || {
        let (json, followers) = file_queue().seal(&key, &batch);
        (write_durable_on(&*fs, &path, &json, &AtomicOptions::default()), followers)
    })
    .await;
    drop(turn);
    let (outcome, followers) = match written {
        Ok((Ok(()), followers)) => (Ok(()), followers),
        Ok((Err(io), followers)) => (Err(PersistError::Write { entity, id, cause: io.into() }), followers),
        Err(cause) => (Err(PersistError::Write { entity, id, cause }), Vec::new()),
    };
    for follower in followers {
        let _ = follower.send(outcome.clone());
    }
    outcome
}

fn task_failed(error: tokio::task::JoinError) -> Cause {
    Cause::Message(format!("background file task failed: {error}"))
}

/// File operations (writes, removals, scans) running at once, across all stores. Each holds
/// up to two descriptors (a file and its directory) for its few system calls; the bound keeps a
/// burst of thousands of writes from exhausting the process's descriptors (`EMFILE`) that the
/// bot's sockets also need, and from parking hundreds of threads on the disk. Queued
/// operations keep their per-key order: the order is fixed before they wait here.
pub const MAX_CONCURRENT_FILE_TASKS: usize = 8;

static FILE_TASK_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_CONCURRENT_FILE_TASKS);

/// A slot, only when no file task is running at all.
fn idle_slot() -> Option<tokio::sync::SemaphorePermit<'static>> {
    if FILE_TASK_SLOTS.available_permits() < MAX_CONCURRENT_FILE_TASKS {
        return None;
    }
    FILE_TASK_SLOTS.try_acquire().ok()
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> std::result::Result<T, Cause> {
    let _slot = FILE_TASK_SLOTS
        .acquire()
        .await
        .map_err(|error| Cause::Message(format!("background file task failed: {error}")))?;
    tokio::task::spawn_blocking(work).await.map_err(task_failed)
}

/// Decodes file bytes as Node's `readFile(path, "utf-8")` does.
fn decode_utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

fn is_temp_name(name: &str) -> bool {
    name.starts_with(TMP_FILE_PREFIX)
}

/// Ids of the regular `*.json` files in `directory`, temp files excluded, unsorted.
fn list_entity_ids(fs: &dyn FileSystem, directory: &Path) -> std::result::Result<Vec<String>, IoFailure> {
    let entries = fs.read_dir(directory).map_err(|error| IoFailure::new(&error, "opendir", directory))?;
    Ok(entity_ids(&entries))
}

/// The ids among a listing's names: regular `*.json` files that are not temp files.
fn entity_ids(entries: &[DirEntry]) -> Vec<String> {
    entries
        .iter()
        .filter(|entry| entry.is_file)
        .filter_map(|entry| entry.name.to_str())
        .filter(|name| !is_temp_name(name))
        .filter_map(|name| name.strip_suffix(".json"))
        .map(str::to_string)
        .collect()
}

/// The init scan. Survives a crash at any point: it only creates the directory, removes temp
/// files no writer can still rename, and renames corrupt documents into quarantine, so a rerun
/// after a crash continues where this one stopped and never loses a valid document.
fn recover(
    fs: &dyn FileSystem,
    unsynced: &UnsyncedDirs,
    directory: &Path,
    entity: &str,
) -> std::result::Result<InitReport, Cause> {
    create_dir_durable(fs, unsynced, directory)?;
    let entries = fs.read_dir(directory).map_err(|error| IoFailure::new(&error, "opendir", directory))?;
    let mut report = InitReport::default();
    sweep_stale_temp_files(fs, directory, &entries, entity, &mut report);

    let ids = entity_ids(&entries);
    let paths: Vec<PathBuf> = ids.iter().map(|id| directory.join(format!("{id}.json"))).collect();
    let verdicts = parallel_map(&paths, |path| match fs.read(path) {
        Ok(bytes) => Some(is_valid_json(&bytes)),
        // Removed since the listing: nothing left to validate.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(_) => Some(false),
    });
    // Quarantined (and logged) in key order, as the reference's scan through keys() does; only
    // the corrupt ids need sorting.
    let mut corrupt: Vec<String> =
        ids.into_iter().zip(verdicts).filter_map(|(id, verdict)| (verdict == Some(false)).then_some(id)).collect();
    sort_keys(&mut corrupt);
    for id in corrupt {
        quarantine_corrupt(fs, unsynced, directory, &directory.join(format!("{id}.json")), entity, &mut report);
    }
    // One fsync per folder makes every move into quarantine and every sweep durable.
    if !report.quarantined.is_empty() {
        fs.sync_dir(&directory.join(QUARANTINE_DIR))?;
    }
    if !report.quarantined.is_empty() || !report.swept.is_empty() {
        fs.sync_dir(directory)?;
    }
    Ok(report)
}

type UnsyncedDirs = std::sync::Mutex<Vec<PathBuf>>;

/// Creates `directory` and its missing parents, and makes each new name durable (fsync of the
/// directory holding it) before anything is written inside: otherwise a power cut could keep a
/// file whose directory vanished with it. Names whose fsync failed stay in `unsynced` and are
/// synced again by the next call, though the directories now exist.
fn create_dir_durable(
    fs: &dyn FileSystem,
    unsynced: &UnsyncedDirs,
    directory: &Path,
) -> std::result::Result<(), IoFailure> {
    let mut pending = unsynced.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut missing = Vec::new();
    for dir in directory.ancestors().filter(|dir| !dir.as_os_str().is_empty()) {
        match fs.exists(dir) {
            Ok(true) => break,
            Ok(false) => missing.push(dir.to_path_buf()),
            Err(error) => return Err(IoFailure::new(&error, "stat", dir)),
        }
    }
    // Outermost first, so each parent's own name is durable before its child's. Recorded
    // before creating: a creation that fails part-way is synced by the next call.
    pending.extend(missing.into_iter().rev());
    // Called even when the path exists, for the error the reference gives when it is a file.
    fs.create_dir_all(directory).map_err(|error| IoFailure::new(&error, "mkdir", directory))?;
    while let Some(dir) = pending.first() {
        fs.sync_dir(parent_dir(dir))?;
        pending.remove(0);
    }
    Ok(())
}

fn sweep_stale_temp_files(
    fs: &dyn FileSystem,
    directory: &Path,
    entries: &[DirEntry],
    entity: &str,
    report: &mut InitReport,
) {
    let now = fs.now();
    for entry in entries {
        if !entry.name.to_str().is_some_and(is_temp_name) || !entry.is_file {
            continue;
        }
        let path = directory.join(&entry.name);
        let age = fs.modified(&path).map(|modified| now.duration_since(modified).unwrap_or_default());
        if !age.is_ok_and(|age| age >= STALE_TEMP_AGE) {
            continue;
        }
        let file_path = path.display();
        report.logs.push(format!(
            "backtest-kit PersistBase sweeping stale atomic-write tmp file filePath={file_path} entityName={entity}"
        ));
        match fs.remove_file(&path) {
            Ok(()) => report.swept.push(path),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => report.logs.push(format!(
                "backtest-kit PersistBase failed to remove stale tmp file filePath={file_path} entityName={entity}"
            )),
        }
    }
}

/// Moves a document that does not parse out of the entity namespace, keeping its bytes, with
/// the reference's log lines. Retried like the reference's unlink: 5 attempts, 1 s apart.
fn quarantine_corrupt(
    fs: &dyn FileSystem,
    unsynced: &UnsyncedDirs,
    directory: &Path,
    path: &Path,
    entity: &str,
    report: &mut InitReport,
) {
    let file_path = path.display();
    report
        .logs
        .push(format!("backtest-kit PersistBase found invalid document for filePath={file_path} entityName={entity}"));
    let quarantine = directory.join(QUARANTINE_DIR);
    for attempt in 1..=QUARANTINE_ATTEMPTS {
        match move_into_quarantine(fs, unsynced, path, &quarantine) {
            Ok(Some(destination)) => {
                report.quarantined.push((path.to_path_buf(), destination));
                return;
            }
            // Another process moved or removed it first.
            Ok(None) => return,
            Err(_) if attempt < QUARANTINE_ATTEMPTS => fs.pause(QUARANTINE_RETRY_DELAY),
            Err(_) => {}
        }
    }
    report.logs.push(format!(
        "backtest-kit PersistBase failed to remove invalid document for filePath={file_path} entityName={entity}"
    ));
}

/// Renames the document into quarantine under a free name, in a folder whose own name is
/// durable; [`recover`] then makes all the moves durable with one fsync per folder.
fn move_into_quarantine(
    fs: &dyn FileSystem,
    unsynced: &UnsyncedDirs,
    path: &Path,
    quarantine: &Path,
) -> std::io::Result<Option<PathBuf>> {
    create_dir_durable(fs, unsynced, quarantine)
        .map_err(|failure| std::io::Error::new(failure.kind, failure.to_string()))?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut destination = quarantine.join(format!("{stem}.json"));
    let mut n = 1;
    while fs.exists(&destination)? {
        destination = quarantine.join(format!("{stem}.{n}.json"));
        n += 1;
    }
    match fs.rename(path, &destination) {
        // Made durable for every document at once by the end of the scan.
        Ok(()) => Ok(Some(destination)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Applies `work` to every item on up to 8 threads, keeping the order of the input.
fn parallel_map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const MIN_PER_THREAD: usize = 64;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads <= 1 || items.len() < 2 * MIN_PER_THREAD {
        return items.iter().map(&work).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(work).collect::<Vec<R>>())).collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}
