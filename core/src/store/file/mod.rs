//! The default store: one `<id>.json` file per entity in `<baseDir>/<entityName>/`.
//!
//! Writes are durable atomic replaces ordered per key; listings skip temp files; init creates
//! the directory, sweeps temp files left by crashed writers and quarantines documents that do
//! not parse ([`init`]). All file I/O runs on blocking threads, never on the runtime's workers.
//!
//! A relative `baseDir` is resolved against the working directory when each call is made, and
//! that one absolute path serves both the system calls and the key's place in the write order:
//! a `process.chdir()` between two calls moves the second, as it does in the reference, and can
//! never make one store's write land in another store's file.

mod batch;
mod init;
mod read;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::OnceCell;

use std::future::Future;

use super::{InitReport, Store};
use crate::atomic::parent_dir;
use crate::error::{Cause, IoFailure, PersistError, Result};
use crate::fs::{real_fs, DirEntry, FileSystem};
use crate::id::{invalid_entity_id, invalid_entity_name};
use crate::key_order::sort_keys;
use crate::order::file_queue;
use crate::TMP_FILE_PREFIX;

pub use read::MAX_STRING_LENGTH;
use read::{decode_document, parallel_map, read_in_order};
pub use write::{ImmediateWrite, PlannedWrite};

#[derive(Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

struct Inner {
    entity_name: String,
    /// `path.join(baseDir, entityName)`, as the reference computes it (maybe relative).
    directory: PathBuf,
    name_error: Option<String>,
    init: OnceCell<()>,
    fs: Arc<dyn FileSystem>,
    /// Directories this store created whose names are not yet known to be durable (a failed
    /// fsync of their parent): the next init syncs them again.
    unsynced_dirs: Arc<init::UnsyncedDirs>,
}

impl FileStore {
    /// A store for `entity_name` under `base_dir`. The name is checked when the store is first
    /// used, so that a store which is never touched never fails.
    pub fn new(entity_name: &str, base_dir: &Path) -> Self {
        Self::with_file_system(entity_name, base_dir, real_fs())
    }

    /// A store whose file system calls go through `fs` (tests put a simulated one here).
    pub fn with_file_system(entity_name: &str, base_dir: &Path, fs: Arc<dyn FileSystem>) -> Self {
        Self {
            inner: Arc::new(Inner {
                entity_name: entity_name.to_string(),
                directory: path_clean::clean(base_dir.join(entity_name)),
                name_error: invalid_entity_name(entity_name),
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

    /// The directory as an absolute, lexically normal path, resolved now.
    fn resolved_directory(&self) -> PathBuf {
        resolve(&self.inner.directory)
    }

    /// Number of entity files (temp files excluded).
    pub async fn count(&self) -> Result<usize> {
        let entity = self.checked_name()?;
        let directory = self.resolved_directory();
        let fs = self.inner.fs.clone();
        match blocking(move || list_entity_ids(&*fs, &directory)).await {
            Ok(Ok(ids)) => Ok(ids.len()),
            Ok(Err(io)) => Err(PersistError::Count { entity, cause: io.into() }),
            Err(cause) => Err(PersistError::Count { entity, cause }),
        }
    }

    /// The JSON texts of `ids`, read in order until about `max_bytes` have been read (at least
    /// one document): a window of `values()`, so that iterating never holds more than that.
    pub async fn read_window(&self, ids: Vec<String>, max_bytes: usize) -> Result<Vec<String>> {
        let entity = self.checked_name()?;
        let directory = self.resolved_directory();
        let name = entity.clone();
        let fs = self.inner.fs.clone();
        let read = blocking(move || read_in_order(&*fs, &directory, &name, &ids, max_bytes)).await;
        match read {
            Ok(Ok(texts)) => Ok(texts),
            Ok(Err(cause)) | Err(cause) => Err(PersistError::Values { entity, cause }),
        }
    }

    /// Reads a document on the calling thread, which must be one that may block (a libuv or
    /// tokio blocking thread): for callers already there, a hop to another would cost more.
    pub fn read_now(&self, id: &str) -> Result<String> {
        let path = self.entity_file(id)?;
        self.read_file(id, &path)
    }

    /// The document at `path`, the file of `id`.
    fn read_file(&self, id: &str, path: &Path) -> Result<String> {
        let entity = self.inner.entity_name.clone();
        match self.inner.fs.read(path) {
            Ok(bytes) => decode_document(bytes).map_err(|cause| PersistError::Read { entity, id: id.into(), cause }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err(PersistError::NotFound { entity, id: id.to_string() })
            }
            Err(error) => {
                Err(PersistError::Read { entity, id: id.to_string(), cause: IoFailure::reading(&error, path).into() })
            }
        }
    }

    /// The files of many valid ids, the directory resolved once for all.
    fn entity_files(&self, ids: &[String]) -> Result<Vec<PathBuf>> {
        let entity = self.checked_name()?;
        let directory = self.resolved_directory();
        ids.iter()
            .map(|id| match invalid_entity_id(id) {
                Some(reason) => Err(PersistError::InvalidId {
                    entity: entity.clone(),
                    id: id.to_string(),
                    reason: format!("{id:?} {reason}"),
                }),
                None => Ok(directory.join(format!("{id}.json"))),
            })
            .collect()
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

    fn checked_name(&self) -> Result<String> {
        match &self.inner.name_error {
            Some(reason) => {
                Err(PersistError::InvalidName { entity: self.inner.entity_name.clone(), reason: reason.clone() })
            }
            None => Ok(self.inner.entity_name.clone()),
        }
    }

    /// The absolute file of a valid id in a store with a valid name: the path of its system
    /// calls and its key in the write order.
    fn entity_file(&self, id: &str) -> Result<PathBuf> {
        let entity = self.checked_name()?;
        if let Some(reason) = invalid_entity_id(id) {
            return Err(PersistError::InvalidId { entity, id: id.to_string(), reason: format!("{id:?} {reason}") });
        }
        Ok(self.resolved_directory().join(format!("{id}.json")))
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
                let recovered = init::recover(
                    self.inner.fs.clone(),
                    self.inner.unsynced_dirs.clone(),
                    self.resolved_directory(),
                    entity.clone(),
                )
                .await;
                match recovered {
                    Ok(done) => {
                        report = Some(done);
                        Ok(())
                    }
                    Err(cause) => Err(PersistError::Init { entity: entity.clone(), cause }),
                }
            })
            .await?;
        Ok(report.unwrap_or_default())
    }

    fn read(&self, id: &str) -> impl Future<Output = Result<String>> + use<> {
        let store = self.clone();
        let id = id.to_string();
        async move { blocking_op(&store, &id, move |store, id| store.read_now(id)).await }
    }

    fn has(&self, id: &str) -> impl Future<Output = Result<bool>> + use<> {
        let store = self.clone();
        let id = id.to_string();
        async move { blocking_op(&store, &id, move |store, id| store.has_now(id)).await }
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
        let checked = self.entity_file(id).map(|path| {
            let turn = file_queue().enqueue(&path);
            (path, turn)
        });
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

    /// Takes a barrier on the directory now: every operation issued before on one of its keys
    /// lands first, and every one issued after (a write racing the removal) lands after it.
    fn remove_all(&self) -> impl Future<Output = Result<()>> + use<> {
        let checked = self.checked_name();
        let directory = self.resolved_directory();
        let mut barrier = file_queue().enqueue_barrier(&directory);
        let fs = self.inner.fs.clone();
        async move {
            let entity = checked?;
            barrier.ready().await;
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
            drop(barrier);
            match removed {
                Ok(Ok(())) => Ok(()),
                Ok(Err(io)) => Err(PersistError::RemoveAll { entity, cause: io.into() }),
                Err(cause) => Err(PersistError::RemoveAll { entity, cause }),
            }
        }
    }

    async fn keys(&self) -> Result<Vec<String>> {
        let entity = self.checked_name()?;
        let directory = self.resolved_directory();
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

/// `path` made absolute against the working directory of this moment, and lexically normal
/// (`a/./b//c/../d` is `a/b/d`, as `path.join` gives). Left as it is when there is no working
/// directory to resolve against (it was removed): the system calls then fail as Node's would.
pub fn resolve(path: &Path) -> PathBuf {
    match std::path::absolute(path) {
        Ok(absolute) => path_clean::clean(absolute),
        Err(_) => path.to_path_buf(),
    }
}

/// `work(store, id)` on a blocking thread.
async fn blocking_op<T: Send + 'static>(
    store: &FileStore,
    id: &str,
    work: impl FnOnce(&FileStore, &str) -> Result<T> + Send + 'static,
) -> Result<T> {
    let (task_store, task_id) = (store.clone(), id.to_string());
    match blocking(move || work(&task_store, &task_id)).await {
        Ok(outcome) => outcome,
        Err(cause) => Err(PersistError::Read { entity: store.inner.entity_name.clone(), id: id.to_string(), cause }),
    }
}

fn task_failed(error: tokio::task::JoinError) -> Cause {
    Cause::Message(format!("background file task failed: {error}"))
}

/// File operations (writes, removals, scans) running at once, across all stores. Each holds
/// up to two descriptors (a file and its directory) for its few system calls; the bound keeps a
/// burst of thousands of writes from exhausting the process's descriptors (`EMFILE`) that the
/// bot's sockets also need, and from parking hundreds of threads on the disk. Queued
/// operations keep their per-key order: the order is fixed before they wait here. No slot is
/// ever held while waiting for a turn or a retry delay.
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
