//! `writeFileAtomic(file, data, options)`: the reference's utility, made durable and atomic on
//! every platform. Failures reject with a Node-style fs error (`code`, `errno`, `syscall`, `path`).

use std::path::PathBuf;

use backtest_persist_core::atomic::{write_durable, AtomicOptions};
use backtest_persist_core::order::file_queue;
use backtest_persist_core::PersistError;
use napi::bindgen_prelude::*;
use napi::JsString;
use napi_derive::napi;

use crate::promise::{reject_with, settle, undefined, JsPromise};

/// Atomically and durably replaces `file` with `data`: writes `<dir>/<tmpPrefix><12 hex>-<name>`,
/// fsyncs it, renames it over `file` and fsyncs the directory. The file holds either its old
/// content or the new one, never a mix; once the Promise resolves the new content survives a
/// power loss. Concurrent calls on one file land in call order.
///
/// @param file - Target path
/// @param data - Content: a string (encoded with `options.encoding`) or bytes
/// @param options - `{ encoding = "utf8", mode = 0o666, tmpPrefix = ".tmp-" }` or an encoding
#[napi(
    ts_args_type = "file: string, data: string | Uint8Array, options?: WriteFileAtomicOptions | WriteFileAtomicEncoding",
    ts_return_type = "Promise<void>"
)]
pub fn write_file_atomic<'env>(
    env: &'env Env,
    file: String,
    data: Unknown,
    options: Option<Unknown>,
) -> Result<JsPromise<'env>> {
    // Bad arguments reject, as they do in the reference's async function.
    let prepared = read_options(options).and_then(|(encoding, atomic)| Ok((encode(env, data, &encoding)?, atomic)));
    let (bytes, atomic) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => return reject_with(env, error),
    };
    let target = PathBuf::from(file);
    let queue_key = std::path::absolute(&target).unwrap_or_else(|_| target.clone());
    let mut turn = file_queue().enqueue(&queue_key);
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
}

fn read_options(options: Option<Unknown>) -> Result<(String, AtomicOptions)> {
    let mut encoding = "utf8".to_string();
    let mut atomic = AtomicOptions::default();
    let Some(options) = options else { return Ok((encoding, atomic)) };
    match options.get_type()? {
        ValueType::Undefined | ValueType::Null => {}
        ValueType::String => encoding = String::from_unknown(options)?,
        ValueType::Object => {
            let options = Object::from_unknown(options)?;
            if let Some(value) = options.get::<Option<String>>("encoding")?.flatten() {
                encoding = value;
            }
            if let Some(mode) = options.get::<Option<f64>>("mode")?.flatten() {
                if !(0.0..=0o7777 as f64).contains(&mode) || mode.fract() != 0.0 {
                    return Err(type_error(format!(
                        "The \"mode\" option must be an integer between 0 and 0o7777, got {mode}"
                    )));
                }
                atomic.mode = mode as u32;
            }
            if let Some(prefix) = options.get::<Option<String>>("tmpPrefix")?.flatten() {
                if prefix.contains(['/', '\\', '\0']) {
                    return Err(type_error(format!(
                        "The \"tmpPrefix\" option must not contain a path separator or NUL, got {prefix:?}"
                    )));
                }
                atomic.tmp_prefix = prefix;
            }
        }
        _ => return Err(type_error("The \"options\" argument must be an object or an encoding string".into())),
    }
    Ok((encoding, atomic))
}

/// The bytes Node's `fileHandle.writeFile(data, { encoding })` would write.
fn encode(env: &Env, data: Unknown, encoding: &str) -> Result<Vec<u8>> {
    match data.get_type()? {
        ValueType::String if matches!(encoding.to_ascii_lowercase().as_str(), "utf8" | "utf-8") => {
            let text = JsString::from_unknown(data)?.into_utf8()?;
            Ok(text.as_slice().to_vec())
        }
        ValueType::String => {
            // Every other encoding is Node's own: ask Buffer.from for the exact bytes.
            let from = buffer_from::<FnArgs<(Unknown, Unknown)>>(env)?;
            let buffer = from.call((data, env.create_string(encoding)?.to_unknown()).into())?;
            Ok(Uint8Array::from_unknown(buffer)?.to_vec())
        }
        ValueType::Object if data.is_typedarray()? || data.is_dataview()? => {
            // Any view writes its underlying bytes, as Node's writeFile does.
            let view = Object::from_unknown(data)?;
            let from = buffer_from::<FnArgs<(Unknown, Unknown, Unknown)>>(env)?;
            let buffer: Unknown = view.get_named_property("buffer")?;
            let offset: Unknown = view.get_named_property("byteOffset")?;
            let length: Unknown = view.get_named_property("byteLength")?;
            let bytes = from.call((buffer, offset, length).into())?;
            Ok(Uint8Array::from_unknown(bytes)?.to_vec())
        }
        other => Err(type_error(format!(
            "The \"data\" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received {other}"
        ))),
    }
}

/// Node's `Buffer.from` (which does not use `this`), to encode exactly as Node does.
fn buffer_from<'env, Args: JsValuesTupleIntoVec>(env: &'env Env) -> Result<Function<'env, Args, Unknown<'env>>> {
    let buffer_class: Unknown = env.get_global()?.get_named_property("Buffer")?;
    unsafe { buffer_class.cast::<Object>() }?.get_named_property("from")
}

fn type_error(message: String) -> Error {
    Error::new(Status::InvalidArg, message)
}
