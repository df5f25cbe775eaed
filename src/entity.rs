//! Entity ids and entity values as they cross from JS: ids coerced exactly as the reference's
//! template string does, values serialized and parsed by the engine's own `JSON`.

use backtest_persist_core::{Cause, PersistError};
use napi::bindgen_prelude::*;
use napi::JsString;

use crate::boundary;
use crate::promise::Rejection;

/// The id as the reference writes it into a file name (`${entityId}`), or an error for
/// anything that is not a string or a number.
pub fn entity_id(entity: &str, value: Unknown) -> std::result::Result<String, PersistError> {
    let invalid =
        |reason: String, shown: String| PersistError::InvalidId { entity: entity.to_string(), id: shown, reason };
    let kind = value.get_type().map_err(|error| invalid(error.reason, String::new()))?;
    match kind {
        ValueType::String | ValueType::Number => value
            .coerce_to_string()
            .and_then(|text| text.into_utf8())
            .and_then(|text| text.into_owned())
            .map_err(|error| invalid(error.reason, String::new())),
        other => Err(invalid(format!("it must be a string or a number, got {}", type_name(other)), String::new())),
    }
}

fn type_name(kind: ValueType) -> &'static str {
    match kind {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "boolean",
        ValueType::Number => "number",
        ValueType::String => "string",
        ValueType::Symbol => "symbol",
        ValueType::Object => "object",
        ValueType::Function => "function",
        ValueType::External => "external",
        ValueType::BigInt => "bigint",
        _ => "unknown",
    }
}

/// `JSON.stringify(value)` as UTF-8, or the reason it cannot be stored.
pub fn stringify(env: &Env, value: Unknown) -> std::result::Result<Vec<u8>, String> {
    let text = thrown_as_message(env, boundary::stringify(env, value))?;
    match text.get_type() {
        Ok(ValueType::String) => {
            let text = unsafe { text.cast::<JsString>() }.and_then(|text| text.into_utf8()).map_err(|e| e.reason)?;
            Ok(text.as_slice().to_vec())
        }
        _ => Err(format!(
            "the value cannot be stored as JSON (JSON.stringify gave no text for a value of type {})",
            value.get_type().map(type_name).unwrap_or("unknown")
        )),
    }
}

/// `JSON.parse(text)`, or the engine's message for why it failed.
pub fn parse<'env>(env: &'env Env, text: &str) -> std::result::Result<Unknown<'env>, String> {
    thrown_as_message(env, boundary::parse(env, text))
}

/// `JSON.parse` of the document `id` of `entity`: a text that does not parse fails as the
/// reference's `readValue` does (`Failed to read entity <entity>:<id>: <message>`).
pub fn parse_document<'env>(
    env: &'env Env,
    entity: &str,
    id: &str,
    text: &str,
) -> std::result::Result<Unknown<'env>, Rejection> {
    parse(env, text).map_err(|message| {
        Rejection::Persist(PersistError::Read {
            entity: entity.to_string(),
            id: id.to_string(),
            cause: Cause::Message(message),
        })
    })
}

/// A call's value, or the text of what it threw (or why the engine refused it).
fn thrown_as_message<'env>(
    env: &Env,
    outcome: Result<boundary::Outcome<'env>>,
) -> std::result::Result<Unknown<'env>, String> {
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(thrown)) => Err(boundary::describe(env, &thrown)),
        Err(error) => Err(error.reason),
    }
}
