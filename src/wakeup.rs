//! How futures on the addon's runtime get their results back to the JS thread: one
//! threadsafe function per JS environment, shared by every call, woken once for however many
//! results arrived meanwhile.
//!
//! napi-rs's `spawn_future_with_callback` makes a Promise, a threadsafe function and an env
//! cleanup hook for every call: 1,000 writes issued at once spent about 20 ms on the JS thread
//! before the first byte reached the server. Here a call registers its settling closure in a
//! table of its thread, the future runs on the runtime, and its outcome is posted to a
//! mailbox; the first outcome posted to an empty mailbox wakes the JS thread, which settles
//! every outcome found there.
//!
//! Lifetime: the threadsafe function is unreferenced while nothing waits (it never keeps the
//! process alive on its own) and referenced while a call is pending (as a Promise of
//! napi-rs's would be). When the environment is torn down (a worker terminated), the cleanup
//! hook closes the mailbox before Node frees the threadsafe function, so a late outcome is
//! dropped instead of posted to freed memory.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::future::Future;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::*;
use napi::sys;

/// What a finished future sends back: its output, or word that it ended without one.
enum Delivery {
    Done(Box<dyn Any + Send>),
    /// The future was dropped unfinished (it panicked, or the runtime is shutting down).
    Abandoned,
}

/// What settles one call's Promise, on the JS thread, given the future's delivery.
type Finish = Box<dyn FnOnce(&Env, Delivery)>;

/// The half shared with the runtime threads.
struct Mailbox {
    state: Mutex<MailboxState>,
}

struct MailboxState {
    delivered: Vec<(u64, Delivery)>,
    /// `None` once the environment is gone.
    wake: Option<Tsfn>,
}

struct Tsfn(sys::napi_threadsafe_function);

// SAFETY: N-API allows `napi_call_threadsafe_function` from any thread; the handle is only used
// for that (under the mailbox lock, which teardown takes before the function is freed).
unsafe impl Send for Tsfn {}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, MailboxState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Posts an outcome; the first one into an empty mailbox wakes the JS thread.
    fn post(&self, id: u64, delivery: Delivery) {
        let mut state = self.lock();
        let wake = state.delivered.is_empty();
        state.delivered.push((id, delivery));
        if let (true, Some(Tsfn(tsfn))) = (wake, &state.wake) {
            // SAFETY: the function is alive while `wake` is set (see `close`). Non-blocking on an
            // unbounded queue: never waits; it fails only while the environment closes, when
            // nobody is left to settle.
            unsafe { sys::napi_call_threadsafe_function(*tsfn, std::ptr::null_mut(), 0) };
        }
    }

    fn close(&self) {
        let mut state = self.lock();
        state.wake = None;
        state.delivered.clear();
    }
}

/// The JS thread's half.
struct Channel {
    env: sys::napi_env,
    mailbox: Arc<Mailbox>,
    tsfn: sys::napi_threadsafe_function,
    waiting: RefCell<HashMap<u64, Finish>>,
    next_id: Cell<u64>,
}

thread_local! {
    static CHANNEL: RefCell<Option<Rc<Channel>>> = const { RefCell::new(None) };
}

impl Channel {
    /// This thread's channel, made on first use.
    fn current(env: &Env) -> Result<Rc<Channel>> {
        let existing = CHANNEL.with(|channel| channel.borrow().clone());
        if let Some(channel) = existing.filter(|channel| channel.env == env.raw()) {
            return Ok(channel);
        }
        let channel = Rc::new(Channel::open(env)?);
        CHANNEL.with(|slot| *slot.borrow_mut() = Some(channel.clone()));
        Ok(channel)
    }

    fn open(env: &Env) -> Result<Channel> {
        let mailbox = Arc::new(Mailbox { state: Mutex::new(MailboxState { delivered: Vec::new(), wake: None }) });
        // The finalizer's reference to the mailbox, given back to it by Node.
        let finalize_data = Arc::into_raw(mailbox.clone()) as *mut c_void;
        // SAFETY: the finalizer takes `finalize_data` back exactly once (or this does, when Node
        // did not take it); `settle_delivered` ignores a null environment.
        let created = unsafe {
            crate::tsfn::create(
                env,
                "backtest-persist results",
                finalize_data,
                Some(finalize_mailbox),
                std::ptr::null_mut(),
                Some(settle_delivered),
            )
        };
        let tsfn = match created {
            Ok(tsfn) => tsfn,
            Err(error) => {
                drop(unsafe { Arc::from_raw(finalize_data as *const Mailbox) });
                return Err(error);
            }
        };
        mailbox.lock().wake = Some(Tsfn(tsfn));
        // Registered after the function, so it runs before Node's own teardown of it.
        let closing = mailbox.clone();
        env.add_env_cleanup_hook((), move |()| {
            closing.close();
            let _ = CHANNEL.try_with(|slot| slot.borrow_mut().take());
        })?;
        Ok(Channel { env: env.raw(), mailbox, tsfn, waiting: RefCell::default(), next_id: Cell::new(0) })
    }

    fn register(&self, finish: Finish) -> u64 {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        let mut waiting = self.waiting.borrow_mut();
        if waiting.is_empty() {
            // SAFETY: on the owning thread, with a live function.
            unsafe { sys::napi_ref_threadsafe_function(self.env, self.tsfn) };
        }
        waiting.insert(id, finish);
        id
    }

    /// Settles everything delivered so far.
    fn settle_delivered(&self, env: &Env) {
        let delivered = std::mem::take(&mut self.mailbox.lock().delivered);
        for (id, delivery) in delivered {
            let finish = self.waiting.borrow_mut().remove(&id);
            if let Some(finish) = finish {
                finish(env, delivery);
            }
        }
        if self.waiting.borrow().is_empty() {
            // SAFETY: as in `register`.
            unsafe { sys::napi_unref_threadsafe_function(self.env, self.tsfn) };
        }
    }
}

unsafe extern "C" fn settle_delivered(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    _context: *mut c_void,
    _data: *mut c_void,
) {
    // A null env: the function is being torn down with wake-ups still queued.
    if env.is_null() {
        return;
    }
    let Ok(Some(channel)) = CHANNEL.try_with(|channel| channel.borrow().clone()) else { return };
    if channel.env == env {
        channel.settle_delivered(&Env::from_raw(env));
    }
}

unsafe extern "C" fn finalize_mailbox(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the reference `Channel::open` gave Node, returned once.
    let mailbox = unsafe { Arc::from_raw(data as *const Mailbox) };
    mailbox.close();
}

/// Posts `Abandoned` for a future dropped before it finished.
struct Posting {
    mailbox: Arc<Mailbox>,
    id: u64,
    posted: bool,
}

impl Drop for Posting {
    fn drop(&mut self) {
        if !self.posted {
            self.mailbox.post(self.id, Delivery::Abandoned);
        }
    }
}

/// Runs `work` on the addon's runtime and calls `finish` with its output on this JS thread,
/// or with `None` when the future ended without one.
pub fn run_on_runtime<T, F>(env: &Env, work: F, finish: impl FnOnce(&Env, Option<T>) + 'static) -> Result<()>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let channel = Channel::current(env)?;
    let id = channel.register(Box::new(move |env, delivery| {
        let output = match delivery {
            Delivery::Done(output) => output.downcast::<T>().ok().map(|output| *output),
            Delivery::Abandoned => None,
        };
        finish(env, output);
    }));
    let mut posting = Posting { mailbox: channel.mailbox.clone(), id, posted: false };
    // Boxed: the runtime moves a task's future into its cell, and a store call's future is
    // kilobytes (moving it was a tenth of the JS thread's time for 1,000 writes at once).
    let work = Box::pin(work);
    napi::bindgen_prelude::spawn(async move {
        let output = work.await;
        posting.posted = true;
        posting.mailbox.post(posting.id, Delivery::Done(Box::new(output)));
    });
    Ok(())
}
