//! Runs core futures on the addon's runtime and settles a JS Promise of ours with the result on
//! the JS thread: values converted by the caller, errors through [`crate::js_error`].
//!
//! Every Promise this binding returns is created and settled here with `napi_resolve_deferred`
//! / `napi_reject_deferred` on the value itself. napi-rs's own settling would first turn the
//! rejection into a `napi::Error`, which reads the value's `message` and `cause` as strings: a
//! `cause` that is a Symbol (or whose `toString` throws) would then throw inside the callback
//! and the Promise would never settle.

use std::future::Future;

use backtest_persist_core::PersistError;
use napi::bindgen_prelude::*;

use crate::deferred::LocalDeferred;

/// A Promise, as this binding's functions return it.
pub type JsPromise<'env> = Unknown<'env>;

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

/// Settles `deferred` with `outcome`, on the JS thread.
pub fn conclude(env: &Env, deferred: LocalDeferred, outcome: std::result::Result<Unknown, Rejection>) {
    match outcome {
        Ok(value) => deferred.resolve(value),
        Err(rejection) => {
            let reason = match rejection {
                Rejection::Persist(error) => crate::js_error::to_js(env, &error),
                Rejection::Engine(error) => Err(error),
            };
            // An engine failure (a terminating worker) has nothing of the user's in it.
            let reason = reason.unwrap_or_else(|error| {
                crate::boundary::clear_pending_exception(env);
                JsError::from(error).into_unknown(*env)
            });
            deferred.reject(reason);
        }
    }
}

pub fn settle<'env, T, F, C>(env: &'env Env, work: F, to_js: C) -> Result<JsPromise<'env>>
where
    T: Send + 'static,
    F: Future<Output = std::result::Result<T, PersistError>> + Send + 'static,
    C: FnOnce(&Env, T) -> std::result::Result<Unknown<'_>, Rejection> + 'static,
{
    let (deferred, promise) = LocalDeferred::new(env)?;
    crate::wakeup::run_on_runtime(env, work, move |env, outcome| {
        let outcome = match outcome {
            Some(outcome) => outcome.map_err(Rejection::from).and_then(|value| to_js(env, value)),
            None => Err(Rejection::Engine(Error::from_reason("the operation ended without a result"))),
        };
        conclude(env, deferred, outcome);
    })?;
    Ok(promise)
}

/// A Promise already rejected with `error`: bad arguments are rejections, as in the reference,
/// never synchronous throws.
pub fn reject<'env>(env: &'env Env, error: PersistError) -> Result<JsPromise<'env>> {
    let (deferred, promise) = LocalDeferred::new(env)?;
    conclude(env, deferred, Err(Rejection::Persist(error)));
    Ok(promise)
}

/// A Promise already rejected with `reason`, whatever value it is.
pub fn rejected<'env>(env: &'env Env, reason: Unknown) -> Result<Unknown<'env>> {
    let (deferred, promise) = LocalDeferred::new(env)?;
    deferred.reject(reason);
    Ok(promise)
}

pub fn undefined(env: &Env) -> std::result::Result<Unknown<'_>, Rejection> {
    Ok(().into_unknown(env)?)
}
