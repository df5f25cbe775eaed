//! A file system in memory that models what survives a power cut, for the crash tests.
//!
//! The model is the one a careful storage engine assumes of POSIX:
//! - a file's bytes are durable only once that file has been fsynced; a crash keeps none, all
//!   or (for bytes appended since the last fsync) any prefix of what was written since;
//! - a create, rename or unlink is durable only once its directory has been fsynced (a rename
//!   across directories: both); a crash keeps or drops each pending one independently, a
//!   rename as one unit;
//! - a crash stops the process: every call from the crash on fails and changes nothing.
//!
//! Calls that change anything are numbered, so a test can crash the process after any of them
//! (`crash_at`) or make exactly one of them fail with EIO (`fail_at`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use backtest_persist_core::fs::{DirEntry, FileSystem, NewFile};
use backtest_persist_core::IoFailure;

const EIO: i32 = 5;
const ENOENT: i32 = 2;
const EEXIST: i32 = 17;
const EISDIR: i32 = 21;

#[derive(Clone)]
struct Inode {
    /// What the process sees.
    data: Vec<u8>,
    /// What the last successful fsync made durable.
    durable: Vec<u8>,
    modified: SystemTime,
}

#[derive(Clone, Debug)]
enum Change {
    Link { path: PathBuf, inode: usize },
    Unlink { path: PathBuf },
    Rename { from: PathBuf, to: PathBuf, inode: usize },
    MakeDir { path: PathBuf },
}

struct Pending {
    change: Change,
    /// Directories whose fsync this change still waits for.
    unsynced: BTreeSet<PathBuf>,
}

#[derive(Clone, Default)]
struct Namespace {
    dirs: BTreeSet<PathBuf>,
    files: BTreeMap<PathBuf, usize>,
}

impl Namespace {
    /// Applies a change as replayed after a crash: names under a directory that did not
    /// survive are unreachable, so they are dropped.
    fn apply(&mut self, change: &Change) {
        match change {
            Change::Link { path, inode } => {
                if self.dirs.contains(parent(path)) {
                    self.files.insert(path.clone(), *inode);
                }
            }
            Change::Unlink { path } => {
                self.files.remove(path);
            }
            Change::Rename { from, to, inode } => {
                self.files.remove(from);
                if self.dirs.contains(parent(to)) {
                    self.files.insert(to.clone(), *inode);
                }
            }
            Change::MakeDir { path } => {
                if self.dirs.contains(parent(path)) {
                    self.dirs.insert(path.clone());
                }
            }
        }
    }
}

struct State {
    inodes: Vec<Inode>,
    visible: Namespace,
    durable: Namespace,
    log: VecDeque<Pending>,
    clock: SystemTime,
    calls: u64,
    crash_at: Option<u64>,
    crashed: bool,
    fail_at: Option<u64>,
    /// Deliberately broken file systems, to show the crash checks catch a missing fsync.
    ignore_file_sync: bool,
    ignore_dir_sync: bool,
}

#[derive(Clone)]
pub struct SimFs {
    root: PathBuf,
    state: Arc<Mutex<State>>,
}

fn parent(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("/"))
}

fn os_error(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

impl SimFs {
    /// An empty file system with a fresh, durable root directory.
    pub fn new() -> Self {
        static ROOTS: AtomicU64 = AtomicU64::new(0);
        let root = PathBuf::from(format!("/sim-{}", ROOTS.fetch_add(1, Ordering::Relaxed)));
        let mut namespace = Namespace::default();
        namespace.dirs.insert(PathBuf::from("/"));
        namespace.dirs.insert(root.clone());
        let state = State {
            inodes: Vec::new(),
            visible: namespace.clone(),
            durable: namespace,
            log: VecDeque::new(),
            clock: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            calls: 0,
            crash_at: None,
            crashed: false,
            fail_at: None,
            ignore_file_sync: false,
            ignore_dir_sync: false,
        };
        Self { root, state: Arc::new(Mutex::new(state)) }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Puts a file (and its directories) in place durably, last modified `age` ago.
    pub fn put_durable(&self, path: &Path, bytes: &[u8], age: Duration) {
        let mut state = self.lock();
        let mut dirs: Vec<&Path> = path.ancestors().skip(1).collect();
        dirs.reverse();
        for dir in dirs {
            state.visible.dirs.insert(dir.to_path_buf());
            state.durable.dirs.insert(dir.to_path_buf());
        }
        let modified = state.clock - age;
        state.inodes.push(Inode { data: bytes.to_vec(), durable: bytes.to_vec(), modified });
        let inode = state.inodes.len() - 1;
        state.visible.files.insert(path.to_path_buf(), inode);
        state.durable.files.insert(path.to_path_buf(), inode);
    }

    /// Crashes the process when call number `index` (from 0) is made: it and every later call
    /// fail and change nothing.
    pub fn crash_at(&self, index: u64) {
        self.lock().crash_at = Some(index);
    }

    /// Makes call number `index` fail with EIO and change nothing; later calls work.
    pub fn fail_at(&self, index: u64) {
        self.lock().fail_at = Some(index);
    }

    pub fn ignore_file_sync(&self) {
        self.lock().ignore_file_sync = true;
    }

    pub fn ignore_dir_sync(&self) {
        self.lock().ignore_dir_sync = true;
    }

    /// Calls that changed (or tried to change) anything so far.
    pub fn calls(&self) -> u64 {
        self.lock().calls
    }

    /// Every file the process sees, with its bytes.
    pub fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let state = self.lock();
        state.visible.files.iter().map(|(path, inode)| (path.clone(), state.inodes[*inode].data.clone())).collect()
    }

    /// The file system as a reboot after a power cut finds it, an hour later: each pending
    /// change kept or dropped and each unsynced file's bytes cut at random, drawn from `rng`.
    pub fn power_loss(&self, rng: &mut fastrand::Rng) -> SimFs {
        let state = self.lock();
        let mut namespace = state.durable.clone();
        for pending in &state.log {
            if pending.unsynced.is_empty() || rng.bool() {
                namespace.apply(&pending.change);
            }
        }
        let mut inodes = state.inodes.clone();
        for inode in namespace.files.values() {
            let Inode { data, durable, .. } = &state.inodes[*inode];
            let survived = if data == durable {
                durable.clone()
            } else if data.starts_with(durable) {
                data[..rng.usize(durable.len()..=data.len())].to_vec()
            } else if rng.bool() {
                data.clone()
            } else {
                durable.clone()
            };
            inodes[*inode].data = survived.clone();
            inodes[*inode].durable = survived;
        }
        let rebooted = State {
            inodes,
            visible: namespace.clone(),
            durable: namespace,
            log: VecDeque::new(),
            clock: state.clock + Duration::from_secs(3600),
            calls: 0,
            crash_at: None,
            crashed: false,
            fail_at: None,
            ignore_file_sync: state.ignore_file_sync,
            ignore_dir_sync: state.ignore_dir_sync,
        };
        SimFs { root: self.root.clone(), state: Arc::new(Mutex::new(rebooted)) }
    }
}

impl State {
    /// Numbers a call that changes something, crashing or failing it as configured.
    fn call(&mut self) -> io::Result<()> {
        if self.crashed {
            return Err(os_error(EIO));
        }
        let index = self.calls;
        self.calls += 1;
        if self.crash_at == Some(index) {
            self.crashed = true;
            return Err(os_error(EIO));
        }
        if self.fail_at == Some(index) {
            return Err(os_error(EIO));
        }
        Ok(())
    }

    /// A call that only looks: fails once the process has crashed.
    fn look(&self) -> io::Result<()> {
        if self.crashed {
            return Err(os_error(EIO));
        }
        Ok(())
    }

    fn record(&mut self, change: Change, dirs: &[&Path]) {
        let unsynced = dirs.iter().map(|dir| dir.to_path_buf()).collect();
        self.log.push_back(Pending { change, unsynced });
    }
}

struct SimFile {
    state: Arc<Mutex<State>>,
    inode: usize,
}

impl NewFile for SimFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.call()?;
        let clock = state.clock;
        let inode = &mut state.inodes[self.inode];
        inode.data.extend_from_slice(bytes);
        inode.modified = clock;
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.call()?;
        if !state.ignore_file_sync {
            let inode = &mut state.inodes[self.inode];
            inode.durable = inode.data.clone();
        }
        Ok(())
    }
}

impl FileSystem for SimFs {
    fn create_new(&self, path: &Path, _mode: u32) -> io::Result<Box<dyn NewFile>> {
        let mut state = self.lock();
        state.call()?;
        if !state.visible.dirs.contains(parent(path)) {
            return Err(os_error(ENOENT));
        }
        if state.visible.files.contains_key(path) || state.visible.dirs.contains(path) {
            return Err(os_error(EEXIST));
        }
        let modified = state.clock;
        state.inodes.push(Inode { data: Vec::new(), durable: Vec::new(), modified });
        let inode = state.inodes.len() - 1;
        state.visible.files.insert(path.to_path_buf(), inode);
        state.record(Change::Link { path: path.to_path_buf(), inode }, &[parent(path)]);
        Ok(Box::new(SimFile { state: self.state.clone(), inode }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut state = self.lock();
        state.call()?;
        if state.visible.dirs.contains(to) {
            return Err(os_error(EISDIR));
        }
        if !state.visible.dirs.contains(parent(to)) {
            return Err(os_error(ENOENT));
        }
        let inode = state.visible.files.remove(from).ok_or_else(|| os_error(ENOENT))?;
        state.visible.files.insert(to.to_path_buf(), inode);
        let change = Change::Rename { from: from.to_path_buf(), to: to.to_path_buf(), inode };
        state.record(change, &[parent(from), parent(to)]);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock();
        state.call()?;
        if state.visible.dirs.contains(path) {
            return Err(os_error(EISDIR));
        }
        state.visible.files.remove(path).ok_or_else(|| os_error(ENOENT))?;
        state.record(Change::Unlink { path: path.to_path_buf() }, &[parent(path)]);
        Ok(())
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock();
        state.call()?;
        let mut missing: Vec<&Path> = path.ancestors().take_while(|dir| !state.visible.dirs.contains(*dir)).collect();
        missing.reverse();
        for dir in missing {
            if state.visible.files.contains_key(dir) {
                return Err(os_error(EEXIST));
            }
            state.visible.dirs.insert(dir.to_path_buf());
            state.record(Change::MakeDir { path: dir.to_path_buf() }, &[parent(dir)]);
        }
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> Result<(), IoFailure> {
        let mut state = self.lock();
        state.call().map_err(|error| IoFailure::new(&error, "fsync", dir))?;
        if !state.visible.dirs.contains(dir) {
            return Err(IoFailure::new(&os_error(ENOENT), "open", dir));
        }
        if state.ignore_dir_sync {
            return Ok(());
        }
        for pending in state.log.iter_mut() {
            pending.unsynced.remove(dir);
        }
        while state.log.front().is_some_and(|pending| pending.unsynced.is_empty()) {
            if let Some(pending) = state.log.pop_front() {
                state.durable.apply(&pending.change);
            }
        }
        Ok(())
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let state = self.lock();
        state.look()?;
        match state.visible.files.get(path) {
            Some(inode) => Ok(state.inodes[*inode].data.clone()),
            None if state.visible.dirs.contains(path) => Err(os_error(EISDIR)),
            None => Err(os_error(ENOENT)),
        }
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        let state = self.lock();
        state.look()?;
        Ok(state.visible.files.contains_key(path) || state.visible.dirs.contains(path))
    }

    fn read_dir(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        let state = self.lock();
        state.look()?;
        if !state.visible.dirs.contains(dir) {
            return Err(os_error(ENOENT));
        }
        let entry = |path: &PathBuf, is_file: bool| {
            (parent(path) == dir && path != dir)
                .then(|| DirEntry { name: path.file_name().unwrap_or_default().to_os_string(), is_file })
        };
        let files = state.visible.files.keys().filter_map(|path| entry(path, true));
        let dirs = state.visible.dirs.iter().filter_map(|path| entry(path, false));
        Ok(files.chain(dirs).collect())
    }

    fn modified(&self, path: &Path) -> io::Result<SystemTime> {
        let state = self.lock();
        state.look()?;
        match state.visible.files.get(path) {
            Some(inode) => Ok(state.inodes[*inode].modified),
            None if state.visible.dirs.contains(path) => Ok(state.clock),
            None => Err(os_error(ENOENT)),
        }
    }

    fn now(&self) -> SystemTime {
        self.lock().clock
    }

    fn syncs_file_system(&self) -> bool {
        true
    }

    /// Half the batches of the scenarios take the one-sync path, half sync each file.
    fn one_sync_from(&self) -> usize {
        3
    }

    /// Every file's data durable at once; renames and unlinks still need their directory's.
    fn sync_file_system(&self, _dir: &Path) -> io::Result<()> {
        let mut state = self.lock();
        state.call()?;
        if !state.ignore_file_sync {
            for inode in state.inodes.iter_mut() {
                inode.durable = inode.data.clone();
            }
        }
        Ok(())
    }

    fn quarantine_retry_delay(&self) -> Duration {
        Duration::ZERO
    }
}
