//! A directory's identity, as the file write order and the document cache key it: its device
//! and inode, looked up on every call (one `stat`, whatever spelling the call used: relative,
//! `..`, a symlink, a bind mount, initialised or not), and pinned by an open descriptor for as
//! long as anything keys state by it. A removed directory's inode is given to the next one
//! created (ext4 does so at once); a pinned inode is never freed, so while a key is in use no
//! other directory can have it, and a key once unused is never given out again (an epoch).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

/// The key of a directory in the write order, and what makes it trustworthy.
#[derive(Clone, Debug)]
pub struct DirKey {
    pub key: PathBuf,
    pub hold: Hold,
}

/// Why a [`DirKey`] names one directory and no other.
#[derive(Clone, Debug)]
pub enum Hold {
    /// Its identity, shared by every call on the directory while one lives; when it holds the
    /// inode open (it nearly always does), no other directory can have it meanwhile.
    Pinned(Arc<DirPin>),
    /// A logical key (a server store's namespace): it names no file system object.
    Logical,
    /// A directory that does not exist, keyed by its absolute, lexically normal path: good for
    /// ordering, never for caching what the directory holds.
    Loose,
}

impl DirKey {
    pub fn logical(key: PathBuf) -> Self {
        Self { key, hold: Hold::Logical }
    }

    /// Whether what the directory holds may be cached under this key: a logical key, or an
    /// identity whose inode is held open.
    pub fn is_stable(&self) -> bool {
        match &self.hold {
            Hold::Pinned(pin) => pin.handle.is_some(),
            Hold::Logical => true,
            Hold::Loose => false,
        }
    }

    pub fn pin(&self) -> Option<Arc<DirPin>> {
        match &self.hold {
            Hold::Pinned(pin) => Some(pin.clone()),
            _ => None,
        }
    }
}

/// A directory's identity, held open (`O_PATH`) so that its inode stays allocated while this
/// lives. Without a handle (no descriptor was left when it was made) it still gives every call
/// on the directory one key while it lives, but caches nothing: the inode could be reused.
#[derive(Debug)]
pub struct DirPin {
    id: (u64, u64),
    key: PathBuf,
    handle: Option<std::fs::File>,
}

type Pins = HashMap<(u64, u64), Weak<DirPin>>;

fn pins() -> MutexGuard<'static, Pins> {
    static PINS: OnceLock<Mutex<Pins>> = OnceLock::new();
    PINS.get_or_init(Mutex::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Drop for DirPin {
    fn drop(&mut self) {
        let mut pins = pins();
        if pins.get(&self.id).is_some_and(|weak| weak.strong_count() == 0) {
            pins.remove(&self.id);
        }
    }
}

/// The key `directory` (absolute, lexically normal) is ordered under now.
#[cfg(unix)]
pub fn identify(directory: &Path) -> DirKey {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    use std::sync::atomic::{AtomicU64, Ordering};
    let loose = || DirKey { key: directory.to_path_buf(), hold: Hold::Loose };
    let Ok(metadata) = std::fs::metadata(directory) else { return loose() };
    if !metadata.is_dir() {
        return loose();
    }
    let id = (metadata.dev(), metadata.ino());
    // A live pin of this inode is this directory: the kernel cannot have reused the number.
    if let Some(pin) = pins().get(&id).and_then(Weak::upgrade) {
        return DirKey { key: pin.key.clone(), hold: Hold::Pinned(pin) };
    }
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_PATH | nix::libc::O_DIRECTORY | nix::libc::O_CLOEXEC)
        .open(directory);
    // The identity of what was opened, which a rename between the two calls may have changed.
    let (id, handle) = match opened {
        Ok(handle) => match handle.metadata() {
            Ok(metadata) => ((metadata.dev(), metadata.ino()), Some(handle)),
            Err(_) => (id, None),
        },
        // No descriptor left: keyed by the inode it has now. Two directories can share this
        // key only when one was removed meanwhile, which costs order, never a write (writes
        // join only on one path) nor a cached document (it caches nothing).
        Err(_) => (id, None),
    };
    let mut pins = pins();
    if let Some(pin) = pins.get(&id).and_then(Weak::upgrade) {
        drop(pins);
        return DirKey { key: pin.key.clone(), hold: Hold::Pinned(pin) };
    }
    static EPOCH: AtomicU64 = AtomicU64::new(0);
    let epoch = EPOCH.fetch_add(1, Ordering::Relaxed);
    let key = PathBuf::from(format!("@dir/{}:{}:{epoch}", id.0, id.1));
    let pin = Arc::new(DirPin { id, key: key.clone(), handle });
    pins.insert(id, Arc::downgrade(&pin));
    DirKey { key, hold: Hold::Pinned(pin) }
}

#[cfg(not(unix))]
pub fn identify(directory: &Path) -> DirKey {
    DirKey { key: directory.to_path_buf(), hold: Hold::Loose }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_directory_share_a_key_and_a_reused_inode_does_not() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join("a");
        std::fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, root.path().join("link")).unwrap();
        let first = identify(&real);
        assert!(matches!(first.hold, Hold::Pinned(_)) && first.is_stable());
        assert_eq!(identify(&root.path().join("link")).key, first.key);
        let first_key = first.key.clone();
        drop(first);
        // Unused now: a directory at that inode later gets a key never given out before.
        std::fs::remove_dir(&real).unwrap();
        let other = root.path().join("b");
        std::fs::create_dir(&other).unwrap();
        assert_ne!(identify(&other).key, first_key);
        let missing = identify(&root.path().join("missing"));
        assert!(!missing.is_stable());
    }

    #[test]
    fn a_pinned_directory_keeps_its_inode_from_the_next_directory() {
        let root = tempfile::tempdir().unwrap();
        let held = identify(&{
            let dir = root.path().join("a");
            std::fs::create_dir(&dir).unwrap();
            dir
        });
        std::fs::remove_dir(root.path().join("a")).unwrap();
        let mut created = Vec::new();
        for i in 0..64 {
            let dir = root.path().join(format!("n{i}"));
            std::fs::create_dir(&dir).unwrap();
            created.push(identify(&dir));
        }
        assert!(created.iter().all(|other| other.key != held.key), "no directory created since shares the key");
    }
}
