//! Per-key write order. A caller takes a [`Turn`] synchronously when it issues an operation;
//! turns on one key run one at a time, in the order they were taken, whatever order the tasks
//! are later polled in. Different keys never wait for each other.
//!
//! Writes queued behind one another on a key are coalesced: a write issued while another write
//! on that key still waits for its turn joins it, replacing its content. The leader writes the
//! newest content once, and every joined caller resolves with it: no caller resolves before a
//! value at least as new as its own is durable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::oneshot;

use crate::error::Result;

/// The process-wide queue, keyed by absolute file path, so that two stores (or a store and
/// `writeFileAtomic`) writing the same file are ordered too.
pub fn file_queue() -> &'static KeyedQueue {
    static QUEUE: OnceLock<KeyedQueue> = OnceLock::new();
    QUEUE.get_or_init(KeyedQueue::default)
}

#[derive(Default)]
pub struct KeyedQueue {
    state: Mutex<QueueState>,
    /// Never reused, so a finished turn can tell whether the tail is still its own.
    next_seq: AtomicU64,
}

#[derive(Default)]
struct QueueState {
    tails: HashMap<PathBuf, Tail>,
    /// Per key, the write that waits for its turn and still accepts newer content.
    open_batches: HashMap<PathBuf, Arc<WriteBatch>>,
}

/// One physical write standing for several calls.
pub struct WriteBatch {
    inner: Mutex<BatchContent>,
}

struct BatchContent {
    json: Vec<u8>,
    followers: Vec<oneshot::Sender<Result<()>>>,
}

/// A write call's part: lead a physical write, or wait for the one it joined.
pub enum WriteSlot {
    Leader { turn: Turn, batch: Arc<WriteBatch> },
    Follower(oneshot::Receiver<Result<()>>),
}

struct Tail {
    seq: u64,
    done: oneshot::Receiver<()>,
}

impl KeyedQueue {
    /// Joins the queue of `key`. Call this when the operation is issued, not when it runs.
    /// Later writes never join a write issued before this call.
    pub fn enqueue(&'static self, key: &Path) -> Turn {
        let mut state = self.lock();
        state.open_batches.remove(key);
        self.enqueue_locked(&mut state.tails, key)
    }

    /// Joins the queue of every key directly inside `directory` that has operations in flight,
    /// so that the caller runs after all of them.
    pub fn enqueue_all_under(&'static self, directory: &Path) -> Vec<Turn> {
        let mut state = self.lock();
        state.open_batches.retain(|key, _| key.parent() != Some(directory));
        let busy: Vec<PathBuf> = state.tails.keys().filter(|key| key.parent() == Some(directory)).cloned().collect();
        busy.iter().map(|key| self.enqueue_locked(&mut state.tails, key)).collect()
    }

    /// A write of `json` to `key`: joins the write already waiting on that key, or leads a new one.
    pub fn enqueue_write(&'static self, key: &Path, json: Vec<u8>) -> WriteSlot {
        let mut state = self.lock();
        if let Some(batch) = state.open_batches.get(key) {
            let (sender, receiver) = oneshot::channel();
            let mut content = batch.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            content.json = json;
            content.followers.push(sender);
            return WriteSlot::Follower(receiver);
        }
        let batch = Arc::new(WriteBatch { inner: Mutex::new(BatchContent { json, followers: Vec::new() }) });
        state.open_batches.insert(key.to_path_buf(), batch.clone());
        let turn = self.enqueue_locked(&mut state.tails, key);
        WriteSlot::Leader { turn, batch }
    }

    /// Closes a leader's batch once its turn has come: the newest content, and the callers to
    /// resolve with the outcome.
    pub fn seal(&self, key: &Path, batch: &Arc<WriteBatch>) -> (Vec<u8>, Vec<oneshot::Sender<Result<()>>>) {
        let mut state = self.lock();
        if state.open_batches.get(key).is_some_and(|open| Arc::ptr_eq(open, batch)) {
            state.open_batches.remove(key);
        }
        let mut content = batch.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        (std::mem::take(&mut content.json), std::mem::take(&mut content.followers))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn enqueue_locked(&'static self, tails: &mut HashMap<PathBuf, Tail>, key: &Path) -> Turn {
        let (finished, done) = oneshot::channel();
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let previous = tails.insert(key.to_path_buf(), Tail { seq, done }).map(|tail| tail.done);
        Turn { queue: self, key: key.to_path_buf(), seq, previous, finished: Some(finished) }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().tails.len()
    }
}

/// A place in one key's queue. Dropping it lets the next turn run, so a turn must be held until
/// its operation has finished (the store's futures always run to completion).
pub struct Turn {
    queue: &'static KeyedQueue,
    key: PathBuf,
    seq: u64,
    previous: Option<oneshot::Receiver<()>>,
    finished: Option<oneshot::Sender<()>>,
}

impl Turn {
    /// Whether every earlier turn on the key has finished, without waiting.
    pub fn try_ready(&mut self) -> bool {
        match self.previous.as_mut().map(|previous| previous.try_recv()) {
            None => true,
            Some(Err(oneshot::error::TryRecvError::Empty)) => false,
            Some(Ok(()) | Err(oneshot::error::TryRecvError::Closed)) => {
                self.previous = None;
                true
            }
        }
    }

    /// Waits until every earlier turn on the same key has finished.
    pub async fn ready(&mut self) {
        if let Some(previous) = self.previous.take() {
            // An error only means the earlier turn was dropped: it has finished either way.
            let _ = previous.await;
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.finished.take();
        let mut state = self.queue.lock();
        if state.tails.get(&self.key).is_some_and(|tail| tail.seq == self.seq) {
            state.tails.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn turns_on_one_key_run_in_issue_order() {
        let queue: &'static KeyedQueue = Box::leak(Box::default());
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
        let queue: &'static KeyedQueue = Box::leak(Box::default());
        let _held = queue.enqueue(Path::new("/a"));
        let mut other = queue.enqueue(Path::new("/b"));
        tokio::time::timeout(std::time::Duration::from_secs(5), other.ready())
            .await
            .expect("a turn on another key is ready at once");
    }
}
