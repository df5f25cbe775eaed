//! Group commit: writes ready at the same moment go to their server as one batch (one round
//! trip, one commit, one fsync), each caller resolving once the batch that carried it is
//! acknowledged. Knows nothing of stores or engines: a [`BatchSink`] is whatever takes a batch.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::error::Cause;

/// One document write as a server store sends it: namespace, id, the exact JSON text.
pub struct Upsert {
    pub namespace: String,
    pub id: String,
    pub json: Vec<u8>,
}

/// A server that takes several upserts in one round trip and one commit (one `HSET` per
/// namespace in a pipeline, one multi-row `INSERT`): the whole batch lands or fails together.
pub trait BatchSink: Send + Sync + 'static {
    fn send_batch(&self, batch: Vec<Upsert>) -> impl Future<Output = std::result::Result<(), Cause>> + Send;

    /// Whether the upserts of one [`GroupCommit::submit_all`] always go in one batch, whatever
    /// their number and size (a SQLite file: one transaction, so a restart sees all or none).
    /// Otherwise a big one is cut into batches of [`BATCH_ITEMS`] / [`BATCH_BYTES`].
    const WHOLE_BATCHES: bool = false;
}

/// At most this many upserts, or about this many bytes, go in one batch.
const BATCH_ITEMS: usize = 1024;
const BATCH_BYTES: usize = 8 << 20;

type Waiting = (Upsert, oneshot::Sender<std::result::Result<(), Cause>>);

/// Upserts that go in one batch: one `submit`, or one `submit_all` on a [`BatchSink::WHOLE_BATCHES`] sink.
type Unit = Vec<Waiting>;

/// Group commit for a server: an upsert submitted while a batch is on its way waits for it to
/// come back and goes in the next batch with every other upsert submitted meanwhile, so writes
/// to many keys at once cost a few round trips and server fsyncs, not one each. A lone write
/// goes at once. When a batch finds the server unreachable (or not answering), everything
/// waiting fails with it at once instead of waiting for a reconnection batch after batch. The
/// order queue still lets one write per key be in flight, so the upserts of a batch are on
/// distinct keys; their order in it is the order they were submitted.
#[derive(Default)]
pub struct GroupCommit {
    state: Mutex<GroupState>,
}

#[derive(Default)]
struct GroupState {
    waiting: Vec<Unit>,
    sending: bool,
}

impl GroupCommit {
    /// Sends `upsert` in the next batch `sink` takes; resolves with that batch's outcome.
    pub async fn submit<S: BatchSink>(
        self: &Arc<Self>,
        sink: &Arc<S>,
        upsert: Upsert,
    ) -> std::result::Result<(), Cause> {
        let (sender, outcome) = oneshot::channel();
        let start = {
            let mut state = lock(&self.state);
            state.waiting.push(vec![(upsert, sender)]);
            !std::mem::replace(&mut state.sending, true)
        };
        if start {
            tokio::spawn(send_batches(self.clone(), sink.clone()));
        }
        let abandoned = || Err(Cause::Message("the batch of writes was abandoned by a task that died".into()));
        outcome.await.unwrap_or_else(|_| abandoned())
    }

    /// Sends every one of `upserts` (on distinct keys) in the next batches `sink` takes;
    /// resolves once all are acknowledged, or with the first failure.
    pub async fn submit_all<S: BatchSink>(
        self: &Arc<Self>,
        sink: &Arc<S>,
        upserts: Vec<Upsert>,
    ) -> std::result::Result<(), Cause> {
        let mut outcomes = Vec::with_capacity(upserts.len());
        let start = {
            let mut units: Vec<Unit> = Vec::new();
            for upsert in upserts {
                let (sender, outcome) = oneshot::channel();
                match units.last_mut() {
                    Some(unit) if S::WHOLE_BATCHES => unit.push((upsert, sender)),
                    _ => units.push(vec![(upsert, sender)]),
                }
                outcomes.push(outcome);
            }
            let mut state = lock(&self.state);
            state.waiting.extend(units);
            !outcomes.is_empty() && !std::mem::replace(&mut state.sending, true)
        };
        if start {
            tokio::spawn(send_batches(self.clone(), sink.clone()));
        }
        for outcome in outcomes {
            outcome.await.unwrap_or_else(|_| {
                Err(Cause::Message("the batch of writes was abandoned by a task that died".into()))
            })?;
        }
        Ok(())
    }
}

fn lock(state: &Mutex<GroupState>) -> std::sync::MutexGuard<'_, GroupState> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sends batches until none waits. Should the task end early (a panic), [`Abandon`] fails the
/// waiting upserts and lets the next submit start a sender again.
async fn send_batches<S: BatchSink>(group: Arc<GroupCommit>, sink: Arc<S>) {
    let mut abandon = Abandon { group: &group, armed: true };
    loop {
        let batch = {
            let mut state = lock(&group.state);
            if state.waiting.is_empty() {
                state.sending = false;
                abandon.armed = false;
                return;
            }
            // Whole units, up to the bounds; a unit bigger than them goes alone.
            let (mut units, mut items, mut bytes) = (0, 0, 0);
            while units < state.waiting.len() && items < BATCH_ITEMS && bytes < BATCH_BYTES {
                let unit = &state.waiting[units];
                if units > 0 && items + unit.len() > BATCH_ITEMS {
                    break;
                }
                items += unit.len();
                bytes += unit.iter().map(|(upsert, _)| upsert.json.len()).sum::<usize>();
                units += 1;
            }
            state.waiting.drain(..units).flatten().collect::<Vec<_>>()
        };
        let (upserts, senders): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let outcome = sink.send_batch(upserts).await;
        // The server is gone (or not answering): what waits now would wait for a reconnection
        // each, one batch after another; it fails at once with the same error instead.
        let unreachable = matches!(&outcome, Err(Cause::Coded { code: "STORE_UNREACHABLE" | "STORE_TIMEOUT", .. }));
        let stranded = if unreachable { std::mem::take(&mut lock(&group.state).waiting) } else { Vec::new() };
        for sender in senders.into_iter().chain(stranded.into_iter().flatten().map(|(_, sender)| sender)) {
            let _ = sender.send(outcome.clone());
        }
    }
}

struct Abandon<'a> {
    group: &'a GroupCommit,
    armed: bool,
}

impl Drop for Abandon<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = lock(&self.group.state);
            state.waiting.clear();
            state.sending = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the size of each batch it takes.
    #[derive(Default)]
    struct Recorder<const WHOLE: bool>(Mutex<Vec<usize>>);

    impl<const WHOLE: bool> BatchSink for Recorder<WHOLE> {
        const WHOLE_BATCHES: bool = WHOLE;

        async fn send_batch(&self, batch: Vec<Upsert>) -> std::result::Result<(), Cause> {
            self.0.lock().unwrap().push(batch.len());
            Ok(())
        }
    }

    fn upserts(count: usize) -> Vec<Upsert> {
        (0..count).map(|i| Upsert { namespace: "n".into(), id: i.to_string(), json: b"1".to_vec() }).collect()
    }

    #[tokio::test]
    async fn a_whole_batch_sink_takes_any_submit_all_in_one_batch_and_others_are_cut() {
        let whole = Arc::new(Recorder::<true>::default());
        Arc::new(GroupCommit::default()).submit_all(&whole, upserts(3000)).await.unwrap();
        assert_eq!(*whole.0.lock().unwrap(), vec![3000]);
        let cut = Arc::new(Recorder::<false>::default());
        Arc::new(GroupCommit::default()).submit_all(&cut, upserts(3000)).await.unwrap();
        assert_eq!(*cut.0.lock().unwrap(), vec![BATCH_ITEMS, BATCH_ITEMS, 3000 - 2 * BATCH_ITEMS]);
    }
}
