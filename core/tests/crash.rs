//! Simulated power loss: every write, remove and init sequence is crashed after every file
//! system call it makes, the surviving state is drawn at random from what the crash model
//! allows, and the store recovered from it must hold, for each key, its last acknowledged value
//! or the value of the operation in flight, with no temp file, phantom key or lost document.
//!
//! A failure prints its seed; `CRASH_SEED=<seed> cargo test -p backtest-persist-core --test crash`
//! replays that scenario alone.

mod support;

use backtest_persist_core::{PersistError, Store};
use support::scenario::{check_recovered, exactly, may_also, run_step, store_on, Scenario, Step, Values};
use support::sim::SimFs;

/// Scenarios per run, steps per scenario (the first is the initial init), and surviving states
/// drawn per crash point.
const SCENARIOS: u64 = 120;
const STEPS: usize = 10;
const DRAWS: u64 = 3;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn seeds(count: u64) -> Vec<u64> {
    match std::env::var("CRASH_SEED").ok().and_then(|seed| seed.parse().ok()) {
        Some(seed) => vec![seed],
        None => (0..count).map(|n| 0x5eed_0000 + n).collect(),
    }
}

/// Runs the scenario on `fs` until a call fails; returns the acknowledged values and the step
/// that was in flight when the process died.
async fn run_until_crash(fs: &SimFs, scenario: &Scenario) -> (Values, Option<Step>) {
    let mut values = scenario.initial;
    let mut store = store_on(fs);
    for step in &scenario.steps {
        if run_step(&mut store, fs, step).await.is_err() {
            return (values, Some(step.clone()));
        }
        support::scenario::apply(&mut values, step);
    }
    (values, None)
}

struct Exploration {
    states: u64,
    violations: Vec<String>,
}

/// Crashes `scenario` after each call index in turn and checks every recovery.
async fn explore(scenario: &Scenario, break_fs: fn(&SimFs)) -> Exploration {
    let clean = scenario.file_system();
    break_fs(&clean);
    let (_, in_flight) = run_until_crash(&clean, scenario).await;
    assert!(in_flight.is_none(), "seed {}: the scenario fails without a crash", scenario.seed);
    let calls = clean.calls();

    let mut exploration = Exploration { states: 0, violations: Vec::new() };
    let mut rng = fastrand::Rng::with_seed(scenario.seed);
    for crash_at in 0..=calls {
        let fs = scenario.file_system();
        break_fs(&fs);
        fs.crash_at(crash_at);
        let (acknowledged, in_flight) = run_until_crash(&fs, scenario).await;
        let mut allowed = exactly(&acknowledged);
        if let Some(step) = &in_flight {
            may_also(&mut allowed, &acknowledged, step);
        }
        for draw in 0..DRAWS {
            let mut rebooted = fs.power_loss(&mut rng);
            if draw == 0 {
                // A second crash, during the recovery itself.
                rebooted.crash_at(rng.u64(0..12));
                let _ = store_on(&rebooted).init(true).await;
                rebooted = rebooted.power_loss(&mut rng);
            }
            exploration.states += 1;
            for violation in check_recovered(&rebooted, scenario, &allowed).await {
                exploration.violations.push(format!(
                    "seed {} crash after call {crash_at} draw {draw} (in flight: {in_flight:?}): {violation}",
                    scenario.seed
                ));
            }
        }
    }
    exploration
}

#[test]
fn every_crash_point_recovers_to_the_old_or_the_new_value() {
    let runtime = runtime();
    let mut states = 0;
    let mut violations = Vec::new();
    let seeds = seeds(SCENARIOS);
    for seed in &seeds {
        let scenario = Scenario::random(*seed, STEPS);
        let exploration = runtime.block_on(explore(&scenario, |_| {}));
        states += exploration.states;
        violations.extend(exploration.violations);
    }
    println!("crash states explored: {states} over {} scenarios, violations: {}", seeds.len(), violations.len());
    assert!(
        violations.is_empty(),
        "{} violations, first ones:\n{}",
        violations.len(),
        violations[..violations.len().min(10)].join("\n")
    );
    if seeds.len() > 1 {
        assert!(states >= 10_000, "only {states} crash states explored");
    }
}

/// The checks above can fail: a store on a file system that drops file fsyncs tears documents,
/// and one that drops directory fsyncs loses acknowledged writes; both are caught.
#[test]
fn the_crash_checks_catch_a_missing_fsync() {
    let runtime = runtime();
    for (what, break_fs) in [("file", SimFs::ignore_file_sync as fn(&SimFs)), ("directory", SimFs::ignore_dir_sync)] {
        let caught: usize = (0..20)
            .map(|seed| runtime.block_on(explore(&Scenario::random(seed, STEPS), break_fs)).violations.len())
            .sum();
        assert!(caught > 0, "dropping {what} fsyncs went unnoticed");
    }
}

/// One call made to fail with EIO, at every call index in turn: the failing operation reports
/// the error, a write that failed before its rename leaves the old value in place and no temp
/// file (a failed fsync is never followed by the rename), and after a power cut every key holds
/// a value it may hold.
#[test]
fn an_io_error_at_any_call_is_reported_and_never_taken_for_success() {
    let runtime = runtime();
    let mut reported = 0;
    let mut failed_fsyncs = 0;
    let mut violations = Vec::new();
    for seed in seeds(40) {
        let scenario = Scenario::random(seed, STEPS);
        let clean = scenario.file_system();
        runtime.block_on(run_until_crash(&clean, &scenario));
        let mut rng = fastrand::Rng::with_seed(seed);
        for fail_at in 0..clean.calls() {
            let fs = scenario.file_system();
            fs.fail_at(fail_at);
            let mut found = runtime.block_on(async {
                let mut found = Vec::new();
                let mut values = scenario.initial;
                let mut allowed = exactly(&values);
                let mut store = store_on(&fs);
                for step in &scenario.steps {
                    match run_step(&mut store, &fs, step).await {
                        Ok(()) => {
                            let before = values;
                            support::scenario::apply(&mut values, step);
                            for key in 0..values.len() {
                                if before[key] != values[key] || touches(step, key) {
                                    allowed[key] = [values[key]].into();
                                }
                            }
                        }
                        Err(PersistError::NotFoundForDeletion { .. })
                            if matches!(step, Step::Remove(key) if allowed[*key].contains(&None)) =>
                        {
                            // An earlier write that failed left the key absent: a true answer.
                            allowed[touched(step)] = [None].into();
                            values[touched(step)] = None;
                        }
                        Err(error) => {
                            reported += 1;
                            let text = error.to_string();
                            if !text.contains("EIO") {
                                found.push(format!("{step:?} failed without the EIO cause: {text}"));
                            }
                            if text.contains(", fsync '") && text.contains(".tmp-") {
                                failed_fsyncs += 1;
                            }
                            let renamed = text.contains(", fsync '") && !text.contains(".tmp-");
                            if let (Step::Write(key, _), false) = (step, renamed) {
                                let now = store.read_now(support::scenario::KEYS[*key]).ok();
                                let expected = values[*key].map(|v| support::scenario::document(*key, v));
                                if now.map(String::into_bytes) != expected {
                                    found.push(format!("{step:?} failed ({text}) but its value is visible"));
                                }
                            }
                            may_also(&mut allowed, &values, step);
                            if matches!(step, Step::Init) && store.init(true).await.is_err() {
                                found.push("init was not retried after a failure".to_string());
                            }
                        }
                    }
                    if fs.files().keys().any(|path| path.to_string_lossy().contains("/.tmp-") && !path.ends_with(".tmp-0123456789ab-BTCUSDT.json")) {
                        found.push(format!("a temp file is left after {step:?}"));
                    }
                }
                let rebooted = fs.power_loss(&mut rng);
                found.extend(check_recovered(&rebooted, &scenario, &allowed).await);
                found
            });
            for violation in found.drain(..) {
                violations.push(format!("seed {seed} EIO at call {fail_at}: {violation}"));
            }
        }
    }
    println!(
        "EIO injected: {reported} operations reported it ({failed_fsyncs} failed file fsyncs), violations: {}",
        violations.len()
    );
    assert!(
        violations.is_empty(),
        "{} violations, first ones:\n{}",
        violations.len(),
        violations[..violations.len().min(10)].join("\n")
    );
    assert!(failed_fsyncs > 0, "no file fsync failure was exercised");
}

fn touched(step: &Step) -> usize {
    match step {
        Step::Write(key, _) | Step::Remove(key) => *key,
        Step::RemoveAll | Step::Init | Step::Batch(_) => 0,
    }
}

fn touches(step: &Step, key: usize) -> bool {
    match step {
        Step::Write(k, _) | Step::Remove(k) => *k == key,
        Step::Batch(writes) => writes.iter().any(|(k, _)| *k == key),
        Step::RemoveAll => true,
        Step::Init => false,
    }
}
