//! What watches the changes a key queue ([`crate::order`]) orders: the document cache does. Its
//! own module, so that the queue and what watches it each import this, never each other.

use std::path::Path;

/// What watches the changes a queue orders: each turn is a change to its key (a write, a
/// removal, a quarantine move) or, for a barrier, to every key of its directory.
pub trait TurnObserver: Send + Sync {
    /// A turn on `key` was taken (the change is issued).
    fn issued(&self, key: &Path, barrier: bool);
    /// The turn on `key` is finishing (the change has landed, or failed), before the next turn
    /// on the key may run; `written` is the text the key now holds, when the caller knows it.
    fn finished(&self, key: &Path, barrier: bool, written: Option<&str>);
    /// Whether it wants the texts written into `directory` (see [`crate::order::Turn::set_written`]).
    fn watches(&self, directory: &Path) -> bool {
        let _ = directory;
        false
    }
}
