//! Short file operations (a read, a stat) as libuv work: one hop to a pool thread and one back,
//! the fewest a Promise-returning call off the JS thread can take.

use backtest_persist_core::PersistError;
use napi::bindgen_prelude::*;
use napi::ScopedTask;

use crate::promise::Rejection;

type Work<T> = Box<dyn FnOnce() -> std::result::Result<T, PersistError> + Send>;
type ToJs<T> = Box<dyn for<'a> FnOnce(&'a Env, T) -> std::result::Result<Unknown<'a>, Rejection> + Send>;

pub struct FileTask<T: Send + 'static> {
    work: Option<Work<T>>,
    to_js: Option<ToJs<T>>,
}

/// `work` runs on a libuv pool thread; `to_js` turns its value into the Promise's value on the
/// JS thread. A core error rejects with its mapped JS error.
pub fn file_task<T: Send + 'static>(
    work: impl FnOnce() -> std::result::Result<T, PersistError> + Send + 'static,
    to_js: impl for<'a> FnOnce(&'a Env, T) -> std::result::Result<Unknown<'a>, Rejection> + Send + 'static,
) -> AsyncTask<FileTask<T>> {
    AsyncTask::new(FileTask { work: Some(Box::new(work)), to_js: Some(Box::new(to_js)) })
}

/// [`file_task`], started now, for a method that may also return another kind of Promise.
pub fn spawn_file_task<'env, T: Send + 'static>(
    env: &'env Env,
    work: impl FnOnce() -> std::result::Result<T, PersistError> + Send + 'static,
    to_js: impl for<'a> FnOnce(&'a Env, T) -> std::result::Result<Unknown<'a>, Rejection> + Send + 'static,
) -> Result<crate::promise::JsPromise<'env>> {
    let task = FileTask { work: Some(Box::new(work)), to_js: Some(Box::new(to_js)) };
    Ok(env.spawn(task)?.promise_object())
}

impl<'task, T: Send + 'static> ScopedTask<'task> for FileTask<T> {
    type Output = std::result::Result<T, PersistError>;
    type JsValue = Unknown<'task>;

    fn compute(&mut self) -> Result<Self::Output> {
        match self.work.take() {
            Some(work) => Ok(work()),
            None => Err(Error::from_reason("file task ran twice")),
        }
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> Result<Self::JsValue> {
        let to_js = self.to_js.take().ok_or_else(|| Error::from_reason("file task resolved twice"))?;
        match output.map_err(Rejection::from).and_then(|value| to_js(env, value)) {
            Ok(value) => Ok(value),
            Err(Rejection::Persist(error)) => Err(crate::js_error::to_napi(env, &error)),
            Err(Rejection::Engine(error)) => Err(error),
        }
    }
}
