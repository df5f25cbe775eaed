//! The four adapter registries: `PersistSignalAdapter`, `PersistScheduleAdapter`,
//! `PersistRiskAdapter`, `PersistPartialAdapter` (each an object whose functions work detached)
//! and their classes `Persist*Utils`. With this package's `PersistBase` as the factory a call
//! runs entirely in Rust on the file store; with any other constructor the adapter's methods
//! are called on the JS thread ([`crate::js_store`]).

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use backtest_persist_core::registry::{read_through, write_through, Memo, RegistryKind};
use backtest_persist_core::store::PlannedWrite;
use backtest_persist_core::store::ServerStore;
use backtest_persist_core::{FileStore, PersistError, Store};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::deferred::LocalDeferred;
use crate::entity::{entity_id, parse_document, stringify};
use crate::env_state::LocalRef;
use crate::file_task::spawn_file_task;
use crate::js_store::JsStore;
use crate::local_task::spawn_local;
use crate::promise::{reject, settle, undefined, Rejection};

/// One registry: the registered factory and the stores it made, by memo key.
pub struct RegistryState {
    kind: RegistryKind,
    factory: Factory,
    memo: Memo<AnyStore>,
}

#[derive(Clone)]
enum Factory {
    /// This package's `PersistBase`: stores are file stores (or Redis stores), with no JS in the
    /// path. `None` follows `usePersistStore` when each store is created; `Some` is the
    /// registration's own `{ store }` (`Some(None)`: files).
    Native(Option<Option<String>>),
    /// A JS class, and the per-call timeout its stores apply.
    Js(Rc<LocalRef>, Option<Duration>),
}

#[derive(Clone)]
enum AnyStore {
    File(FileStore),
    Server(ServerStore),
    Js(JsStore),
}

pub type SharedRegistry = Rc<RefCell<RegistryState>>;

/// Each singleton's export name and its class's.
pub const SINGLETON_CLASSES: [(&str, &str); 4] = [
    ("PersistSignalAdapter", "PersistSignalUtils"),
    ("PersistScheduleAdapter", "PersistScheduleUtils"),
    ("PersistRiskAdapter", "PersistRiskUtils"),
    ("PersistPartialAdapter", "PersistPartialUtils"),
];

thread_local! {
    /// This environment's `PersistBase` constructor, to recognise it when it is registered.
    static PERSIST_BASE: RefCell<Option<LocalRef>> = const { RefCell::new(None) };
    /// This environment's four singletons, in `RegistryKind::ALL` order.
    static SINGLETONS: RefCell<Vec<SharedRegistry>> = const { RefCell::new(Vec::new()) };
}

pub fn new_registry(kind: RegistryKind) -> SharedRegistry {
    Rc::new(RefCell::new(RegistryState { kind, factory: Factory::Native(None), memo: Memo::default() }))
}

/// Sets up this environment's registries; `persist_base` is its `PersistBase` class.
pub fn install(env: &Env, persist_base: &Unknown) -> Result<()> {
    let reference = LocalRef::new(env, persist_base)?;
    PERSIST_BASE.with(|slot| *slot.borrow_mut() = Some(reference));
    SINGLETONS.with(|singletons| *singletons.borrow_mut() = RegistryKind::ALL.map(new_registry).to_vec());
    Ok(())
}

/// Drops every reference to JS values: the environment is being torn down.
pub fn release() {
    let _ = PERSIST_BASE.try_with(|slot| slot.borrow_mut().take());
    let _ = SINGLETONS.try_with(|singletons| std::mem::take(&mut *singletons.borrow_mut()));
}

fn singleton(kind: RegistryKind) -> Result<SharedRegistry> {
    let index = RegistryKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    SINGLETONS
        .with(|singletons| singletons.borrow().get(index).cloned())
        .ok_or_else(|| Error::from_reason("the registries of this environment are gone"))
}

/// `usePersist*Adapter(Ctor)`: registers the factory for stores created from now on.
fn use_adapter(
    env: &Env,
    registry: &SharedRegistry,
    ctor: Unknown,
    options: Option<Unknown>,
    method: &str,
) -> Result<()> {
    let kind = registry.borrow().kind;
    let name = format!("{}.{method}", kind.adapter_name());
    let timeout = adapter_timeout(env, options, &name)?;
    let store = adapter_store(env, options, &name)?;
    if !is_constructor(env, &ctor)? {
        let received = crate::boundary::received(env, ctor)?;
        let message = format!("{name}: the adapter must be a class or constructor function.{received}");
        return Err(crate::boundary::throw(env, crate::boundary::type_error(env, &message, "ERR_INVALID_ARG_TYPE")?));
    }
    let is_native = PERSIST_BASE.with(|slot| match slot.borrow().as_ref() {
        Some(base) => base.get(env).and_then(|base| env.strict_equals(base, ctor)),
        None => Ok(false),
    })?;
    if store.is_some() && !is_native {
        let message = format!("{name}: options.store applies to this package's PersistBase, not to a JS adapter");
        return Err(crate::boundary::throw(env, crate::boundary::type_error(env, &message, "ERR_INVALID_ARG_VALUE")?));
    }
    let factory =
        if is_native { Factory::Native(store) } else { Factory::Js(Rc::new(LocalRef::new(env, &ctor)?), timeout) };
    registry.borrow_mut().factory = factory;
    Ok(())
}

/// `options.timeoutMs` of `usePersist*Adapter(Ctor, options)`: absent, or a positive number of
/// milliseconds. It bounds each call a registry makes to a JS adapter; the native `PersistBase`
/// makes no such calls and ignores it. Wrong types throw Node's `ERR_INVALID_ARG_TYPE`
/// TypeError, numbers out of range its `ERR_OUT_OF_RANGE` RangeError, both naming `name`.
fn adapter_timeout(env: &Env, options: Option<Unknown>, name: &str) -> Result<Option<Duration>> {
    let refuse = |what: &str, value: Unknown, range: bool| -> Error {
        let error = crate::boundary::received(env, value).and_then(|received| {
            let message = format!("{name}: {what}.{received}");
            match range {
                true => crate::boundary::out_of_range(env, &message),
                false => crate::boundary::type_error(env, &message, "ERR_INVALID_ARG_TYPE"),
            }
        });
        match error {
            Ok(error) => crate::boundary::throw(env, error),
            Err(error) => error,
        }
    };
    const TIMEOUT: &str = "options.timeoutMs must be a positive number of milliseconds, at most 2147483647";
    let Some(options) = options else { return Ok(None) };
    match options.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok(None),
        ValueType::Object => {}
        _ => return Err(refuse("options must be an object", options, false)),
    }
    let timeout = match crate::boundary::get(env, options, "timeoutMs")? {
        Ok(timeout) => timeout,
        // What the getter threw is described, not kept: the registration throws synchronously, and
        // a thrown value's own conversions must not run inside the engine's exception path.
        Err(thrown) => {
            let described = crate::boundary::describe(env, &thrown);
            let message = format!("{name}: reading options.timeoutMs threw {described}");
            return Err(crate::boundary::throw(
                env,
                crate::boundary::type_error(env, &message, "ERR_INVALID_ARG_VALUE")?,
            ));
        }
    };
    match timeout.get_type()? {
        ValueType::Undefined => Ok(None),
        ValueType::Number => {
            let millis = unsafe { timeout.cast::<f64>() }?;
            if millis.is_finite() && millis > 0.0 && millis <= MAX_TIMEOUT_MS {
                Ok(Some(Duration::from_secs_f64(millis / 1000.0)))
            } else {
                Err(refuse(TIMEOUT, timeout, true))
            }
        }
        _ => Err(refuse(TIMEOUT, timeout, false)),
    }
}

/// `options.store` of `usePersist*Adapter(PersistBase, options)`: `None` when absent (follow
/// `usePersistStore`), `Some(None)` for files, `Some(Some(url))` for a Redis server.
fn adapter_store(env: &Env, options: Option<Unknown>, name: &str) -> Result<Option<Option<String>>> {
    let Some(options) = options else { return Ok(None) };
    if options.get_type()? != ValueType::Object {
        return Ok(None);
    }
    match crate::boundary::get(env, options, "store")? {
        Ok(value) if value.get_type()? == ValueType::Undefined => Ok(None),
        Ok(value) => Ok(Some(crate::store_choice::store_argument(env, value, &format!("{name}: options.store"))?)),
        Err(thrown) => Err(crate::boundary::throw(env, thrown)),
    }
}

/// The longest delay `setTimeout` honours.
const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;

/// A function with a `prototype` object: classes and `function` declarations, not arrows,
/// methods or async functions.
fn is_constructor(env: &Env, value: &Unknown) -> Result<bool> {
    if value.get_type()? != ValueType::Function {
        return Ok(false);
    }
    match crate::boundary::get(env, *value, "prototype")? {
        Ok(prototype) => Ok(matches!(prototype.get_type()?, ValueType::Object)),
        Err(_) => Ok(false),
    }
}

/// The store for `key`, created by the registered factory on first use, and whether this is
/// that first use. Creating a JS adapter runs user code, so no borrow is held meanwhile.
fn store_for(env: &Env, registry: &SharedRegistry, key: &str) -> std::result::Result<(AnyStore, bool), PersistError> {
    if let Some(store) = registry.borrow().memo.get(key) {
        return Ok((store, false));
    }
    let (kind, factory) = {
        let state = registry.borrow();
        (state.kind, state.factory.clone())
    };
    let store = match factory {
        Factory::Native(choice) => match choice.unwrap_or_else(crate::store_choice::current) {
            Some(url) => AnyStore::Server(ServerStore::open(&url, key, Path::new(kind.base_dir()))),
            None => AnyStore::File(FileStore::new(key, Path::new(kind.base_dir()))),
        },
        Factory::Js(ctor, timeout) => {
            let ctor = ctor.get(env).map_err(|error| PersistError::AdapterConstructor {
                registry: kind.adapter_name().to_string(),
                adapter: "(unknown)".to_string(),
                message: error.reason,
                origin: None,
            })?;
            AnyStore::Js(JsStore::construct(env, &ctor, kind.adapter_name(), key, kind.base_dir(), timeout)?)
        }
    };
    Ok(registry.borrow_mut().memo.insert(key, store))
}

/// Memo key and entity id of a call: `(strategyName, symbol)` for signals and schedules,
/// `(riskName, "positions")`, `(symbol, "levels")`.
fn key_and_id(
    kind: RegistryKind,
    key: Unknown,
    id: Option<Unknown>,
) -> std::result::Result<(String, String), PersistError> {
    let key = entity_id(kind.adapter_name(), key)?;
    let id = match (kind.fixed_entity_id(), id) {
        (Some(fixed), _) => fixed.to_string(),
        (None, Some(id)) => entity_id(&key, id)?,
        (None, None) => {
            return Err(PersistError::InvalidId {
                entity: key,
                id: String::new(),
                reason: "it must be a string or a number, got undefined".to_string(),
            })
        }
    };
    Ok((key, id))
}

fn read<'env>(env: &'env Env, registry: &SharedRegistry, key: Unknown, id: Option<Unknown>) -> Result<Unknown<'env>> {
    let kind = registry.borrow().kind;
    let located = key_and_id(kind, key, id).and_then(|(key, id)| Ok((store_for(env, registry, &key)?, id)));
    let ((store, initial), id) = match located {
        Ok(located) => located,
        Err(error) => return Ok(reject(env, error)?.to_unknown()),
    };
    let default = kind.default_json();
    // A document that does not parse (corrupted since init) fails as the reference's read does.
    let (entity, document) = (store_entity(&store), id.clone());
    match store {
        // Initialized already: hasValue and readValue as one libuv work item.
        AnyStore::File(store) if store.is_initialized() => {
            let read = move || if store.has_now(&id)? { Ok(Some(store.read_now(&id)?)) } else { Ok(None) };
            let promise = spawn_file_task(env, read, move |env, text: Option<String>| {
                parse_document(env, &entity, &document, text.as_deref().unwrap_or(default))
            })?;
            Ok(promise.to_unknown())
        }
        AnyStore::File(store) => {
            let promise = settle(env, read_through(store, initial, id), move |env, text| {
                parse_document(env, &entity, &document, text.as_deref().unwrap_or(default))
            })?;
            Ok(promise.to_unknown())
        }
        // One round trip (HGET, SELECT): absent and present alike.
        AnyStore::Server(store) => {
            let read = async move {
                store.init(initial).await?;
                store.read_optional(&id).await
            };
            let promise = settle(env, read, move |env, text| {
                parse_document(env, &entity, &document, text.as_deref().unwrap_or(default))
            })?;
            Ok(promise.to_unknown())
        }
        AnyStore::Js(store) => run_on_js_thread(
            env,
            async move {
                let text = read_through(store, initial, id).await?;
                Ok(text.unwrap_or_else(|| default.to_string()))
            },
            move |env, text| parse_document(env, &entity, &document, &text),
        ),
    }
}

fn write<'env>(
    env: &'env Env,
    registry: &SharedRegistry,
    value: Unknown,
    key: Unknown,
    id: Option<Unknown>,
) -> Result<Unknown<'env>> {
    let kind = registry.borrow().kind;
    let prepared = key_and_id(kind, key, id).and_then(|(key, id)| {
        let json = stringify(env, value).map_err(|reason| PersistError::InvalidEntity {
            entity: key.clone(),
            id: id.clone(),
            reason,
        })?;
        Ok((store_for(env, registry, &key)?, id, json))
    });
    let ((store, initial), id, json) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => return Ok(reject(env, error)?.to_unknown()),
    };
    match store {
        AnyStore::File(store) if store.is_initialized() => {
            let promise = match store.plan_write(&id, json) {
                Err(error) => reject(env, error)?,
                Ok(PlannedWrite::Immediate(write)) => {
                    spawn_file_task(env, move || write.run(), |env, ()| undefined(env))?
                }
                Ok(PlannedWrite::Queued(write)) => settle(env, write, |env, ()| undefined(env))?,
            };
            Ok(promise.to_unknown())
        }
        AnyStore::File(store) => {
            let promise = settle(env, write_through(store, initial, &id, json), |env, ()| Ok(().into_unknown(env)?))?;
            Ok(promise.to_unknown())
        }
        AnyStore::Server(store) => {
            let promise = settle(env, write_through(store, initial, &id, json), |env, ()| Ok(().into_unknown(env)?))?;
            Ok(promise.to_unknown())
        }
        AnyStore::Js(store) => {
            run_on_js_thread(env, write_through(store, initial, &id, json), |env, ()| Ok(().into_unknown(env)?))
        }
    }
}

fn store_entity(store: &AnyStore) -> String {
    match store {
        AnyStore::File(store) => store.entity_name().to_string(),
        AnyStore::Server(store) => store.entity_name().to_string(),
        AnyStore::Js(store) => store.entity_name().to_string(),
    }
}

/// Runs a JS-thread future and returns a Promise settled with its outcome, in the same turn.
fn run_on_js_thread<'env, T: 'static>(
    env: &'env Env,
    work: impl std::future::Future<Output = std::result::Result<T, PersistError>> + 'static,
    to_js: impl for<'a> FnOnce(&'a Env, T) -> std::result::Result<Unknown<'a>, Rejection> + 'static,
) -> Result<Unknown<'env>> {
    let (deferred, promise) = LocalDeferred::new(env)?;
    let task_env = *env;
    spawn_local(async move {
        let outcome = work.await.map_err(Rejection::from).and_then(|value| to_js(&task_env, value));
        crate::promise::conclude(&task_env, deferred, outcome);
    });
    Ok(promise)
}

macro_rules! registry {
    (
        doc $class_doc:literal,
        class $class:ident, singleton $singleton:literal, kind $kind:expr,
        functions ($use_fn:ident, $read_fn:ident, $write_fn:ident),
        use $use_js:literal, read $read_js:literal ($read_ts:literal), write $write_js:literal ($write_ts:literal),
        value $value_ts:literal
    ) => {
        #[doc = $class_doc]
        #[napi]
        pub struct $class {
            registry: SharedRegistry,
        }

        #[napi]
        impl $class {
            #[napi(constructor)]
            pub fn new() -> Self {
                Self { registry: new_registry($kind) }
            }

            /// Registers the adapter class used for stores created from now on: this package's
            /// `PersistBase` (the default), a subclass of it, or any class with `waitForInit`,
            /// `readValue`, `hasValue` and `writeValue`.
            /// `options.timeoutMs` fails any adapter call still pending after that long.
            #[napi(js_name = $use_js, ts_args_type = "Ctor: TPersistBaseCtor<string, any>, options?: IPersistAdapterOptions")]
            pub fn use_adapter(&self, env: &Env, ctor: Unknown, options: Option<Unknown>) -> Result<()> {
                use_adapter(env, &self.registry, ctor, options, $use_js)
            }

            /// Reads the stored value, or the registry's default when there is none.
            #[napi(js_name = $read_js, ts_args_type = $read_ts, ts_return_type = $value_ts)]
            pub fn read<'env>(&self, env: &'env Env, key: Unknown, id: Option<Unknown>) -> Result<Unknown<'env>> {
                read(env, &self.registry, key, id)
            }

            /// Writes the value through the registered adapter.
            #[napi(js_name = $write_js, ts_args_type = $write_ts, ts_return_type = "Promise<void>")]
            pub fn write<'env>(
                &self,
                env: &'env Env,
                value: Unknown,
                key: Unknown,
                id: Option<Unknown>,
            ) -> Result<Unknown<'env>> {
                write(env, &self.registry, value, key, id)
            }
        }

        /// Registers the adapter class of the singleton registry (see the class method).
        #[napi(namespace = $singleton, js_name = $use_js, ts_args_type = "Ctor: TPersistBaseCtor<string, any>, options?: IPersistAdapterOptions")]
        pub fn $use_fn(env: &Env, ctor: Unknown, options: Option<Unknown>) -> Result<()> {
            use_adapter(env, &singleton($kind)?, ctor, options, $use_js)
        }

        /// Reads through the singleton registry (works detached from the object).
        #[napi(namespace = $singleton, js_name = $read_js, ts_args_type = $read_ts, ts_return_type = $value_ts)]
        pub fn $read_fn<'env>(env: &'env Env, key: Unknown, id: Option<Unknown>) -> Result<Unknown<'env>> {
            read(env, &singleton($kind)?, key, id)
        }

        /// Writes through the singleton registry (works detached from the object).
        #[napi(namespace = $singleton, js_name = $write_js, ts_args_type = $write_ts, ts_return_type = "Promise<void>")]
        pub fn $write_fn<'env>(env: &'env Env, value: Unknown, key: Unknown, id: Option<Unknown>) -> Result<Unknown<'env>> {
            write(env, &singleton($kind)?, value, key, id)
        }
    };
}

registry! {
    doc "Registry of open signals: `./dump/data/signal/<strategyName>/<symbol>.json`.",
    class PersistSignalUtils, singleton "PersistSignalAdapter", kind RegistryKind::Signal,
    functions (signal_use, signal_read, signal_write),
    use "usePersistSignalAdapter",
    read "readSignalData" ("strategyName: string, symbol: string"),
    write "writeSignalData" ("signalRow: ISignalRow | null, strategyName: string, symbol: string"),
    value "Promise<ISignalRow | null>"
}

registry! {
    doc "Registry of scheduled signals: `./dump/data/schedule/<strategyName>/<symbol>.json`.",
    class PersistScheduleUtils, singleton "PersistScheduleAdapter", kind RegistryKind::Schedule,
    functions (schedule_use, schedule_read, schedule_write),
    use "usePersistScheduleAdapter",
    read "readScheduleData" ("strategyName: string, symbol: string"),
    write "writeScheduleData" ("scheduledSignalRow: IScheduledSignalRow | null, strategyName: string, symbol: string"),
    value "Promise<IScheduledSignalRow | null>"
}

registry! {
    doc "Registry of risk positions: `./dump/data/risk/<riskName>/positions.json`.",
    class PersistRiskUtils, singleton "PersistRiskAdapter", kind RegistryKind::Risk,
    functions (risk_use, risk_read, risk_write),
    use "usePersistRiskAdapter",
    read "readPositionData" ("riskName: string"),
    write "writePositionData" ("riskRow: RiskData, riskName: string"),
    value "Promise<RiskData>"
}

registry! {
    doc "Registry of partial profit/loss levels: `./dump/data/partial/<symbol>/levels.json`.",
    class PersistPartialUtils, singleton "PersistPartialAdapter", kind RegistryKind::Partial,
    functions (partial_use, partial_read, partial_write),
    use "usePersistPartialAdapter",
    read "readPartialData" ("symbol: string"),
    write "writePartialData" ("partialData: PartialData, symbol: string"),
    value "Promise<PartialData>"
}
