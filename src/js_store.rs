//! A JS adapter as a core [`Store`]: any object with `waitForInit`, `readValue`, `hasValue`
//! and `writeValue`, including a JS subclass of `PersistBase` (its own methods are native).
//!
//! Methods are called on the JS thread from futures driven by [`crate::local_task`]; a result
//! that is a Promise (or any thenable) is awaited, a plain value is taken as is, a throw or a
//! rejection becomes the caller's rejection with the very value thrown. Values cross with
//! `JSON.stringify`/`JSON.parse`, as they would through a file.

use std::cell::RefCell;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use backtest_persist_core::order::adapter_queue;
use backtest_persist_core::{InitReport, PersistError, Result, Store};
use napi::bindgen_prelude::*;

use crate::boundary;
use crate::entity::{parse, stringify};
use crate::env_state::{stash_adapter_error, LocalRef};

/// The methods a registry calls on every adapter.
pub const REQUIRED_METHODS: [&str; 4] = ["waitForInit", "readValue", "hasValue", "writeValue"];

#[derive(Clone)]
pub struct JsStore(Rc<Inner>);

struct Inner {
    env: Env,
    adapter: LocalRef,
    adapter_name: String,
    registry: &'static str,
    entity_name: String,
    /// Unique to this adapter instance in the process: its keys in the adapters' queue are
    /// `<prefix>\0<id>`, so no two adapters (nor any id) share one.
    queue_prefix: String,
    /// How long a call may stay pending before it fails (`usePersist*Adapter(Ctor, { timeoutMs })`).
    timeout: Option<Duration>,
}

/// Converts a method's settled value on the JS thread; `Err` is the reason it is unusable.
type Convert<T> = fn(&Env, Unknown) -> std::result::Result<T, String>;

impl JsStore {
    /// `new Ctor(entityName, baseDir)`, checked for the methods a registry calls.
    pub fn construct(
        env: &Env,
        ctor: &Unknown,
        registry: &'static str,
        entity_name: &str,
        base_dir: &str,
        timeout: Option<Duration>,
    ) -> Result<Self> {
        let adapter_name = constructor_name(env, ctor);
        let constructed =
            construct(env, ctor, entity_name, base_dir).map_err(|error| PersistError::AdapterConstructor {
                registry: registry.to_string(),
                adapter: adapter_name.clone(),
                message: error.reason,
                origin: None,
            })?;
        let adapter = match constructed {
            Ok(adapter) => adapter,
            Err(thrown_value) => {
                let (message, origin) = thrown(env, &thrown_value);
                return Err(PersistError::AdapterConstructor {
                    registry: registry.to_string(),
                    adapter: adapter_name,
                    message,
                    origin,
                });
            }
        };
        for method in REQUIRED_METHODS {
            match method_of(env, &adapter, method) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(PersistError::AdapterMethodMissing {
                        registry: registry.to_string(),
                        adapter: adapter_name,
                        method: method.to_string(),
                    })
                }
                // Reading the method threw (a getter, a Proxy trap): the caller gets that value.
                Err(thrown_value) => {
                    let (message, origin) = thrown(env, &thrown_value);
                    return Err(PersistError::Adapter {
                        registry: registry.to_string(),
                        adapter: adapter_name,
                        method: method.to_string(),
                        message,
                        origin,
                    });
                }
            }
        }
        let adapter = LocalRef::new(env, &adapter).map_err(|error| PersistError::AdapterConstructor {
            registry: registry.to_string(),
            adapter: adapter_name.clone(),
            message: error.reason,
            origin: None,
        })?;
        static ADAPTERS: AtomicU64 = AtomicU64::new(0);
        let queue_prefix = ADAPTERS.fetch_add(1, Ordering::Relaxed).to_string();
        Ok(Self(Rc::new(Inner {
            env: *env,
            adapter,
            adapter_name,
            registry,
            entity_name: entity_name.to_string(),
            queue_prefix,
            timeout,
        })))
    }

    /// Calls `adapter[method](...args)` now and returns its settled, converted value; with a
    /// timeout, a call still pending when it expires fails, and its late outcome is ignored.
    fn call<T: 'static>(
        &self,
        method: &'static str,
        args: impl for<'a> FnOnce(&'a Env) -> napi::Result<Vec<Unknown<'a>>>,
        convert: Convert<T>,
    ) -> impl Future<Output = Result<T>> {
        let pending = PendingCall::new();
        let outcome = self.start(method, args, convert, &pending);
        if let Err(error) = outcome {
            pending.settle(Err(error));
        }
        let timer = match self.0.timeout {
            Some(limit) if !pending.is_settled() => match self.arm_timer(method, limit, &pending) {
                Ok(timer) => Some(timer),
                Err(error) => {
                    pending.settle(Err(self.failure(method, error.reason, None)));
                    None
                }
            },
            _ => None,
        };
        let env = self.0.env;
        async move {
            let outcome = pending.await;
            if let Some(cancel) = timer {
                disarm_timer(&env, &cancel);
            }
            outcome
        }
    }

    /// A timer that fails `pending` after `limit`; returns the function cancelling it. The
    /// timer is not unref'd: whoever asked for a timeout gets its error, so a pending call keeps
    /// the process alive for at most `limit` (without a timeout, a pending call never does).
    fn arm_timer<T: 'static>(
        &self,
        method: &'static str,
        limit: Duration,
        pending: &PendingCall<T>,
    ) -> napi::Result<LocalRef> {
        let env = &self.0.env;
        let store = self.clone();
        let call = pending.clone();
        let millis = limit.as_millis();
        let on_timeout = env.create_function_from_closure::<Unknown, (), _>("onAdapterTimeout", move |_| {
            let message =
                format!("{}: {}.{method} did not settle within {millis} ms", store.0.registry, store.0.adapter_name);
            call.settle(Err(store.failure(method, message, None)));
            Ok(())
        })?;
        let cancel = boundary::timer(env, millis as f64, on_timeout.to_unknown())?;
        LocalRef::new(env, &cancel)
    }

    fn start<T: 'static>(
        &self,
        method: &'static str,
        args: impl for<'a> FnOnce(&'a Env) -> napi::Result<Vec<Unknown<'a>>>,
        convert: Convert<T>,
        pending: &PendingCall<T>,
    ) -> Result<()> {
        let env = &self.0.env;
        let engine = |error: Error| self.failure(method, error.reason, None);
        let adapter = self.0.adapter.get(env).map_err(engine)?;
        let function = match boundary::get(env, adapter, method).map_err(engine)? {
            Ok(function) => function,
            Err(thrown_value) => return Err(self.thrown(method, &thrown_value)),
        };
        if function.get_type().map_err(engine)? != ValueType::Function {
            return Err(self.missing(method));
        }
        let arguments = args(env).map_err(engine)?;
        let value = match boundary::call(env, function, Some(adapter), arguments).map_err(engine)? {
            Ok(value) => value,
            Err(thrown_value) => return Err(self.thrown(method, &thrown_value)),
        };
        if matches!(value.get_type().map_err(engine)?, ValueType::Object | ValueType::Function) {
            // Maybe a thenable: adopted as `await` would, nested thenables included.
            self.await_value(method, value, convert, pending).map_err(engine)
        } else {
            pending.settle(convert(env, value).map_err(|reason| self.unusable(method, reason)));
            Ok(())
        }
    }

    fn await_value<T: 'static>(
        &self,
        method: &'static str,
        value: Unknown,
        convert: Convert<T>,
        pending: &PendingCall<T>,
    ) -> napi::Result<()> {
        let env = &self.0.env;
        let fulfilled_store = self.clone();
        let fulfilled_call = pending.clone();
        let on_fulfilled = env.create_function_from_closure::<Unknown, (), _>("onFulfilled", move |ctx| {
            let outcome = match ctx.get::<Unknown>(0) {
                Ok(value) => convert(ctx.env, value),
                Err(error) => Err(error.reason),
            };
            fulfilled_call.settle(outcome.map_err(|reason| fulfilled_store.unusable(method, reason)));
            Ok(())
        })?;
        let rejected_store = self.clone();
        let rejected_call = pending.clone();
        let on_rejected = env.create_function_from_closure::<Unknown, (), _>("onRejected", move |ctx| {
            // Only an outcome that settles the call is kept: a reason arriving after a timeout
            // is let go at once.
            if rejected_call.is_settled() {
                return Ok(());
            }
            let failure = match ctx.get::<Unknown>(0) {
                Ok(reason) => rejected_store.thrown(method, &reason),
                Err(error) => rejected_store.failure(method, error.reason, None),
            };
            rejected_call.settle(Err(failure));
            Ok(())
        })?;
        boundary::settle(env, value, on_fulfilled.to_unknown(), on_rejected.to_unknown())
    }

    /// The failure for a value the adapter threw or rejected with, keeping the value itself.
    fn thrown(&self, method: &str, value: &Unknown) -> PersistError {
        let (message, origin) = thrown(&self.0.env, value);
        self.failure(method, message, origin)
    }

    fn failure(&self, method: &str, message: String, origin: Option<u64>) -> PersistError {
        PersistError::Adapter {
            registry: self.0.registry.to_string(),
            adapter: self.0.adapter_name.clone(),
            method: method.to_string(),
            message,
            origin,
        }
    }

    fn unusable(&self, method: &str, reason: String) -> PersistError {
        let message = format!(
            "{}: {}.{} gave a value that cannot be used: {reason}",
            self.0.registry, self.0.adapter_name, method
        );
        self.failure(method, message, None)
    }

    fn missing(&self, method: &str) -> PersistError {
        PersistError::AdapterMethodMissing {
            registry: self.0.registry.to_string(),
            adapter: self.0.adapter_name.clone(),
            method: method.to_string(),
        }
    }
}

impl JsStore {
    fn queue_key(&self, id: &str) -> PathBuf {
        PathBuf::from(format!("{}\0{id}", self.0.queue_prefix))
    }
}

impl Store for JsStore {
    fn entity_name(&self) -> &str {
        &self.0.entity_name
    }

    async fn init(&self, initial: bool) -> Result<InitReport> {
        self.call("waitForInit", move |env| Ok(vec![initial.into_unknown(env)?]), ignore).await?;
        Ok(InitReport::default())
    }

    fn read(&self, id: &str) -> impl Future<Output = Result<String>> + use<> {
        let id = id.to_string();
        self.call("readValue", move |env| Ok(vec![env.create_string(&id)?.to_unknown()]), to_json)
    }

    fn has(&self, id: &str) -> impl Future<Output = Result<bool>> + use<> {
        let id = id.to_string();
        self.call("hasValue", move |env| Ok(vec![env.create_string(&id)?.to_unknown()]), truthy)
    }

    /// Takes the key's place in line now: `writeValue` calls reach the adapter in call order,
    /// one at a time per key, whenever each call's `waitForInit` settles.
    fn write(&self, id: &str, json: Vec<u8>) -> impl Future<Output = Result<()>> + use<> {
        let mut turn = adapter_queue().enqueue(&self.queue_key(id));
        let store = self.clone();
        let id = id.to_string();
        async move {
            turn.ready().await;
            store.call("writeValue", |env| entity_arguments(env, &id, &json), ignore).await
        }
    }

    fn remove(&self, id: &str) -> impl Future<Output = Result<()>> + use<> {
        let mut turn = adapter_queue().enqueue(&self.queue_key(id));
        let store = self.clone();
        let id = id.to_string();
        async move {
            turn.ready().await;
            store.call("removeValue", |env| Ok(vec![env.create_string(&id)?.to_unknown()]), ignore).await
        }
    }

    fn remove_all(&self) -> impl Future<Output = Result<()>> + use<> {
        self.call("removeAll", |_| Ok(vec![]), ignore)
    }

    /// The registries never list keys; a JS adapter's `keys()` is an async generator that
    /// its own callers iterate in JS.
    async fn keys(&self) -> Result<Vec<String>> {
        Err(self.unusable("keys", "a JS adapter's keys are listed in JS, not through a registry".to_string()))
    }
}

/// The settled outcome of one JS call, awaited by the task that made it.
struct PendingCall<T>(Rc<RefCell<CallState<T>>>);

struct CallState<T> {
    outcome: Option<Result<T>>,
    /// Set with the first outcome and never cleared (the outcome itself is taken when awaited).
    settled: bool,
    waker: Option<Waker>,
}

impl<T> Clone for PendingCall<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> PendingCall<T> {
    fn new() -> Self {
        Self(Rc::new(RefCell::new(CallState { outcome: None, settled: false, waker: None })))
    }

    /// Records the first outcome (a thenable may call back more than once) and resumes the
    /// waiting task.
    fn settle(&self, outcome: Result<T>) {
        let waker = {
            let Ok(mut state) = self.0.try_borrow_mut() else { return };
            if state.settled {
                return;
            }
            state.settled = true;
            state.outcome = Some(outcome);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn is_settled(&self) -> bool {
        self.0.try_borrow().is_ok_and(|state| state.settled)
    }
}

/// Cancels the timeout of a call that settled in time.
fn disarm_timer(env: &Env, cancel: &LocalRef) {
    // A torn-down environment has no timers left to clear; the helper itself never throws.
    if let Ok(cancel) = cancel.get(env) {
        let _ = boundary::call(env, cancel, Some(cancel), vec![]);
    }
}

impl<T> Future for PendingCall<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.0.borrow_mut();
        match state.outcome.take() {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// `(id, JSON.parse(json))`: the arguments of `writeValue`.
fn entity_arguments<'env>(env: &'env Env, id: &str, json: &[u8]) -> napi::Result<Vec<Unknown<'env>>> {
    let entity = parse(env, &String::from_utf8_lossy(json)).map_err(Error::from_reason)?;
    Ok(vec![env.create_string(id)?.to_unknown(), entity])
}

fn ignore(_: &Env, _: Unknown) -> std::result::Result<(), String> {
    Ok(())
}

fn truthy(_: &Env, value: Unknown) -> std::result::Result<bool, String> {
    value.coerce_to_bool().map_err(|error| error.reason)
}

/// The value as JSON text; `undefined` reads as `null`.
fn to_json(env: &Env, value: Unknown) -> std::result::Result<String, String> {
    if value.get_type().map_err(|error| error.reason)? == ValueType::Undefined {
        return Ok("null".to_string());
    }
    let bytes = stringify(env, value)?;
    String::from_utf8(bytes).map_err(|error| error.to_string())
}

/// `new Ctor(entityName, baseDir)`: `Ok(Err(value))` when the constructor threw `value`.
fn construct<'env>(
    env: &'env Env,
    ctor: &Unknown,
    entity_name: &str,
    base_dir: &str,
) -> napi::Result<boundary::Outcome<'env>> {
    let arguments = vec![env.create_string(entity_name)?.to_unknown(), env.create_string(base_dir)?.to_unknown()];
    boundary::call(env, *ctor, None, arguments)
}

/// Whether `object[method]` is a function; `Err` is what reading it threw.
fn method_of<'env>(env: &'env Env, object: &Unknown, method: &str) -> std::result::Result<bool, Unknown<'env>> {
    match boundary::get(env, *object, method) {
        Ok(Ok(value)) => Ok(value.get_type().is_ok_and(|kind| kind == ValueType::Function)),
        Ok(Err(thrown)) => Err(thrown),
        Err(_) => Ok(false),
    }
}

/// The value a JS call threw: its message, and a token for the value itself.
fn thrown(env: &Env, value: &Unknown) -> (String, Option<u64>) {
    (boundary::describe(env, value), stash_adapter_error(env, value))
}

/// `Ctor.name` when it is a non-empty string; reading it runs no code of ours on failure.
fn constructor_name(env: &Env, ctor: &Unknown) -> String {
    boundary::get(env, *ctor, "name")
        .ok()
        .and_then(|found| found.ok())
        .filter(|name| name.get_type().is_ok_and(|kind| kind == ValueType::String))
        .and_then(|name| unsafe { name.cast::<napi::JsString>() }.ok()?.into_utf8().ok()?.into_owned().ok())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "(anonymous)".to_string())
}
