//! Writes of the file store: each takes its key's place in the order when it is called, and
//! runs either at once on the caller's worker thread (an idle key on an idle store) or queued,
//! coalesced with the writes queued on the same key.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use super::{blocking, idle_slot, FileStore};
use crate::atomic::{write_durable_on, AtomicOptions};
use crate::error::{PersistError, Result};
use crate::fs::FileSystem;
use crate::order::{file_queue, Lead, WriteSlot};

/// A write planned by [`FileStore::plan_write`].
pub enum PlannedWrite<F> {
    /// Ready to run now, on a thread that may block.
    Immediate(Box<ImmediateWrite>),
    /// Waiting for its turn on the key (or coalesced into a queued write).
    Queued(F),
}

/// A write whose turn has come and which holds a file-task slot. Dropped without running (the
/// task never ran), it hands its turn on like any leader.
pub struct ImmediateWrite {
    target: Target,
    lead: Lead,
    _slot: tokio::sync::SemaphorePermit<'static>,
}

/// Where a write goes, and how its failure is reported.
struct Target {
    fs: Arc<dyn FileSystem>,
    path: PathBuf,
    entity: String,
    id: String,
}

impl Target {
    /// Writes the batch's newest content durably on this thread (it blocks for the system
    /// calls), then resolves every write that joined it.
    fn write_batch(&self, lead: Lead) -> Result<()> {
        let sealed = lead.seal();
        let written = write_durable_on(&*self.fs, &self.path, &sealed.json, &AtomicOptions::default());
        let outcome = written.map_err(|io| self.failed(io.into()));
        sealed.finish(&outcome);
        outcome
    }

    fn failed(&self, cause: crate::error::Cause) -> PersistError {
        PersistError::Write { entity: self.entity.clone(), id: self.id.clone(), cause }
    }
}

impl ImmediateWrite {
    pub fn run(self: Box<Self>) -> Result<()> {
        let Self { target, lead, _slot } = *self;
        target.write_batch(lead)
    }
}

impl FileStore {
    /// Takes the write's place in its key's order now. When the key has nothing queued and no
    /// other file task is running, the write can run at once on the caller's worker thread
    /// ([`ImmediateWrite::run`]): one thread hop for the whole durable write, which is what a
    /// bot writing one value at a time does. Otherwise it queues, coalescing with the writes
    /// queued on the key.
    pub fn plan_write(
        &self,
        id: &str,
        json: Vec<u8>,
    ) -> Result<PlannedWrite<impl Future<Output = Result<()>> + Send + 'static>> {
        let path = self.entity_file(id)?;
        let slot = file_queue().enqueue_write(&path, json);
        let target = Target { fs: self.inner.fs.clone(), path, entity: self.inner.entity_name.clone(), id: id.into() };
        let slot = match slot {
            WriteSlot::Leader(mut lead) => {
                if lead.try_ready() {
                    if let Some(slot) = idle_slot() {
                        return Ok(PlannedWrite::Immediate(Box::new(ImmediateWrite { target, lead, _slot: slot })));
                    }
                }
                WriteSlot::Leader(lead)
            }
            follower => follower,
        };
        Ok(PlannedWrite::Queued(queued_write(target, slot)))
    }
}

/// A write that waits for its turn (or for the write it joined), then writes the newest
/// content of its batch. A joined write whose leader was dropped unwritten leads in its place.
async fn queued_write(target: Target, slot: WriteSlot) -> Result<()> {
    let mut lead = match slot.into_lead().await {
        Ok(lead) => lead,
        Err(outcome) => {
            return outcome.map_err(|error| match error {
                PersistError::Write { cause, .. } => target.failed(cause),
                other => other,
            })
        }
    };
    lead.ready().await;
    let target = Arc::new(target);
    let task_target = target.clone();
    // Sealed on the worker thread, as late as possible: writes issued until then still join.
    // Should the task itself die, the lead is dropped with it and handed on.
    match blocking(move || task_target.write_batch(lead)).await {
        Ok(outcome) => outcome,
        Err(cause) => Err(target.failed(cause)),
    }
}
