//! The init scan of a file store: create the directory durably, sweep temp files no writer can
//! still rename, and move documents that do not parse into `.quarantine/` with their bytes.
//!
//! Survives a crash at any point: it only creates directories, removes stale temp files and
//! renames corrupt documents, so a rerun continues where this one stopped and never loses a
//! valid document. A document is moved only inside its key's turn, after it was read again and
//! still did not parse: a write racing the scan is never taken for the corrupt bytes it
//! replaced. A document that cannot be read at all (`EMFILE`, `EACCES`, ...) fails the init,
//! which the next call retries; it is never taken for corrupt.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{blocking, entity_ids, is_temp_name};
use crate::atomic::parent_dir;
use crate::error::{Cause, IoFailure};
use crate::fs::{DirEntry, FileSystem};
use crate::json::is_valid_json;
use crate::key_order::sort_keys;
use crate::order::file_queue;
use crate::store::InitReport;

/// Name of the folder inside a store's directory that receives corrupt documents.
pub const QUARANTINE_DIR: &str = ".quarantine";
/// Temp files younger than this may belong to a writer in another process and are kept.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(120);
/// Rounds of moves into quarantine, as the reference's 5 unlink attempts; the rounds are 1 s
/// apart, each round retrying every document still in place, with no file task held between.
const QUARANTINE_ROUNDS: u32 = 5;

pub type UnsyncedDirs = std::sync::Mutex<Vec<PathBuf>>;

/// Runs the whole scan of `directory` (absolute) for `entity`.
pub async fn recover(
    fs: std::sync::Arc<dyn FileSystem>,
    unsynced: std::sync::Arc<UnsyncedDirs>,
    directory: PathBuf,
    entity: String,
) -> std::result::Result<InitReport, Cause> {
    let (scan_fs, scan_unsynced, scan_dir, scan_entity) =
        (fs.clone(), unsynced.clone(), directory.clone(), entity.clone());
    let (mut report, mut corrupt) =
        blocking(move || scan(&*scan_fs, &scan_unsynced, &scan_dir, &scan_entity)).await??;
    for round in 1..=QUARANTINE_ROUNDS {
        if corrupt.is_empty() {
            break;
        }
        if round > 1 {
            tokio::time::sleep(fs.quarantine_retry_delay()).await;
        }
        // The keys' turns, taken now: writes issued earlier land first, later ones wait.
        let keys: Vec<PathBuf> = corrupt.iter().map(|id| document(&directory, id)).collect();
        let mut turns = file_queue().enqueue_all(&keys);
        for turn in &mut turns {
            turn.ready().await;
        }
        let (round_fs, round_unsynced, round_dir, ids) = (fs.clone(), unsynced.clone(), directory.clone(), corrupt);
        let outcome = blocking(move || quarantine_round(&*round_fs, &round_unsynced, &round_dir, ids)).await;
        drop(turns);
        let (moved, left) = outcome??;
        report.quarantined.extend(moved);
        corrupt = left;
    }
    for id in corrupt {
        let file_path = document(&directory, &id);
        report.logs.push(format!(
            "backtest-kit PersistBase failed to remove invalid document for filePath={} entityName={entity}",
            file_path.display()
        ));
    }
    Ok(report)
}

fn document(directory: &Path, id: &str) -> PathBuf {
    directory.join(format!("{id}.json"))
}

/// Creates the directory, sweeps stale temp files, and finds the documents that do not parse
/// (in key order, as the reference's scan through `keys()` reports them).
fn scan(
    fs: &dyn FileSystem,
    unsynced: &UnsyncedDirs,
    directory: &Path,
    entity: &str,
) -> std::result::Result<(InitReport, Vec<String>), Cause> {
    create_dir_durable(fs, unsynced, directory)?;
    let entries = fs.read_dir(directory).map_err(|error| IoFailure::new(&error, "opendir", directory))?;
    let mut report = InitReport::default();
    sweep_stale_temp_files(fs, directory, &entries, entity, &mut report);
    if !report.swept.is_empty() {
        fs.sync_dir(directory)?;
    }

    let ids = entity_ids(&entries);
    let paths: Vec<PathBuf> = ids.iter().map(|id| document(directory, id)).collect();
    let verdicts = super::parallel_map(&paths, |path| match fs.read(path) {
        Ok(bytes) => Ok(Some(is_valid_json(&bytes))),
        // Removed since the listing: nothing left to validate.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(IoFailure::reading(&error, path)),
    });
    let mut corrupt = Vec::new();
    for (id, verdict) in ids.into_iter().zip(verdicts) {
        if verdict? == Some(false) {
            corrupt.push(id);
        }
    }
    sort_keys(&mut corrupt);
    for id in &corrupt {
        report.logs.push(format!(
            "backtest-kit PersistBase found invalid document for filePath={} entityName={entity}",
            document(directory, id).display()
        ));
    }
    Ok((report, corrupt))
}

type Moved = Vec<(PathBuf, PathBuf)>;

/// One round of moves, inside the keys' turns: each document is read again and moved only if
/// it still does not parse. Returns what moved and the ids to retry.
fn quarantine_round(
    fs: &dyn FileSystem,
    unsynced: &UnsyncedDirs,
    directory: &Path,
    ids: Vec<String>,
) -> std::result::Result<(Moved, Vec<String>), Cause> {
    let quarantine = directory.join(QUARANTINE_DIR);
    let mut moved = Vec::new();
    let mut left = Vec::new();
    for id in ids {
        let path = document(directory, &id);
        match fs.read(&path) {
            Ok(bytes) if is_valid_json(&bytes) => continue,
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(_) => {
                left.push(id);
                continue;
            }
        }
        match move_into_quarantine(fs, unsynced, &path, &quarantine) {
            Ok(Some(destination)) => moved.push((path, destination)),
            // Another process moved or removed it first.
            Ok(None) => {}
            Err(_) => left.push(id),
        }
    }
    // One fsync per folder makes every move of the round durable.
    if !moved.is_empty() {
        fs.sync_dir(&quarantine)?;
        fs.sync_dir(directory)?;
    }
    Ok((moved, left))
}

/// Creates `directory` and its missing parents, and makes each new name durable (fsync of the
/// directory holding it) before anything is written inside: otherwise a power cut could keep a
/// file whose directory vanished with it. Names whose fsync failed stay in `unsynced` and are
/// synced again by the next call, though the directories now exist.
pub fn create_dir_durable(
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

/// Renames the document into quarantine under a free name, in a folder whose own name is
/// durable; the round then makes all its moves durable with one fsync per folder.
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
        Ok(()) => Ok(Some(destination)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}
