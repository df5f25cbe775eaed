//! Durable atomic replace of one file.
//!
//! Protocol: create `<dir>/<prefix><12 hex>-<name>` exclusively, write, fsync, close, rename over
//! the target, fsync the directory. A crash at any step leaves the target with its old bytes or
//! its new ones, never a mix; once [`write_durable`] returns, the new bytes survive power loss
//! (the reference stopped before the directory fsync, so its rename could still be lost).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::IoFailure;
use crate::TMP_FILE_PREFIX;

#[derive(Debug, Clone)]
pub struct AtomicOptions {
    /// Permission bits for a new file, before the process umask (Unix only).
    pub mode: u32,
    pub tmp_prefix: String,
}

impl Default for AtomicOptions {
    fn default() -> Self {
        Self { mode: 0o666, tmp_prefix: TMP_FILE_PREFIX.to_string() }
    }
}

/// Replaces `target` with `bytes`, durably. On failure the temp file is removed and the
/// target is untouched.
pub fn write_durable(target: &Path, bytes: &[u8], options: &AtomicOptions) -> Result<(), IoFailure> {
    let dir = parent_dir(target);
    let name = target.file_name().ok_or_else(|| {
        let error = io::Error::new(io::ErrorKind::InvalidInput, "illegal operation on a directory");
        IoFailure::new(&error, "open", target)
    })?;
    let (file, temp) = create_temp_file(dir, &name.to_string_lossy(), options)?;
    let guard = TempFileGuard(Some(temp));
    let temp = guard.path();
    write_and_sync(file, bytes).map_err(|(error, syscall)| IoFailure::new(&error, syscall, temp))?;
    std::fs::rename(temp, target).map_err(|error| IoFailure::new(&error, "rename", temp))?;
    guard.disarm();
    sync_directory(dir)
}

/// Makes every rename and unlink done inside `dir` before this call durable. Concurrent
/// callers share fsyncs (group commit): a caller returns once an fsync that started after its
/// call has completed, so one fsync can cover many renames. A no-op where directories cannot
/// be opened for syncing (Windows, where the rename itself is durable once it returns).
pub fn sync_directory(dir: &Path) -> Result<(), IoFailure> {
    #[cfg(unix)]
    return directory_syncs().sync(dir);
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(unix)]
fn fsync_directory(dir: &Path) -> Result<(), IoFailure> {
    let handle = File::open(dir).map_err(|error| IoFailure::new(&error, "open", dir))?;
    handle.sync_all().map_err(|error| IoFailure::new(&error, "fsync", dir))
}

#[cfg(unix)]
fn directory_syncs() -> &'static GroupSync {
    static SYNCS: std::sync::OnceLock<GroupSync> = std::sync::OnceLock::new();
    SYNCS.get_or_init(GroupSync::default)
}

/// Group commit of directory fsyncs, per directory.
#[cfg(unix)]
#[derive(Default)]
struct GroupSync {
    directories: std::sync::Mutex<std::collections::HashMap<PathBuf, DirectorySyncState>>,
    finished: std::sync::Condvar,
}

#[cfg(unix)]
#[derive(Default)]
struct DirectorySyncState {
    /// Tickets handed out: each caller's call counts as a request.
    requested: u64,
    /// Every ticket up to this one is covered by a completed fsync.
    covered: u64,
    running: bool,
    /// The last failed fsync: the tickets it was to cover, and why.
    failure: Option<(u64, IoFailure)>,
}

#[cfg(unix)]
impl GroupSync {
    fn sync(&self, dir: &Path) -> Result<(), IoFailure> {
        let mut directories = self.directories.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let ticket = {
            let state = directories.entry(dir.to_path_buf()).or_default();
            state.requested += 1;
            state.requested
        };
        loop {
            let state = directories.entry(dir.to_path_buf()).or_default();
            if state.covered >= ticket {
                return Ok(());
            }
            if let Some((upto, failure)) = &state.failure {
                if *upto >= ticket {
                    return Err(failure.clone());
                }
            }
            if state.running {
                directories = self.finished.wait(directories).unwrap_or_else(|poisoned| poisoned.into_inner());
                continue;
            }
            // Lead an fsync covering every ticket handed out so far (ours included).
            state.running = true;
            let target = state.requested;
            drop(directories);
            let outcome = fsync_directory(dir);
            directories = self.directories.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let state = directories.entry(dir.to_path_buf()).or_default();
            state.running = false;
            match &outcome {
                Ok(()) => state.covered = state.covered.max(target),
                Err(failure) => state.failure = Some((target, failure.clone())),
            }
            self.finished.notify_all();
            return outcome;
        }
    }
}

/// The directory a path's file lives in; `.` for a bare file name.
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn create_temp_file(dir: &Path, name: &str, options: &AtomicOptions) -> Result<(File, PathBuf), IoFailure> {
    const ATTEMPTS: usize = 8;
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let random: String = (0..6).map(|_| format!("{:02x}", fastrand::u8(..))).collect();
        let temp = dir.join(format!("{}{random}-{name}", options.tmp_prefix));
        let mut open = OpenOptions::new();
        open.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut open, options.mode);
        match open.open(&temp) {
            Ok(file) => return Ok((file, temp)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => last = Some((error, temp)),
            Err(error) => return Err(IoFailure::new(&error, "open", &temp)),
        }
    }
    let (error, temp) = last.unwrap_or_else(|| (io::Error::from(io::ErrorKind::AlreadyExists), dir.to_path_buf()));
    Err(IoFailure::new(&error, "open", &temp))
}

fn write_and_sync(mut file: File, bytes: &[u8]) -> Result<(), (io::Error, &'static str)> {
    file.write_all(bytes).map_err(|error| (error, "write"))?;
    file.sync_all().map_err(|error| (error, "fsync"))?;
    drop(file);
    Ok(())
}

/// Removes the temp file when a write fails part-way.
struct TempFileGuard(Option<PathBuf>);

impl TempFileGuard {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for TempFileGuard {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_the_target_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.json");
        write_durable(&target, b"{\"v\":1}", &AtomicOptions::default()).unwrap();
        write_durable(&target, b"{\"v\":2}", &AtomicOptions::default()).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"{\"v\":2}");
        assert_eq!(names_in(dir.path()), ["a.json"]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_content_and_removes_its_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.json");
        write_durable(&target, b"old", &AtomicOptions::default()).unwrap();
        // A directory where the rename must land makes the rename fail after the temp file exists.
        let blocked = dir.path().join("b.json");
        std::fs::create_dir(&blocked).unwrap();
        std::fs::write(blocked.join("x"), b"").unwrap();
        let error = write_durable(&blocked, b"new", &AtomicOptions::default()).unwrap_err();
        assert_eq!(error.syscall, "rename");
        assert_eq!(names_in(dir.path()), ["a.json", "b.json"]);
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
    }

    #[test]
    fn temp_names_follow_the_reference_pattern() {
        let dir = tempfile::tempdir().unwrap();
        let options = AtomicOptions { tmp_prefix: "custom-".into(), ..AtomicOptions::default() };
        let (_file, temp) = create_temp_file(dir.path(), "x.json", &options).unwrap();
        let name = temp.file_name().unwrap().to_string_lossy().into_owned();
        let random = name.strip_prefix("custom-").unwrap().strip_suffix("-x.json").unwrap();
        assert_eq!(random.len(), 12);
        assert!(random.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn a_missing_directory_reports_enoent_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let error = write_durable(&dir.path().join("no/such.json"), b"1", &AtomicOptions::default()).unwrap_err();
        assert_eq!(error.syscall, "open");
        #[cfg(unix)]
        assert_eq!(error.code.as_deref(), Some("ENOENT"));
        assert!(error.to_string().starts_with("ENOENT: no such file or directory, open '"), "{error}");
    }
}
