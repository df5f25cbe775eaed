//! A minimal executor for futures that live on the JS thread: the calls into JS adapters.
//!
//! A task is polled when it is spawned and again whenever a JS promise it waits on settles,
//! always on this thread and synchronously. Adapter methods therefore run in the async
//! context of the registry call that caused them, with no thread hop between steps.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::ThreadId;

type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

#[derive(Default)]
struct Tasks {
    idle: HashMap<u64, LocalFuture>,
    running: HashSet<u64>,
    woken_while_running: HashSet<u64>,
    next_id: u64,
}

thread_local! {
    static TASKS: RefCell<Tasks> = RefCell::default();
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
    let idle = TASKS.try_with(|tasks| std::mem::take(&mut tasks.borrow_mut().idle));
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
            Some(future)
        });
        let Ok(Some(mut future)) = taken else { return };
        let waker = Waker::from(Arc::new(TaskWaker { id, thread: std::thread::current().id() }));
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
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // JS-thread tasks only wait on JS promises, which settle on this thread; a wake from
        // anywhere else has nothing to resume and is ignored.
        if std::thread::current().id() == self.thread {
            run(self.id);
        }
    }
}
