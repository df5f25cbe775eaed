//! `writeFileAtomic(file, data, options)`: the reference's utility, made durable and atomic on
//! every platform. Failures reject with a Node-style fs error (`code`, `errno`, `syscall`, `path`).

use std::path::PathBuf;

use backtest_persist_core::atomic::{write_durable, AtomicOptions};
use backtest_persist_core::order::file_queue;
use backtest_persist_core::store::resolve;
use backtest_persist_core::PersistError;
use napi::bindgen_prelude::*;
use napi::{sys, JsString};
use napi_derive::napi;

use crate::boundary;
use crate::promise::{rejected, settle, undefined};

/// Atomically and durably replaces `file` with `data`: writes `<dir>/<tmpPrefix><12 hex>-<name>`,
/// fsyncs it, renames it over `file` and fsyncs the directory. The file holds either its old
/// content or the new one, never a mix; once the Promise resolves the new content survives a
/// power loss. Concurrent calls on one file land in call order.
///
/// @param file - Target path
/// @param data - Content: a string (encoded with `options.encoding`) or bytes
/// @param options - `{ encoding = "utf8", mode = 0o666, tmpPrefix = ".tmp-" }` or an encoding
#[napi(
    ts_args_type = "file: string, data: string | ArrayBufferView, options?: WriteFileAtomicOptions | WriteFileAtomicEncoding",
    ts_return_type = "Promise<void>"
)]
pub fn write_file_atomic<'env>(
    env: &'env Env,
    file: Unknown,
    data: Unknown,
    options: Option<Unknown>,
) -> Result<Unknown<'env>> {
    // Bad arguments reject, as they do in the reference's async function, with what Node's own
    // functions throw for them (or what a getter of the caller's threw).
    let (target, bytes, atomic) = match prepare(env, file, data, options)? {
        Ok(prepared) => prepared,
        Err(reason) => return rejected(env, reason),
    };
    // The order key is the absolute, lexically normal path of this moment, which every spelling
    // of the file shares (`a/./b`, `a//b`, `a/x/../b`); the write itself goes where Node's would.
    let mut turn = file_queue().enqueue(&resolve(&target));
    settle(
        env,
        async move {
            turn.ready().await;
            let written = tokio::task::spawn_blocking(move || write_durable(&target, &bytes, &atomic)).await;
            drop(turn);
            match written {
                Ok(result) => result.map_err(|io| PersistError::AtomicWrite(Box::new(io))),
                Err(error) => Err(PersistError::InvalidEntity {
                    entity: String::new(),
                    id: String::new(),
                    reason: format!("background file task failed: {error}"),
                }),
            }
        },
        |env, ()| undefined(env),
    )
    .map(|promise| promise.to_unknown())
}

type Prepared = (PathBuf, Vec<u8>, AtomicOptions);

/// The checked arguments, or the value to reject with.
fn prepare<'env>(
    env: &'env Env,
    file: Unknown<'env>,
    data: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> Result<std::result::Result<Prepared, Unknown<'env>>> {
    if file.get_type()? != ValueType::String {
        return Ok(Err(boundary::invalid_arg_type(env, "path", "of type string", file)?));
    }
    let file = unsafe { file.cast::<JsString>() }?.into_utf8()?.into_owned()?;
    let (encoding, atomic) = match read_options(env, options)? {
        Ok(read) => read,
        Err(reason) => return Ok(Err(reason)),
    };
    Ok(encode(env, data, &encoding)?.map(|bytes| (PathBuf::from(file), bytes, atomic)))
}

/// `options[name]`, `None` when absent (`undefined` or `null`); `Err` is what a getter threw.
fn option<'env>(
    env: &'env Env,
    options: Unknown<'env>,
    name: &str,
) -> Result<std::result::Result<Option<Unknown<'env>>, Unknown<'env>>> {
    Ok(boundary::get(env, options, name)?
        .map(|value| (!matches!(value.get_type(), Ok(ValueType::Undefined | ValueType::Null))).then_some(value)))
}

fn read_options<'env>(
    env: &'env Env,
    options: Option<Unknown<'env>>,
) -> Result<std::result::Result<(String, AtomicOptions), Unknown<'env>>> {
    let mut encoding = "utf8".to_string();
    let mut atomic = AtomicOptions::default();
    let Some(options) = options else { return Ok(Ok((encoding, atomic))) };
    match options.get_type()? {
        ValueType::Undefined | ValueType::Null => {}
        ValueType::String => encoding = String::from_unknown(options)?,
        ValueType::Object => {
            match option(env, options, "encoding")? {
                Err(thrown) => return Ok(Err(thrown)),
                Ok(None) => {}
                Ok(Some(value)) if value.get_type()? == ValueType::String => encoding = String::from_unknown(value)?,
                Ok(Some(value)) => {
                    return Ok(Err(boundary::invalid_arg_type(env, "options.encoding", "of type string", value)?))
                }
            }
            match option(env, options, "mode")? {
                Err(thrown) => return Ok(Err(thrown)),
                Ok(None) => {}
                Ok(Some(value)) => {
                    if value.get_type()? != ValueType::Number {
                        return Ok(Err(boundary::invalid_arg_type(env, "options.mode", "of type number", value)?));
                    }
                    let mode = f64::from_unknown(value)?;
                    if !(0.0..=0o7777 as f64).contains(&mode) || mode.fract() != 0.0 {
                        let message =
                            format!("The \"mode\" option must be an integer between 0 and 0o7777, got {mode}");
                        return Ok(Err(boundary::type_error(env, &message, "ERR_INVALID_ARG_VALUE")?));
                    }
                    atomic.mode = mode as u32;
                }
            }
            match option(env, options, "tmpPrefix")? {
                Err(thrown) => return Ok(Err(thrown)),
                Ok(None) => {}
                Ok(Some(value)) if value.get_type()? == ValueType::String => {
                    let prefix = String::from_unknown(value)?;
                    if prefix.contains(['/', '\\', '\0']) {
                        let message = format!(
                            "The \"tmpPrefix\" option must not contain a path separator or NUL, got {prefix:?}"
                        );
                        return Ok(Err(boundary::type_error(env, &message, "ERR_INVALID_ARG_VALUE")?));
                    }
                    atomic.tmp_prefix = prefix;
                }
                Ok(Some(value)) => {
                    return Ok(Err(boundary::invalid_arg_type(env, "options.tmpPrefix", "of type string", value)?))
                }
            }
        }
        _ => return Ok(Err(boundary::invalid_arg_type(env, "options", "an object or an encoding string", options)?)),
    }
    Ok(Ok((encoding, atomic)))
}

/// The bytes Node's `fileHandle.writeFile(data, { encoding })` would write.
fn encode<'env>(
    env: &'env Env,
    data: Unknown<'env>,
    encoding: &str,
) -> Result<std::result::Result<Vec<u8>, Unknown<'env>>> {
    match data.get_type()? {
        ValueType::String if matches!(encoding.to_ascii_lowercase().as_str(), "utf8" | "utf-8") => {
            let text = JsString::from_unknown(data)?.into_utf8()?;
            Ok(Ok(text.as_slice().to_vec()))
        }
        ValueType::String => {
            // Every other encoding is Node's own: ask Buffer.from for the exact bytes (and for
            // its error on an encoding it does not know).
            let buffer_class = match boundary::get(env, env.get_global()?.to_unknown(), "Buffer")? {
                Ok(class) => class,
                Err(thrown) => return Ok(Err(thrown)),
            };
            let from = match boundary::get(env, buffer_class, "from")? {
                Ok(from) => from,
                Err(thrown) => return Ok(Err(thrown)),
            };
            let arguments = vec![data, env.create_string(encoding)?.to_unknown()];
            match boundary::call(env, from, Some(buffer_class), arguments)? {
                Ok(buffer) => Ok(Ok(view_bytes(env, buffer)?.unwrap_or_default())),
                Err(thrown) => Ok(Err(thrown)),
            }
        }
        ValueType::Object => match view_bytes(env, data)? {
            Some(bytes) => Ok(Ok(bytes)),
            None => Ok(Err(invalid_data(env, data)?)),
        },
        _ => Ok(Err(invalid_data(env, data)?)),
    }
}

fn invalid_data<'env>(env: &'env Env, data: Unknown) -> Result<Unknown<'env>> {
    boundary::invalid_arg_type(env, "data", "of type string or an instance of Buffer, TypedArray, or DataView", data)
}

/// The bytes any TypedArray or DataView views (as Node's writeFile writes them), read from the
/// engine's own record of the view, so no getter of the value runs.
fn view_bytes(env: &Env, value: Unknown) -> Result<Option<Vec<u8>>> {
    let mut data = std::ptr::null_mut();
    let mut length = 0usize;
    let mut buffer = std::ptr::null_mut();
    let mut offset = 0usize;
    if value.is_typedarray()? {
        let mut kind = 0;
        // SAFETY: `value` is a TypedArray of `env`; the out-pointers are valid.
        check(unsafe {
            sys::napi_get_typedarray_info(
                env.raw(),
                value.raw(),
                &mut kind,
                &mut length,
                &mut data,
                &mut buffer,
                &mut offset,
            )
        })?;
        length *= element_size(kind);
    } else if value.is_dataview()? {
        // SAFETY: as above, for a DataView.
        check(unsafe {
            sys::napi_get_dataview_info(env.raw(), value.raw(), &mut length, &mut data, &mut buffer, &mut offset)
        })?;
    } else {
        return Ok(None);
    }
    if length == 0 || data.is_null() {
        return Ok(Some(Vec::new()));
    }
    // SAFETY: the engine reports `length` bytes at `data`, alive while `value` is on the stack.
    Ok(Some(unsafe { std::slice::from_raw_parts(data as *const u8, length) }.to_vec()))
}

fn element_size(kind: sys::napi_typedarray_type) -> usize {
    match kind {
        sys::TypedarrayType::int16_array | sys::TypedarrayType::uint16_array => 2,
        sys::TypedarrayType::int32_array | sys::TypedarrayType::uint32_array | sys::TypedarrayType::float32_array => 4,
        sys::TypedarrayType::float64_array
        | sys::TypedarrayType::bigint64_array
        | sys::TypedarrayType::biguint64_array => 8,
        _ => 1,
    }
}

fn check(status: sys::napi_status) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::new(Status::from(status), "Failed to read a TypedArray"))
    }
}
