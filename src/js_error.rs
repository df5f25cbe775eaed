//! Core errors as JS `Error`s: the reference's exact message, a stable `code`, and the OS
//! failure kept as `cause` (with Node's `code`, `errno`, `syscall` and `path`).

use backtest_persist_core::{Cause, IoFailure, PersistError};
use napi::bindgen_prelude::*;

use crate::boundary;
use crate::env_state::take_adapter_error;

/// The JS error for `error`. Fails only when the engine itself refuses (a terminating worker).
pub fn to_js<'env>(env: &'env Env, error: &PersistError) -> Result<Unknown<'env>> {
    let original = match error {
        PersistError::Adapter { origin: Some(token), .. }
        | PersistError::AdapterConstructor { origin: Some(token), .. } => take_adapter_error(env, *token),
        _ => None,
    };
    if let (PersistError::Adapter { .. }, Some(original)) = (error, &original) {
        if original.is_error()? {
            return Ok(*original);
        }
    }
    let code = env.create_string(error.code())?.to_unknown();
    if let Some(original) = original {
        return boundary::error(env, &error.to_string(), &[("code", code)], Some(original));
    }
    match error {
        PersistError::AtomicWrite(io) => io_error(env, &error.to_string(), io),
        _ => {
            let cause = match error.cause() {
                Some(Cause::Io(io)) => Some(io_error(env, &io.to_string(), io)?),
                Some(Cause::Message(message)) => Some(boundary::error(env, message, &[], None)?),
                Some(Cause::Coded { code, message }) => {
                    let code = env.create_string(code)?.to_unknown();
                    Some(boundary::error(env, message, &[("code", code)], None)?)
                }
                None => None,
            };
            boundary::error(env, &error.to_string(), &[("code", code)], cause)
        }
    }
}

/// An Error shaped as Node's fs errors are: `code`, `errno`, `syscall`, `path` (and `dest`).
pub fn io_error<'env>(env: &'env Env, message: &str, io: &IoFailure) -> Result<Unknown<'env>> {
    let mut properties = Vec::new();
    if let Some(code) = &io.code {
        properties.push(("code", env.create_string(code)?.to_unknown()));
    }
    if let Some(errno) = io.errno {
        properties.push(("errno", errno.into_unknown(env)?));
    }
    properties.push(("syscall", env.create_string(io.syscall)?.to_unknown()));
    if io.names_path {
        properties.push(("path", env.create_string(io.path.to_string_lossy())?.to_unknown()));
    }
    if let Some(dest) = &io.dest {
        properties.push(("dest", env.create_string(dest.to_string_lossy())?.to_unknown()));
    }
    boundary::error(env, message, &properties, None)
}
