//! The process-wide cache of documents read in ranges (19.5.0's candle cache): a repeated read
//! of candles this process has already read or written is answered from memory, without a file
//! or a thread hop.
//!
//! Keyed by a directory's identity ([`crate::identity`]), held for as long as the directory has
//! an entry: every spelling of a directory shares its entry, and a directory created in the
//! place (or with the inode) of a removed one never finds the removed one's documents.
//!
//! Exact for everything this process does: it watches the file order queue, so every write,
//! removal, `removeAll`, quarantine move and `writeFileAtomic` on a cached document drops it when
//! issued and again when it lands (or puts the written text in its place), and a read that raced
//! a change fills nothing. Bounded: past its byte limit the oldest entries go first, and it
//! keeps at most [`MAX_DIRECTORIES`] directories (each counted in its bytes). Changes
//! another process makes to files this process has cached are not seen (closed candles never
//! change; `clear` forgets everything).

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::identity::{DirKey, DirPin};
use crate::observer::TurnObserver;
use crate::store::{Range, RangeScan};

/// The default byte limit: about 500,000 cached 1m candles.
pub const DEFAULT_LIMIT: usize = 64 << 20;

/// What an entry costs beyond its text and name: the maps' and the queue's slots.
const ENTRY_OVERHEAD: usize = 96;

/// What a directory's entry costs beyond its key: the map's slot, its own map, its descriptor.
const DIRECTORY_OVERHEAD: usize = 192;

/// Directories with an entry at most (each holds a descriptor open: [`crate::identity`]); past
/// it, those with no document go first, then the least recently read.
pub const MAX_DIRECTORIES: usize = 1024;

pub struct DocumentCache {
    state: Mutex<State>,
    limit: AtomicUsize,
}

#[derive(Default)]
struct State {
    dirs: HashMap<PathBuf, Dir>,
    bytes: usize,
    entries: usize,
    /// Entries in the order they were filled: the oldest are evicted first.
    order: VecDeque<(PathBuf, String)>,
    /// Never reused: a directory's last change, and when it was last read.
    clock: u64,
}

/// The cached documents of one directory (keyed by file name), the stamp of its last change
/// (unique in the process, so a ticket never matches an entry made after it), and its identity.
struct Dir {
    docs: HashMap<String, Arc<str>>,
    changes: u64,
    used: u64,
    _pin: Option<Arc<DirPin>>,
}

fn directory_bytes(key: &Path) -> usize {
    key.as_os_str().len() + DIRECTORY_OVERHEAD
}

/// What a range read saw when it began: it may fill only if nothing changed since.
#[derive(Clone, Copy, Debug)]
pub struct Ticket(u64);

/// The cache of this process.
pub fn document_cache() -> &'static DocumentCache {
    static CACHE: OnceLock<DocumentCache> = OnceLock::new();
    CACHE.get_or_init(|| DocumentCache::new(limit_from_environment()))
}

/// `BACKTEST_PERSIST_CANDLE_CACHE_MB` (0 turns the cache off), else the default.
fn limit_from_environment() -> usize {
    std::env::var("BACKTEST_PERSIST_CANDLE_CACHE_MB")
        .ok()
        .and_then(|value| value.trim().parse::<f64>().ok())
        .filter(|mb| mb.is_finite() && *mb >= 0.0)
        .map_or(DEFAULT_LIMIT, |mb| (mb * 1024.0 * 1024.0) as usize)
}

fn entry_bytes(name: &str, text: &str) -> usize {
    name.len() + text.len() + ENTRY_OVERHEAD
}

impl DocumentCache {
    pub fn new(limit: usize) -> Self {
        Self { state: Mutex::default(), limit: AtomicUsize::new(limit) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Sets the byte limit (0: cache nothing), evicting down to it now.
    pub fn set_limit(&self, limit: usize) {
        self.limit.store(limit, Ordering::Relaxed);
        let mut state = self.lock();
        let evicted = state.evict_to(limit);
        drop(state);
        drop(evicted);
    }

    /// Forgets every cached document and directory.
    pub fn clear(&self) {
        let dirs = {
            let mut state = self.lock();
            state.bytes = 0;
            state.entries = 0;
            state.order.clear();
            std::mem::take(&mut state.dirs)
        };
        // The directories' descriptors close with no lock held.
        drop(dirs);
    }

    /// Bytes held now (texts, names, directories and bookkeeping).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Directories with an entry now.
    pub fn directories(&self) -> usize {
        self.lock().dirs.len()
    }

    /// The documents `names` of `dir` (its order key), joined as a JSON array, when every one is
    /// cached.
    pub fn read_run(&self, dir: &Path, names: impl Iterator<Item = String>) -> Option<String> {
        let state = self.lock();
        let cached = &state.dirs.get(dir)?.docs;
        let mut joined = String::from("[");
        for (index, name) in names.enumerate() {
            if index > 0 {
                joined.push(',');
            }
            joined.push_str(cached.get(&name)?);
        }
        joined.push(']');
        Some(joined)
    }

    /// Called before a range read of `dir`; `None` when the cache is off, or the key does not
    /// hold its directory's identity (a directory that is not there).
    pub fn begin(&self, dir: &DirKey) -> Option<Ticket> {
        let limit = self.limit();
        if limit == 0 || !dir.is_stable() {
            return None;
        }
        let mut state = self.lock();
        let now = state.tick();
        if let Some(cached) = state.dirs.get_mut(&dir.key) {
            cached.used = now;
            return Some(Ticket(cached.changes));
        }
        let evicted = state.make_room_for_directory();
        state.bytes += directory_bytes(&dir.key);
        state.dirs.insert(dir.key.clone(), Dir { docs: HashMap::new(), changes: now, used: now, _pin: dir.pin() });
        let more = state.evict_to(limit);
        drop(state);
        drop((evicted, more));
        Some(Ticket(now))
    }

    /// A window of a range read that began with `fill`'s ticket: [`RangeScan::take`], then what
    /// the scan accepted (whole JSON values, before any miss) cached under the directory as
    /// `name(id)`. Without `fill` (the cache off, or not for this store), only the take.
    pub fn take_window(
        &self,
        scan: &mut RangeScan,
        ids: Vec<String>,
        texts: Vec<Option<String>>,
        fill: Option<(&Path, Ticket)>,
        name: impl Fn(String) -> String,
    ) -> Option<Range> {
        let Some((dir, ticket)) = fill else { return scan.take(texts) };
        let before = scan.read();
        let found = texts.clone();
        let outcome = scan.take(texts);
        let accepted = ids.into_iter().zip(found).take(scan.read() - before);
        self.fill(dir, ticket, accepted.filter_map(|(id, text)| Some((name(id), text?))));
        outcome
    }

    /// Caches what a range read that began with `ticket` found (`(name, text)`, each text one
    /// JSON value), unless `dir` changed meanwhile.
    pub fn fill(&self, dir: &Path, ticket: Ticket, documents: impl Iterator<Item = (String, String)>) {
        let limit = self.limit();
        let mut state = self.lock();
        let State { dirs, bytes, entries, order, .. } = &mut *state;
        let Some(cached) = dirs.get_mut(dir).filter(|cached| cached.changes == ticket.0) else { return };
        for (name, text) in documents {
            if cached.docs.contains_key(&name) {
                continue;
            }
            *bytes += entry_bytes(&name, &text);
            *entries += 1;
            order.push_back((dir.to_path_buf(), name.clone()));
            cached.docs.insert(name, Arc::from(text));
        }
        let evicted = state.evict_to(limit);
        drop(state);
        drop(evicted);
    }
}

impl State {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Evicts down to `limit` bytes: documents oldest first, then directories with none left.
    /// Returns the evicted directories, to be dropped (their descriptors closed) unlocked.
    #[must_use]
    fn evict_to(&mut self, limit: usize) -> Vec<Dir> {
        while self.bytes > limit {
            let Some((dir, name)) = self.order.pop_front() else { break };
            self.forget(&dir, &name);
        }
        let mut evicted = Vec::new();
        if self.bytes > limit {
            evicted = self.remove_dirs(|cached| cached.docs.is_empty());
        }
        // Entries dropped by changes leave their place in `order`; keep it near the live size.
        if self.order.len() > 2 * self.entries + 4096 {
            let dirs = &self.dirs;
            self.order.retain(|(dir, name)| dirs.get(dir).is_some_and(|cached| cached.docs.contains_key(name)));
        }
        evicted
    }

    /// Keeps the directories under [`MAX_DIRECTORIES`] before one more is added.
    #[must_use]
    fn make_room_for_directory(&mut self) -> Vec<Dir> {
        if self.dirs.len() < MAX_DIRECTORIES {
            return Vec::new();
        }
        let mut evicted = self.remove_dirs(|cached| cached.docs.is_empty());
        if self.dirs.len() >= MAX_DIRECTORIES {
            // The least recently read eighth, documents and all.
            let mut used: Vec<u64> = self.dirs.values().map(|cached| cached.used).collect();
            used.sort_unstable();
            let cutoff = used[used.len() / 8];
            evicted.extend(self.remove_dirs(|cached| cached.used <= cutoff));
        }
        evicted
    }

    fn remove_dirs(&mut self, doomed: impl Fn(&Dir) -> bool) -> Vec<Dir> {
        let keys: Vec<PathBuf> =
            self.dirs.iter().filter(|(_, cached)| doomed(cached)).map(|(key, _)| key.clone()).collect();
        let mut removed = Vec::with_capacity(keys.len());
        for key in keys {
            self.forget_dir(&key);
            if let Some(cached) = self.dirs.remove(&key) {
                self.bytes -= directory_bytes(&key);
                removed.push(cached);
            }
        }
        removed
    }

    fn forget(&mut self, dir: &Path, name: &str) {
        if let Some(text) = self.dirs.get_mut(dir).and_then(|cached| cached.docs.remove(name)) {
            self.bytes -= entry_bytes(name, &text);
            self.entries -= 1;
        }
    }

    fn forget_dir(&mut self, dir: &Path) {
        if let Some(cached) = self.dirs.get_mut(dir) {
            let dropped: usize = cached.docs.iter().map(|(name, text)| entry_bytes(name, text)).sum();
            let count = cached.docs.len();
            cached.docs.clear();
            self.bytes -= dropped;
            self.entries -= count;
        }
    }
}

/// Splits an order key into its directory and file name.
fn split(key: &Path) -> Option<(&Path, &str)> {
    Some((key.parent()?, key.file_name()?.to_str()?))
}

impl TurnObserver for DocumentCache {
    /// Directories a range read has been made of: the candle caches.
    fn watches(&self, directory: &Path) -> bool {
        self.limit() > 0 && self.lock().dirs.contains_key(directory)
    }

    fn issued(&self, key: &Path, barrier: bool) {
        let mut state = self.lock();
        if barrier {
            state.forget_dir(key);
        } else if let Some((dir, name)) = split(key) {
            if state.dirs.contains_key(dir) {
                state.forget(dir, name);
            }
        }
    }

    fn finished(&self, key: &Path, barrier: bool, written: Option<&str>) {
        let limit = self.limit();
        let mut state = self.lock();
        let now = state.tick();
        if barrier {
            state.forget_dir(key);
            if let Some(cached) = state.dirs.get_mut(key) {
                cached.changes = now;
            }
            return;
        }
        let Some((dir, name)) = split(key) else { return };
        let Some(cached) = state.dirs.get_mut(dir) else { return };
        cached.changes = now;
        state.forget(dir, name);
        if let (Some(text), true) = (written, limit > 0) {
            let State { dirs, bytes, entries, order, .. } = &mut *state;
            if let Some(cached) = dirs.get_mut(dir) {
                *bytes += entry_bytes(name, text);
                *entries += 1;
                order.push_back((dir.to_path_buf(), name.to_string()));
                cached.docs.insert(name.to_string(), Arc::from(text));
            }
            let evicted = state.evict_to(limit);
            drop(state);
            drop(evicted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(range: std::ops::Range<u32>) -> impl Iterator<Item = String> {
        range.map(|i| format!("{i}.json"))
    }

    fn fill(cache: &DocumentCache, dir: &Path, range: std::ops::Range<u32>) {
        let ticket = cache.begin(&DirKey::logical(dir.to_path_buf())).unwrap();
        cache.fill(dir, ticket, range.map(|i| (format!("{i}.json"), i.to_string())));
    }

    #[test]
    fn a_run_is_served_whole_or_not_at_all() {
        let cache = DocumentCache::new(1 << 20);
        let dir = Path::new("/c");
        fill(&cache, dir, 0..10);
        assert_eq!(cache.read_run(dir, names(2..5)).as_deref(), Some("[2,3,4]"));
        assert_eq!(cache.read_run(dir, names(8..11)), None);
        assert_eq!(cache.read_run(Path::new("/other"), names(0..1)), None);
    }

    #[test]
    fn a_change_drops_the_document_when_issued_and_a_read_that_raced_it_fills_nothing() {
        let cache = DocumentCache::new(1 << 20);
        let dir = Path::new("/c");
        fill(&cache, dir, 0..3);
        let racing = cache.begin(&DirKey::logical(dir.to_path_buf())).unwrap();
        cache.issued(Path::new("/c/1.json"), false);
        assert_eq!(cache.read_run(dir, names(0..3)), None, "dropped when the write is issued");
        cache.finished(Path::new("/c/1.json"), false, Some("{\"new\":1}"));
        assert_eq!(cache.read_run(dir, names(0..3)).as_deref(), Some("[0,{\"new\":1},2]"));
        cache.fill(dir, racing, std::iter::once(("7.json".to_string(), "7".to_string())));
        assert_eq!(cache.read_run(dir, names(7..8)), None, "a read that began before the change fills nothing");
        cache.issued(dir, true);
        cache.finished(dir, true, None);
        assert_eq!(cache.read_run(dir, names(0..1)), None, "removeAll forgets the directory");
        assert_eq!(cache.bytes(), directory_bytes(dir), "only the directory's entry is left");
        cache.clear();
        assert_eq!((cache.bytes(), cache.directories()), (0, 0));
    }

    #[test]
    fn the_oldest_entries_go_first_past_the_limit() {
        let per_entry = entry_bytes("10.json", "10");
        let cache = DocumentCache::new(per_entry * 5 + directory_bytes(Path::new("/c")));
        let dir = Path::new("/c");
        fill(&cache, dir, 10..20);
        assert!(cache.bytes() <= per_entry * 5 + directory_bytes(Path::new("/c")));
        assert_eq!(cache.read_run(dir, names(10..11)), None);
        assert_eq!(cache.read_run(dir, names(15..20)).as_deref(), Some("[15,16,17,18,19]"));
        cache.set_limit(0);
        assert_eq!(cache.bytes(), 0);
        assert!(cache.begin(&DirKey::logical(dir.to_path_buf())).is_none(), "a limit of 0 turns it off");
    }

    #[test]
    fn directories_are_counted_and_bounded_misses_included() {
        let cache = DocumentCache::new(64 << 20);
        for i in 0..(3 * MAX_DIRECTORIES) {
            let dir = PathBuf::from(format!("/miss/{i}"));
            let ticket = cache.begin(&DirKey::logical(dir.clone())).unwrap();
            cache.fill(&dir, ticket, std::iter::empty());
        }
        assert!(cache.directories() <= MAX_DIRECTORIES, "{} directories kept", cache.directories());
        assert!(cache.bytes() >= cache.directories() * DIRECTORY_OVERHEAD, "each directory is counted");
        fill(&cache, Path::new("/kept"), 0..3);
        for i in 0..(2 * MAX_DIRECTORIES) {
            let dir = PathBuf::from(format!("/full/{i}"));
            let ticket = cache.begin(&DirKey::logical(dir.clone())).unwrap();
            cache.fill(&dir, ticket, std::iter::once(("0.json".to_string(), "0".to_string())));
        }
        assert!(cache.directories() <= MAX_DIRECTORIES);
        assert_eq!(cache.read_run(Path::new("/kept"), names(0..3)), None, "the least recently read went");
    }

    #[test]
    fn a_key_that_holds_no_identity_is_never_cached() {
        let cache = DocumentCache::new(1 << 20);
        let loose = DirKey { key: PathBuf::from("/gone"), hold: crate::identity::Hold::Loose };
        assert!(cache.begin(&loose).is_none());
        assert_eq!(cache.directories(), 0);
    }

    #[test]
    fn a_ticket_from_before_a_directory_was_evicted_never_fills_its_next_entry() {
        let cache = DocumentCache::new(1 << 20);
        let dir = Path::new("/c");
        let stale = cache.begin(&DirKey::logical(dir.to_path_buf())).unwrap();
        cache.clear();
        let _fresh = cache.begin(&DirKey::logical(dir.to_path_buf())).unwrap();
        cache.fill(dir, stale, std::iter::once(("0.json".to_string(), "0".to_string())));
        assert_eq!(cache.read_run(dir, names(0..1)), None);
    }
}
