//! Durable atomic replace of one file.
//!
//! Protocol: create `<dir>/<prefix><12 hex>-<name>` exclusively, write, fsync, close, rename over
//! the target, fsync the directory. A crash at any step leaves the target with its old bytes or
//! its new ones, never a mix; once [`write_durable`] returns, the new bytes survive power loss
//! (the reference stopped before the directory fsync, so its rename could still be lost).

use std::io;
use std::path::{Path, PathBuf};

use crate::error::IoFailure;
use crate::fs::{real_fs, FileSystem, NewFile};
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
    write_durable_on(&*real_fs(), target, bytes, options)
}

/// [`write_durable`] through the given file system. A failed write or fsync abandons the temp
/// file: it is never renamed into place, whatever the file system says afterwards.
pub fn write_durable_on(
    fs: &dyn FileSystem,
    target: &Path,
    bytes: &[u8],
    options: &AtomicOptions,
) -> Result<(), IoFailure> {
    let dir = parent_dir(target);
    let temp = stage(fs, target, bytes, options)?;
    commit_staged(fs, &temp, target)?;
    fs.sync_dir(dir)
}

/// The first half of a durable replace: `bytes` in a new temp file beside `target`, synced.
/// [`commit_staged`] renames it into place; a batch stages many files, renames them all, then
/// makes every rename durable with one fsync of their directory. On failure nothing is left.
pub fn stage(fs: &dyn FileSystem, target: &Path, bytes: &[u8], options: &AtomicOptions) -> Result<PathBuf, IoFailure> {
    stage_with(fs, target, bytes, options, true)
}

/// [`stage`] without the temp file's fsync, for a batch that makes all its temp files durable
/// at once ([`FileSystem::sync_file_system`]) before renaming any of them.
pub fn stage_unsynced(
    fs: &dyn FileSystem,
    target: &Path,
    bytes: &[u8],
    options: &AtomicOptions,
) -> Result<PathBuf, IoFailure> {
    stage_with(fs, target, bytes, options, false)
}

fn stage_with(
    fs: &dyn FileSystem,
    target: &Path,
    bytes: &[u8],
    options: &AtomicOptions,
    sync: bool,
) -> Result<PathBuf, IoFailure> {
    let dir = parent_dir(target);
    // No file name: `''` names nothing, `.` `/` `a/..` name directories (what Node's open says).
    let name = target.file_name().ok_or_else(|| {
        #[cfg(unix)]
        let errno = if target.as_os_str().is_empty() { nix::libc::ENOENT } else { nix::libc::EISDIR };
        #[cfg(not(unix))]
        let errno = 2;
        IoFailure::new(&io::Error::from_raw_os_error(errno), "open", target)
    })?;
    let (file, temp) = create_temp_file(fs, dir, &name.to_string_lossy(), options)?;
    let guard = TempFileGuard { fs, path: Some(temp) };
    write_and_sync(file, bytes, sync).map_err(|(error, syscall)| IoFailure::new(&error, syscall, guard.path()))?;
    Ok(guard.disarm())
}

/// Renames a staged temp file over its target (the temp file is removed if that fails). The
/// rename is durable once the directory is synced.
pub fn commit_staged(fs: &dyn FileSystem, temp: &Path, target: &Path) -> Result<(), IoFailure> {
    let guard = TempFileGuard { fs, path: Some(temp.to_path_buf()) };
    fs.rename(temp, target).map_err(|error| IoFailure::new(&error, "rename", temp).with_dest(target))?;
    guard.disarm();
    Ok(())
}

/// Removes a staged temp file that will not be committed.
pub fn discard_staged(fs: &dyn FileSystem, temp: &Path) {
    let _ = fs.remove_file(temp);
}

/// Makes every rename and unlink done inside `dir` before this call durable. Concurrent
/// callers share fsyncs (group commit). A no-op where directories cannot be opened for syncing
/// (Windows, where the rename itself is durable once it returns).
pub fn sync_directory(dir: &Path) -> Result<(), IoFailure> {
    real_fs().sync_dir(dir)
}

/// The directory a path's file lives in; `.` for a bare file name.
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn create_temp_file(
    fs: &dyn FileSystem,
    dir: &Path,
    name: &str,
    options: &AtomicOptions,
) -> Result<(Box<dyn NewFile>, PathBuf), IoFailure> {
    const ATTEMPTS: usize = 8;
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let random: String = (0..6).map(|_| format!("{:02x}", fastrand::u8(..))).collect();
        let temp = dir.join(format!("{}{random}-{name}", options.tmp_prefix));
        match fs.create_new(&temp, options.mode) {
            Ok(file) => return Ok((file, temp)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => last = Some((error, temp)),
            Err(error) => return Err(IoFailure::new(&error, "open", &temp)),
        }
    }
    let (error, temp) = last.unwrap_or_else(|| (io::Error::from(io::ErrorKind::AlreadyExists), dir.to_path_buf()));
    Err(IoFailure::new(&error, "open", &temp))
}

fn write_and_sync(mut file: Box<dyn NewFile>, bytes: &[u8], sync: bool) -> Result<(), (io::Error, &'static str)> {
    file.write_all(bytes).map_err(|error| (error, "write"))?;
    if sync {
        file.sync().map_err(|error| (error, "fsync"))?;
    }
    drop(file);
    Ok(())
}

/// Removes the temp file when a write fails part-way.
struct TempFileGuard<'a> {
    fs: &'a dyn FileSystem,
    path: Option<PathBuf>,
}

impl TempFileGuard<'_> {
    fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    fn disarm(mut self) -> PathBuf {
        self.path.take().unwrap_or_default()
    }
}

impl Drop for TempFileGuard<'_> {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = self.fs.remove_file(&path);
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
        let (_file, temp) = create_temp_file(&*real_fs(), dir.path(), "x.json", &options).unwrap();
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
