//! The storage core of `@backtest-kit/persist`, with no knowledge of JavaScript.
//!
//! A [`store::Store`] keeps JSON documents by entity id. [`store::FileStore`] is the default: one
//! file per entity, written durably ([`atomic`]), ordered per key ([`order`]), listed in the
//! reference's collation ([`key_order`]) and recovered at init with corrupt documents quarantined.

pub mod atomic;
pub mod document_cache;
pub mod error;
pub mod fs;
pub mod id;
pub mod identity;
pub mod json;
pub mod key_order;
pub mod observer;
pub mod order;
pub mod redact;
pub mod registry;
pub mod store;

pub use error::{Cause, IoFailure, PersistError, Result};
pub use store::{FileStore, InitReport, Store};

/// Prefix of the temp files that atomic writes create beside their target. Names that start
/// with it are never entities, whatever their suffix.
pub const TMP_FILE_PREFIX: &str = ".tmp-";
