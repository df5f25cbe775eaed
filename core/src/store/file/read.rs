//! Reading documents: decoding as Node's `readFile(path, "utf-8")` does, refusing what no JS
//! string can hold, and reading many at once, in order, on the threads the machine can spare.

use std::path::{Path, PathBuf};

use crate::error::{Cause, IoFailure, PersistError};
use crate::fs::FileSystem;

/// The longest string V8 can create (`0x1fffffe8` UTF-16 units on 64-bit builds). A document
/// longer than this cannot become a JS string, so it is refused with Node's own message
/// before anything is copied.
pub const MAX_STRING_LENGTH: usize = 0x1fff_ffe8;

/// Decodes file bytes as Node's `readFile(path, "utf-8")` does.
pub(super) fn decode_document(bytes: Vec<u8>) -> std::result::Result<String, Cause> {
    // UTF-8 never takes fewer bytes than UTF-16 units, so a longer text is too long.
    if bytes.len() > MAX_STRING_LENGTH && utf16_len(&bytes) > MAX_STRING_LENGTH {
        return Err(Cause::Coded {
            code: "ERR_STRING_TOO_LONG",
            message: "Cannot create a string longer than 0x1fffffe8 characters".to_string(),
        });
    }
    Ok(String::from_utf8(bytes).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()))
}

fn utf16_len(bytes: &[u8]) -> usize {
    String::from_utf8_lossy(bytes).encode_utf16().count()
}

/// The documents of `ids`, in order, a few at a time in parallel, until `max_bytes` are read.
pub(super) fn read_in_order(
    fs: &dyn FileSystem,
    directory: &Path,
    entity: &str,
    ids: &[String],
    max_bytes: usize,
) -> std::result::Result<Vec<String>, Cause> {
    let mut texts = Vec::new();
    let mut bytes = 0;
    let mut start = 0;
    // The first document alone, then as many at once (in parallel) as the documents read so far
    // say fit in what is left of `max_bytes`: a window of large documents stops after the one
    // that fills it, one of small ones still reads many at once on several threads.
    let mut at_once = 1;
    while start < ids.len() {
        let chunk = &ids[start..(start + at_once).min(ids.len())];
        start += chunk.len();
        let paths: Vec<PathBuf> = chunk.iter().map(|id| directory.join(format!("{id}.json"))).collect();
        let read = parallel_map(&paths, |path| fs.read(path));
        for ((id, path), outcome) in chunk.iter().zip(&paths).zip(read) {
            let text = match outcome {
                Ok(data) => decode_document(data).map_err(|cause| PersistError::Read {
                    entity: entity.to_string(),
                    id: id.clone(),
                    cause,
                }),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    Err(PersistError::NotFound { entity: entity.to_string(), id: id.clone() })
                }
                Err(error) => Err(PersistError::Read {
                    entity: entity.to_string(),
                    id: id.clone(),
                    cause: IoFailure::reading(&error, path).into(),
                }),
            };
            let text = text.map_err(|error| Cause::Message(error.to_string()))?;
            bytes += text.len();
            texts.push(text);
        }
        if bytes >= max_bytes {
            break;
        }
        let average = (bytes / texts.len()).max(1);
        at_once = ((max_bytes - bytes) / average).clamp(1, 512);
    }
    Ok(texts)
}

/// Applies `work` to every item on up to 8 threads, keeping the order of the input. One core is
/// left to the JS thread: on 2 cores a scan of 100,000 documents on both starved the event loop
/// for 19 ms.
pub(super) fn parallel_map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const MIN_PER_THREAD: usize = 64;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).saturating_sub(1).min(8);
    if threads <= 1 || items.len() < 2 * MIN_PER_THREAD {
        return items.iter().map(&work).collect();
    }
    map_on_threads(items, threads, work)
}

/// Applies `work` to every item on `threads` scoped threads (contiguous chunks), in order.
pub(super) fn map_on_threads<T: Sync, R: Send>(items: &[T], threads: usize, work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let chunk = items.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(work).collect::<Vec<R>>())).collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}
