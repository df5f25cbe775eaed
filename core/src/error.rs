//! The one error type of the core. Each variant's text is the reference's exact message, and
//! [`PersistError::code`] is the stable code the binding puts on the JS error.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub type Result<T, E = PersistError> = std::result::Result<T, E>;

/// A failed system call, described the way Node describes its own fs errors
/// (`EACCES: permission denied, open '/path'`), so messages read the same as the reference's.
#[derive(Debug, Clone)]
pub struct IoFailure {
    /// Symbolic errno (`ENOENT`, `EACCES`, ...) when the OS gave one.
    pub code: Option<String>,
    /// Raw OS error number, negated as Node reports it (`-2` for ENOENT).
    pub errno: Option<i32>,
    pub syscall: &'static str,
    pub path: PathBuf,
    /// Whether the message and the JS error name `path`: Node's `read` errors name no path.
    pub names_path: bool,
    /// The second path of a two-path call (`rename`'s destination), as Node reports it.
    pub dest: Option<Box<Path>>,
    pub kind: io::ErrorKind,
    description: String,
}

impl IoFailure {
    pub fn new(error: &io::Error, syscall: &'static str, path: &Path) -> Self {
        let raw = error.raw_os_error();
        Self {
            code: raw.and_then(errno_name),
            errno: raw.map(|n| -n),
            syscall,
            path: path.to_path_buf(),
            names_path: true,
            dest: None,
            kind: error.kind(),
            description: describe(error, raw),
        }
    }

    /// A failure to read `path`, described as Node's `readFile` does: `open` when opening it
    /// failed, `read` (with no path) when it opened but cannot be read, as a directory.
    pub fn reading(error: &io::Error, path: &Path) -> Self {
        let mut failure = Self::new(error, "open", path);
        if failure.code.as_deref() == Some("EISDIR") {
            failure.syscall = "read";
            failure.names_path = false;
        }
        failure
    }

    /// The same failure of a call that also named `dest` (`rename 'from' -> 'to'`).
    pub fn with_dest(mut self, dest: &Path) -> Self {
        self.dest = Some(dest.into());
        self
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == io::ErrorKind::NotFound
    }
}

impl fmt::Display for IoFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        write!(f, "{}, {}", self.description, self.syscall)?;
        if self.names_path {
            write!(f, " '{}'", self.path.display())?;
        }
        if let Some(dest) = &self.dest {
            write!(f, " -> '{}'", dest.display())?;
        }
        Ok(())
    }
}

#[cfg(unix)]
fn errno_name(raw: i32) -> Option<String> {
    let errno = nix::errno::Errno::from_raw(raw);
    (errno != nix::errno::Errno::UnknownErrno).then(|| format!("{errno:?}"))
}

#[cfg(not(unix))]
fn errno_name(_raw: i32) -> Option<String> {
    None
}

/// libuv's description of an errno, which is what Node's fs errors say
/// (`EISDIR: illegal operation on a directory`), or the OS's where libuv has none of its own.
#[cfg(unix)]
fn describe(error: &io::Error, raw: Option<i32>) -> String {
    use nix::errno::Errno;
    let Some(raw) = raw else { return error.to_string() };
    let errno = Errno::from_raw(raw);
    let libuv = match errno {
        Errno::EACCES => "permission denied",
        Errno::EAGAIN => "resource temporarily unavailable",
        Errno::EBADF => "bad file descriptor",
        Errno::EBUSY => "resource busy or locked",
        Errno::ECANCELED => "operation canceled",
        Errno::EEXIST => "file already exists",
        Errno::EFBIG => "file too large",
        Errno::EINTR => "interrupted system call",
        Errno::EINVAL => "invalid argument",
        Errno::EIO => "i/o error",
        Errno::EISDIR => "illegal operation on a directory",
        Errno::ELOOP => "too many symbolic links encountered",
        Errno::EMFILE => "too many open files",
        Errno::EMLINK => "too many links",
        Errno::ENAMETOOLONG => "name too long",
        Errno::ENFILE => "file table overflow",
        Errno::ENOENT => "no such file or directory",
        Errno::ENOMEM => "not enough memory",
        Errno::ENOSPC => "no space left on device",
        Errno::ENOTDIR => "not a directory",
        Errno::ENOTEMPTY => "directory not empty",
        Errno::ENXIO => "no such device or address",
        Errno::EPERM => "operation not permitted",
        Errno::EROFS => "read-only file system",
        Errno::ESPIPE => "invalid seek",
        Errno::ETIMEDOUT => "connection timed out",
        Errno::ETXTBSY => "text file is busy",
        Errno::EXDEV => "cross-device link not permitted",
        _ => return errno.desc().to_lowercase(),
    };
    libuv.to_string()
}

#[cfg(not(unix))]
fn describe(error: &io::Error, _raw: Option<i32>) -> String {
    error.to_string()
}

/// Why an operation failed: a system call, or a plain message (bad JSON, a task that died).
#[derive(Debug, Clone)]
pub enum Cause {
    Io(Box<IoFailure>),
    Message(String),
    /// A failure Node reports with a `code` of its own (`ERR_STRING_TOO_LONG`).
    Coded {
        code: &'static str,
        message: String,
    },
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Io(io) => io.fmt(f),
            Cause::Message(message) | Cause::Coded { message, .. } => f.write_str(message),
        }
    }
}

impl From<IoFailure> for Cause {
    fn from(io: IoFailure) -> Self {
        Cause::Io(Box::new(io))
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum PersistError {
    #[error("Entity {entity}:{id} not found")]
    NotFound { entity: String, id: String },
    #[error("Failed to read entity {entity}:{id}: {cause}")]
    Read { entity: String, id: String, cause: Cause },
    #[error("Failed to check existence of entity {entity}:{id}: {cause}")]
    Has { entity: String, id: String, cause: Cause },
    #[error("Failed to write entity {entity}:{id}: {cause}")]
    Write { entity: String, id: String, cause: Cause },
    #[error("Entity {entity}:{id} not found for deletion")]
    NotFoundForDeletion { entity: String, id: String },
    #[error("Failed to remove entity {entity}:{id}: {cause}")]
    Remove { entity: String, id: String, cause: Cause },
    #[error("Failed to remove values for {entity}: {cause}")]
    RemoveAll { entity: String, cause: Cause },
    #[error("Failed to read keys for {entity}: {cause}")]
    Keys { entity: String, cause: Cause },
    #[error("Failed to read values for {entity}: {cause}")]
    Values { entity: String, cause: Cause },
    #[error("Failed to count entities for {entity}: {cause}")]
    Count { entity: String, cause: Cause },
    #[error("Failed to initialize {entity}: {cause}")]
    Init { entity: String, cause: Cause },
    /// `reason` quotes the offending id when it is one.
    #[error("Invalid entity id for {entity}: {reason}")]
    InvalidId { entity: String, id: String, reason: String },
    #[error("Invalid entity name {entity:?}: it {reason}")]
    InvalidName { entity: String, reason: String },
    #[error("Failed to write entity {entity}:{id}: {reason}")]
    InvalidEntity { entity: String, id: String, reason: String },
    /// A JS adapter's method threw or rejected. `origin` lets the binding hand the caller the
    /// very value that was thrown.
    #[error("{message}")]
    Adapter { registry: String, adapter: String, method: String, message: String, origin: Option<u64> },
    #[error("{registry}: adapter {adapter} has no method {method}")]
    AdapterMethodMissing { registry: String, adapter: String, method: String },
    #[error("{registry}: adapter {adapter} could not be constructed: {message}")]
    AdapterConstructor { registry: String, adapter: String, message: String, origin: Option<u64> },
    /// `writeFileAtomic`'s own failure: the reference rethrows the fs error unchanged.
    #[error("{0}")]
    AtomicWrite(Box<IoFailure>),
}

impl PersistError {
    /// The stable code set on the JS error, for callers that branch on the kind of failure.
    pub fn code(&self) -> &str {
        match self {
            PersistError::NotFound { .. } | PersistError::NotFoundForDeletion { .. } => "ENTITY_NOT_FOUND",
            PersistError::Read { .. } => "READ_FAILED",
            PersistError::Has { .. } => "HAS_FAILED",
            PersistError::Write { .. } => "WRITE_FAILED",
            PersistError::Remove { .. } => "REMOVE_FAILED",
            PersistError::RemoveAll { .. } => "REMOVE_ALL_FAILED",
            PersistError::Keys { .. } => "KEYS_FAILED",
            PersistError::Values { .. } => "VALUES_FAILED",
            PersistError::Count { .. } => "COUNT_FAILED",
            PersistError::Init { .. } => "INIT_FAILED",
            PersistError::InvalidId { .. } => "INVALID_ENTITY_ID",
            PersistError::InvalidName { .. } => "INVALID_ENTITY_NAME",
            PersistError::InvalidEntity { .. } => "INVALID_ENTITY",
            PersistError::Adapter { .. } => "ADAPTER_FAILED",
            PersistError::AdapterMethodMissing { .. } => "ADAPTER_METHOD_MISSING",
            PersistError::AdapterConstructor { .. } => "ADAPTER_CONSTRUCTOR_FAILED",
            PersistError::AtomicWrite(io) => io.code.as_deref().unwrap_or("EIO"),
        }
    }

    /// The underlying cause, when the failure came from below this layer.
    pub fn cause(&self) -> Option<&Cause> {
        match self {
            PersistError::Read { cause, .. }
            | PersistError::Has { cause, .. }
            | PersistError::Write { cause, .. }
            | PersistError::Remove { cause, .. }
            | PersistError::RemoveAll { cause, .. }
            | PersistError::Keys { cause, .. }
            | PersistError::Values { cause, .. }
            | PersistError::Count { cause, .. }
            | PersistError::Init { cause, .. } => Some(cause),
            _ => None,
        }
    }
}
