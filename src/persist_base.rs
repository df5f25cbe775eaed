//! `PersistBase`: the reference's class over the core's [`FileStore`]. Every method returns a
//! Promise; the file work runs off the JS thread, only `JSON.stringify`/`JSON.parse` run on it.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use backtest_persist_core::store::{PlannedWrite, ServerStore};
use backtest_persist_core::{FileStore, PersistError, Store};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::boundary;
use crate::entity::{entity_id, parse_document, stringify};
use crate::file_task::spawn_file_task;
use crate::promise::{reject, settle, undefined, JsPromise, Rejection};

/// Native helpers called by the JS part of the class (`src/js/iteration.js`), removed from the
/// exports once it is installed.
pub const PRIVATE_HELPERS: [&str; 3] = ["__persistBaseList", "__persistBaseRead", "__persistBaseParse"];

/// Most bytes of documents one window of `values()` reads before handing them to JS (the
/// generator asks for less at first): a `take(1)` over large documents reads one window.
const MAX_WINDOW_BYTES: usize = 8 << 20;

/// File-backed persistence of JSON entities, one `<entityId>.json` file per entity in
/// `<baseDir>/<entityName>/`: a drop-in for backtest-kit's `PersistBase`.
///
/// Writes are atomic and durable (temp file, fsync, rename, directory fsync) and land in call
/// order per entity. `waitForInit` creates the directory, removes temp files of crashed
/// writes and moves documents that do not parse into `.quarantine/`.
///
/// Extend it to build a custom backend: `class RedisPersist extends PersistBase { ... }`.
///
/// ```typescript
/// const persist = new PersistBase("my-entity", "./data");
/// await persist.waitForInit(true);
/// await persist.writeValue("key1", { data: "value" });
/// const value = await persist.readValue<{ data: string }>("key1");
/// ```
#[napi]
pub struct PersistBase {
    pub(crate) store: FileStore,
    /// The server store (Redis, PostgreSQL) this instance keeps its documents in instead of
    /// files, when it was created under `usePersistStore(url)` or with `{ store: url }`.
    pub(crate) server: Option<ServerStore>,
    /// The Promise of the init in flight, shared by every `waitForInit` call made meanwhile (as
    /// the reference's singleshot is), so that their continuations run in call order.
    init_in_flight: std::rc::Rc<std::cell::RefCell<Option<crate::env_state::LocalRef>>>,
    entity_name: String,
    base_dir: String,
    directory: String,
}

#[napi]
impl PersistBase {
    /// @param entityName - Entity type identifier, the directory name under `baseDir`
    /// @param baseDir - Base directory (default: `<cwd>/logs/data`)
    ///
    /// Arguments that are not strings throw what the reference's `path.join` throws: a
    /// `TypeError` with code `ERR_INVALID_ARG_TYPE` (`null` for `baseDir` is taken as absent).
    /// @param options - `{ store }`: a `redis://`, `postgres://` or `sqlite:` URL for this instance alone (`null`: files),
    /// overriding `usePersistStore`
    #[napi(
        constructor,
        ts_args_type = "entityName: string, baseDir?: string | undefined | null, options?: { store?: string | null }"
    )]
    pub fn new(env: &Env, entity_name: Unknown, base_dir: Option<Unknown>, options: Option<Unknown>) -> Result<Self> {
        let url = store_option(env, options)?;
        let base_dir = match base_dir.map(|value| Ok::<_, Error>((value.get_type()?, value))).transpose()? {
            Some((ValueType::Undefined | ValueType::Null, _)) | None => None,
            Some((_, value)) => Some(path_argument(env, value)?),
        };
        let entity_name = path_argument(env, entity_name)?;
        let base_dir = match base_dir {
            Some(base_dir) => base_dir,
            None => std::env::current_dir()
                .map(|cwd| cwd.join("logs/data"))
                .map_err(|error| Error::from_reason(format!("Failed to read the current directory: {error}")))?
                .to_string_lossy()
                .into_owned(),
        };
        let store = FileStore::new(&entity_name, Path::new(&base_dir));
        let server = url.map(|url| ServerStore::open(&url, &entity_name, Path::new(&base_dir)));
        let directory = store.directory().to_string_lossy().into_owned();
        Ok(Self { store, server, init_in_flight: Default::default(), entity_name, base_dir, directory })
    }

    /// Unique entity type identifier.
    #[napi(getter)]
    pub fn entity_name(&self) -> String {
        self.entity_name.clone()
    }

    /// Base directory for all entities.
    #[napi(getter)]
    pub fn base_dir(&self) -> String {
        self.base_dir.clone()
    }

    /// Computed directory path for entity storage: `path.join(baseDir, entityName)`.
    #[napi(getter, js_name = "_directory")]
    pub fn directory(&self) -> String {
        self.directory.clone()
    }

    /// Computes the file path of an entity: `path.join(baseDir, entityName, `${entityId}.json`)`.
    #[napi(js_name = "_getFilePath", ts_args_type = "entityId: EntityId")]
    pub fn get_file_path(&self, env: &Env, entity_id_value: Unknown) -> Result<String> {
        match entity_id(&self.entity_name, entity_id_value) {
            Ok(id) => Ok(path_string(self.store.file_path(&id))),
            Err(error) => Err(boundary::throw(env, crate::js_error::to_js(env, &error)?)),
        }
    }

    /// Initializes the store once per instance, however often it is called: creates the
    /// directory, removes temp files older than 120 s left by crashed writes, and moves
    /// documents that do not parse into `.quarantine/`, logging each as the reference does.
    /// A failed run is retried by the next call.
    ///
    /// @param initial - Whether this is the first initialization (informational)
    #[napi(ts_args_type = "initial?: boolean", ts_return_type = "Promise<void>")]
    pub fn wait_for_init<'env>(&self, env: &'env Env, initial: Option<Unknown>) -> Result<Unknown<'env>> {
        let _ = initial;
        // An init in flight is joined, even once the store has finished it on its thread: its
        // Promise settles on a later turn, and a call resolved before it would overtake it.
        if let Some(shared) = self.init_in_flight.borrow().as_ref().and_then(|shared| shared.get(env).ok()) {
            return Ok(shared);
        }
        // Done already (every call after the first): settled now, with no thread hop.
        let initialized = match &self.server {
            Some(server) => server.is_initialized(),
            None => self.store.is_initialized(),
        };
        if initialized {
            return resolved(env);
        }
        let init: Pin<Box<dyn Future<Output = _> + Send>> = match self.server.clone() {
            Some(server) => Box::pin(async move { server.init(false).await }),
            None => {
                let store = self.store.clone();
                Box::pin(async move { store.init(false).await })
            }
        };
        let slot = self.init_in_flight.clone();
        let promise = settle(env, async move { Ok(init.await) }, move |env, outcome| {
            slot.borrow_mut().take();
            let report = outcome.map_err(Rejection::Persist)?;
            if !report.logs.is_empty() {
                boundary::log_error(env, &report.logs)?;
            }
            undefined(env)
        })?;
        *self.init_in_flight.borrow_mut() = Some(crate::env_state::LocalRef::new(env, &promise)?);
        Ok(promise)
    }

    /// Reads an entity: `JSON.parse` of its file.
    ///
    /// Rejects with `Entity <name>:<id> not found` (code `ENTITY_NOT_FOUND`) when it does not
    /// exist, and `Failed to read entity <name>:<id>: <cause>` otherwise.
    #[napi(
        ts_generic_types = "T extends IEntity | null = IEntity",
        ts_args_type = "entityId: EntityId",
        ts_return_type = "Promise<T>"
    )]
    pub fn read_value<'env>(&self, env: &'env Env, entity_id_value: Unknown) -> Result<JsPromise<'env>> {
        let id = match entity_id(&self.entity_name, entity_id_value) {
            Ok(id) => id,
            Err(error) => return reject(env, error),
        };
        let entity = self.entity_name.clone();
        if let Some(server) = &self.server {
            let read = server.read(&id);
            return settle(env, read, move |env, text| parse_document(env, &entity, &id, &text));
        }
        let store = self.store.clone();
        let read_id = id.clone();
        spawn_file_task(
            env,
            move || store.read_now(&read_id),
            move |env, text| parse_document(env, &entity, &id, &text),
        )
    }

    /// Whether the entity's file exists.
    #[napi(ts_args_type = "entityId: EntityId", ts_return_type = "Promise<boolean>")]
    pub fn has_value<'env>(&self, env: &'env Env, entity_id_value: Unknown) -> Result<JsPromise<'env>> {
        let id = match entity_id(&self.entity_name, entity_id_value) {
            Ok(id) => id,
            Err(error) => return reject(env, error),
        };
        if let Some(server) = &self.server {
            return settle(env, server.has(&id), |env, found| Ok(found.into_unknown(env)?));
        }
        let store = self.store.clone();
        spawn_file_task(env, move || store.has_now(&id), |env, found| Ok(found.into_unknown(env)?))
    }

    /// Writes an entity as `JSON.stringify(entity)`, atomically and durably. `null` is a valid
    /// entity. Writes to one entity land in call order.
    #[napi(
        ts_generic_types = "T extends IEntity | null = IEntity",
        ts_args_type = "entityId: EntityId, entity: T",
        ts_return_type = "Promise<void>"
    )]
    pub fn write_value<'env>(
        &self,
        env: &'env Env,
        entity_id_value: Unknown,
        entity: Unknown,
    ) -> Result<JsPromise<'env>> {
        let id = match entity_id(&self.entity_name, entity_id_value) {
            Ok(id) => id,
            Err(error) => return reject(env, error),
        };
        let json = match stringify(env, entity) {
            Ok(json) => json,
            Err(reason) => {
                return reject(env, PersistError::InvalidEntity { entity: self.entity_name.clone(), id, reason })
            }
        };
        // Called now, on the JS thread, so that this write's place in the key's order is fixed.
        if let Some(server) = &self.server {
            return settle(env, server.write(&id, json), |env, ()| undefined(env));
        }
        match self.store.plan_write(&id, json) {
            Err(error) => reject(env, error),
            // An idle key on an idle store: the whole durable write is one libuv work item.
            Ok(PlannedWrite::Immediate(write)) => spawn_file_task(env, move || write.run(), |env, ()| undefined(env)),
            Ok(PlannedWrite::Queued(write)) => settle(env, write, |env, ()| undefined(env)),
        }
    }

    /// Deletes an entity. Rejects with `Entity <name>:<id> not found for deletion` when it does
    /// not exist.
    #[napi(ts_args_type = "entityId: EntityId", ts_return_type = "Promise<void>")]
    pub fn remove_value<'env>(&self, env: &'env Env, entity_id_value: Unknown) -> Result<JsPromise<'env>> {
        let id = match entity_id(&self.entity_name, entity_id_value) {
            Ok(id) => id,
            Err(error) => return reject(env, error),
        };
        if let Some(server) = &self.server {
            return settle(env, server.remove(&id), |env, ()| undefined(env));
        }
        let remove = self.store.remove(&id);
        settle(env, remove, |env, ()| undefined(env))
    }

    /// Deletes every entity of this store (temp files and quarantine are left alone).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn remove_all<'env>(&self, env: &'env Env) -> Result<JsPromise<'env>> {
        // Taken now: its place in the order of every key is this call's.
        if let Some(server) = &self.server {
            return settle(env, server.remove_all(), |env, ()| undefined(env));
        }
        let removal = self.store.remove_all();
        settle(env, removal, |env, ()| undefined(env))
    }

    /// Number of stored entities.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn get_count<'env>(&self, env: &'env Env) -> Result<JsPromise<'env>> {
        if let Some(server) = self.server.clone() {
            return settle(
                env,
                async move { server.count().await },
                |env, count| Ok((count as f64).into_unknown(env)?),
            );
        }
        let store = self.store.clone();
        settle(env, async move { store.count().await }, |env, count| Ok((count as f64).into_unknown(env)?))
    }
}

/// The entity ids, for the JS `keys()` and `values()` generators: an object with `length`,
/// `slice(start, end)` and `needsEngineSort`, which is true when the ids must be sorted by the
/// engine's own collator (an id outside ASCII, or a default locale other than root's order).
/// The ids stay here until sliced, so that a large store never crosses to JS at once.
#[napi(js_name = "__persistBaseList", skip_typescript)]
pub fn persist_base_list<'env>(env: &'env Env, persist: &PersistBase, for_values: bool) -> Result<JsPromise<'env>> {
    let store = persist.store.clone();
    let server = persist.server.clone();
    let listed = async move {
        let keys = match server {
            Some(server) => server.keys().await,
            None => store.keys().await,
        };
        keys.map_err(|error| match error {
            PersistError::Keys { entity, cause } if for_values => PersistError::Values { entity, cause },
            other => other,
        })
    };
    settle(env, listed, |env, ids: Vec<String>| {
        let needs_engine_sort = boundary::needs_engine_sort(ids.iter().map(String::as_str));
        let length = ids.len();
        let ids = std::rc::Rc::new(ids);
        let slice = env.create_function_from_closure::<Unknown, Vec<String>, _>("slice", move |ctx| {
            let bound = |index: usize| -> usize {
                ctx.get::<f64>(index)
                    .ok()
                    .filter(|n| n.is_finite() && *n > 0.0)
                    .map_or(0, |n| n as usize)
                    .min(ids.len())
            };
            let (start, end) = (bound(0), bound(1));
            Ok(ids.get(start..end.max(start)).unwrap_or_default().to_vec())
        })?;
        let mut list = Object::new(env)?;
        list.set_named_property("length", length as f64)?;
        list.set_named_property("needsEngineSort", needs_engine_sort)?;
        list.set_named_property("slice", slice)?;
        Ok(list.to_unknown())
    })
}

/// The texts of `ids`, in order: one window of the JS `values()` generator, read until about
/// `max_bytes` (at most 8 MB), so it may hold fewer than asked for, never none unless `ids`
/// is empty. The generator parses each one only when it yields it (`__persistBaseParse`).
#[napi(js_name = "__persistBaseRead", skip_typescript)]
pub fn persist_base_read<'env>(
    env: &'env Env,
    persist: &PersistBase,
    ids: Vec<String>,
    max_bytes: f64,
) -> Result<JsPromise<'env>> {
    let store = persist.store.clone();
    let server = persist.server.clone();
    let max_bytes = if max_bytes.is_finite() && max_bytes >= 1.0 { max_bytes as usize } else { 1 };
    let max_bytes = max_bytes.min(MAX_WINDOW_BYTES);
    let window = async move {
        match server {
            Some(server) => server.read_window(ids, max_bytes).await,
            None => store.read_window(ids, max_bytes).await,
        }
    };
    settle(env, window, |env, texts: Vec<String>| {
        let mut array = env.create_array(texts.len() as u32)?;
        for (index, text) in texts.iter().enumerate() {
            array.set(index as u32, text.as_str())?;
        }
        Ok(array.to_unknown())
    })
}

/// `JSON.parse` of the document `id` read by a window of `values()`; throws what the reference's
/// `values()` rejects with for a document that does not parse (`VALUES_FAILED`).
#[napi(js_name = "__persistBaseParse", skip_typescript)]
pub fn persist_base_parse<'env>(
    env: &'env Env,
    persist: &PersistBase,
    id: String,
    text: String,
) -> Result<Unknown<'env>> {
    match parse_document(env, &persist.entity_name, &id, &text) {
        Ok(value) => Ok(value),
        Err(Rejection::Persist(error)) => {
            let error = PersistError::Values {
                entity: persist.entity_name.clone(),
                cause: backtest_persist_core::Cause::Message(error.to_string()),
            };
            Err(boundary::throw(env, crate::js_error::to_js(env, &error)?))
        }
        Err(Rejection::Engine(error)) => Err(error),
    }
}

/// A Promise resolved with `undefined` now.
fn resolved(env: &Env) -> Result<Unknown<'_>> {
    let (deferred, promise) = crate::deferred::LocalDeferred::new(env)?;
    deferred.resolve(().into_unknown(env)?);
    Ok(promise)
}

/// The store of `options.store` (a Redis URL, or null for files), else `usePersistStore`'s.
fn store_option(env: &Env, options: Option<Unknown>) -> Result<Option<String>> {
    let Some(options) = options else { return Ok(crate::store_choice::current()) };
    match options.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok(crate::store_choice::current()),
        ValueType::Object => {}
        _ => return Err(boundary::throw(env, boundary::invalid_arg_type(env, "options", "of type object", options)?)),
    }
    match boundary::get(env, options, "store")? {
        Ok(value) if value.get_type()? == ValueType::Undefined => Ok(crate::store_choice::current()),
        Ok(value) => crate::store_choice::store_argument(env, value, "PersistBase: options.store"),
        Err(thrown) => Err(boundary::throw(env, thrown)),
    }
}

/// A path argument as the reference's `path.join` takes it: a string, or its TypeError.
fn path_argument(env: &Env, value: Unknown) -> Result<String> {
    if value.get_type()? == ValueType::String {
        return unsafe { value.cast::<napi::JsString>() }?.into_utf8()?.into_owned();
    }
    Err(boundary::throw(env, boundary::invalid_arg_type(env, "path", "of type string", value)?))
}

fn path_string(path: PathBuf) -> String {
    path.to_string_lossy().into_owned()
}
