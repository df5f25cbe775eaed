//! 19.5.0's batch writes (candles, log entries, storage rows), one protocol for every store:
//! the documents kept ([`batch_choice`]), then every key's turn taken in one step when the call
//! is made, then the engine's work with every turn held. So a single write issued after the
//! batch lands after it, one issued before lands before it, an "only missing" check sees
//! exactly what the calls before it left, and two batches (or a batch and a `removeAll`), from
//! any threads, can never each hold a key the other waits for ([`KeyedQueue::enqueue_all`]).

use std::future::Future;
use std::path::PathBuf;

use crate::error::Result;
use crate::order::KeyedQueue;

/// What a store does for a batch write; [`write_batch`] holds the protocol.
pub(crate) trait BatchEngine: Clone + Send + Sync + 'static {
    /// What the work needs, fixed when the call is made (the file store's resolved paths).
    type Plan: Send + 'static;

    /// Checks `ids` (a bad name or id fails the call at once, before any turn is taken) and
    /// names the queue and the key of each id's turn.
    fn plan_batch(&self, ids: &[String]) -> Result<(&'static KeyedQueue, Vec<PathBuf>, Self::Plan)>;

    /// Runs with the turn of every id held: writes `documents` (with `only_missing`, only
    /// those whose id holds no document now) as one durable unit, and resolves with the ids
    /// written.
    fn apply_batch(
        self,
        plan: Self::Plan,
        documents: Vec<(String, Vec<u8>)>,
        only_missing: bool,
    ) -> impl Future<Output = Result<Vec<String>>> + Send + 'static;
}

/// Writes `documents` through `engine`: of ids given twice the last counts, or with
/// `only_missing` (nothing is overwritten) the first. The turns are taken now; the future
/// does the rest.
pub(crate) fn write_batch<E: BatchEngine>(
    engine: &E,
    documents: Vec<(String, Vec<u8>)>,
    only_missing: bool,
) -> impl Future<Output = Result<Vec<String>>> + Send + 'static {
    let documents = batch_choice(documents, only_missing);
    let ids: Vec<String> = documents.iter().map(|(id, _)| id.clone()).collect();
    let planned = engine.plan_batch(&ids).map(|(queue, keys, plan)| {
        // The texts, kept for the queue's observer when it wants them (a candle cache).
        let watched = keys.first().and_then(|key| key.parent()).is_some_and(|dir| queue.watches_directory(dir));
        let texts =
            watched.then(|| documents.iter().map(|(_, json)| String::from_utf8_lossy(json).into_owned()).collect());
        (queue.enqueue_all(&keys), plan, texts)
    });
    let engine = engine.clone();
    async move {
        let (mut turns, plan, texts): (_, _, Option<Vec<String>>) = planned?;
        for turn in &mut turns {
            turn.ready().await;
        }
        let written = engine.apply_batch(plan, documents, only_missing).await;
        if let (Ok(written), Some(mut texts)) = (&written, texts) {
            let index: std::collections::HashMap<&str, usize> =
                ids.iter().enumerate().map(|(at, id)| (id.as_str(), at)).collect();
            for id in written {
                if let Some(&at) = index.get(id.as_str()) {
                    turns[at].set_written(std::mem::take(&mut texts[at]));
                }
            }
        }
        drop(turns);
        written
    }
}

/// The documents a batch write keeps, in first-seen order: of ids given twice the last counts,
/// or with `only_missing` the first.
pub(crate) fn batch_choice(documents: Vec<(String, Vec<u8>)>, only_missing: bool) -> Vec<(String, Vec<u8>)> {
    let mut chosen: Vec<(String, Vec<u8>)> = Vec::with_capacity(documents.len());
    let mut position = std::collections::HashMap::with_capacity(documents.len());
    for (id, json) in documents {
        match position.get(&id) {
            Some(_) if only_missing => {}
            Some(&at) => chosen[at] = (id, json),
            None => {
                position.insert(id.clone(), chosen.len());
                chosen.push((id, json));
            }
        }
    }
    chosen
}
