//! The file system calls of the write, remove and recovery paths, behind one small trait.
//!
//! [`RealFs`] is what the stores use. The trait exists so that tests can put a file system in
//! its place that models what survives a power cut (data durable only after its file's fsync, a
//! name only after its directory's fsync) and crash the store after any call; see
//! `core/tests/support/sim.rs`.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use crate::error::IoFailure;

/// One name in a directory listing.
#[derive(Debug, Clone)]
pub struct DirEntry {
    pub name: OsString,
    pub is_file: bool,
}

/// A file just created for writing: written once, then synced.
pub trait NewFile: Send {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes the bytes written so far durable (`fsync`).
    fn sync(&mut self) -> io::Result<()>;
}

pub trait FileSystem: Send + Sync + 'static {
    /// Creates `path` exclusively (fails with `AlreadyExists` when it exists).
    fn create_new(&self, path: &Path, mode: u32) -> io::Result<Box<dyn NewFile>>;
    /// Atomically replaces `to` with `from`.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Makes every rename, create and unlink done in `dir` before this call durable.
    fn sync_dir(&self, dir: &Path) -> Result<(), IoFailure>;
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Whether anything exists at `path`; `NotFound` is `Ok(false)`, other failures are errors.
    fn exists(&self, path: &Path) -> io::Result<bool>;
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<DirEntry>>;
    fn modified(&self, path: &Path) -> io::Result<SystemTime>;
    /// The clock that temp-file ages are measured against.
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
    /// Whether [`FileSystem::sync_file_system`] exists here (else a batch syncs each file).
    fn syncs_file_system(&self) -> bool {
        false
    }

    /// From how many documents on a batch syncs the file system once instead of each file:
    /// below it, a few fsyncs cost less than flushing everything else written meanwhile.
    fn one_sync_from(&self) -> usize {
        8
    }

    /// Makes the data of every file written on the file system holding `dir` durable, in one
    /// call (Linux `syncfs`): a batch of many files is then one flush, not one fsync per file.
    fn sync_file_system(&self, dir: &Path) -> io::Result<()> {
        let _ = dir;
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// How long init waits between two rounds of moves into quarantine.
    fn quarantine_retry_delay(&self) -> Duration {
        Duration::from_secs(1)
    }
}

/// The operating system's file system, with directory fsyncs shared between concurrent callers.
#[derive(Debug, Default)]
pub struct RealFs;

/// The process-wide [`RealFs`].
pub fn real_fs() -> Arc<dyn FileSystem> {
    static REAL: OnceLock<Arc<dyn FileSystem>> = OnceLock::new();
    REAL.get_or_init(|| Arc::new(RealFs)).clone()
}

struct RealFile(File);

impl NewFile for RealFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.0.sync_all()
    }
}

impl FileSystem for RealFs {
    fn create_new(&self, path: &Path, mode: u32) -> io::Result<Box<dyn NewFile>> {
        let mut open = OpenOptions::new();
        open.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut open, mode);
        #[cfg(not(unix))]
        let _ = mode;
        Ok(Box::new(RealFile(open.open(path)?)))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }

    #[cfg(target_os = "linux")]
    fn syncs_file_system(&self) -> bool {
        true
    }

    #[cfg(target_os = "linux")]
    fn sync_file_system(&self, dir: &Path) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let handle = File::open(dir)?;
        // SAFETY: `handle` is an open descriptor for the whole call.
        if unsafe { nix::libc::syncfs(handle.as_raw_fd()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> Result<(), IoFailure> {
        #[cfg(unix)]
        return directory_syncs().sync(dir);
        #[cfg(not(unix))]
        {
            // Windows cannot open a directory to sync it; its rename is durable once it returns.
            let _ = dir;
            Ok(())
        }
    }

    /// Reads a regular file. Anything else is refused before a byte is read: a FIFO or a
    /// device would block the thread for as long as nobody writes to it.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let mut open = OpenOptions::new();
        open.read(true);
        // Opening a FIFO for reading blocks until a writer comes, unless non-blocking; the flag
        // changes nothing for a regular file.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut open, nix::libc::O_NONBLOCK);
        let mut file = open.open(path)?;
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            #[cfg(unix)]
            if metadata.is_dir() {
                return Err(io::Error::from_raw_os_error(nix::libc::EISDIR));
            }
            return Err(io::Error::other("not a regular file"));
        }
        // Entity files are replaced whole, never appended to: the size stat gave is the
        // document, read without the extra call that would confirm the end.
        let size = usize::try_from(metadata.len()).unwrap_or(0);
        let mut bytes = vec![0; size];
        let mut filled = 0;
        while filled < size {
            match io::Read::read(&mut file, &mut bytes[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        bytes.truncate(filled);
        Ok(bytes)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        match std::fs::metadata(path) {
            Ok(_) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(error),
        }
    }

    fn read_dir(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        std::fs::read_dir(dir)?
            .map(|entry| {
                let entry = entry?;
                let is_file = entry.file_type().is_ok_and(|kind| kind.is_file());
                Ok(DirEntry { name: entry.file_name(), is_file })
            })
            .collect()
    }

    fn modified(&self, path: &Path) -> io::Result<SystemTime> {
        std::fs::metadata(path)?.modified()
    }
}

#[cfg(unix)]
fn fsync_directory(dir: &Path) -> Result<(), IoFailure> {
    let handle = File::open(dir).map_err(|error| IoFailure::new(&error, "open", dir))?;
    handle.sync_all().map_err(|error| IoFailure::new(&error, "fsync", dir))
}

#[cfg(unix)]
fn directory_syncs() -> &'static GroupSync {
    static SYNCS: OnceLock<GroupSync> = OnceLock::new();
    SYNCS.get_or_init(GroupSync::default)
}

/// Group commit of directory fsyncs, per directory: a caller returns once an fsync that started
/// after its call has completed, so one fsync can cover many renames.
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
