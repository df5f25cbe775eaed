//! Short file operations (a read, a stat, an idle key's write) as libuv work: one hop to a pool
//! thread and one back, the fewest a Promise-returning call off the JS thread can take.

use backtest_persist_core::PersistError;
use napi::bindgen_prelude::*;
use napi::ScopedTask;

use crate::deferred::LocalDeferred;
use crate::promise::{conclude, JsPromise, Rejection};

type Work<T> = Box<dyn FnOnce() -> std::result::Result<T, PersistError> + Send>;
type ToJs<T> = Box<dyn for<'a> FnOnce(&'a Env, T) -> std::result::Result<Unknown<'a>, Rejection> + Send>;

pub struct FileTask<T: Send + 'static> {
    work: Option<Work<T>>,
    to_js: Option<ToJs<T>>,
    deferred: Option<SendDeferred>,
}

/// The task's Promise, which travels with it to the pool thread and back.
struct SendDeferred(LocalDeferred);

// SAFETY: the deferred is only settled in `ScopedTask::resolve`, which libuv runs on the JS
// thread that created it; the pool thread only carries it.
unsafe impl Send for SendDeferred {}

/// Starts `work` on a libuv pool thread; `to_js` turns its value into the Promise's value on the
/// JS thread. A core error rejects with its mapped JS error.
pub fn spawn_file_task<'env, T: Send + 'static>(
    env: &'env Env,
    work: impl FnOnce() -> std::result::Result<T, PersistError> + Send + 'static,
    to_js: impl for<'a> FnOnce(&'a Env, T) -> std::result::Result<Unknown<'a>, Rejection> + Send + 'static,
) -> Result<JsPromise<'env>> {
    let (deferred, promise) = LocalDeferred::new(env)?;
    let task =
        FileTask { work: Some(Box::new(work)), to_js: Some(Box::new(to_js)), deferred: Some(SendDeferred(deferred)) };
    // libuv's own Promise for the task settles with `undefined` and is dropped unobserved.
    env.spawn(task)?;
    Ok(promise)
}

impl<'task, T: Send + 'static> ScopedTask<'task> for FileTask<T> {
    type Output = std::result::Result<T, PersistError>;
    type JsValue = ();

    fn compute(&mut self) -> Result<Self::Output> {
        match self.work.take() {
            Some(work) => Ok(work()),
            None => Err(Error::from_reason("file task ran twice")),
        }
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> Result<Self::JsValue> {
        if let (Some(SendDeferred(deferred)), Some(to_js)) = (self.deferred.take(), self.to_js.take()) {
            conclude(env, deferred, output.map_err(Rejection::from).and_then(|value| to_js(env, value)));
        }
        Ok(())
    }
}
