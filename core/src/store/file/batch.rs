//! Operations on many documents of one store in a single file task: the whole job of one
//! backtest-kit 19.5.0 Instance method (a candle range, a list of signals, a log) in one call.
//!
//! A batch write is durable as a group: every document is staged (temp file written and
//! synced, several at once), renamed into place, and the directory is synced once for all. A
//! crash at any point leaves each document with its old bytes or its new ones, never a mix;
//! once the call returns, every document it reports written survives power loss.

use std::future::Future;
use std::path::PathBuf;

use super::{blocking, FileStore};
use crate::atomic::{commit_staged, discard_staged, stage, stage_unsynced, AtomicOptions};
use crate::document_cache::document_cache;
use crate::error::{Cause, IoFailure, PersistError, Result};
use crate::order::{file_queue, KeyedQueue};
use crate::store::batch::BatchEngine;
use crate::store::{Range, RangeScan, Store};

/// Stagings running at once in a batch: parallel fsyncs share the journal's commits.
const STAGING_THREADS: usize = 8;

impl FileStore {
    /// The document of `id`, or `None` when there is none: `hasValue` then `readValue` as one
    /// step, on the calling thread (which must be one that may block).
    pub fn read_optional_now(&self, id: &str) -> Result<Option<String>> {
        match self.read_now(id) {
            Ok(text) => Ok(Some(text)),
            Err(PersistError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// A run of documents, a window at a time, on the calling thread (one that may block):
    /// stops at the first window holding a missing or unparsable document. What it finds is
    /// kept in the process's [`document_cache`] (unless the directory changed meanwhile).
    pub fn read_range_now(&self, mut scan: RangeScan) -> Result<Range> {
        let directory = file_queue().directory_key(&self.resolved_directory());
        let ticket = document_cache().begin(&directory);
        loop {
            let ids = scan.next_window();
            let files: Vec<(&String, PathBuf)> = ids.iter().zip(self.entity_files(&ids)?).collect();
            let mut texts = Vec::with_capacity(ids.len());
            for text in super::parallel_map(&files, |(id, path)| self.read_file(id, path)) {
                match text {
                    Ok(text) => texts.push(Some(text)),
                    Err(PersistError::NotFound { .. }) => texts.push(None),
                    Err(error) => return Err(error),
                }
            }
            let fill = ticket.map(|ticket| (directory.key.as_path(), ticket));
            if let Some(range) = document_cache().take_window(&mut scan, ids, texts, fill, |id| format!("{id}.json")) {
                return Ok(range);
            }
        }
    }

    /// The documents of `ids` from the process's cache, joined as a JSON array, when every one
    /// is there: no file read, no thread hop (the JS thread may call it).
    pub fn cached_run(&self, ids: impl Iterator<Item = String>) -> Option<String> {
        if self.checked_name().is_err() {
            return None;
        }
        let directory = file_queue().directory_key(&self.resolved_directory());
        document_cache().read_run(&directory.key, ids.map(|id| format!("{id}.json")))
    }

    /// Every document, with its id, in key order.
    pub async fn read_all(&self) -> Result<Vec<(String, String)>> {
        let ids = self.keys().await?;
        let texts = self.read_window(ids.clone(), usize::MAX).await?;
        Ok(ids.into_iter().zip(texts).collect())
    }

    /// Writes `documents` as one durable batch (the protocol of [`crate::store::batch`]).
    /// With `only_missing`, a document whose id exists already is left as it is (an
    /// append-only log, a candle cache that never overwrites), and of ids given twice the first
    /// counts; otherwise the last does. Resolves with the ids written.
    pub fn write_batch(
        &self,
        documents: Vec<(String, Vec<u8>)>,
        only_missing: bool,
    ) -> impl Future<Output = Result<Vec<String>>> + use<> {
        crate::store::batch::write_batch(self, documents, only_missing)
    }
}

impl BatchEngine for FileStore {
    /// The documents' files, resolved against the working directory of the call.
    type Plan = Vec<PathBuf>;

    fn plan_batch(&self, ids: &[String]) -> Result<(&'static KeyedQueue, Vec<PathBuf>, Vec<PathBuf>)> {
        let paths = self.entity_files(ids)?;
        Ok((file_queue(), paths.clone(), paths))
    }

    fn apply_batch(
        self,
        paths: Vec<PathBuf>,
        documents: Vec<(String, Vec<u8>)>,
        only_missing: bool,
    ) -> impl Future<Output = Result<Vec<String>>> + Send + 'static {
        let fs = self.inner.fs.clone();
        let entity = self.inner.entity_name.clone();
        let documents: Vec<Staged> =
            documents.into_iter().zip(paths).map(|((id, json), path)| Staged { id, path, json }).collect();
        async move {
            let written = blocking(move || write_documents(&*fs, &entity, documents, only_missing)).await;
            written.unwrap_or_else(|cause| Err(PersistError::Values { entity: String::new(), cause }))
        }
    }
}

struct Staged {
    id: String,
    path: PathBuf,
    json: Vec<u8>,
}

fn write_documents(
    fs: &dyn crate::fs::FileSystem,
    entity: &str,
    mut documents: Vec<Staged>,
    only_missing: bool,
) -> Result<Vec<String>> {
    let failed = |id: &str, cause: Cause| PersistError::Write { entity: entity.to_string(), id: id.to_string(), cause };
    if only_missing {
        let mut kept = Vec::with_capacity(documents.len());
        for document in documents {
            match fs.exists(&document.path) {
                Ok(true) => {}
                Ok(false) => kept.push(document),
                Err(error) => {
                    let cause = IoFailure::new(&error, "access", &document.path).into();
                    return Err(failed(&document.id, cause));
                }
            }
        }
        documents = kept;
    }
    let Some(first) = documents.first() else { return Ok(Vec::new()) };
    let directory = crate::atomic::parent_dir(&first.path).to_path_buf();
    let options = AtomicOptions::default();
    // Many documents: temp files written unsynced, all made durable by one file-system sync
    // before any is renamed (where the platform has one); else each synced on its own.
    let staged = if documents.len() >= fs.one_sync_from() && fs.syncs_file_system() {
        let staged = stage_all(&documents, |document| stage_unsynced(fs, &document.path, &document.json, &options));
        match fs.sync_file_system(&directory) {
            Ok(()) => staged,
            Err(error) => {
                staged.iter().flatten().for_each(|temp| discard_staged(fs, temp));
                return Err(failed(&documents[0].id, IoFailure::new(&error, "syncfs", &directory).into()));
            }
        }
    } else {
        stage_all(&documents, |document| stage(fs, &document.path, &document.json, &options))
    };
    let mut temps = Vec::with_capacity(staged.len());
    let mut failure = None;
    for (document, outcome) in documents.iter().zip(staged) {
        match outcome {
            Ok(temp) => temps.push(temp),
            Err(io) => {
                failure.get_or_insert_with(|| failed(&document.id, io.into()));
                temps.push(PathBuf::new());
            }
        }
    }
    if let Some(error) = failure {
        // Nothing is renamed: the batch fails whole, and its temp files go.
        temps.iter().filter(|temp| !temp.as_os_str().is_empty()).for_each(|temp| discard_staged(fs, temp));
        return Err(error);
    }
    let mut written = Vec::with_capacity(documents.len());
    for (index, (document, temp)) in documents.iter().zip(&temps).enumerate() {
        if let Err(io) = commit_staged(fs, temp, &document.path) {
            temps[index + 1..].iter().for_each(|temp| discard_staged(fs, temp));
            // What was renamed stays (each document whole); it is made durable before failing.
            let _ = fs.sync_dir(&directory);
            return Err(failed(&document.id, io.into()));
        }
        written.push(document.id.clone());
    }
    fs.sync_dir(&directory).map_err(|io| failed(&documents[0].id, io.into()))?;
    Ok(written)
}

/// Applies `work` to every document on up to [`STAGING_THREADS`] threads (fsyncs wait on the
/// disk, not a core, so more threads than cores help), in order.
fn stage_all<R: Send>(documents: &[Staged], work: impl Fn(&Staged) -> R + Sync) -> Vec<R> {
    if documents.len() <= 1 {
        return documents.iter().map(&work).collect();
    }
    super::read::map_on_threads(documents, STAGING_THREADS, work)
}
