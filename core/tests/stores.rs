//! One behaviour suite for every store: the same cases run on the file store, on a SQLite
//! database file in a temp directory, and on the Redis and PostgreSQL stores against a real
//! `redis-server` / PostgreSQL cluster that the test starts on loopback, on a free port, in a
//! temp directory (AOF on, `appendfsync always`), and stops. Then the Redis store's faults: the
//! server SIGKILLed and restarted mid-run, unreachable at start, a wrong password, a database
//! out of range, two independent connections writing the same keys.
//!
//! Without `redis-server` on PATH the Redis cases say so and pass, except under `CI=true`, where
//! `.ci/run` installs it and its absence fails.
#![cfg(all(feature = "redis", feature = "postgres", feature = "sqlite"))]

use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use backtest_persist_core::key_order::sort_keys;
use backtest_persist_core::store::{PgStore, RedisStore, ServerStore, SqliteStore};
use backtest_persist_core::{FileStore, PersistError, Store};

/// A `redis-server` of the test's own, killed when dropped.
struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    password: Option<String>,
    /// More `redis-server` arguments, after the usual ones (a later one wins).
    extra: Vec<&'static str>,
}

impl RedisServer {
    fn start(password: Option<&str>) -> Option<RedisServer> {
        if Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_err() {
            assert!(std::env::var_os("CI").is_none(), "redis-server must be installed under CI (.ci/run installs it)");
            eprintln!("skipped: redis-server is not installed (apt-get install redis-server)");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = RedisServer {
            child: None,
            port,
            dir: tempfile::tempdir().unwrap(),
            password: password.map(String::from),
            extra: Vec::new(),
        };
        server.spawn();
        Some(server)
    }

    /// Starts (or restarts) the server on its port and directory, and waits until it answers.
    fn spawn(&mut self) {
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"])
            .args(["--appendfsync", "always", "--daemonize", "no", "--dir"])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        command.args(&self.extra);
        self.child = Some(command.spawn().expect("redis-server starts"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}/0", self.port),
            None => format!("redis://127.0.0.1:{}/0", self.port),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A PostgreSQL cluster of the test's own (initdb in a temp directory, run as the `postgres`
/// user when the test runs as root, as the server refuses root), on a free loopback port, with
/// password authentication for the user `bot`; killed when dropped.
struct PgServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

fn pg_binary(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|file| file.exists()))
        .unwrap_or_default();
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin").join(name))
            .filter(|f| f.exists())
            .collect();
        versions.sort();
        versions.pop()
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0").unwrap_or(false)
}

/// `command` as the postgres user when running as root.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=postgres", "--regid=postgres", "--init-groups"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl PgServer {
    fn start() -> Option<PgServer> {
        let (Some(initdb), Some(_)) = (pg_binary("initdb"), pg_binary("postgres")) else {
            assert!(std::env::var_os("CI").is_none(), "postgresql must be installed under CI (.ci/run installs it)");
            eprintln!("skipped: postgresql is not installed (apt-get install postgresql)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = PgServer { child: None, port, dir };
        server.make_cluster(&initdb);
        server.spawn();
        Some(server)
    }

    /// A new, empty cluster in `<dir>/data` (whatever was there is removed).
    fn make_cluster(&self, initdb: &Path) {
        let data = self.dir.path().join("data");
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir(&data).unwrap();
        let password = self.dir.path().join("password");
        std::fs::write(&password, "bot-password\n").unwrap();
        if is_root() {
            let owner = |path: &Path| {
                let status = Command::new("chown").args(["postgres:postgres"]).arg(path).status().unwrap();
                assert!(status.success());
            };
            owner(&data);
            owner(&password);
        }
        let status = as_postgres(initdb)
            .args(["-D"])
            .arg(&data)
            .args(["-U", "bot", "--auth=scram-sha-256", "--pwfile"])
            .arg(&password)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "initdb");
    }

    /// Stops the server, replaces its data directory with an empty cluster, starts it again:
    /// a server restored from nothing.
    fn wipe(&mut self) {
        self.kill();
        self.make_cluster(&pg_binary("initdb").unwrap());
        self.spawn();
    }

    fn spawn(&mut self) {
        let postgres = pg_binary("postgres").unwrap();
        let child = as_postgres(&postgres)
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-p", &self.port.to_string(), "-c", "listen_addresses=127.0.0.1", "-k"])
            .arg(self.dir.path().join("data"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        // Listening is not ready: a starting server refuses sessions; pg_isready says when it takes them.
        let ready = pg_binary("pg_isready").unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !Command::new(&ready)
            .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .status()
            .is_ok_and(|status| status.success())
        {
            assert!(Instant::now() < deadline, "postgres did not accept sessions within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // The postmaster runs under setpriv's pid (setpriv execs), so this is postgres itself.
            let _ = child.kill();
            let _ = child.wait();
            // Its backends notice the postmaster is gone and exit; wait until the port is free.
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = std::fs::remove_file(self.dir.path().join("data/postmaster.pid"));
        }
    }

    fn url(&self) -> String {
        format!("postgres://bot:bot-password@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A base directory no other test uses (the Redis namespaces are named by it).
fn unique_base() -> PathBuf {
    PathBuf::from(format!("/behaviour/{}", fastrand_name()))
}

fn fastrand_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

// ---------------------------------------------------------------------------------------------
// The behaviour suite, generic over the store.

async fn round_trip<S: Store>(store: S) {
    store.init(true).await.unwrap();
    store.write("BTCUSDT", br#"{"id":"s1","price":97250.5}"#.to_vec()).await.unwrap();
    assert_eq!(store.read("BTCUSDT").await.unwrap(), r#"{"id":"s1","price":97250.5}"#);
    assert!(store.has("BTCUSDT").await.unwrap());
    assert!(!store.has("ETHUSDT").await.unwrap());
    assert!(matches!(store.read("ETHUSDT").await, Err(PersistError::NotFound { .. })));
    store.write("BTCUSDT", b"null".to_vec()).await.unwrap();
    assert_eq!(store.read("BTCUSDT").await.unwrap(), "null");
    store.remove("BTCUSDT").await.unwrap();
    assert!(!store.has("BTCUSDT").await.unwrap());
    let missing = store.remove("BTCUSDT").await.unwrap_err();
    assert_eq!(missing.to_string(), format!("Entity {}:BTCUSDT not found for deletion", store.entity_name()));
    assert_eq!(missing.code(), "ENTITY_NOT_FOUND");
}

async fn keys_in_collation_order<S: Store>(store: S) {
    store.init(true).await.unwrap();
    let ids = ["10", "9", "b", "A", "a-2", "a-10", "Ünïcode", "z"];
    for id in ids {
        store.write(id, b"1".to_vec()).await.unwrap();
    }
    let mut expected: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    sort_keys(&mut expected);
    assert_eq!(store.keys().await.unwrap(), expected);
}

async fn remove_all_is_ordered_with_writes<S: Store + 'static>(store: S) {
    store.init(true).await.unwrap();
    let before = store.write("a", b"1".to_vec());
    let all = store.remove_all();
    let after = store.write("b", b"2".to_vec());
    // Started in the reverse order of the calls: the order is the calls'.
    let after = tokio::task::spawn_local(after);
    let all = tokio::task::spawn_local(all);
    let before = tokio::task::spawn_local(before);
    after.await.unwrap().unwrap();
    all.await.unwrap().unwrap();
    before.await.unwrap().unwrap();
    assert_eq!(store.keys().await.unwrap(), vec!["b".to_string()]);
}

async fn concurrent_writes_end_with_the_last_issued<S: Store + 'static>(store: S) {
    store.init(true).await.unwrap();
    let writes: Vec<_> = (0..200).map(|i| store.write("BTC", i.to_string().into_bytes())).collect();
    let handles: Vec<_> = writes.into_iter().rev().map(tokio::task::spawn_local).collect();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    assert_eq!(store.read("BTC").await.unwrap(), "199");
}

/// Writes to many keys of two namespaces issued at once (on the server stores, sent together in
/// a few batches): each resolves, each key holds its own value, neither namespace the other's.
async fn many_keys_written_at_once_each_hold_their_own<S: Store + 'static>(one: S, other: S) {
    one.init(true).await.unwrap();
    other.init(true).await.unwrap();
    let mut handles = Vec::new();
    for i in 0..300 {
        handles.push(tokio::task::spawn_local(one.write(&format!("K{i}"), format!("{{\"one\":{i}}}").into_bytes())));
        handles
            .push(tokio::task::spawn_local(other.write(&format!("K{i}"), format!("{{\"other\":{i}}}").into_bytes())));
    }
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    for i in 0..300 {
        assert_eq!(one.read(&format!("K{i}")).await.unwrap(), format!("{{\"one\":{i}}}"));
        assert_eq!(other.read(&format!("K{i}")).await.unwrap(), format!("{{\"other\":{i}}}"));
    }
    assert_eq!(one.keys().await.unwrap().len(), 300);
}

async fn unsafe_ids_and_names_are_refused<S: Store>(store: S, bad_name: S) {
    store.init(true).await.unwrap();
    for id in ["../escape", "", ".", "..", "a/b", ".tmp-x"] {
        let error = store.write(id, b"1".to_vec()).await.unwrap_err();
        assert_eq!(error.code(), "INVALID_ENTITY_ID", "{id:?}");
    }
    assert!(store.keys().await.unwrap().is_empty());
    assert_eq!(bad_name.init(true).await.unwrap_err().code(), "INVALID_ENTITY_NAME");
}

/// Runs every case of the suite on stores made by `make(entity_name)`.
async fn behaviour<S, F>(make: F)
where
    S: Store + 'static,
    F: Fn(&str) -> S,
{
    round_trip(make("signal")).await;
    keys_in_collation_order(make("keys")).await;
    remove_all_is_ordered_with_writes(make("all")).await;
    concurrent_writes_end_with_the_last_issued(make("concurrent")).await;
    many_keys_written_at_once_each_hold_their_own(make("many/one"), make("many/other")).await;
    unsafe_ids_and_names_are_refused(make("names"), make("../outside")).await;
}

/// Runs `future` on a runtime, inside a `LocalSet`: the suite is generic over stores whose
/// futures need not be `Send`, and races them with `spawn_local`.
fn on_runtime<F: Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    tokio::task::LocalSet::new().block_on(&runtime, future)
}

#[test]
fn the_sqlite_store_passes_the_behaviour_suite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("state.db").display());
    let base = unique_base();
    on_runtime(behaviour(move |name| SqliteStore::new(&url, name, &base)));
}

#[test]
fn the_file_store_passes_the_behaviour_suite() {
    let base = tempfile::tempdir().unwrap();
    let path = base.path().to_path_buf();
    on_runtime(behaviour(move |name| FileStore::new(name, &path)));
}

#[test]
fn the_redis_store_passes_the_behaviour_suite() {
    let Some(server) = RedisServer::start(None) else { return };
    let (url, base) = (server.url(), unique_base());
    on_runtime(behaviour(move |name| RedisStore::new(&url, name, &base)));
}

#[test]
fn the_postgres_store_passes_the_behaviour_suite() {
    let Some(server) = PgServer::start() else { return };
    let (url, base) = (server.url(), unique_base());
    on_runtime(behaviour(move |name| PgStore::new(&url, name, &base)));
}

#[test]
fn postgres_killed_and_restarted_keeps_every_committed_write_and_later_calls_work() {
    let Some(mut server) = PgServer::start() else { return };
    let (url, base) = (server.url(), unique_base());
    on_runtime(async move {
        let store = PgStore::new(&url, "signal", &base);
        store.init(true).await.unwrap();
        for i in 0..100u32 {
            store.write(&format!("k{}", i % 10), i.to_string().into_bytes()).await.unwrap();
        }
        server.kill();
        // A backend may outlive its killed postmaster for a moment: the write either commits there
        // (and must then survive) or fails with a clear error.
        let during = store.write("k0", b"1000".to_vec()).await;
        if let Err(error) = &during {
            assert_eq!(error.code(), "WRITE_FAILED", "{error}");
            assert!(error.to_string().contains("postgres://bot:***@127.0.0.1"), "{error}");
        }
        server.spawn();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match store.write("after", b"1".to_vec()).await {
                Ok(()) => break,
                Err(error) => assert!(Instant::now() < deadline, "no reconnection within 30 s: {error}"),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let k0 = if during.is_ok() { "1000".to_string() } else { "90".to_string() };
        assert_eq!(store.read("k0").await.unwrap(), k0);
        for key in 1..10u32 {
            assert_eq!(store.read(&format!("k{key}")).await.unwrap(), (90 + key).to_string());
        }
    });
}

/// `sql` run on its own connection to `url`.
async fn execute_sql(url: &str, sql: &str) {
    connect_sql(url).await.batch_execute(sql).await.unwrap();
}

/// A connection of the test's own to `url`, its driver running on the runtime.
async fn connect_sql(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// Retries `call` until it succeeds (a server restarting refuses sessions for a moment).
async fn until_ok<T>(mut call: impl AsyncFnMut() -> Result<T, PersistError>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match call().await {
            Ok(value) => return value,
            Err(error) => assert!(Instant::now() < deadline, "still failing after 30 s: {error}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[test]
fn postgres_recovers_from_a_dropped_table_and_a_wiped_server_without_a_restart() {
    let Some(mut server) = PgServer::start() else { return };
    let (url, base) = (server.url(), unique_base());
    on_runtime(async move {
        let store = PgStore::new(&url, "signal", &base);
        store.init(true).await.unwrap();
        store.write("k", b"1".to_vec()).await.unwrap();

        execute_sql(&url, "DROP TABLE backtest_persist").await;
        assert_eq!(store.read_optional("k").await.unwrap(), None, "a read finds the table gone, makes it again");
        store.write("k", b"2".to_vec()).await.unwrap();
        execute_sql(&url, "DROP TABLE backtest_persist").await;
        store.write("k", b"3".to_vec()).await.expect("a write finds the table gone, makes it again and lands");
        assert_eq!(store.read("k").await.unwrap(), "3");

        server.wipe();
        until_ok(async || store.write("k", b"4".to_vec()).await).await;
        assert_eq!(store.read("k").await.unwrap(), "4");
        let fresh = PgStore::new(&url, "other", &base);
        fresh.init(true).await.expect("a new store's init works on the wiped server");
        assert_eq!(fresh.keys().await.unwrap(), Vec::<String>::new());
        fresh.write_batch(vec![("a".into(), b"1".to_vec()), ("b".into(), b"2".to_vec())], true).await.unwrap();
        assert_eq!(fresh.keys().await.unwrap(), vec!["a".to_string(), "b".to_string()]);
        store.remove("k").await.unwrap();
        assert_eq!(store.count().await.unwrap(), 0);
    });
}

/// Another process's transaction holds row `b` and then asks for row `a` while our `removeAll`
/// holds `a` and waits for `b`: the server aborts one of the two. The test's session waits
/// 60 s before it checks for deadlocks, ours the default second, so the aborted one is ours,
/// every time. It must run again and succeed, not fail the call.
#[test]
fn postgres_runs_again_a_statement_the_server_aborted_to_break_a_deadlock() {
    let Some(server) = PgServer::start() else { return };
    let (url, base) = (server.url(), unique_base());
    on_runtime(async move {
        let store = PgStore::new(&url, "signal", &base);
        store.init(true).await.unwrap();
        store.write("a", b"1".to_vec()).await.unwrap();
        store.write("b", b"2".to_vec()).await.unwrap();

        let other = connect_sql(&url).await;
        other
            .batch_execute(
                "SET deadlock_timeout = '60s'; BEGIN; UPDATE backtest_persist SET document = '20' WHERE id = 'b'",
            )
            .await
            .unwrap();
        let removing = tokio::spawn(async move { store.remove_all().await.map(|()| store) });
        let watcher = connect_sql(&url).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let waiting = watcher
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE%'",
                    &[],
                )
                .await
                .unwrap();
            if waiting.get::<_, i64>(0) == 1 {
                break;
            }
            assert!(Instant::now() < deadline, "removeAll never waited for the row the other transaction holds");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        other
            .batch_execute("UPDATE backtest_persist SET document = '10' WHERE id = 'a'; COMMIT")
            .await
            .expect("the other transaction goes on once the server aborted our statement");
        let store = removing.await.unwrap().expect("the removeAll the server aborted runs again and succeeds");
        assert_eq!(store.count().await.unwrap(), 0);
        assert_eq!(store.read_optional("a").await.unwrap(), None);
    });
}

/// The code of a failure's cause (`STORE_FAILED`, ...), whichever call failed.
fn cause_code(error: &PersistError) -> String {
    match error.cause() {
        Some(backtest_persist_core::Cause::Coded { code, .. }) => code.to_string(),
        other => panic!("a coded cause: {error} ({other:?})"),
    }
}

/// A role with nothing but its grants on a table the owner made (PostgreSQL 15 gives PUBLIC no
/// `CREATE` on the schema): every call works on the table as it is, and a reading role can read
/// and list but not write. The store used to run `CREATE TABLE IF NOT EXISTS` first, which
/// PostgreSQL refuses without `CREATE` on the schema even when the table exists.
#[test]
fn postgres_a_role_with_only_table_grants_uses_the_table_as_it_is() {
    let Some(server) = PgServer::start() else { return };
    let (owner, base) = (server.url(), unique_base());
    let port = server.port;
    on_runtime(async move {
        PgStore::new(&owner, "seed", &base).init(true).await.unwrap();
        execute_sql(
            &owner,
            "CREATE ROLE backtest_bot LOGIN PASSWORD 'bot-pw';
             CREATE ROLE backtest_reader LOGIN PASSWORD 'reader-pw';
             GRANT SELECT, INSERT, UPDATE, DELETE ON backtest_persist TO backtest_bot;
             GRANT SELECT ON backtest_persist TO backtest_reader;",
        )
        .await;
        let can_create = connect_sql(&owner)
            .await
            .query_one("SELECT has_schema_privilege('backtest_bot', 'public', 'CREATE')", &[])
            .await
            .unwrap();
        assert!(
            !can_create.get::<_, bool>(0),
            "the role must not be able to create tables for this test to mean anything"
        );

        let bot = format!("postgres://backtest_bot:bot-pw@127.0.0.1:{port}/postgres");
        let store = PgStore::new(&bot, "signal", &base);
        store.init(true).await.expect("init with table grants only");
        store.write("BTCUSDT", br#"{"id":"s1"}"#.to_vec()).await.unwrap();
        assert_eq!(store.read("BTCUSDT").await.unwrap(), r#"{"id":"s1"}"#);
        assert!(store.has("BTCUSDT").await.unwrap());
        let written = store.write_batch(vec![("a".into(), b"1".to_vec()), ("b".into(), b"2".to_vec())], true).await;
        assert_eq!(written.unwrap(), vec!["a".to_string(), "b".to_string()]);
        store.write_batch(vec![("a".into(), b"3".to_vec())], false).await.unwrap();
        assert_eq!(store.keys().await.unwrap(), vec!["a".to_string(), "b".to_string(), "BTCUSDT".to_string()]);
        assert_eq!(store.count().await.unwrap(), 3);
        store.remove("b").await.unwrap();
        store.remove_all().await.unwrap();
        assert_eq!(store.count().await.unwrap(), 0);
        store.write("BTCUSDT", br#"{"id":"s2"}"#.to_vec()).await.unwrap();

        let reader = format!("postgres://backtest_reader:reader-pw@127.0.0.1:{port}/postgres");
        let reading = PgStore::new(&reader, "signal", &base);
        reading.init(true).await.expect("init with SELECT only");
        assert_eq!(reading.read("BTCUSDT").await.unwrap(), r#"{"id":"s2"}"#);
        assert_eq!(reading.keys().await.unwrap(), vec!["BTCUSDT".to_string()]);
        let listed = backtest_persist_core::store::server_namespaces(&reader, "").await.unwrap();
        assert!(listed.contains(&reading.namespace().to_string()), "{listed:?}");
        let error = reading.write("BTCUSDT", b"{}".to_vec()).await.unwrap_err();
        assert_eq!(cause_code(&error), "STORE_FAILED");
        assert!(error.to_string().contains("permission denied for table backtest_persist"), "{error}");
        assert!(!error.to_string().contains("reader-pw"), "{error}");
        assert_eq!(reading.read("BTCUSDT").await.unwrap(), r#"{"id":"s2"}"#, "the refused write changed nothing");
    });
}

/// A writer that locks rows in key order (as every batch of this package does, in any
/// process) holds `a` and then asks for `b` while our `removeAll` runs. The rows were written
/// `b` first, so a delete that locks them in the order its scan meets them holds `b` and waits
/// for `a`: a deadlock, and the other writer (which checks for deadlocks first here) is the one
/// aborted. `removeAll` locks in key order instead: it waits for `a` holding nothing, and the
/// other writer goes through.
#[test]
fn postgres_remove_all_locks_rows_in_key_order_so_a_key_ordered_writer_never_deadlocks() {
    let Some(server) = PgServer::start() else { return };
    let (url, base) = (server.url(), unique_base());
    on_runtime(async move {
        let store = PgStore::new(&url, "signal", &base);
        store.init(true).await.unwrap();
        store.write("b", b"2".to_vec()).await.unwrap();
        store.write("a", b"1".to_vec()).await.unwrap();
        // Sequential scans, as a small table gets, whatever the planner's statistics say.
        execute_sql(&url, "ALTER ROLE bot SET enable_indexscan = off; ALTER ROLE bot SET enable_bitmapscan = off")
            .await;
        let fresh_url = format!("{url}?application_name=remove-all");
        let store = PgStore::new(&fresh_url, "signal", &base);

        let other = connect_sql(&url).await;
        other
            .batch_execute(
                "SET deadlock_timeout = '50ms'; BEGIN; UPDATE backtest_persist SET document = '10' WHERE id = 'a'",
            )
            .await
            .unwrap();
        let removing = tokio::spawn(async move { store.remove_all().await.map(|()| store) });
        let watcher = connect_sql(&url).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let waiting = watcher
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE%'",
                    &[],
                )
                .await
                .unwrap();
            if waiting.get::<_, i64>(0) == 1 {
                break;
            }
            assert!(Instant::now() < deadline, "removeAll never waited for the row the other transaction holds");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        other
            .batch_execute("UPDATE backtest_persist SET document = '20' WHERE id = 'b'; COMMIT")
            .await
            .expect("a writer locking in key order is never in a deadlock with removeAll");
        let store = removing.await.unwrap().expect("removeAll goes on once the other transaction committed");
        assert_eq!(store.count().await.unwrap(), 0);
    });
}

/// New tables keep documents in a `json` column: PostgreSQL's JSON operators work on them, and
/// the exact text written is the text read (spacing, key order, a key twice), which `jsonb`
/// would not keep. A table made before with a `text` column works as it is, and
/// [`pg_table_schema`] converts it, refusing (changing nothing) when a row is not JSON.
#[test]
fn postgres_documents_are_json_columns_holding_the_exact_text_and_a_text_table_is_converted() {
    use backtest_persist_core::store::{pg_table_schema, TableSchema};
    let Some(server) = PgServer::start() else { return };
    let (url, base) = (server.url(), unique_base());
    on_runtime(async move {
        let exact = r#"{"b": 1,  "a":[1, 2.50], "b":2}"#;
        let store = PgStore::new(&url, "signal", &base);
        store.init(true).await.unwrap();
        store.write("BTCUSDT", exact.as_bytes().to_vec()).await.unwrap();
        assert_eq!(store.read("BTCUSDT").await.unwrap(), exact);
        let schema = pg_table_schema(&url, true).await.unwrap();
        assert_eq!(schema, TableSchema { document_type: Some("json".into()), converted: false });
        let sql = connect_sql(&url).await;
        let row = sql
            .query_one("SELECT document->'a'->>1 FROM backtest_persist WHERE namespace = $1", &[&store.namespace()])
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), "2.50");
        let error = store.write("bad", b"{not json".to_vec()).await.unwrap_err();
        assert_eq!(cause_code(&error), "STORE_FAILED", "{error}");

        // A table of the earlier schema.
        sql.batch_execute(
            "DROP TABLE backtest_persist;
             CREATE TABLE backtest_persist (namespace text NOT NULL, id text NOT NULL, document text NOT NULL, PRIMARY KEY (namespace, id));",
        )
        .await
        .unwrap();
        store.write("BTCUSDT", exact.as_bytes().to_vec()).await.expect("a text table is used as it is");
        store.write_batch(vec![("ETHUSDT".into(), b"[1 ,2]".to_vec())], false).await.unwrap();
        assert_eq!(store.read("BTCUSDT").await.unwrap(), exact);
        assert_eq!(
            pg_table_schema(&url, false).await.unwrap(),
            TableSchema { document_type: Some("text".into()), converted: false },
            "without convert, only looked at"
        );
        sql.execute("INSERT INTO backtest_persist VALUES ($1, 'corrupt', '{half')", &[&store.namespace()])
            .await
            .unwrap();
        let error = pg_table_schema(&url, true).await.unwrap_err();
        assert!(error.to_string().contains("invalid input syntax for type json"), "{error}");
        assert_eq!(
            pg_table_schema(&url, false).await.unwrap().document_type.as_deref(),
            Some("text"),
            "nothing changed"
        );
        store.remove("corrupt").await.unwrap();
        let schema = pg_table_schema(&url, true).await.unwrap();
        assert_eq!(schema, TableSchema { document_type: Some("json".into()), converted: true });
        assert_eq!(store.read("BTCUSDT").await.unwrap(), exact, "converted with every text kept");
        assert_eq!(store.read("ETHUSDT").await.unwrap(), "[1 ,2]");
    });
}

/// A statement the server does not answer (blocked behind another session's lock, as a commit
/// waits for a synchronous replica that is gone) fails the call with `STORE_TIMEOUT` once
/// `?timeout_ms=` has passed, and is cancelled on the server: it never lands later, and the
/// connection serves the next call.
#[test]
fn postgres_a_statement_that_waits_too_long_fails_coded_is_cancelled_and_never_lands() {
    let Some(server) = PgServer::start() else { return };
    let (url, base) = (server.url(), unique_base());
    on_runtime(async move {
        let bounded = format!("{url}?timeout_ms=300&application_name=bounded");
        let store = PgStore::new(&bounded, "signal", &base);
        store.init(true).await.unwrap();
        store.write("k", b"1".to_vec()).await.unwrap();
        let other = connect_sql(&url).await;
        other.batch_execute("BEGIN; SELECT * FROM backtest_persist WHERE id = 'k' FOR UPDATE").await.unwrap();
        let error = store.write("k", b"2".to_vec()).await.unwrap_err();
        assert_eq!(cause_code(&error), "STORE_TIMEOUT", "{error}");
        assert!(error.to_string().contains("did not answer within 300 ms"), "{error}");
        let watcher = connect_sql(&url).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let waiting = watcher
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bounded' AND wait_event_type = 'Lock'",
                    &[],
                )
                .await
                .unwrap();
            if waiting.get::<_, i64>(0) == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the timed-out statement was never cancelled");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        other.batch_execute("COMMIT").await.unwrap();
        assert_eq!(store.read("k").await.unwrap(), "1", "the cancelled write never landed");
        store.write("k", b"3".to_vec()).await.expect("the next call works");
        assert_eq!(store.read("k").await.unwrap(), "3");

        for bad in ["timeout_ms=0", "timeout_ms=soon", "no_such_option=1"] {
            let url = format!("postgres://bot:s3cret@127.0.0.1:{}/postgres?{bad}", server.port);
            let error = PgStore::new(&url, "signal", &base).init(true).await.unwrap_err();
            assert_eq!(cause_code(&error), "STORE_FAILED", "{bad}: {error}");
            assert!(error.to_string().contains("postgres://bot:***@127.0.0.1"), "{error}");
            assert!(!error.to_string().contains("s3cret"), "{error}");
        }
    });
}

#[test]
fn postgres_wrong_password_missing_database_and_unreachable_are_clear_errors_without_the_password() {
    let Some(server) = PgServer::start() else { return };
    on_runtime(async {
        let coded = |error: &PersistError| match error {
            PersistError::Init { cause: backtest_persist_core::Cause::Coded { code, .. }, .. } => code.to_string(),
            other => panic!("a coded init failure: {other:?}"),
        };
        let wrong = format!("postgres://bot:wrong-password@127.0.0.1:{}/postgres", server.port);
        let error = PgStore::new(&wrong, "signal", &unique_base()).init(true).await.unwrap_err();
        assert_eq!(coded(&error), "STORE_AUTH_FAILED", "{error}");
        assert!(!error.to_string().contains("wrong-password"), "{error}");
        let missing = format!("postgres://bot:bot-password@127.0.0.1:{}/no_such_db", server.port);
        let error = PgStore::new(&missing, "signal", &unique_base()).init(true).await.unwrap_err();
        assert!(error.to_string().contains("database \"no_such_db\" does not exist"), "{error}");
        assert!(!error.to_string().contains("bot-password"), "{error}");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let down = format!("postgres://bot:secret@127.0.0.1:{port}/postgres");
        let error = PgStore::new(&down, "signal", &unique_base()).init(true).await.unwrap_err();
        assert_eq!(coded(&error), "STORE_UNREACHABLE", "{error}");
        assert!(!error.to_string().contains("secret"), "{error}");
    });
}

#[test]
fn redis_writes_issued_at_once_go_out_in_a_few_batched_commands() {
    let Some(server) = RedisServer::start(None) else { return };
    let (url, base) = (server.url(), unique_base());
    let hset_calls = || {
        let output = Command::new("redis-cli").args(["-p", &server.port.to_string(), "INFO", "commandstats"]).output();
        let text = String::from_utf8(output.expect("redis-cli runs").stdout).unwrap();
        let line = text.lines().find(|line| line.starts_with("cmdstat_hset:")).unwrap_or("cmdstat_hset:calls=0,");
        line["cmdstat_hset:calls=".len()..].split(',').next().unwrap().parse::<u64>().unwrap()
    };
    on_runtime(async {
        let store = RedisStore::new(&url, "signal", &base);
        store.init(true).await.unwrap();
        let before = hset_calls();
        let writes: Vec<_> =
            (0..1000).map(|i| store.write(&format!("S{}", i % 100), i.to_string().into_bytes())).collect();
        let handles: Vec<_> = writes.into_iter().map(tokio::task::spawn_local).collect();
        for handle in handles {
            handle.await.unwrap().unwrap();
        }
        let commands = hset_calls() - before;
        // Coalescing alone would send at least 100 (one per key); one each would be 1,000.
        assert!(commands <= 10, "{commands} HSET commands for 1,000 writes over 100 keys");
        for k in 0..100 {
            assert_eq!(store.read(&format!("S{k}")).await.unwrap(), (900 + k).to_string());
        }
    });
}

#[test]
fn redis_keys_follow_the_file_stores_logical_layout() {
    let store = RedisStore::new("redis://127.0.0.1:1/0", "binance/BTCUSDT/1m", Path::new("./dump/data/candle/"));
    assert_eq!(store.namespace(), "dump/data/candle/binance/BTCUSDT/1m");
    let absolute = RedisStore::new("redis://127.0.0.1:1/0", "signal", Path::new("/srv/bot/../dump//data"));
    assert_eq!(absolute.namespace(), "/srv/dump/data/signal");
}

// ---------------------------------------------------------------------------------------------
// Faults with a real server.

#[test]
fn a_server_killed_and_restarted_keeps_every_acknowledged_write_and_later_calls_work() {
    let Some(mut server) = RedisServer::start(None) else { return };
    let (url, base) = (server.url(), unique_base());
    on_runtime(async move {
        let store = RedisStore::new(&url, "signal", &base);
        store.init(true).await.unwrap();
        let mut acknowledged = Vec::new();
        let mut in_flight = Vec::new();
        for i in 0..180u32 {
            if i == 150 {
                server.kill();
            }
            let write = store.write(&format!("k{}", i % 30), i.to_string().into_bytes());
            in_flight.push((i, tokio::spawn(write)));
            if i % 10 == 9 {
                for (i, handle) in in_flight.drain(..) {
                    match handle.await.unwrap() {
                        Ok(()) => acknowledged.push(i),
                        Err(error) => {
                            assert!(
                                matches!(error.code(), "WRITE_FAILED"),
                                "an in-flight call fails with a clear error: {error}"
                            );
                            assert!(error.to_string().contains("127.0.0.1"), "{error}");
                        }
                    }
                }
            }
        }
        server.spawn();
        // Calls after the restart work, without a new store or process (bounded backoff).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match store.write("after", b"1".to_vec()).await {
                Ok(()) => break,
                Err(error) => assert!(Instant::now() < deadline, "no reconnection within 20 s: {error}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Every acknowledged write is there: each key holds its last acknowledged value or a later one.
        for key in 0..30u32 {
            let last = acknowledged.iter().filter(|i| *i % 30 == key).max().copied();
            let Some(last) = last else { continue };
            let stored: u32 = store.read(&format!("k{key}")).await.unwrap().parse().unwrap();
            assert!(stored >= last && stored % 30 == key, "k{key}: {stored} lost the acknowledged {last}");
        }
        assert!(acknowledged.len() >= 150, "the writes before the kill were acknowledged");
    });
}

#[test]
fn an_unreachable_server_fails_init_with_the_url_and_a_later_init_succeeds() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("redis://:topsecret@127.0.0.1:{port}/0");
    let store = RedisStore::new(&url, "signal", &unique_base());
    on_runtime(async {
        let error = store.init(true).await.unwrap_err();
        assert_eq!(error.code(), "INIT_FAILED");
        let text = error.to_string();
        assert!(text.starts_with("Failed to initialize signal: "), "{text}");
        assert!(text.contains(&format!("redis://:***@127.0.0.1:{port}/0")), "{text}");
        assert!(!text.contains("topsecret"), "{text}");
        let PersistError::Init { cause: backtest_persist_core::Cause::Coded { code, .. }, .. } = &error else {
            panic!("a coded cause: {error:?}")
        };
        assert_eq!(*code, "STORE_UNREACHABLE");
    });
    // The server comes up on that port: the next init connects.
    if Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_err() {
        return;
    }
    let mut server = RedisServer {
        child: None,
        port,
        dir: tempfile::tempdir().unwrap(),
        password: Some("topsecret".into()),
        extra: Vec::new(),
    };
    server.spawn();
    on_runtime(async {
        store.init(true).await.unwrap();
        store.write("BTC", b"1".to_vec()).await.unwrap();
    });
}

/// A restarted Redis server answers every command with `LOADING` until its data set is in
/// memory (minutes, for a large one). That is the server coming back, not a command it
/// refused: `STORE_UNREACHABLE`, as while it was down, so code that retries on that code
/// retries; calls work once it has loaded.
#[test]
fn a_redis_server_still_loading_its_data_is_unreachable_and_later_calls_work() {
    let Some(mut server) = RedisServer::start(None) else { return };
    let (url, base) = (server.url(), unique_base());
    let cli = |port: u16, args: &[&str]| {
        let status =
            Command::new("redis-cli").args(["-p", &port.to_string()]).args(args).stdout(Stdio::null()).status();
        assert!(status.expect("redis-cli runs").success(), "redis-cli {args:?}");
    };
    let running = RedisStore::new(&url, "signal", &base);
    on_runtime(async {
        running.init(true).await.unwrap();
        running.write("BTC", b"1".to_vec()).await.unwrap();
    });
    cli(server.port, &["EVAL", "for i = 1, 30000 do redis.call('SET', 'filler:' .. i, i) end", "0"]);
    cli(server.port, &["SAVE"]);
    server.kill();
    // From dump.rdb, 10 ms per key (five minutes in all, far longer than the calls below take on
    // a busy machine; the server is killed after them), answering clients after every KB it reads.
    server.extra =
        vec!["--appendonly", "no", "--key-load-delay", "10000", "--loading-process-events-interval-bytes", "1024"];
    server.spawn();
    let coded = |error: &PersistError| match error {
        PersistError::Init { cause: backtest_persist_core::Cause::Coded { code, message }, .. }
        | PersistError::Write { cause: backtest_persist_core::Cause::Coded { code, message }, .. } => {
            (code.to_string(), message.contains("loading the dataset"))
        }
        other => panic!("a coded failure: {other:?}"),
    };
    on_runtime(async {
        // Spelled apart from `url`, so this store connects anew rather than share `running`'s connection.
        let fresh = format!("redis://127.0.0.1:{}", server.port);
        let error = RedisStore::new(&fresh, "signal", &base).init(true).await.unwrap_err();
        assert_eq!(coded(&error), ("STORE_UNREACHABLE".into(), true), "a new connection's init: {error}");
        // The store made before the restart first finds its connection broken, then the server loading.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let error = running.write("BTC", b"2".to_vec()).await.unwrap_err();
            let (code, loading) = coded(&error);
            assert_eq!(code, "STORE_UNREACHABLE", "a write of a store made before the restart: {error}");
            if loading {
                break;
            }
            assert!(Instant::now() < deadline, "never told the server is loading: {error}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    server.kill();
    server.extra = vec!["--appendonly", "no"];
    server.spawn();
    on_runtime(async {
        until_ok(async || running.write("BTC", b"3".to_vec()).await).await;
        assert_eq!(running.read("BTC").await.unwrap(), "3");
        RedisStore::new(&url, "signal", &base).init(true).await.expect("init once the server has loaded");
    });
}

#[test]
fn a_wrong_password_and_a_missing_database_are_clear_errors_without_the_password() {
    let Some(server) = RedisServer::start(Some("right-password")) else { return };
    on_runtime(async {
        let wrong = format!("redis://:wrong-password@127.0.0.1:{}/0", server.port);
        let error = RedisStore::new(&wrong, "signal", &unique_base()).init(true).await.unwrap_err();
        let text = error.to_string();
        assert!(!text.contains("wrong-password"), "{text}");
        assert!(text.contains(&format!("redis://:***@127.0.0.1:{}/0", server.port)), "{text}");
        let PersistError::Init { cause: backtest_persist_core::Cause::Coded { code, .. }, .. } = &error else {
            panic!("a coded cause: {error:?}")
        };
        assert_eq!(*code, "STORE_AUTH_FAILED", "{text}");

        let missing_db = format!("redis://:right-password@127.0.0.1:{}/999", server.port);
        let error = RedisStore::new(&missing_db, "signal", &unique_base()).init(true).await.unwrap_err();
        let text = error.to_string();
        assert!(text.contains("DB index is out of range") || text.contains("invalid DB index"), "{text}");
        assert!(!text.contains("right-password"), "{text}");
    });
}

#[test]
fn two_connections_writing_the_same_keys_leave_whole_values_each_one_of_the_last_writes() {
    let Some(server) = RedisServer::start(None) else { return };
    let base = unique_base();
    // Two spellings of one server: two separate connections, as two processes have.
    let first = RedisStore::new(&format!("redis://127.0.0.1:{}/0", server.port), "shared", &base);
    let second = RedisStore::new(&format!("redis://localhost:{}/0", server.port), "shared", &base);
    on_runtime(async move {
        first.init(true).await.unwrap();
        second.init(true).await.unwrap();
        let mut handles = Vec::new();
        for round in 0..100u32 {
            for (writer, store) in [(1u32, &first), (2, &second)] {
                let value = format!(r#"{{"writer":{writer},"round":{round},"pad":"{}"}}"#, "x".repeat(2_000));
                handles.push(tokio::spawn(store.write(&format!("k{}", round % 10), value.into_bytes())));
            }
        }
        for handle in handles {
            handle.await.unwrap().unwrap();
        }
        for key in 0..10u32 {
            let text = first.read(&format!("k{key}")).await.unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).expect("a whole document");
            let round = value["round"].as_u64().unwrap() as u32;
            assert_eq!(round, 90 + key, "k{key} ends with one of the last writes");
        }
    });
}

// ---------------------------------------------------------------------------------------------
// A server killed in the middle of 19.5.0 batch writes.

/// Rounds of two batches at once (500 documents overwritten, 50 new ones kept only where
/// missing; in round 12, 20,000 overwritten), the server killed while round 12's batches are
/// on their way and started again after round 15. Every batch acknowledged before the kill is
/// there after the restart; a batch in flight fails with a clear error or lands, each of its
/// documents whole (absent, or the batch's value); calls after the restart work without a new
/// store.
async fn batches_survive_a_server_killed_mid_batch(store: ServerStore, kill: impl FnOnce(), restart: impl FnOnce()) {
    store.init(true).await.unwrap();
    let (mut kill, mut restart) = (Some(kill), Some(restart));
    let mut acknowledged: Vec<u32> = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    for round in 0..20u32 {
        let size = if round == 12 { 20_000 } else { 500 };
        let documents = (0..size).map(|i| (format!("d{i}"), round.to_string().into_bytes())).collect();
        let overwrite = tokio::spawn(store.write_batch(documents, false));
        let new_ids: Vec<String> = (0..50).map(|i| format!("r{round}-{i}")).collect();
        let fresh = new_ids.iter().map(|id| (id.clone(), round.to_string().into_bytes())).collect();
        let only_missing = tokio::spawn(store.write_batch(fresh, true));
        if round == 12 {
            tokio::time::sleep(Duration::from_millis(3)).await;
            kill.take().unwrap()();
        }
        if round == 15 {
            restart.take().unwrap()();
        }
        for (outcome, kind) in [(overwrite.await.unwrap(), "overwrite"), (only_missing.await.unwrap(), "only missing")]
        {
            match outcome {
                Ok(written) if kind == "overwrite" => {
                    assert_eq!(written.len(), size);
                    acknowledged.push(round);
                }
                Ok(written) => {
                    assert_eq!(written, new_ids, "every new id of the batch is written");
                    kept.extend(written);
                }
                Err(error) => {
                    assert_eq!(error.code(), "WRITE_FAILED", "{error}");
                    assert!(error.to_string().contains("127.0.0.1"), "the error names the server: {error}");
                }
            }
        }
    }
    eprintln!("overwriting batches acknowledged in rounds {acknowledged:?}");
    until_ok(async || store.write("after", b"1".to_vec()).await).await;
    let last = acknowledged.iter().filter(|round| **round < 12).max().copied().expect("batches before the kill");
    let stored = store.read_many(&(0..500).map(|i| format!("d{i}")).collect::<Vec<_>>()).await.unwrap();
    for (i, text) in stored.into_iter().enumerate() {
        let held: u32 = text.expect("every document of an acknowledged batch").parse().expect("a whole value");
        assert!(held >= last && held < 20, "d{i} holds round {held}, older than the acknowledged round {last}");
    }
    let big: Vec<String> = (500..20_000).map(|i| format!("d{i}")).collect();
    let stored = store.read_many(&big).await.unwrap();
    let landed = stored.iter().flatten().count();
    assert!(stored.iter().flatten().all(|text| text == "12"), "round 12's documents are whole where they landed");
    eprintln!("{landed} of round 12's 19,500 documents beyond the others landed");
    let stored = store.read_many(&kept).await.unwrap();
    assert!(stored.iter().all(Option::is_some), "every acknowledged only-missing document is there");
    assert!(
        acknowledged.len() >= 12 && acknowledged.contains(&19),
        "batches before the kill and after the restart: {acknowledged:?}"
    );
}

#[test]
fn redis_killed_mid_batch_keeps_every_acknowledged_batch() {
    let Some(server) = RedisServer::start(None) else { return };
    let (url, base) = (server.url(), unique_base());
    let server = std::sync::Arc::new(std::sync::Mutex::new(server));
    let (killing, restarting) = (server.clone(), server.clone());
    on_runtime(batches_survive_a_server_killed_mid_batch(
        ServerStore::open(&url, "candles", &base),
        move || killing.lock().unwrap().kill(),
        move || restarting.lock().unwrap().spawn(),
    ));
}

#[test]
fn postgres_stopped_immediately_mid_batch_keeps_every_acknowledged_batch() {
    let Some(server) = PgServer::start() else { return };
    let (url, base) = (server.url(), unique_base());
    let server = std::sync::Arc::new(std::sync::Mutex::new(server));
    let (killing, restarting) = (server.clone(), server.clone());
    on_runtime(batches_survive_a_server_killed_mid_batch(
        ServerStore::open(&url, "candles", &base),
        move || killing.lock().unwrap().kill(),
        move || restarting.lock().unwrap().spawn(),
    ));
}
