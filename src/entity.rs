//! Entity ids and entity values as they cross from JS: ids coerced exactly as the reference's
//! template string does, values serialized and parsed by the engine's own `JSON`.

use backtest_persist_core::PersistError;
use napi::bindgen_prelude::*;
use napi::JsString;

use crate::env_state::LocalRef;

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

fn json_function<'env>(env: &'env Env, name: &str) -> Result<Function<'env, Unknown<'env>, Unknown<'env>>> {
    let json: Object = env.get_global()?.get_named_property("JSON")?;
    json.get_named_property(name)
}

/// `JSON.stringify(value)` as UTF-8, or the reason it cannot be stored.
pub fn stringify(env: &Env, value: Unknown) -> std::result::Result<Vec<u8>, String> {
    let stringify = json_function(env, "stringify").map_err(|error| error.reason)?;
    let text = stringify.call(value).map_err(|error| exception_message(env, error))?;
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
    let parse = json_function(env, "parse").map_err(|error| error.reason)?;
    let text = env.create_string(text).map_err(|error| error.reason)?;
    parse.call(text.to_unknown()).map_err(|error| exception_message(env, error))
}

/// The `message` of a thrown JS error (what the reference's `getErrorMessage` reads).
pub fn exception_message(env: &Env, error: Error) -> String {
    let fallback = error.reason.clone();
    env.create_error(error)
        .and_then(|object| object.get_named_property::<Unknown>("message"))
        .and_then(|message| message.coerce_to_string()?.into_utf8()?.into_owned())
        .unwrap_or(fallback)
}

/// `Reflect.apply(function, this, arguments)`: a call whose throw comes back as `Err` with the
/// exception cleared, so that it can become a rejection instead of escaping to the caller.
pub fn reflect_apply<'env>(
    env: &'env Env,
    function: Unknown,
    this: Unknown,
    arguments: Vec<Unknown>,
) -> napi::Result<Unknown<'env>> {
    let reflect: Object = env.get_global()?.get_named_property("Reflect")?;
    let apply: Function<FnArgs<(Unknown, Unknown, Unknown)>, Unknown> = reflect.get_named_property("apply")?;
    let mut list = env.create_array(arguments.len() as u32)?;
    for (index, argument) in arguments.into_iter().enumerate() {
        list.set(index as u32, argument)?;
    }
    apply.call((function, this, list.to_unknown()).into())
}

thread_local! {
    static GUARDED_CALL: std::cell::RefCell<Option<LocalRef>> = const { std::cell::RefCell::new(None) };
}

/// Sets up this environment's `guardedCall` helper (`src/js/guarded-call.js`).
pub fn install_guarded_call(env: &Env) -> Result<()> {
    let helper: Unknown = env.run_script(include_str!("js/guarded-call.js"))?;
    let helper = LocalRef::new(env, &helper)?;
    GUARDED_CALL.with(|slot| *slot.borrow_mut() = Some(helper));
    Ok(())
}

pub fn release_guarded_call() {
    let _ = GUARDED_CALL.try_with(|slot| slot.borrow_mut().take());
}

/// Calls `target` with `this` (or constructs it, when `this` is `None`). `Ok(Err(value))` is
/// whatever the JS code threw, primitives included; `Err` is a failure of the engine itself.
pub fn guarded_call<'env>(
    env: &'env Env,
    target: Unknown,
    this: Option<Unknown>,
    arguments: Vec<Unknown>,
) -> Result<std::result::Result<Unknown<'env>, Unknown<'env>>> {
    let helper = GUARDED_CALL.with(|slot| slot.borrow().as_ref().map(|helper| helper.get(env)));
    let helper = helper.ok_or_else(|| Error::from_reason("this environment is being torn down"))??;
    let helper = unsafe { helper.cast::<Function<FnArgs<(bool, Unknown, Unknown, Unknown)>, Object>>() }?;
    let mut list = env.create_array(arguments.len() as u32)?;
    for (index, argument) in arguments.into_iter().enumerate() {
        list.set(index as u32, argument)?;
    }
    let construct = this.is_none();
    let this = match this {
        Some(this) => this,
        None => ().into_unknown(env)?,
    };
    let outcome = helper.call((construct, target, this, list.to_unknown()).into())?;
    let value: Unknown = outcome.get_named_property("value")?;
    Ok(if outcome.get_named_property::<bool>("threw")? { Err(value) } else { Ok(value) })
}
