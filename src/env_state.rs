//! State that belongs to one JS environment (the main thread or one worker): references to
//! JS values, and errors thrown by JS adapters on their way back to the caller. Everything
//! here lives on that environment's thread and is released before the environment is gone.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use napi::bindgen_prelude::*;
use napi::UnknownRef;

thread_local! {
    static ENV_ALIVE: Cell<bool> = const { Cell::new(false) };
    static ADAPTER_ERRORS: RefCell<(u64, HashMap<u64, LocalRef>)> = RefCell::default();
}

/// Marks this thread's environment live, and arranges for `release` to run (and references
/// to stop being released) when it is torn down.
pub fn track_environment(env: &Env, release: fn()) -> Result<()> {
    ENV_ALIVE.with(|alive| alive.set(true));
    env.add_env_cleanup_hook((), move |()| {
        release();
        let errors = ADAPTER_ERRORS.try_with(|errors| std::mem::take(&mut errors.borrow_mut().1));
        drop(errors);
        let _ = ENV_ALIVE.try_with(|alive| alive.set(false));
    })?;
    Ok(())
}

fn env_alive() -> bool {
    ENV_ALIVE.try_with(Cell::get).unwrap_or(false)
}

/// A strong reference to a JS value, released when dropped on a live environment (and simply
/// forgotten once the environment is gone, when there is nothing left to release).
pub struct LocalRef {
    inner: Option<UnknownRef<false>>,
    env: Env,
}

impl LocalRef {
    pub fn new(env: &Env, value: &Unknown) -> Result<Self> {
        // SAFETY: `value` belongs to `env`, the current thread's environment.
        let inner = unsafe { UnknownRef::<false>::from_napi_value(env.raw(), value.raw()) }?;
        Ok(Self { inner: Some(inner), env: *env })
    }

    pub fn get<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        match &self.inner {
            Some(inner) => inner.get_value(env),
            None => Err(Error::from_reason("reference already released")),
        }
    }
}

impl Drop for LocalRef {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            if env_alive() {
                let _ = inner.unref(&self.env);
            }
        }
    }
}

/// Keeps a value thrown by a JS adapter so that the registry's caller can be rejected with
/// that very value; returns the token the core error carries. The value is held inside a
/// small object, since N-API cannot reference a primitive on every Node version.
pub fn stash_adapter_error(env: &Env, value: &Unknown) -> Option<u64> {
    let mut holder = Object::new(env).ok()?;
    holder.set_named_property("value", *value).ok()?;
    let reference = LocalRef::new(env, &holder.to_unknown()).ok()?;
    ADAPTER_ERRORS
        .try_with(|errors| {
            let mut errors = errors.borrow_mut();
            errors.0 += 1;
            let token = errors.0;
            errors.1.insert(token, reference);
            token
        })
        .ok()
}

/// The value stashed under `token`, given back once.
pub fn take_adapter_error<'env>(env: &'env Env, token: u64) -> Option<Unknown<'env>> {
    let holder = ADAPTER_ERRORS.try_with(|errors| errors.borrow_mut().1.remove(&token)).ok().flatten()?;
    let holder = holder.get(env).ok()?;
    unsafe { holder.cast::<Object>() }.ok()?.get_named_property::<Unknown>("value").ok()
}
