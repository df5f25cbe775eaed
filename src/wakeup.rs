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
//! Starting: a call does not spawn its future itself. Spawning from the JS thread wakes a
//! runtime worker (a futex call, and on two cores the worker then takes the CPU from the JS
//! thread), and 1,000 writes issued in one synchronous stretch paid that 1,000 times. A
//! call's future waits in a list of the thread until `START_EVERY` are there or a microtask
//! queued by the first of them runs (when the issuing JS code yields: the earliest its
//! result could be seen), then the list is spawned as one task in which each future still
//! completes, fails or panics on its own. The microtask is an `await` continuation, queued by
//! the engine itself: no global a user or a fake-timer library replaces can hold it back.
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
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
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

/// A call's future, wrapped to post its outcome, not started yet.
type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// How many calls of one synchronous stretch are started together. 1,000 Redis writes issued
/// at once, six alternating runs: each spawned alone 127–182k writes/s (median 162k), 128 at a
/// time 146–200k, 256 at a time 161–239k (188k); all 1,000 together lost the overlap of
/// issuing and sending (107–117k against 115–138k in another run).
const START_EVERY: usize = 256;

/// The JS thread's half.
struct Channel {
    env: sys::napi_env,
    mailbox: Arc<Mailbox>,
    tsfn: sys::napi_threadsafe_function,
    waiting: RefCell<HashMap<u64, Finish>>,
    next_id: Cell<u64>,
    /// Futures not started yet: at most `START_EVERY`, or until the microtask queued runs.
    unstarted: RefCell<Vec<Job>>,
    /// Whether that microtask is queued.
    start_queued: Cell<bool>,
    /// A JS function queueing a microtask that calls `start_unstarted`.
    start_soon: sys::napi_ref,
}

thread_local! {
    static CHANNEL: RefCell<Option<Rc<Channel>>> = const { RefCell::new(None) };
}

impl Channel {
    /// This thread's channel, made on first use (`install` makes it when the module loads).
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
        let start_soon = start_soon_function(env)?;
        Ok(Channel {
            env: env.raw(),
            mailbox,
            tsfn,
            waiting: RefCell::default(),
            next_id: Cell::new(0),
            unstarted: RefCell::default(),
            start_queued: Cell::new(false),
            start_soon,
        })
    }

    /// Starts `job` with up to `START_EVERY` others of this synchronous stretch, or at once when
    /// no microtask can be queued (an exception is pending, the environment is closing).
    fn start(&self, job: Job) {
        let count = {
            let mut unstarted = self.unstarted.borrow_mut();
            unstarted.push(job);
            unstarted.len()
        };
        if count >= START_EVERY {
            self.start_unstarted();
        } else if !self.start_queued.get() {
            if self.queue_start() {
                self.start_queued.set(true);
            } else {
                self.start_unstarted();
            }
        }
    }

    /// Queues the microtask; false when it cannot be (an exception pending, the engine failing).
    fn queue_start(&self) -> bool {
        let env = Env::from_raw(self.env);
        let mut pending = false;
        // SAFETY: on the owning thread.
        if unsafe { sys::napi_is_exception_pending(self.env, &mut pending) } != sys::Status::napi_ok || pending {
            return false;
        }
        let mut function = std::ptr::null_mut();
        let mut receiver = std::ptr::null_mut();
        let mut result = std::ptr::null_mut();
        // SAFETY: on the owning thread; the reference lives as long as the environment.
        let queued = unsafe {
            sys::napi_get_reference_value(self.env, self.start_soon, &mut function) == sys::Status::napi_ok
                && !function.is_null()
                && sys::napi_get_undefined(self.env, &mut receiver) == sys::Status::napi_ok
                && sys::napi_call_function(self.env, receiver, function, 0, std::ptr::null(), &mut result)
                    == sys::Status::napi_ok
        };
        if !queued {
            // Thrown by our own call (a stack at its limit): not the user's to see.
            crate::boundary::clear_pending_exception(&env);
        }
        queued
    }

    /// Spawns the futures not started yet as one task, each isolated from the others' panics.
    fn start_unstarted(&self) {
        let Ok(mut unstarted) = self.unstarted.try_borrow_mut() else { return };
        let mut jobs = std::mem::take(&mut *unstarted);
        drop(unstarted);
        match jobs.len() {
            0 => {}
            1 => {
                napi::bindgen_prelude::spawn(jobs.pop().expect("one job"));
            }
            _ => {
                // A job that panics is dropped there (posting `Abandoned`); the rest go on.
                let mut all: FuturesUnordered<_> =
                    jobs.into_iter().map(|job| AssertUnwindSafe(job).catch_unwind()).collect();
                napi::bindgen_prelude::spawn(async move { while all.next().await.is_some() {} });
            }
        }
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

/// `() => { run(); }`, where `run` is an async function that awaits once and then calls
/// `start`: the engine queues that continuation itself (`await` uses the intrinsic Promise,
/// never a global), so neither `queueMicrotask`, `Promise` nor `Promise.prototype.then`, as a
/// user or fake timers replace them before or after this package loads, can stall a call.
fn start_soon_function(env: &Env) -> Result<sys::napi_ref> {
    let make: Function<Function<(), ()>, Unknown> =
        env.run_script("(start) => { const run = async () => { await null; start(); }; return () => { run(); }; }")?;
    let start: Function<(), ()> = env.create_function("startUnstarted", start_unstarted)?;
    let start_soon = make.call(start)?;
    let mut reference = std::ptr::null_mut();
    // SAFETY: a live value of this environment; the reference is never deleted (Node frees it
    // with the environment).
    check_status!(unsafe { sys::napi_create_reference(env.raw(), start_soon.raw(), 1, &mut reference) })?;
    Ok(reference)
}

unsafe extern "C" fn start_unstarted(env: sys::napi_env, _info: sys::napi_callback_info) -> sys::napi_value {
    if let Ok(Some(channel)) = CHANNEL.try_with(|channel| channel.borrow().clone()) {
        if channel.env == env {
            channel.start_queued.set(false);
            channel.start_unstarted();
        }
    }
    std::ptr::null_mut()
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

/// Opens this thread's channel now.
pub fn install(env: &Env) -> Result<()> {
    Channel::current(env).map(drop)
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
    channel.start(Box::pin(async move {
        let output = work.await;
        posting.posted = true;
        posting.mailbox.post(posting.id, Delivery::Done(Box::new(output)));
    }));
    Ok(())
}
