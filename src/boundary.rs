//! The only way this binding touches a value a user gave it: through the functions of
//! `src/js/boundary.js`, which report a throw as a value. A getter, a Proxy trap, a `toString`
//! or a thenable can therefore never leave an exception pending in the engine, make a call
//! throw where it should reject, or escape as an uncaught exception.

use std::cell::RefCell;

use napi::bindgen_prelude::*;
use napi::{sys, JsString};

use crate::env_state::LocalRef;

/// What a call into user code gave: its value, or whatever it threw.
pub type Outcome<'env> = std::result::Result<Unknown<'env>, Unknown<'env>>;

struct Helpers {
    call: LocalRef,
    get: LocalRef,
    describe: LocalRef,
    settle: LocalRef,
    stringify: LocalRef,
    parse: LocalRef,
    timer: LocalRef,
    error: LocalRef,
    at_caller: LocalRef,
    log_error: LocalRef,
    received: LocalRef,
    sort_keys: LocalRef,
    native_order_is_exact: bool,
}

thread_local! {
    static HELPERS: RefCell<Option<Helpers>> = const { RefCell::new(None) };
}

/// Sets up this environment's helpers.
pub fn install(env: &Env) -> Result<()> {
    let helpers: Unknown =
        env.run_script::<_, Function<(), Object>>(include_str!("js/boundary.js"))?.call(())?.to_unknown();
    let object = unsafe { helpers.cast::<Object>() }?;
    let function =
        |name: &str| -> Result<LocalRef> { LocalRef::new(env, &object.get_named_property::<Unknown>(name)?) };
    let helpers = Helpers {
        call: function("call")?,
        get: function("get")?,
        describe: function("describe")?,
        settle: function("settle")?,
        stringify: function("stringify")?,
        parse: function("parse")?,
        timer: function("timer")?,
        error: function("error")?,
        at_caller: function("atCaller")?,
        log_error: function("logError")?,
        received: function("received")?,
        sort_keys: function("sortKeys")?,
        native_order_is_exact: object.get_named_property("nativeOrderIsExact")?,
    };
    HELPERS.with(|slot| *slot.borrow_mut() = Some(helpers));
    Ok(())
}

pub fn release() {
    let _ = HELPERS.try_with(|slot| slot.borrow_mut().take());
}

/// Calls helper `pick` with `arguments`; the helpers themselves never throw.
fn helper<'env>(env: &'env Env, pick: fn(&Helpers) -> &LocalRef, arguments: &[Unknown]) -> Result<Unknown<'env>> {
    let function = HELPERS.with(|slot| slot.borrow().as_ref().map(|helpers| pick(helpers).get(env)));
    let function = function.ok_or_else(|| Error::from_reason("this environment is being torn down"))??;
    let raw: Vec<sys::napi_value> = arguments.iter().map(|argument| argument.raw()).collect();
    let mut undefined = std::ptr::null_mut();
    let mut result = std::ptr::null_mut();
    // SAFETY: every value belongs to `env`, the current thread's live environment.
    let status = unsafe {
        sys::napi_get_undefined(env.raw(), &mut undefined);
        sys::napi_call_function(env.raw(), undefined, function.raw(), raw.len(), raw.as_ptr(), &mut result)
    };
    if status != sys::Status::napi_ok {
        clear_pending_exception(env);
        return Err(Error::new(Status::from(status), "the engine refused a call"));
    }
    // SAFETY: `result` was just returned by the engine for `env`.
    unsafe { Unknown::from_napi_value(env.raw(), result) }
}

/// `promise`, chained so that this package's errors rejecting it carry the stack of the code
/// that awaits it; the promise itself when the engine refuses (an environment tearing down).
pub fn at_caller<'env>(env: &'env Env, promise: Unknown<'env>) -> Unknown<'env> {
    helper(env, |helpers| &helpers.at_caller, &[promise]).unwrap_or(promise)
}

/// Drops an exception left pending by a failed engine call (a worker being terminated), so
/// that it cannot surface later as an uncaught exception.
pub fn clear_pending_exception(env: &Env) {
    let mut pending = false;
    // SAFETY: called on the environment's own thread.
    unsafe {
        if sys::napi_is_exception_pending(env.raw(), &mut pending) == sys::Status::napi_ok && pending {
            let mut exception = std::ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env.raw(), &mut exception);
        }
    }
}

fn outcome<'env>(result: Unknown<'env>) -> Result<Outcome<'env>> {
    let object = unsafe { result.cast::<Object>() }?;
    let value: Unknown = object.get_named_property("value")?;
    Ok(if object.get_named_property::<bool>("threw")? { Err(value) } else { Ok(value) })
}

fn list<'env>(env: &'env Env, items: Vec<Unknown>) -> Result<Unknown<'env>> {
    let mut array = env.create_array(items.len() as u32)?;
    for (index, item) in items.into_iter().enumerate() {
        array.set(index as u32, item)?;
    }
    Ok(array.to_unknown())
}

/// Calls `target` with `this` (or constructs it, when `this` is `None`).
pub fn call<'env>(
    env: &'env Env,
    target: Unknown,
    this: Option<Unknown>,
    arguments: Vec<Unknown>,
) -> Result<Outcome<'env>> {
    let construct = this.is_none().into_unknown(env)?;
    let this = match this {
        Some(this) => this,
        None => ().into_unknown(env)?,
    };
    let arguments = list(env, arguments)?;
    outcome(helper(env, |h| &h.call, &[construct, target, this, arguments])?)
}

/// `object[name]`, for any value.
pub fn get<'env>(env: &'env Env, object: Unknown, name: &str) -> Result<Outcome<'env>> {
    let name = env.create_string(name)?.to_unknown();
    outcome(helper(env, |h| &h.get, &[object, name])?)
}

/// A thrown value as text (an Error's message, `String(value)` otherwise); never fails.
pub fn describe(env: &Env, value: &Unknown) -> String {
    let text = (|| -> Result<String> {
        let is_error = value.is_error()?.into_unknown(env)?;
        let text = helper(env, |h| &h.describe, &[*value, is_error])?;
        unsafe { text.cast::<JsString>() }?.into_utf8()?.into_owned()
    })();
    text.unwrap_or_else(|_| "a value that cannot be shown as text".to_string())
}

/// Adopts `value` as `await` does and calls exactly one callback, once, in a later microtask.
pub fn settle(env: &Env, value: Unknown, on_fulfilled: Unknown, on_rejected: Unknown) -> Result<()> {
    helper(env, |h| &h.settle, &[value, on_fulfilled, on_rejected]).map(drop)
}

/// `JSON.stringify(value)` as the engine gives it (a string, or `undefined` for values with no
/// JSON form), or what it threw.
pub fn stringify<'env>(env: &'env Env, value: Unknown) -> Result<Outcome<'env>> {
    outcome(helper(env, |h| &h.stringify, &[value])?)
}

pub fn parse<'env>(env: &'env Env, text: &str) -> Result<Outcome<'env>> {
    let text = env.create_string(text)?.to_unknown();
    outcome(helper(env, |h| &h.parse, &[text])?)
}

/// Starts a timer calling `callback` after `milliseconds`; returns the function cancelling it.
pub fn timer<'env>(env: &'env Env, milliseconds: f64, callback: Unknown) -> Result<Unknown<'env>> {
    let milliseconds = milliseconds.into_unknown(env)?;
    helper(env, |h| &h.timer, &[milliseconds, callback])
}

/// `new Error(message, { cause })` with `properties` as its own enumerable properties.
pub fn error<'env>(
    env: &'env Env,
    message: &str,
    properties: &[(&str, Unknown)],
    cause: Option<Unknown>,
) -> Result<Unknown<'env>> {
    new_error(env, message, properties, cause, "error")
}

/// A `TypeError` with Node's `code` for an argument of the wrong type:
/// `The "<name>" argument must be <expected>. Received type number (123)`.
pub fn invalid_arg_type<'env>(env: &'env Env, name: &str, expected: &str, value: Unknown) -> Result<Unknown<'env>> {
    let received = received(env, value)?;
    type_error(env, &format!("The \"{name}\" argument must be {expected}.{received}"), "ERR_INVALID_ARG_TYPE")
}

/// How Node's argument errors show a value: ` Received type number (123)`, ` Received null`.
pub fn received(env: &Env, value: Unknown) -> Result<String> {
    let received = helper(env, |h| &h.received, &[value])?;
    unsafe { received.cast::<JsString>() }?.into_utf8()?.into_owned()
}

/// A `TypeError` with `message` and Node's `code` (`ERR_INVALID_ARG_VALUE`, ...).
pub fn type_error<'env>(env: &'env Env, message: &str, code: &str) -> Result<Unknown<'env>> {
    let code = env.create_string(code)?.to_unknown();
    new_error(env, message, &[("code", code)], None, "type")
}

/// A `RangeError` with `message` and Node's `ERR_OUT_OF_RANGE`.
pub fn out_of_range<'env>(env: &'env Env, message: &str) -> Result<Unknown<'env>> {
    let code = env.create_string("ERR_OUT_OF_RANGE")?.to_unknown();
    new_error(env, message, &[("code", code)], None, "range")
}

/// Throws `value` synchronously: the returned error, handed back to napi-rs, leaves the
/// exception as it is instead of replacing it with one of napi's own.
pub fn throw(env: &Env, value: Unknown) -> Error {
    let status = unsafe { napi::sys::napi_throw(env.raw(), value.raw()) };
    if status != napi::sys::Status::napi_ok {
        return Error::from_reason("the exception could not be thrown: this environment is being torn down");
    }
    Error::new(Status::PendingException, "")
}

fn new_error<'env>(
    env: &'env Env,
    message: &str,
    properties: &[(&str, Unknown)],
    cause: Option<Unknown>,
    kind: &str,
) -> Result<Unknown<'env>> {
    let mut object = Object::new(env)?;
    for (name, value) in properties {
        object.set_named_property(name, *value)?;
    }
    let has_cause = cause.is_some().into_unknown(env)?;
    let cause = match cause {
        Some(cause) => cause,
        None => ().into_unknown(env)?,
    };
    let message = env.create_string(message)?.to_unknown();
    let kind = env.create_string(kind)?.to_unknown();
    helper(env, |h| &h.error, &[message, object.to_unknown(), has_cause, cause, kind])
}

/// Prints each line with the `console.error` of this moment.
pub fn log_error(env: &Env, lines: &[String]) -> Result<()> {
    let lines: Vec<Unknown> =
        lines.iter().map(|line| Ok(env.create_string(line)?.to_unknown())).collect::<Result<_>>()?;
    let lines = list(env, lines)?;
    helper(env, |h| &h.log_error, &[lines]).map(drop)
}

/// The helper that sorts a JS array of ids with the engine's own collator, for the JS part of
/// `PersistBase`.
pub fn sort_keys_function(env: &Env) -> Result<Unknown<'_>> {
    let function = HELPERS.with(|slot| slot.borrow().as_ref().map(|helpers| helpers.sort_keys.get(env)));
    function.ok_or_else(|| Error::from_reason("this environment is being torn down"))?
}

/// Whether a listing of `ids` must be sorted by the engine's own collator: the native order is
/// exact only for ASCII ids under a default locale of root's order.
pub fn needs_engine_sort<'a>(mut ids: impl Iterator<Item = &'a str>) -> bool {
    let native_order_is_exact =
        HELPERS.with(|slot| slot.borrow().as_ref().is_some_and(|helpers| helpers.native_order_is_exact));
    !(native_order_is_exact && ids.all(|id| id.is_ascii()))
}
