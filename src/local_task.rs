//! A minimal executor for futures that live on the JS thread: the calls into JS adapters.
//!
//! A task is polled when it is spawned and again whenever something it waits on wakes it:
//! a JS promise settling (on this thread: the task is polled at once, synchronously, so
//! adapter methods run in the async context of the registry call that caused them), or
//! anything on another thread (a turn released by a native write on a pool thread): that wake
//! is carried to this thread by a thread-safe function, which never keeps the process alive.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ffi::c_void;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::ThreadId;

use napi::bindgen_prelude::*;
use napi::sys;

type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

#[derive(Default)]
struct Tasks {
    idle: HashMap<u64, LocalFuture>,
    running: HashSet<u64>,
    woken_while_running: HashSet<u64>,
    next_id: u64,
    remote: Option<Arc<RemoteWake>>,
}

thread_local! {
    static TASKS: RefCell<Tasks> = RefCell::default();
}

/// Sets up the thread-safe function that brings other threads' wakes to this JS thread.
pub fn install(env: &Env) -> Result<()> {
    let remote = RemoteWake::create(env)?;
    TASKS.with(|tasks| tasks.borrow_mut().remote = Some(remote));
    Ok(())
}

/// Runs `future` on this JS thread until its first suspension, then on every wake-up.
pub fn spawn_local(future: impl Future<Output = ()> + 'static) {
    let id = TASKS.try_with(|tasks| {
        let mut tasks = tasks.borrow_mut();
        tasks.next_id += 1;
        let id = tasks.next_id;
        tasks.idle.insert(id, Box::pin(future));
        id
    });
    if let Ok(id) = id {
        run(id);
    }
}

/// Drops every suspended task: called when the JS environment is torn down.
pub fn drop_all() {
    let idle = TASKS.try_with(|tasks| {
        let mut tasks = tasks.borrow_mut();
        tasks.remote = None;
        std::mem::take(&mut tasks.idle)
    });
    drop(idle);
}

fn run(id: u64) {
    loop {
        let taken = TASKS.try_with(|tasks| {
            let mut tasks = tasks.borrow_mut();
            if tasks.running.contains(&id) {
                // Woken from inside its own poll: poll again once the current poll returns.
                tasks.woken_while_running.insert(id);
                return None;
            }
            let future = tasks.idle.remove(&id)?;
            tasks.running.insert(id);
            Some((future, tasks.remote.clone()))
        });
        let Ok(Some((mut future, remote))) = taken else { return };
        let waker = Waker::from(Arc::new(TaskWaker { id, thread: std::thread::current().id(), remote }));
        let poll = future.as_mut().poll(&mut Context::from_waker(&waker));
        let poll_again = TASKS.try_with(|tasks| {
            let mut tasks = tasks.borrow_mut();
            tasks.running.remove(&id);
            let woken = tasks.woken_while_running.remove(&id);
            match poll {
                Poll::Ready(()) => false,
                Poll::Pending => {
                    tasks.idle.insert(id, future);
                    woken
                }
            }
        });
        if poll_again != Ok(true) {
            return;
        }
    }
}

struct TaskWaker {
    id: u64,
    thread: ThreadId,
    remote: Option<Arc<RemoteWake>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if std::thread::current().id() == self.thread {
            run(self.id);
        } else if let Some(remote) = &self.remote {
            remote.wake(self.id);
        }
    }
}

/// A thread-safe function of this environment, unreferenced (it never keeps the process
/// alive), whose calls run a task on the JS thread. Node frees it when the environment is torn
/// down; the finalizer clears the handle first, under the lock every caller holds.
struct RemoteWake {
    handle: Mutex<Option<SendHandle>>,
}

struct SendHandle(sys::napi_threadsafe_function);

// SAFETY: a thread-safe function is made to be called from any thread; the pointer is only
// used under `RemoteWake::handle`'s lock, and only while Node has not finalized it.
unsafe impl Send for SendHandle {}

impl RemoteWake {
    fn create(env: &Env) -> Result<Arc<Self>> {
        let remote = Arc::new(RemoteWake { handle: Mutex::new(None) });
        let context = Arc::into_raw(remote.clone()) as *mut c_void;
        // SAFETY: `context` is an `Arc` released by `finalize`, which Node calls exactly once (or
        // here, when Node did not take it); `call_js` ignores a null environment.
        let handle = match unsafe {
            crate::tsfn::create(env, "backtest-persist wake", context, Some(finalize), context, Some(call_js))
        } {
            Ok(handle) => handle,
            Err(error) => {
                drop(unsafe { Arc::from_raw(context as *const RemoteWake) });
                return Err(error);
            }
        };
        *remote.handle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(SendHandle(handle));
        Ok(remote)
    }

    fn wake(&self, id: u64) {
        let handle = self.handle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(SendHandle(raw)) = handle.as_ref() else { return };
        let data = Box::into_raw(Box::new(id)) as *mut c_void;
        // SAFETY: the handle is live while the lock is held (see `finalize`).
        let status =
            unsafe { sys::napi_call_threadsafe_function(*raw, data, sys::ThreadsafeFunctionCallMode::nonblocking) };
        if status != sys::Status::napi_ok {
            // SAFETY: not queued, so still ours.
            drop(unsafe { Box::from_raw(data as *mut u64) });
        }
    }
}

unsafe extern "C" fn call_js(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    _context: *mut c_void,
    data: *mut c_void,
) {
    // SAFETY: `data` is the box queued by `RemoteWake::wake`.
    let id = *unsafe { Box::from_raw(data as *mut u64) };
    // A null environment means the function is being torn down: nothing left to run.
    if !env.is_null() {
        run(id);
    }
}

unsafe extern "C" fn finalize(_env: sys::napi_env, _data: *mut c_void, context: *mut c_void) {
    // SAFETY: `context` is the `Arc` leaked by `RemoteWake::create`.
    let remote = unsafe { Arc::from_raw(context as *const RemoteWake) };
    remote.handle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
}
