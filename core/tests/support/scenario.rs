//! Random sequences of store operations, run against a [`SimFs`], and the checks that a store
//! recovered after a crash must pass.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use backtest_persist_core::{FileStore, PersistError, Store};

use super::sim::SimFs;

/// Nested, as backtest-kit 19.5.0's candle cache names its stores: init creates three levels.
pub const ENTITY: &str = "binance/BTCUSDT/1m";
pub const KEYS: [&str; 4] = ["BTCUSDT", "ETHUSDT", "k1", "k10"];
/// A document that does not parse, present before the first init when a scenario says so.
pub const CORRUPT_ID: &str = "torn";
pub const CORRUPT_BYTES: &[u8] = b"{\"position\":\"long\",\"priceOpen\":4";

#[derive(Clone, Debug)]
pub enum Step {
    /// `waitForInit` on a new store instance over the same directory (a process restart).
    Init,
    Write(usize, u32),
    Remove(usize),
    RemoveAll,
    /// A batch write of several keys (as the 19.5.0 Instances make): each key whole, old or new.
    Batch(Vec<(usize, u32)>),
}

/// The value of each key: `None` when absent, else the version written.
pub type Values = [Option<u32>; KEYS.len()];

#[derive(Clone, Debug)]
pub struct Scenario {
    pub seed: u64,
    /// Documents on disk before the first init.
    pub initial: Values,
    pub corrupt: bool,
    /// A temp file of a write that crashed long ago.
    pub stale_temp: bool,
    pub steps: Vec<Step>,
}

/// The document of `version` for key `key`: signal-like JSON, long enough that a torn write is
/// a prefix that does not parse.
pub fn document(key: usize, version: u32) -> Vec<u8> {
    format!(
        "{{\"id\":\"{}\",\"version\":{version},\"position\":\"long\",\"priceOpen\":42000.5,\"note\":\"{}\"}}",
        KEYS[key],
        "x".repeat(64)
    )
    .into_bytes()
}

fn version_of(text: &str) -> Option<u32> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.get("version")?.as_u64().map(|v| v as u32)
}

impl Scenario {
    /// `steps` operations that a correct store accepts: removals only of keys present.
    pub fn random(seed: u64, steps: usize) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut values: Values = Default::default();
        for value in values.iter_mut() {
            if rng.bool() {
                *value = Some(rng.u32(1..1000));
            }
        }
        let initial = values;
        let mut version = 1000;
        let mut planned = vec![Step::Init];
        while planned.len() < steps {
            let key = rng.usize(..KEYS.len());
            let step = match rng.u8(..20) {
                0 => Step::RemoveAll,
                1 => Step::Init,
                2..=5 if values[key].is_some() => Step::Remove(key),
                6 | 7 => {
                    let mut keys: Vec<usize> = (0..KEYS.len()).collect();
                    rng.shuffle(&mut keys);
                    let count = rng.usize(2..=KEYS.len());
                    Step::Batch(
                        keys[..count]
                            .iter()
                            .map(|key| {
                                version += 1;
                                (*key, version)
                            })
                            .collect(),
                    )
                }
                _ => {
                    version += 1;
                    Step::Write(key, version)
                }
            };
            apply(&mut values, &step);
            planned.push(step);
        }
        Self { seed, initial, corrupt: rng.bool(), stale_temp: rng.bool(), steps: planned }
    }

    /// A file system holding this scenario's starting state.
    pub fn file_system(&self) -> SimFs {
        let fs = SimFs::new();
        let dir = entity_dir(&fs);
        for (key, value) in self.initial.iter().enumerate() {
            if let Some(version) = value {
                fs.put_durable(&dir.join(format!("{}.json", KEYS[key])), &document(key, *version), Duration::ZERO);
            }
        }
        if self.corrupt {
            fs.put_durable(&dir.join(format!("{CORRUPT_ID}.json")), CORRUPT_BYTES, Duration::ZERO);
        }
        if self.stale_temp {
            let temp = dir.join(".tmp-0123456789ab-BTCUSDT.json");
            fs.put_durable(&temp, b"{\"id\":\"BTC", Duration::from_secs(600));
        }
        // With nothing on disk, not even the directories exist: init creates them.
        fs
    }
}

/// The store's base directory, two levels under the file system's root, as `./dump/data/`.
pub fn base_dir(fs: &SimFs) -> PathBuf {
    fs.root().join("dump").join("data")
}

pub fn entity_dir(fs: &SimFs) -> PathBuf {
    base_dir(fs).join(ENTITY)
}

pub fn store_on(fs: &SimFs) -> FileStore {
    FileStore::with_file_system(ENTITY, &base_dir(fs), Arc::new(fs.clone()))
}

/// What `step` does to the values when it takes effect.
pub fn apply(values: &mut Values, step: &Step) {
    match step {
        Step::Init => {}
        Step::Write(key, version) => values[*key] = Some(*version),
        Step::Remove(key) => values[*key] = None,
        Step::RemoveAll => *values = Default::default(),
        Step::Batch(writes) => writes.iter().for_each(|(key, version)| values[*key] = Some(*version)),
    }
}

/// Runs one step on `store`, replacing it with a new instance on `Init`.
pub async fn run_step(store: &mut FileStore, fs: &SimFs, step: &Step) -> Result<(), PersistError> {
    match step {
        Step::Init => {
            *store = store_on(fs);
            store.init(true).await.map(drop)
        }
        Step::Write(key, version) => store.write(KEYS[*key], document(*key, *version)).await,
        Step::Remove(key) => store.remove(KEYS[*key]).await,
        Step::RemoveAll => store.remove_all().await,
        Step::Batch(writes) => {
            let documents =
                writes.iter().map(|(key, version)| (KEYS[*key].to_string(), document(*key, *version))).collect();
            store.write_batch(documents, false).await.map(drop)
        }
    }
}

/// The values each key may hold after recovery.
pub type Allowed = Vec<BTreeSet<Option<u32>>>;

pub fn exactly(values: &Values) -> Allowed {
    values.iter().map(|value| BTreeSet::from([*value])).collect()
}

/// Widens `allowed` by what an unacknowledged `step` may have done (a batch: each of its keys
/// on its own).
pub fn may_also(allowed: &mut Allowed, values: &Values, step: &Step) {
    let mut after = *values;
    apply(&mut after, step);
    for (key, value) in after.iter().enumerate() {
        allowed[key].insert(*value);
    }
}

/// Recovers a store on `fs` with init and checks every guarantee; the violations found.
pub async fn check_recovered(fs: &SimFs, scenario: &Scenario, allowed: &Allowed) -> Vec<String> {
    let mut violations = Vec::new();
    let store = store_on(fs);
    if let Err(error) = store.init(true).await {
        return vec![format!("init after the crash failed: {error}")];
    }
    let mut present = BTreeSet::new();
    for (key, name) in KEYS.iter().enumerate() {
        let value = match store.read_now(name) {
            Ok(text) => match version_of(&text) {
                Some(version) => Some(version),
                None => {
                    violations.push(format!("{name} holds a document that is not one written: {text:?}"));
                    continue;
                }
            },
            Err(PersistError::NotFound { .. }) => None,
            Err(error) => {
                violations.push(format!("{name} cannot be read: {error}"));
                continue;
            }
        };
        if value.is_some() {
            present.insert(name.to_string());
        }
        if !allowed[key].contains(&value) {
            violations.push(format!("{name} holds {value:?}, allowed {:?}", allowed[key]));
        }
    }
    match store.keys().await {
        Ok(keys) => {
            let keys: BTreeSet<String> = keys.into_iter().collect();
            if keys != present {
                violations.push(format!("keys() lists {keys:?}, documents present {present:?}"));
            }
        }
        Err(error) => violations.push(format!("keys() failed: {error}")),
    }
    let dir = entity_dir(fs);
    let quarantine = dir.join(".quarantine");
    let mut quarantined = Vec::new();
    for (path, bytes) in fs.files() {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with(".tmp-") {
            violations.push(format!("temp file left after init: {}", path.display()));
        }
        if path.parent() == Some(quarantine.as_path()) {
            quarantined.push(bytes.clone());
            if bytes != CORRUPT_BYTES {
                violations.push(format!("a document that was not corrupt was quarantined: {}", path.display()));
            }
        }
    }
    let expected_quarantine = if scenario.corrupt { vec![CORRUPT_BYTES.to_vec()] } else { vec![] };
    if quarantined != expected_quarantine {
        violations.push(format!(
            "quarantine holds {} documents, expected {}",
            quarantined.len(),
            expected_quarantine.len()
        ));
    }
    violations
}
