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

/// `JSON[name](argument)`, a throw (of any value) coming back as its message.
fn call_json<'env>(env: &'env Env, name: &str, argument: Unknown) -> std::result::Result<Unknown<'env>, String> {
    let call = || -> Result<_> {
        let json: Unknown = env.get_global()?.get_named_property("JSON")?;
        let function: Unknown = unsafe { json.cast::<Object>() }?.get_named_property(name)?;
        guarded_call(env, function, Some(json), vec![argument])
    };
    match call() {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(thrown)) => Err(message_of(&thrown)),
        Err(error) => Err(error.reason),
    }
}

/// `JSON.stringify(value)` as UTF-8, or the reason it cannot be stored.
pub fn stringify(env: &Env, value: Unknown) -> std::result::Result<Vec<u8>, String> {
    let text = call_json(env, "stringify", value)?;
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
    let text = env.create_string(text).map_err(|error| error.reason)?;
    call_json(env, "parse", text.to_unknown())
}

/// `error.message` for a thrown Error (what the reference's `getErrorMessage` reads),
/// `String(value)` for anything else thrown.
pub fn message_of(value: &Unknown) -> String {
    if value.get_type().is_ok_and(|kind| kind == ValueType::Symbol) {
        return "a symbol".to_string();
    }
    if value.is_error().unwrap_or(false) {
        let message = unsafe { value.cast::<Object>() }
            .and_then(|object| object.get_named_property::<Unknown>("message"))
            .and_then(|message| message.coerce_to_string()?.into_utf8()?.into_owned());
        if let Ok(message) = message {
            return message;
        }
    }
    value
        .coerce_to_string()
        .and_then(|text| text.into_utf8()?.into_owned())
        .unwrap_or_else(|_| "a value that cannot be shown as text".to_string())
}

/// `function.apply(this, arguments)`, a throw coming back as `Err` instead of escaping.
pub fn reflect_apply<'env>(
    env: &'env Env,
    function: Unknown,
    this: Unknown,
    arguments: Vec<Unknown>,
) -> Result<Unknown<'env>> {
    guarded_call(env, function, Some(this), arguments)?.map_err(|thrown| Error::from_reason(message_of(&thrown)))
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
