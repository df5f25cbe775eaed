//! N-API threadsafe functions without a JS function: how runtime threads wake a JS thread
//! (`local_task` for futures polled on it, `wakeup` for results of runtime futures).

use std::ffi::c_void;

use napi::bindgen_prelude::*;
use napi::sys;

/// Creates a threadsafe function whose calls run `call_js` on this JS thread, unreferenced (it
/// never keeps the process alive until referenced). Node calls `finalize` with `finalize_data`
/// and `context` once, when the environment is torn down.
///
/// # Safety
/// `finalize` must release whatever `finalize_data` and `context` own, and `call_js` must accept
/// a null environment (calls still queued at teardown).
pub unsafe fn create(
    env: &Env,
    name: &str,
    finalize_data: *mut c_void,
    finalize: sys::napi_finalize,
    context: *mut c_void,
    call_js: sys::napi_threadsafe_function_call_js,
) -> Result<sys::napi_threadsafe_function> {
    let name = env.create_string(name)?;
    let mut handle = std::ptr::null_mut();
    // SAFETY: `env` is the live environment of this thread; no JS function (the callback does
    // the work), an unbounded queue, one owning thread; the rest is the caller's promise.
    let status = unsafe {
        sys::napi_create_threadsafe_function(
            env.raw(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            name.raw(),
            0,
            1,
            finalize_data,
            finalize,
            context,
            call_js,
            &mut handle,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(Error::new(Status::from(status), "Failed to create a threadsafe function"));
    }
    // SAFETY: `handle` was just created on this thread.
    unsafe { sys::napi_unref_threadsafe_function(env.raw(), handle) };
    Ok(handle)
}
