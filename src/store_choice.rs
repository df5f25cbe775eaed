//! `usePersistStore(url)`: which store this environment's `PersistBase`s and registry stores are
//! created on from now on. `null` (the default) is the file store; `redis://` / `rediss://` a
//! Redis server, `postgres://` / `postgresql://` a PostgreSQL one, `sqlite:<path>` a SQLite
//! database file. Stores created before the call stay where they are.

use std::cell::RefCell;

use backtest_persist_core::store::check_store_url;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::boundary;

thread_local! {
    static CURRENT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The store URL new stores are created on, or `None` for files.
pub fn current() -> Option<String> {
    CURRENT.with(|slot| slot.borrow().clone())
}

/// A store URL argument: `None` for null (files), or a checked server URL. `undefined` (an
/// unset environment variable, usually) and anything else throw Node's argument errors, naming
/// `what`: a bot must not go to files because its `PERSIST_URL` was missing.
pub fn store_argument(env: &Env, value: Unknown, what: &str) -> Result<Option<String>> {
    match value.get_type()? {
        ValueType::Null => Ok(None),
        ValueType::Undefined => {
            let message = format!(
                "{what}: the store URL is undefined (an unset environment variable?); pass a redis://, rediss://, redis-sentinel://, postgres:// or sqlite: URL, or null for files"
            );
            Err(boundary::throw(env, boundary::type_error(env, &message, "ERR_INVALID_ARG_TYPE")?))
        }
        ValueType::String => {
            let url = unsafe { value.cast::<napi::JsString>() }?.into_utf8()?.into_owned()?;
            match check_store_url(&url) {
                Ok(()) => Ok(Some(url)),
                Err(reason) => {
                    let message = format!("{what}: {reason}");
                    Err(boundary::throw(env, boundary::type_error(env, &message, "ERR_INVALID_ARG_VALUE")?))
                }
            }
        }
        _ => {
            let error = boundary::invalid_arg_type(env, "url", "of type string or null", value)?;
            Err(boundary::throw(env, error))
        }
    }
}

/// Moves the persistence of this environment to the store at `url` (`redis://host:port/db`,
/// `rediss://...`, `?wait=<n>` waiting for `n` replicas after each write;
/// `postgres://user:password@host:port/database`; or a SQLite database file,
/// `sqlite:./dump/state.db`), or back to files with `null` (`undefined` is refused). Every
/// `PersistBase` and every registry store created afterwards uses it, with the same methods,
/// messages and codes; keys follow the file layout (`<baseDir>/<entityName>` and the id: a Redis
/// hash per directory, or the `(namespace, id)` key of the `backtest_persist` table).
#[napi(js_name = "usePersistStore", ts_args_type = "url: string | null")]
pub fn use_persist_store(env: &Env, url: Unknown) -> Result<()> {
    let url = store_argument(env, url, "usePersistStore")?;
    CURRENT.with(|slot| *slot.borrow_mut() = url);
    Ok(())
}
