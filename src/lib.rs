//! N-API binding of `backtest-persist-core`: converts JS arguments, maps core errors to JS
//! errors, and nothing more. The storage logic lives in the core crate.

mod boundary;
mod candle_cache;
mod deferred;
mod entity;
mod env_state;
mod file_task;
mod js_error;
mod js_store;
mod local_task;
mod persist_base;
mod promise;
mod registries;
mod store_choice;
mod store_listing;
mod tsfn;
mod v19;
mod wakeup;
mod write_file_atomic;

use napi::bindgen_prelude::*;
use napi_derive::napi;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `[singleton, class]` export names, as the JS side receives them.
type SingletonPairs<'a> = Vec<Vec<&'a str>>;

/// Completes the `PersistBase` class with its async-generator methods (`keys`, `values`,
/// `filter`, `take`, `[Symbol.asyncIterator]`), which only JS can define, and removes the
/// private native helpers they call from the exports.
#[napi(module_exports)]
pub fn install_iteration(mut exports: Object, env: Env) -> Result<()> {
    boundary::install(&env)?;
    local_task::install(&env)?;
    wakeup::install(&env)?;
    let guard: Function<FnArgs<(Object, Vec<&str>)>, Unknown> = env.run_script(include_str!("js/constructors.js"))?;
    let classes = std::iter::once("PersistBase").chain(registries::SINGLETON_CLASSES.iter().map(|(_, class)| *class));
    guard.call((exports, classes.collect()).into())?;
    let install: Function<FnArgs<(Unknown, Object, Unknown)>, Unknown> =
        env.run_script(include_str!("js/iteration.js"))?;
    let class: Unknown = exports.get_named_property("PersistBase")?;
    let sort_keys = boundary::sort_keys_function(&env)?;
    install.call((class, exports, sort_keys).into())?;
    // For the 19.5.0 Instances (`v19/`), which sort ids the engine's way as `keys()` does.
    exports.set_named_property("__v19SortKeys", sort_keys)?;
    for helper in persist_base::PRIVATE_HELPERS {
        exports.delete_named_property(helper)?;
    }
    registries::install(&env, &class)?;
    let link: Function<FnArgs<(Object, SingletonPairs)>, Unknown> = env.run_script(include_str!("js/singletons.js"))?;
    let pairs = registries::SINGLETON_CLASSES.iter().map(|(singleton, class)| vec![*singleton, *class]).collect();
    link.call((exports, pairs).into())?;
    env_state::track_environment(&env, release_environment)
}

fn release_environment() {
    registries::release();
    boundary::release();
    local_task::drop_all();
}
