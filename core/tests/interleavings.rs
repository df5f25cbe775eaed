//! Interleavings that race on one directory, compared with a model: two store instances writing
//! and removing the same keys, 19.5.0 batch writes (overwriting, or only where missing) and
//! `removeAll` issued among them, and a fresh instance's init racing them all while corrupt
//! documents (another process's garbage) wait to be quarantined.
//!
//! Each batch is issued at once and awaited together. Outcomes must be those of the batch
//! applied in call order, with one freedom: a removal of a corrupt document that an init in
//! the same batch may quarantine first can find it gone. After each batch the directory must
//! hold exactly what the model holds, and quarantine nothing but corrupt bytes: no init ever
//! takes a write for the garbage it replaced.

mod support;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use backtest_persist_core::key_order::sort_keys;
use backtest_persist_core::{FileStore, PersistError, Store};
use proptest::prelude::*;
use support::scenario::{entity_dir, store_on};
use support::sim::SimFs;

const CORRUPT: &[u8] = b"{broken";

#[derive(Clone, Debug)]
enum Item {
    Write(usize, String, u32),
    Remove(usize, String),
    RemoveAll(usize),
    /// A 19.5.0 batch write: the documents, and whether only missing ones are written.
    Batch(usize, Vec<(String, u32)>, bool),
    /// A new instance on the directory, whose init runs among the batch's operations.
    Init,
}

#[derive(Clone, Debug)]
enum Op {
    /// Garbage written to a document by someone else.
    Corrupt(String),
    Batch(Vec<Item>),
    /// Both instances replaced by new ones, initialized, as after a restart.
    Restart,
}

#[derive(Clone, Debug, PartialEq)]
enum Slot {
    Value(String),
    Corrupt,
}

fn id() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["BTCUSDT", "a", "B", "c10", "c9", "7"]).prop_map(str::to_string)
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        8 => (0..2usize, id(), any::<u32>()).prop_map(|(at, id, v)| Item::Write(at, id, v)),
        3 => (0..2usize, id()).prop_map(|(at, id)| Item::Remove(at, id)),
        1 => (0..2usize).prop_map(Item::RemoveAll),
        3 => (0..2usize, prop::collection::vec((id(), any::<u32>()), 1..6), any::<bool>())
            .prop_map(|(at, documents, only_missing)| Item::Batch(at, documents, only_missing)),
        2 => Just(Item::Init),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => id().prop_map(Op::Corrupt),
        6 => prop::collection::vec(item(), 2..10).prop_map(Op::Batch),
        1 => Just(Op::Restart),
    ]
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// What a call resolved with: nothing, or a batch's ids written.
type Issued = Pin<Box<dyn Future<Output = Result<Vec<String>, PersistError>>>>;

fn fail(error: PersistError) -> TestCaseError {
    TestCaseError::fail(error.to_string())
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let fs = SimFs::new();
    let mut stores = [store_on(&fs), store_on(&fs)];
    for store in &stores {
        store.init(true).await.map_err(fail)?;
    }
    let mut model: BTreeMap<String, Slot> = BTreeMap::new();
    for (index, op) in ops.into_iter().enumerate() {
        let at = format!("operation {index}: {op:?}");
        match op {
            Op::Corrupt(id) => {
                fs.put_durable(&entity_dir(&fs).join(format!("{id}.json")), CORRUPT, std::time::Duration::ZERO);
                model.insert(id, Slot::Corrupt);
            }
            Op::Restart => {
                stores = [store_on(&fs), store_on(&fs)];
                for store in &stores {
                    store.init(true).await.map_err(fail)?;
                }
                model.retain(|_, slot| *slot != Slot::Corrupt);
            }
            Op::Batch(items) => {
                let racing_init = items.iter().any(|item| matches!(item, Item::Init));
                // Every call fixes its place in the order now, before any is awaited.
                let issued: Vec<Issued> = items
                    .iter()
                    .map(|item| -> Issued {
                        match item {
                            Item::Write(at, id, v) => nothing(stores[*at].write(id, v.to_string().into_bytes())),
                            Item::Remove(at, id) => nothing(stores[*at].remove(id)),
                            Item::RemoveAll(at) => nothing(stores[*at].remove_all()),
                            Item::Batch(at, documents, only_missing) => {
                                let documents =
                                    documents.iter().map(|(id, v)| (id.clone(), v.to_string().into_bytes())).collect();
                                Box::pin(stores[*at].write_batch(documents, *only_missing))
                            }
                            Item::Init => {
                                let fresh: FileStore = store_on(&fs);
                                nothing(async move { fresh.init(true).await.map(drop) })
                            }
                        }
                    })
                    .collect();
                let results = join_all(issued).await;
                for (item, result) in items.iter().zip(results) {
                    match item {
                        Item::Write(_, id, v) => {
                            result.map_err(fail)?;
                            model.insert(id.clone(), Slot::Value(v.to_string()));
                        }
                        Item::Remove(_, id) => {
                            let found = match (model.remove(id), result.map(drop)) {
                                (Some(Slot::Value(_)), Ok(())) => true,
                                (None, Err(PersistError::NotFoundForDeletion { .. })) => true,
                                (Some(Slot::Corrupt), Ok(())) => true,
                                (Some(Slot::Corrupt), Err(PersistError::NotFoundForDeletion { .. })) => racing_init,
                                _ => false,
                            };
                            prop_assert!(found, "{}: unexpected outcome of removing {}", at, id);
                        }
                        Item::RemoveAll(_) => {
                            result.map_err(fail)?;
                            model.clear();
                        }
                        Item::Batch(_, documents, only_missing) => {
                            let written = result.map_err(fail)?;
                            // Of ids given twice the first counts when only missing ones are
                            // written, else the last.
                            let mut chosen: Vec<(String, u32)> = Vec::new();
                            for (id, v) in documents {
                                match chosen.iter_mut().find(|(seen, _)| seen == id) {
                                    Some(_) if *only_missing => {}
                                    Some(slot) => slot.1 = *v,
                                    None => chosen.push((id.clone(), *v)),
                                }
                            }
                            for (id, v) in chosen {
                                let expected = match model.get(&id) {
                                    _ if !only_missing => Some(true),
                                    None => Some(true),
                                    Some(Slot::Value(_)) => Some(false),
                                    // An init of the batch may have quarantined it first.
                                    Some(Slot::Corrupt) if racing_init => None,
                                    Some(Slot::Corrupt) => Some(false),
                                };
                                let was_written = written.contains(&id);
                                prop_assert!(
                                    expected.is_none_or(|expected| expected == was_written),
                                    "{}: {} written {} by a batch (only missing: {})",
                                    at,
                                    id,
                                    was_written,
                                    only_missing
                                );
                                if was_written {
                                    model.insert(id, Slot::Value(v.to_string()));
                                }
                            }
                        }
                        Item::Init => result.map(drop).map_err(fail)?,
                    }
                }
                if racing_init {
                    model.retain(|_, slot| *slot != Slot::Corrupt);
                }
            }
        }
        check(&fs, &stores[0], &model, &at).await?;
    }
    Ok(())
}

/// The directory holds exactly the model; quarantine holds only corrupt bytes.
async fn check(fs: &SimFs, store: &FileStore, model: &BTreeMap<String, Slot>, at: &str) -> Result<(), TestCaseError> {
    let mut expected: Vec<String> = model.keys().cloned().collect();
    sort_keys(&mut expected);
    prop_assert_eq!(store.keys().await.map_err(fail)?, expected, "{}: keys", at);
    for (id, slot) in model {
        let text = store.read(id).await.map_err(fail)?;
        match slot {
            Slot::Value(value) => prop_assert_eq!(&text, value, "{}: {}", at, id),
            Slot::Corrupt => prop_assert_eq!(text.as_bytes(), CORRUPT, "{}: {}", at, id),
        }
    }
    let quarantine = entity_dir(fs).join(".quarantine");
    for (path, bytes) in fs.files() {
        if path.starts_with(&quarantine) {
            prop_assert_eq!(&bytes[..], CORRUPT, "{}: {} quarantined a valid document", at, path.display());
        }
    }
    Ok(())
}

/// A call that resolves with nothing, as an [`Issued`].
fn nothing(call: impl Future<Output = Result<(), PersistError>> + 'static) -> Issued {
    Box::pin(async move { call.await.map(|()| Vec::new()) })
}

/// Awaits every future concurrently, keeping their order.
async fn join_all<T: 'static>(futures: Vec<Pin<Box<dyn Future<Output = T>>>>) -> Vec<T> {
    let local = tokio::task::LocalSet::new();
    let handles: Vec<_> = futures.into_iter().map(|future| local.spawn_local(future)).collect();
    local.await;
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.expect("task"));
    }
    results
}

#[test]
fn racing_instances_inits_and_removals_match_the_model() {
    const CASES: u32 = 500;
    let mut runner =
        proptest::test_runner::TestRunner::new(ProptestConfig { cases: CASES, ..ProptestConfig::default() });
    let steps = std::cell::Cell::new(0usize);
    let outcome = runner.run(&prop::collection::vec(op(), 20..40), |ops| {
        steps.set(steps.get() + ops.len());
        runtime().block_on(run(ops))
    });
    println!(
        "interleavings: {CASES} sequences, {} steps (shrinking included), each checked against the model",
        steps.get()
    );
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
