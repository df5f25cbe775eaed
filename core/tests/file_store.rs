//! The file store against its guarantees, each on its own temp directory.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use backtest_persist_core::{FileStore, PersistError, Store};
use proptest::prelude::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn write_read_has_remove_round_trip() {
    let base = tempfile::tempdir().unwrap();
    let store = FileStore::new("signal", base.path());
    store.init(false).await.unwrap();
    store.write("BTC", b"{\"a\":1}".to_vec()).await.unwrap();
    assert_eq!(store.read("BTC").await.unwrap(), "{\"a\":1}");
    assert!(store.has("BTC").await.unwrap());
    assert!(!store.has("ETH").await.unwrap());
    store.remove("BTC").await.unwrap();
    assert!(matches!(store.read("BTC").await, Err(PersistError::NotFound { .. })));
    assert!(matches!(store.remove("BTC").await, Err(PersistError::NotFoundForDeletion { .. })));
}

#[tokio::test]
async fn temp_files_are_never_entities_and_stale_ones_are_swept() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("signal");
    std::fs::create_dir_all(&dir).unwrap();
    let stale = dir.join(".tmp-aaaaaaaaaaaa-BTC.json");
    let fresh = dir.join(".tmp-bbbbbbbbbbbb-BTC.json");
    std::fs::write(&stale, "1").unwrap();
    std::fs::write(&fresh, "2").unwrap();
    let old = SystemTime::now() - Duration::from_secs(600);
    std::fs::File::options().write(true).open(&stale).unwrap().set_modified(old).unwrap();

    let store = FileStore::new("signal", base.path());
    let report = store.init(false).await.unwrap();
    assert_eq!(report.swept, std::slice::from_ref(&stale));
    assert!(!stale.exists() && fresh.exists(), "only the stale temp file is swept");
    assert!(store.keys().await.unwrap().is_empty());
    assert_eq!(store.count().await.unwrap(), 0);
    store.remove_all().await.unwrap();
    assert!(fresh.exists(), "removeAll leaves a live writer's temp file alone");
}

#[tokio::test]
async fn corrupt_documents_are_quarantined_with_their_bytes() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("signal");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("good.json"), "{\"ok\":true}").unwrap();
    let torn = b"{\"id\":\"x\",\"pri\xff".to_vec();
    std::fs::write(dir.join("torn.json"), &torn).unwrap();

    let report = FileStore::new("signal", base.path()).init(false).await.unwrap();
    let quarantined = dir.join(".quarantine/torn.json");
    assert_eq!(report.quarantined, [(dir.join("torn.json"), quarantined.clone())]);
    assert_eq!(std::fs::read(&quarantined).unwrap(), torn);
    assert_eq!(names_in(&dir), [".quarantine", "good.json"]);
    assert_eq!(
        report.logs,
        [format!(
            "backtest-kit PersistBase found invalid document for filePath={} entityName=signal",
            dir.join("torn.json").display()
        )]
    );

    // A second corrupt document of the same name does not overwrite the first one.
    std::fs::write(dir.join("torn.json"), "again{").unwrap();
    FileStore::new("signal", base.path()).init(false).await.unwrap();
    assert_eq!(std::fs::read(&quarantined).unwrap(), torn);
    assert_eq!(std::fs::read(dir.join(".quarantine/torn.1.json")).unwrap(), b"again{");
}

#[tokio::test]
async fn corrupt_documents_are_reported_in_key_order() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("signal");
    std::fs::create_dir_all(&dir).unwrap();
    for id in ["k10", "B", "k9", "a", "ok"] {
        let text = if id == "ok" { "1" } else { "{" };
        std::fs::write(dir.join(format!("{id}.json")), text).unwrap();
    }
    let report = FileStore::new("signal", base.path()).init(false).await.unwrap();
    let order: Vec<String> =
        report.quarantined.iter().map(|(from, _)| from.file_stem().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(order, ["a", "B", "k9", "k10"]);
    assert_eq!(report.logs.len(), 4);
    assert!(report.logs[0].contains(&format!("filePath={}", dir.join("a.json").display())));
    assert!(report.logs[3].contains(&format!("filePath={}", dir.join("k10.json").display())));
}

#[tokio::test]
async fn a_failed_init_is_retried_by_the_next_call() {
    let base = tempfile::tempdir().unwrap();
    let blocker = base.path().join("data");
    std::fs::write(&blocker, "not a directory").unwrap();
    let store = FileStore::new("signal", &blocker);
    assert!(matches!(store.init(false).await, Err(PersistError::Init { .. })));
    std::fs::remove_file(&blocker).unwrap();
    store.init(false).await.unwrap();
    assert!(blocker.join("signal").is_dir());
}

#[tokio::test]
async fn unsafe_ids_and_names_touch_nothing() {
    let base = tempfile::tempdir().unwrap();
    let store = FileStore::new("signal", base.path());
    for id in ["", ".", "..", "../x", "a/b", "a\\b", "a\0b", ".tmp-x"] {
        let error = store.write(id, b"1".to_vec()).await.unwrap_err();
        assert_eq!(error.code(), "INVALID_ENTITY_ID", "{id:?}");
    }
    let bad_name = FileStore::new("../escape", base.path());
    assert_eq!(bad_name.init(false).await.unwrap_err().code(), "INVALID_ENTITY_NAME");
    assert!(names_in(base.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_to_one_key_end_with_the_last_issued() {
    let base = tempfile::tempdir().unwrap();
    let store = FileStore::new("signal", base.path());
    store.init(false).await.unwrap();
    let writes: Vec<_> = (0..100).map(|i| store.write("BTC", i.to_string().into_bytes())).collect();
    let handles: Vec<_> = writes.into_iter().rev().map(tokio::spawn).collect();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    assert_eq!(store.read("BTC").await.unwrap(), "99");
}

#[derive(Debug, Clone)]
enum Op {
    Write(String, u32),
    Remove(String),
    Read(String),
    Has(String),
    Keys,
    RemoveAll,
    Restart,
}

fn id() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "B", "c10", "c9", "7", "é", "x_y", "z-1"]).prop_map(str::to_string)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (id(), any::<u32>()).prop_map(|(id, v)| Op::Write(id, v)),
        2 => id().prop_map(Op::Remove),
        2 => id().prop_map(Op::Read),
        1 => id().prop_map(Op::Has),
        1 => Just(Op::Keys),
        1 => Just(Op::RemoveAll),
        1 => Just(Op::Restart),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The store behaves as an in-memory map of documents, restarts included.
    #[test]
    fn store_matches_an_in_memory_map(ops in prop::collection::vec(op(), 1..60)) {
        let base = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let mut store = FileStore::new("model", base.path());
            store.init(false).await.unwrap();
            let mut model: BTreeMap<String, String> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Write(id, v) => {
                        store.write(&id, v.to_string().into_bytes()).await.unwrap();
                        model.insert(id, v.to_string());
                    }
                    Op::Remove(id) => {
                        let removed = store.remove(&id).await;
                        prop_assert_eq!(removed.is_ok(), model.remove(&id).is_some());
                    }
                    Op::Read(id) => {
                        let read = store.read(&id).await.ok();
                        prop_assert_eq!(read.as_ref(), model.get(&id));
                    }
                    Op::Has(id) => prop_assert_eq!(store.has(&id).await.unwrap(), model.contains_key(&id)),
                    Op::Keys => {
                        let mut keys = store.keys().await.unwrap();
                        let listed = keys.clone();
                        keys.sort();
                        prop_assert_eq!(keys, model.keys().cloned().collect::<Vec<_>>());
                        let mut expected = listed.clone();
                        backtest_persist_core::key_order::sort_keys(&mut expected);
                        prop_assert_eq!(listed, expected);
                    }
                    Op::RemoveAll => {
                        store.remove_all().await.unwrap();
                        model.clear();
                    }
                    Op::Restart => {
                        store = FileStore::new("model", base.path());
                        store.init(false).await.unwrap();
                    }
                }
            }
            Ok(())
        })?;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn coalesced_writes_never_cross_a_removal() {
    let base = tempfile::tempdir().unwrap();
    let store = FileStore::new("signal", base.path());
    store.init(false).await.unwrap();
    for _ in 0..20 {
        let first = store.write("BTC", b"1".to_vec());
        let second = store.write("BTC", b"2".to_vec());
        let removal = store.remove("BTC");
        let third = store.write("BTC", b"3".to_vec());
        let (first, second, removal, third) = tokio::join!(first, second, removal, third);
        first.unwrap();
        second.unwrap();
        removal.expect("the removal finds the value written before it");
        third.unwrap();
        assert_eq!(store.read("BTC").await.unwrap(), "3");
        store.remove("BTC").await.unwrap();
    }
}
