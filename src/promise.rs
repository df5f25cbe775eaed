//! Runs core futures on the addon's runtime and settles a JS Promise with the result on the JS
//! thread: values converted by the caller, errors through [`crate::js_error`].

use std::future::Future;

use backtest_persist_core::PersistError;
use napi::bindgen_prelude::*;

pub type JsPromise<'env> = PromiseRaw<'env, Unknown<'env>>;

/// Why a Promise rejects: a core error (mapped to the reference's message), or a failure of
/// the JS engine itself while converting the result.
pub enum Rejection {
    Persist(PersistError),
    Engine(Error),
}

impl From<PersistError> for Rejection {
    fn from(error: PersistError) -> Self {
        Rejection::Persist(error)
    }
}

impl From<Error> for Rejection {
    fn from(error: Error) -> Self {
        Rejection::Engine(error)
    }
}

pub fn settle<'env, T, F, C>(env: &'env Env, work: F, to_js: C) -> Result<JsPromise<'env>>
where
    T: Send + 'static,
    F: Future<Output = std::result::Result<T, PersistError>> + Send + 'static,
    C: FnOnce(&'env Env, T) -> std::result::Result<Unknown<'env>, Rejection> + 'static,
{
    env.spawn_future_with_callback(async move { Ok(work.await) }, move |env, outcome| {
        match outcome.map_err(Rejection::from).and_then(|value| to_js(env, value)) {
            Ok(value) => Ok(value),
            Err(Rejection::Persist(error)) => Err(crate::js_error::to_napi(env, &error)),
            Err(Rejection::Engine(error)) => Err(error),
        }
    })
}

/// A Promise already rejected with `error`: bad arguments are rejections, as in the reference,
/// never synchronous throws.
pub fn reject<'env>(env: &'env Env, error: PersistError) -> Result<JsPromise<'env>> {
    settle(env, async move { Err::<(), _>(error) }, |env, ()| undefined(env))
}

/// A Promise already rejected with `reason`, whatever value it is.
pub fn rejected<'env>(env: &'env Env, reason: Unknown) -> Result<Unknown<'env>> {
    let (deferred, promise) = crate::deferred::LocalDeferred::new(env)?;
    deferred.reject(reason);
    Ok(promise)
}

pub fn undefined(env: &Env) -> std::result::Result<Unknown<'_>, Rejection> {
    Ok(().into_unknown(env)?)
}
