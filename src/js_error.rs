//! Core errors as JS `Error`s: the reference's exact message, a stable `code`, and the OS
//! failure kept as `cause` (with Node's `code`, `errno`, `syscall` and `path`).

use backtest_persist_core::{Cause, IoFailure, PersistError};

use crate::env_state::take_adapter_error;
use napi::bindgen_prelude::*;
use napi::JsString;

/// A `napi::Error` that rejects or throws with the JS error built for `error`. An error a JS
/// adapter threw is handed back as the very value thrown when it is an `Error`.
pub fn to_napi(env: &Env, error: &PersistError) -> Error {
    match build(env, error) {
        Ok(value) => Error::from(value),
        Err(failed) => failed,
    }
}

fn build<'env>(env: &'env Env, error: &PersistError) -> Result<Unknown<'env>> {
    let original = match error {
        PersistError::Adapter { origin: Some(token), .. }
        | PersistError::AdapterConstructor { origin: Some(token), .. } => {
            take_adapter_error(*token).map(|original| original.get(env)).transpose()?
        }
        _ => None,
    };
    if let (PersistError::Adapter { .. }, Some(original)) = (error, &original) {
        if original.is_error()? {
            return Ok(*original);
        }
    }
    let mut object = new_error(env, &error.to_string())?;
    if let Some(original) = original {
        object.set_named_property("code", error.code())?;
        object.set_named_property("cause", original)?;
        return Ok(object.to_unknown());
    }
    match error {
        PersistError::AtomicWrite(io) => describe_io(&mut object, io)?,
        _ => {
            object.set_named_property("code", error.code())?;
            if let Some(cause) = error.cause() {
                let mut inner = new_error(env, &cause.to_string())?;
                if let Cause::Io(io) = cause {
                    describe_io(&mut inner, io)?;
                }
                object.set_named_property("cause", inner)?;
            }
        }
    }
    Ok(object.to_unknown())
}

fn new_error<'env>(env: &'env Env, message: &str) -> Result<Object<'env>> {
    let constructor: Function<'env, JsString<'env>, Unknown<'env>> = env.get_global()?.get_named_property("Error")?;
    let object = constructor.new_instance(env.create_string(message)?)?;
    unsafe { object.cast::<Object>() }
}

fn describe_io(object: &mut Object, io: &IoFailure) -> Result<()> {
    if let Some(code) = &io.code {
        object.set_named_property("code", code.as_str())?;
    }
    if let Some(errno) = io.errno {
        object.set_named_property("errno", errno)?;
    }
    object.set_named_property("syscall", io.syscall)?;
    object.set_named_property("path", io.path.to_string_lossy().as_ref())?;
    Ok(())
}
