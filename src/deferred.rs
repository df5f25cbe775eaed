//! A Promise created and settled on the JS thread, synchronously: the registries' JS-adapter
//! path resolves its caller's Promise in the same turn as the adapter's last step.

use napi::bindgen_prelude::*;
use napi::sys;

/// The settling half of a Promise. Must be settled on the thread that created it.
pub struct LocalDeferred {
    env: sys::napi_env,
    deferred: sys::napi_deferred,
}

impl LocalDeferred {
    pub fn new(env: &Env) -> Result<(Self, Unknown<'_>)> {
        let mut deferred = std::ptr::null_mut();
        let mut promise = std::ptr::null_mut();
        // SAFETY: `env` is the live environment of the current JS thread; both out-pointers
        // are valid for writes.
        let status = unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut promise) };
        if status != sys::Status::napi_ok {
            return Err(Error::new(Status::from(status), "Failed to create a Promise"));
        }
        // SAFETY: `promise` was just created in `env`.
        let promise = unsafe { Unknown::from_napi_value(env.raw(), promise) }?;
        // What the caller gets: the same outcome, its errors stamped with the caller's stack.
        Ok((Self { env: env.raw(), deferred }, crate::boundary::at_caller(env, promise)))
    }

    pub fn resolve(self, value: Unknown) {
        // SAFETY: settled once, on the creating thread (the deferred is consumed).
        let status = unsafe { sys::napi_resolve_deferred(self.env, self.deferred, value.raw()) };
        self.concluded(status);
    }

    pub fn reject(self, error: Unknown) {
        // SAFETY: as for `resolve`.
        let status = unsafe { sys::napi_reject_deferred(self.env, self.deferred, error.raw()) };
        self.concluded(status);
    }

    /// Node frees the deferred whatever the outcome; a failure (the engine is terminating)
    /// may leave an exception pending, which must not surface as an uncaught one.
    fn concluded(&self, status: sys::napi_status) {
        if status != sys::Status::napi_ok {
            // SAFETY: `self.env` is this thread's environment (deferreds never leave it).
            let env = Env::from_raw(self.env);
            crate::boundary::clear_pending_exception(&env);
        }
    }
}
