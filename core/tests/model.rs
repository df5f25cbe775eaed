//! Model-based test: random sequences of 50 to 90 operations on a file store (on the simulated
//! file system, so a thousand sequences run in seconds) compared step by step with a map.
//!
//! Batches are issued all at once and awaited together: each operation's outcome must still be
//! the one the model gives when the batch is applied in call order. A failing sequence is
//! printed shrunk by proptest and saved under `core/proptest-regressions/`, which every later
//! run replays first.

mod support;

use std::collections::BTreeMap;

use backtest_persist_core::key_order::sort_keys;
use backtest_persist_core::{FileStore, PersistError, Store};
use proptest::prelude::*;
use support::scenario::store_on;
use support::sim::SimFs;

#[derive(Clone, Debug)]
enum Op {
    Write(String, u32),
    Remove(String),
    Read(String),
    Has(String),
    Keys,
    Values,
    Count,
    RemoveAll,
    /// Writes and removals issued without waiting, then awaited together.
    Batch(Vec<(String, Option<u32>)>),
    /// A new store instance on the same directory, as after a process restart.
    Restart,
}

fn id() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["BTCUSDT", "a", "B", "c10", "c9", "7", "é", "x_y"]).prop_map(str::to_string)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (id(), any::<u32>()).prop_map(|(id, v)| Op::Write(id, v)),
        3 => id().prop_map(Op::Remove),
        3 => id().prop_map(Op::Read),
        2 => id().prop_map(Op::Has),
        1 => Just(Op::Keys),
        1 => Just(Op::Values),
        1 => Just(Op::Count),
        1 => Just(Op::RemoveAll),
        2 => prop::collection::vec((id(), prop::option::weighted(0.8, any::<u32>())), 2..8).prop_map(Op::Batch),
        1 => Just(Op::Restart),
    ]
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn sorted_keys(model: &BTreeMap<String, String>) -> Vec<String> {
    let mut keys: Vec<String> = model.keys().cloned().collect();
    sort_keys(&mut keys);
    keys
}

/// What the model says a removal gives: `Ok` when the key held a value.
fn model_remove(model: &mut BTreeMap<String, String>, id: &str) -> Result<(), &'static str> {
    model.remove(id).map(drop).ok_or("not found for deletion")
}

fn outcome(result: Result<(), PersistError>) -> Result<(), &'static str> {
    match result {
        Ok(()) => Ok(()),
        Err(PersistError::NotFoundForDeletion { .. }) => Err("not found for deletion"),
        Err(error) => panic!("unexpected failure: {error}"),
    }
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let fs = SimFs::new();
    let mut store: FileStore = store_on(&fs);
    store.init(true).await.map_err(|error| TestCaseError::fail(error.to_string()))?;
    let mut model: BTreeMap<String, String> = BTreeMap::new();
    for (index, op) in ops.into_iter().enumerate() {
        let at = format!("operation {index}: {op:?}");
        match op {
            Op::Write(id, v) => {
                store
                    .write(&id, v.to_string().into_bytes())
                    .await
                    .map_err(|error| TestCaseError::fail(error.to_string()))?;
                model.insert(id, v.to_string());
            }
            Op::Remove(id) => {
                let removed = outcome(store.remove(&id).await);
                prop_assert_eq!(removed, model_remove(&mut model, &id), "{}", at);
            }
            Op::Read(id) => {
                let read = store.read(&id).await;
                match model.get(&id) {
                    Some(value) => prop_assert_eq!(read.ok(), Some(value.clone()), "{}", at),
                    None => prop_assert!(matches!(read, Err(PersistError::NotFound { .. })), "{}", at),
                }
            }
            Op::Has(id) => prop_assert_eq!(store.has(&id).await.ok(), Some(model.contains_key(&id)), "{}", at),
            Op::Keys => prop_assert_eq!(store.keys().await.ok(), Some(sorted_keys(&model)), "{}", at),
            Op::Values => {
                let keys = sorted_keys(&model);
                let expected: Vec<String> = keys.iter().map(|key| model[key].clone()).collect();
                prop_assert_eq!(store.read_window(keys, usize::MAX).await.ok(), Some(expected), "{}", at);
            }
            Op::Count => prop_assert_eq!(store.count().await.ok(), Some(model.len()), "{}", at),
            Op::RemoveAll => {
                store.remove_all().await.map_err(|error| TestCaseError::fail(error.to_string()))?;
                model.clear();
            }
            Op::Batch(batch) => {
                // Every call fixes its place in its key's order now, before any is awaited.
                let issued: Vec<_> = batch
                    .iter()
                    .map(|(id, value)| {
                        let future: std::pin::Pin<Box<dyn std::future::Future<Output = _>>> = match value {
                            Some(v) => Box::pin(store.write(id, v.to_string().into_bytes())),
                            None => Box::pin(store.remove(id)),
                        };
                        future
                    })
                    .collect();
                let results = futures_join_all(issued).await;
                for ((id, value), result) in batch.iter().zip(results) {
                    let expected = match value {
                        Some(v) => {
                            model.insert(id.clone(), v.to_string());
                            Ok(())
                        }
                        None => model_remove(&mut model, id),
                    };
                    prop_assert_eq!(outcome(result), expected, "{} ({} {:?})", at, id, value);
                }
            }
            Op::Restart => {
                store = store_on(&fs);
                store.init(true).await.map_err(|error| TestCaseError::fail(error.to_string()))?;
            }
        }
    }
    Ok(())
}

/// Awaits every future concurrently, keeping their order.
async fn futures_join_all<T: 'static>(futures: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = T>>>>) -> Vec<T> {
    let mut set = Vec::new();
    let local = tokio::task::LocalSet::new();
    let handles: Vec<_> = futures.into_iter().map(|future| local.spawn_local(future)).collect();
    local.await;
    for handle in handles {
        set.push(handle.await.expect("task"));
    }
    set
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn the_store_matches_a_map_over_a_thousand_sequences(ops in prop::collection::vec(op(), 50..90)) {
        runtime().block_on(run(ops))?;
    }
}
