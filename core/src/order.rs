//! Per-key write order. A caller takes a [`Turn`] synchronously when it issues an operation;
//! turns on one key run one at a time, in the order they were taken, whatever order the tasks
//! are later polled in. Different keys never wait for each other, except across a directory
//! barrier ([`KeyedQueue::enqueue_barrier`], taken by `removeAll`): it runs after every
//! operation issued before it on a key of its directory, and before every one issued after it.
//!
//! Never a deadlock: every turn is taken under the queue's one lock, and an operation on several
//! keys (a batch, a barrier, a round of quarantine moves) takes all of its turns in one step
//! ([`KeyedQueue::enqueue_all`]). So all turns of the process, on every thread, are in one total
//! order, and a turn only ever waits for turns taken before it.
//!
//! A directory reached through several spellings (relative, `..`, a symlink, a bind mount) is
//! one directory: the file queue keys every file by its directory's identity, looked up when
//! the call is made ([`crate::identity`]), and each turn holds that identity until it finishes,
//! so no other directory can take it meanwhile (a removed directory's inode reused).
//!
//! Writes queued behind one another on a key are coalesced: a write issued while another write
//! on that key still waits for its turn joins it, replacing its content. The leader writes the
//! newest content once, and every joined caller resolves with it: no caller resolves before a
//! value at least as new as its own is durable. A leader dropped before it wrote (its caller's
//! init failed, its worker was terminated) hands its turn and the batch to a joined caller that
//! still waits, so no key is ever left behind an open batch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tokio::sync::{oneshot, watch};

use crate::error::{Cause, PersistError, Result};
use crate::identity::{identify, DirKey, DirPin};
use crate::observer::TurnObserver;

/// The process-wide queue of file operations, keyed by absolute, lexically normalised file
/// path, so that two stores (or a store and `writeFileAtomic`) writing one file are ordered.
pub fn file_queue() -> &'static KeyedQueue {
    static QUEUE: OnceLock<KeyedQueue> = OnceLock::new();
    QUEUE.get_or_init(|| KeyedQueue {
        observer: Some(crate::document_cache::document_cache()),
        identify: Some(identify),
        ..Default::default()
    })
}

/// The queue of JS adapters' operations: a namespace of its own, so that no id a JS adapter is
/// given (an absolute path, say) can ever share a key with a file operation.
pub fn adapter_queue() -> &'static KeyedQueue {
    static QUEUE: OnceLock<KeyedQueue> = OnceLock::new();
    QUEUE.get_or_init(KeyedQueue::default)
}

/// The queue of server stores' operations (Redis, PostgreSQL, SQLite), keyed by server and
/// logical document path; the document cache watches it as it watches the file queue (it keeps
/// documents only of the stores that ask it to: files and SQLite).
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
pub fn server_queue() -> &'static KeyedQueue {
    static QUEUE: OnceLock<KeyedQueue> = OnceLock::new();
    QUEUE.get_or_init(|| KeyedQueue { observer: Some(crate::document_cache::document_cache()), ..Default::default() })
}

#[derive(Default)]
pub struct KeyedQueue {
    state: Mutex<QueueState>,
    /// Never reused, so a finished turn can tell whether the tail is still its own.
    next_seq: AtomicU64,
    /// Told of every turn taken and finished (the file queue's: the document cache).
    observer: Option<&'static dyn TurnObserver>,
    /// How a directory's key is found (the file queue's: its identity); without it, keys are
    /// logical and taken as they are.
    identify: Option<fn(&Path) -> DirKey>,
}

#[derive(Default)]
struct QueueState {
    tails: HashMap<PathBuf, Tail>,
    /// Per directory, the barrier that operations issued since must wait for.
    barriers: HashMap<PathBuf, Tail>,
    /// Per key, the write that waits for its turn and still accepts newer content.
    open_batches: HashMap<PathBuf, Arc<WriteBatch>>,
}

/// What the next turn on a key (or directory) waits for: the last turn taken on it.
struct Tail {
    /// The turn owning this tail.
    seq: u64,
    done: Vec<watch::Receiver<()>>,
}

/// One physical write standing for several calls, all to one path: a write through another
/// spelling of the file never joins it (it takes the next turn), so whatever the keys say, no
/// document is ever written to a file its caller did not name.
pub struct WriteBatch {
    path: PathBuf,
    inner: Mutex<BatchContent>,
}

struct BatchContent {
    json: Vec<u8>,
    followers: Vec<oneshot::Sender<Handoff>>,
}

/// What a joined caller learns: the outcome of the write it joined, or that it leads it now.
pub enum Handoff {
    Done(Result<()>),
    Lead(Lead),
}

/// A write call's part: lead a physical write, or wait for the one it joined.
pub enum WriteSlot {
    Leader(Lead),
    Follower(oneshot::Receiver<Handoff>),
}

impl WriteSlot {
    /// Waits until this call leads a write (`Ok`), or until the write it joined has finished
    /// (`Err` with that write's outcome).
    pub async fn into_lead(self) -> std::result::Result<Lead, Result<()>> {
        match self {
            WriteSlot::Leader(lead) => Ok(lead),
            WriteSlot::Follower(receiver) => match receiver.await {
                Ok(Handoff::Lead(lead)) => Ok(lead),
                Ok(Handoff::Done(outcome)) => Err(outcome),
                // The leader's thread died while writing: whether the write landed is unknown.
                Err(_) => Err(Err(PersistError::Write {
                    entity: String::new(),
                    id: String::new(),
                    cause: Cause::Message("the write was abandoned by a task that died".into()),
                })),
            },
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl KeyedQueue {
    /// Joins the queue of `key`. Call this when the operation is issued, not when it runs.
    /// Later writes never join a write issued before this call.
    pub fn enqueue(&'static self, key: &Path) -> Turn {
        let (key, pin) = self.key_of(key, &mut None);
        let mut state = lock(&self.state);
        state.open_batches.remove(&key);
        self.notify_issued(&key, false);
        self.enqueue_locked(&mut state, key, pin)
    }

    /// The key `directory` is ordered under now (its identity, on the file queue).
    pub fn directory_key(&self, directory: &Path) -> DirKey {
        match self.identify {
            Some(identify) => identify(directory),
            None => DirKey::logical(directory.to_path_buf()),
        }
    }

    /// The key a file (or document) is ordered under now, and what holds its directory's
    /// identity; `last` keeps the directory looked up before, for a run of keys in one.
    fn key_of(&self, key: &Path, last: &mut Option<(PathBuf, DirKey)>) -> (PathBuf, Option<Arc<DirPin>>) {
        if self.identify.is_none() {
            return (key.to_path_buf(), None);
        }
        let (Some(directory), Some(name)) = (key.parent(), key.file_name()) else { return (key.to_path_buf(), None) };
        let known = last.as_ref().filter(|(spelling, _)| spelling == directory);
        let identity = match known {
            Some((_, identity)) => identity.clone(),
            None => {
                let identity = self.directory_key(directory);
                *last = Some((directory.to_path_buf(), identity.clone()));
                identity
            }
        };
        (identity.key.join(name), identity.pin())
    }

    fn notify_issued(&self, key: &Path, barrier: bool) {
        if let Some(observer) = self.observer {
            observer.issued(key, barrier);
        }
    }

    /// Whether the texts written into `directory` are wanted ([`Turn::set_written`]).
    pub fn watches_directory(&self, directory: &Path) -> bool {
        self.observer.is_some_and(|observer| observer.watches(&self.directory_key(directory).key))
    }

    /// Turns on every one of `keys` (distinct), taken as one step: no turn of another caller,
    /// on any thread, falls between them, so two such callers can never each hold a key the
    /// other waits for. Await them in any order.
    pub fn enqueue_all(&'static self, keys: &[PathBuf]) -> Vec<Turn> {
        let mut last = None;
        let keys: Vec<(PathBuf, Option<Arc<DirPin>>)> = keys.iter().map(|key| self.key_of(key, &mut last)).collect();
        let mut state = lock(&self.state);
        keys.into_iter()
            .map(|(key, pin)| {
                state.open_batches.remove(&key);
                self.notify_issued(&key, false);
                self.enqueue_locked(&mut state, key, pin)
            })
            .collect()
    }

    /// A barrier on `directory`: its turn comes once every operation issued so far on a key
    /// directly inside it has finished, and operations issued later on such keys wait for it.
    pub fn enqueue_barrier(&'static self, directory: &Path) -> Turn {
        let identity = self.directory_key(directory);
        let pin = identity.pin();
        let directory = identity.key;
        let mut state = lock(&self.state);
        state.open_batches.retain(|key, _| key.parent() != Some(&directory));
        self.notify_issued(&directory, true);
        let mut previous: Vec<watch::Receiver<()>> = state
            .tails
            .iter()
            .filter(|(key, _)| key.parent() == Some(&directory))
            .flat_map(|(_, tail)| tail.done.iter().cloned())
            .collect();
        let (finished, done) = watch::channel(());
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        if let Some(earlier) = state.barriers.insert(directory.clone(), Tail { seq, done: vec![done] }) {
            previous.extend(earlier.done);
        }
        Turn {
            queue: self,
            key: directory,
            barrier: true,
            seq,
            previous,
            finished: Some(finished),
            written: None,
            _pin: pin,
        }
    }

    /// A write of `json` to `key`: joins the write already waiting on that key, or leads a new one.
    /// Only a write to the very same path joins: through another spelling it takes the next turn.
    pub fn enqueue_write(&'static self, path: &Path, json: Vec<u8>) -> WriteSlot {
        let (key, pin) = self.key_of(path, &mut None);
        let mut state = lock(&self.state);
        self.notify_issued(&key, false);
        if let Some(batch) = state.open_batches.get(&key) {
            if batch.path == path {
                let (sender, receiver) = oneshot::channel();
                let mut content = lock(&batch.inner);
                content.json = json;
                content.followers.push(sender);
                return WriteSlot::Follower(receiver);
            }
        }
        let batch = Arc::new(WriteBatch {
            path: path.to_path_buf(),
            inner: Mutex::new(BatchContent { json, followers: Vec::new() }),
        });
        state.open_batches.insert(key.clone(), batch.clone());
        let turn = self.enqueue_locked(&mut state, key.clone(), pin);
        WriteSlot::Leader(Lead { turn: Some(turn), batch, key })
    }

    /// `key` must be the one [`KeyedQueue::key_of`] gave, `pin` what holds it.
    fn enqueue_locked(&'static self, state: &mut QueueState, key: PathBuf, pin: Option<Arc<DirPin>>) -> Turn {
        let (finished, done) = watch::channel(());
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let mut previous = Vec::with_capacity(2);
        if let Some(tail) = state.tails.insert(key.clone(), Tail { seq, done: vec![done] }) {
            previous.extend(tail.done);
        }
        if let Some(barrier) = key.parent().and_then(|directory| state.barriers.get(directory)) {
            previous.extend(barrier.done.iter().cloned());
        }
        Turn { queue: self, key, barrier: false, seq, previous, finished: Some(finished), written: None, _pin: pin }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        let state = lock(&self.state);
        state.tails.len() + state.barriers.len() + state.open_batches.len()
    }
}

/// A place in one key's queue. Dropping it lets the next turn run, so a turn must be held until
/// its operation has finished.
pub struct Turn {
    queue: &'static KeyedQueue,
    key: PathBuf,
    barrier: bool,
    seq: u64,
    previous: Vec<watch::Receiver<()>>,
    finished: Option<watch::Sender<()>>,
    /// The text the key holds once this turn's change landed, for the queue's observer.
    written: Option<String>,
    /// The directory's identity, held until the turn has finished (dropped after it).
    _pin: Option<Arc<DirPin>>,
}

impl Turn {
    /// Records that the key now holds `text` (the write landed): the observer may keep it.
    pub fn set_written(&mut self, text: String) {
        self.written = Some(text);
    }

    /// Whether every earlier turn it waits for has finished, without waiting.
    pub fn try_ready(&mut self) -> bool {
        // A closed channel (`Err`) is a finished turn; nothing is ever sent on one.
        self.previous.retain(|previous| previous.has_changed().is_ok());
        self.previous.is_empty()
    }

    /// Waits until every earlier turn it waits for has finished.
    pub async fn ready(&mut self) {
        for mut previous in std::mem::take(&mut self.previous) {
            while previous.changed().await.is_ok() {}
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        // Before the next turn on the key may run, so the observer sees changes in their order.
        if let Some(observer) = self.queue.observer {
            observer.finished(&self.key, self.barrier, self.written.as_deref());
        }
        self.finished.take();
        let mut state = lock(&self.queue.state);
        let tails = if self.barrier { &mut state.barriers } else { &mut state.tails };
        if tails.get(&self.key).is_some_and(|tail| tail.seq == self.seq) {
            tails.remove(&self.key);
        }
    }
}

/// The leader of a coalesced write: holds the key's turn until [`Lead::seal`] closes the batch.
pub struct Lead {
    turn: Option<Turn>,
    batch: Arc<WriteBatch>,
    key: PathBuf,
}

impl Lead {
    /// Whether the turn has come, without waiting.
    pub fn try_ready(&mut self) -> bool {
        self.turn.as_mut().is_none_or(Turn::try_ready)
    }

    pub async fn ready(&mut self) {
        if let Some(turn) = self.turn.as_mut() {
            turn.ready().await;
        }
    }

    /// Closes the batch once the turn has come: the newest content, and what must be told of
    /// the outcome. Writes issued from now on start a batch of their own.
    pub fn seal(mut self) -> Sealed {
        let turn = self.turn.take();
        let (json, followers) = match &turn {
            Some(turn) => {
                let mut state = lock(&turn.queue.state);
                if state.open_batches.get(&self.key).is_some_and(|open| Arc::ptr_eq(open, &self.batch)) {
                    state.open_batches.remove(&self.key);
                }
                let mut content = lock(&self.batch.inner);
                (std::mem::take(&mut content.json), std::mem::take(&mut content.followers))
            }
            None => (Vec::new(), Vec::new()),
        };
        Sealed { json, turn, followers }
    }
}

impl Drop for Lead {
    /// Never sealed: hands the turn and the batch to the first joined caller still waiting, or,
    /// when none is left, closes the batch and lets the key's next turn run.
    fn drop(&mut self) {
        let Some(turn) = self.turn.take() else { return };
        let successor = {
            let mut state = lock(&turn.queue.state);
            let still_open = state.open_batches.get(&self.key).is_some_and(|open| Arc::ptr_eq(open, &self.batch));
            let mut content = lock(&self.batch.inner);
            content.followers.retain(|follower| !follower.is_closed());
            if content.followers.is_empty() {
                if still_open {
                    state.open_batches.remove(&self.key);
                }
                None
            } else {
                let next = content.followers.remove(0);
                let batch = Arc::new(WriteBatch {
                    path: self.batch.path.clone(),
                    inner: Mutex::new(BatchContent {
                        json: std::mem::take(&mut content.json),
                        followers: std::mem::take(&mut content.followers),
                    }),
                });
                if still_open {
                    state.open_batches.insert(self.key.clone(), batch.clone());
                }
                Some((next, batch))
            }
        };
        if let Some((next, batch)) = successor {
            // Sent with no lock held: should the caller have gone meanwhile, the lead comes
            // back and is dropped, which hands it on to the next one.
            let _ = next.send(Handoff::Lead(Lead { turn: Some(turn), batch, key: self.key.clone() }));
        }
    }
}

/// A sealed batch: the content to write, then [`Sealed::finish`] with the outcome.
pub struct Sealed {
    pub json: Vec<u8>,
    turn: Option<Turn>,
    followers: Vec<oneshot::Sender<Handoff>>,
}

impl Sealed {
    /// Lets the key's next turn run, then resolves every caller that joined this write.
    pub fn finish(mut self, outcome: &Result<()>) {
        self.turn.take();
        for follower in self.followers.drain(..) {
            let _ = follower.send(Handoff::Done(outcome.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn leaked() -> &'static KeyedQueue {
        Box::leak(Box::default())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn turns_on_one_key_run_in_issue_order() {
        let queue = leaked();
        let log = Arc::new(Mutex::new(Vec::new()));
        let key = Path::new("/k");
        let mut tasks = Vec::new();
        for i in 0..200 {
            let mut turn = queue.enqueue(key);
            let log = log.clone();
            tasks.push(async move {
                turn.ready().await;
                tokio::task::yield_now().await;
                log.lock().unwrap().push(i);
            });
        }
        // Spawn in reverse so that polling order is the opposite of issue order.
        let handles: Vec<_> = tasks.into_iter().rev().map(tokio::spawn).collect();
        for handle in handles {
            handle.await.unwrap();
        }
        assert_eq!(*log.lock().unwrap(), (0..200).collect::<Vec<_>>());
        assert_eq!(queue.len(), 0, "a finished queue leaves nothing behind");
    }

    #[tokio::test]
    async fn different_keys_do_not_wait() {
        let queue = leaked();
        let _held = queue.enqueue(Path::new("/a"));
        let mut other = queue.enqueue(Path::new("/b"));
        assert!(other.try_ready(), "a turn on another key is ready at once");
    }

    #[test]
    fn a_barrier_waits_for_earlier_keys_and_holds_later_ones() {
        let queue = leaked();
        let earlier = queue.enqueue(Path::new("/d/a.json"));
        let mut barrier = queue.enqueue_barrier(Path::new("/d"));
        let mut later_same_key = queue.enqueue(Path::new("/d/a.json"));
        let mut later_other_key = queue.enqueue(Path::new("/d/b.json"));
        let mut elsewhere = queue.enqueue(Path::new("/e/a.json"));
        assert!(elsewhere.try_ready());
        assert!(!barrier.try_ready());
        drop(earlier);
        assert!(barrier.try_ready());
        assert!(!later_same_key.try_ready() && !later_other_key.try_ready());
        drop(barrier);
        assert!(later_same_key.try_ready() && later_other_key.try_ready());
    }

    /// Two callers each taking turns on the same keys in opposite orders, from many threads at
    /// once: with turns taken one key at a time, each could hold a key the other waits for.
    #[test]
    fn turns_taken_together_never_deadlock_across_threads() {
        let queue = leaked();
        let keys: Vec<PathBuf> = (0..64).map(|i| PathBuf::from(format!("/d/{i}.json"))).collect();
        let threads: Vec<_> = (0..4)
            .map(|thread| {
                let mut keys = keys.clone();
                if thread % 2 == 1 {
                    keys.reverse();
                }
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
                    for _ in 0..200 {
                        let mut turns = queue.enqueue_all(&keys);
                        runtime.block_on(async {
                            for turn in &mut turns {
                                turn.ready().await;
                            }
                        });
                    }
                })
            })
            .collect();
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            threads.into_iter().for_each(|thread| thread.join().expect("no panic"));
            let _ = done.send(());
        });
        assert!(
            finished.recv_timeout(std::time::Duration::from_secs(60)).is_ok(),
            "four threads taking turns on 64 keys in opposite orders still wait after 60 s: a deadlock"
        );
        assert_eq!(queue.len(), 0);
    }

    fn leaked_file_queue() -> &'static KeyedQueue {
        Box::leak(Box::new(KeyedQueue { identify: Some(identify), ..Default::default() }))
    }

    #[cfg(unix)]
    #[test]
    fn two_spellings_of_one_directory_share_their_keys_never_initialised() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let queue = leaked_file_queue();
        let through_real = queue.enqueue(&real.join("a.json"));
        let mut through_link = queue.enqueue(&link.join("a.json"));
        assert!(!through_link.try_ready(), "the link's turn waits for the real spelling's");
        let mut barrier = queue.enqueue_barrier(&link);
        drop(through_real);
        assert!(through_link.try_ready());
        assert!(!barrier.try_ready(), "removeAll through one spelling waits for a key of the other");
        drop(through_link);
        assert!(barrier.try_ready());
    }

    /// A directory removed while a write on it waits, another created with its inode: the
    /// second's write neither joins the first's nor shares its key.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_reused_inode_never_joins_a_write_to_the_removed_directory() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        let queue = leaked_file_queue();
        let held = queue.enqueue(&a.join("k.json"));
        let WriteSlot::Leader(_first) = queue.enqueue_write(&a.join("k.json"), b"a".to_vec()) else { panic!("leads") };
        std::fs::remove_dir(&a).unwrap();
        std::fs::create_dir(&b).unwrap();
        let WriteSlot::Leader(mut other) = queue.enqueue_write(&b.join("k.json"), b"b".to_vec()) else {
            panic!("a write into another directory never joins")
        };
        assert!(other.try_ready(), "and never waits for the removed directory's turns");
        drop(held);
    }

    #[cfg(unix)]
    #[test]
    fn a_write_through_another_spelling_takes_the_next_turn() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("real")).unwrap();
        std::os::unix::fs::symlink(root.path().join("real"), root.path().join("link")).unwrap();
        let queue = leaked_file_queue();
        let key = root.path().join("real/k.json");
        let WriteSlot::Leader(first) = queue.enqueue_write(&key, b"1".to_vec()) else { panic!("leads") };
        let WriteSlot::Leader(mut second) = queue.enqueue_write(&root.path().join("link/k.json"), b"2".to_vec()) else {
            panic!("another path leads its own write")
        };
        assert!(!second.try_ready());
        drop(first);
        assert!(second.try_ready());
    }

    #[tokio::test]
    async fn a_dropped_leader_hands_its_batch_to_a_waiting_follower() {
        let queue = leaked();
        let key = Path::new("/k.json");
        let WriteSlot::Leader(first) = queue.enqueue_write(key, b"1".to_vec()) else { panic!("leads") };
        let second = queue.enqueue_write(key, b"2".to_vec());
        let third = queue.enqueue_write(key, b"3".to_vec());
        drop(first);
        let Ok(lead) = second.into_lead().await else { panic!("the second call leads now") };
        let sealed = lead.seal();
        assert_eq!(sealed.json, b"3", "the batch keeps the newest content");
        sealed.finish(&Ok(()));
        assert!(matches!(third.into_lead().await, Err(Ok(()))), "the third resolves with the write");
        assert_eq!(queue.len(), 0);
    }

    #[tokio::test]
    async fn a_dropped_leader_with_no_follower_leaves_the_key_free() {
        let queue = leaked();
        let key = Path::new("/k.json");
        let first = queue.enqueue_write(key, b"1".to_vec());
        let gone = queue.enqueue_write(key, b"2".to_vec());
        drop(gone);
        drop(first);
        assert_eq!(queue.len(), 0);
        let Ok(mut lead) = queue.enqueue_write(key, b"3".to_vec()).into_lead().await else { panic!("leads") };
        assert!(lead.try_ready());
    }
}
