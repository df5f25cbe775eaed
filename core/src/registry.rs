//! The four adapter registries of the reference: where each kind of state lives, the memo of
//! stores by key, and the read and write protocols, for any [`Store`].

use std::collections::HashMap;
use std::future::Future;

use crate::error::Result;
use crate::store::Store;

/// Which registry: each keeps one kind of live-trading state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistryKind {
    Signal,
    Schedule,
    Risk,
    Partial,
}

impl RegistryKind {
    pub const ALL: [RegistryKind; 4] = [Self::Signal, Self::Schedule, Self::Risk, Self::Partial];

    /// The exported singleton's name, used in error messages.
    pub fn adapter_name(self) -> &'static str {
        match self {
            Self::Signal => "PersistSignalAdapter",
            Self::Schedule => "PersistScheduleAdapter",
            Self::Risk => "PersistRiskAdapter",
            Self::Partial => "PersistPartialAdapter",
        }
    }

    /// The `baseDir` a store is constructed with: `new Ctor(entityName, baseDir)`.
    pub fn base_dir(self) -> &'static str {
        match self {
            Self::Signal => "./dump/data/signal/",
            Self::Schedule => "./dump/data/schedule/",
            Self::Risk => "./dump/data/risk/",
            Self::Partial => "./dump/data/partial/",
        }
    }

    /// The entity id inside the store: the symbol for signals and schedules, a fixed name
    /// for the others.
    pub fn fixed_entity_id(self) -> Option<&'static str> {
        match self {
            Self::Signal | Self::Schedule => None,
            Self::Risk => Some("positions"),
            Self::Partial => Some("levels"),
        }
    }

    /// What a read returns when nothing is stored, as JSON text.
    pub fn default_json(self) -> &'static str {
        match self {
            Self::Signal | Self::Schedule => "null",
            Self::Risk => "[]",
            Self::Partial => "{}",
        }
    }
}

/// Stores by memo key. A store created here stays for the life of the registry, whatever
/// factory is registered later, as in the reference.
pub struct Memo<S> {
    stores: HashMap<String, S>,
}

impl<S> Default for Memo<S> {
    fn default() -> Self {
        Self { stores: HashMap::new() }
    }
}

impl<S: Clone> Memo<S> {
    pub fn get(&self, key: &str) -> Option<S> {
        self.stores.get(key).cloned()
    }

    /// Keeps `store` for `key` unless one is there already. Returns the store in the memo and
    /// whether this is its first use (`initial`). Creating a store may call user code that
    /// reaches the memo again, so creation happens outside, between `get` and `insert`.
    pub fn insert(&mut self, key: &str, store: S) -> (S, bool) {
        match self.stores.get(key) {
            Some(existing) => (existing.clone(), false),
            None => {
                self.stores.insert(key.to_string(), store.clone());
                (store, true)
            }
        }
    }

    pub fn clear(&mut self) {
        self.stores.clear();
    }
}

/// The reference's read: `waitForInit(initial)`, then `readValue(id)` if `hasValue(id)`. `None`
/// when nothing is stored (the caller substitutes the registry's default).
pub async fn read_through<S: Store>(store: S, initial: bool, id: String) -> Result<Option<String>> {
    store.init(initial).await?;
    if store.has(&id).await? {
        Ok(Some(store.read(&id).await?))
    } else {
        Ok(None)
    }
}

/// The reference's write: `waitForInit(initial)`, then `writeValue(id, data)`. The write is
/// issued now, so its place in the key's order is the call's; it runs after the init.
pub fn write_through<S: Store + 'static>(
    store: S,
    initial: bool,
    id: &str,
    json: Vec<u8>,
) -> impl Future<Output = Result<()>> + 'static {
    let write = store.write(id, json);
    async move {
        store.init(initial).await?;
        write.await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileStore;

    #[tokio::test]
    async fn read_gives_none_until_written_then_the_value() {
        let base = tempfile::tempdir().unwrap();
        let store = FileStore::new("strategy", &base.path().join(RegistryKind::Signal.base_dir()));
        assert_eq!(read_through(store.clone(), true, "BTC".into()).await.unwrap(), None);
        write_through(store.clone(), false, "BTC", b"{\"id\":1}".to_vec()).await.unwrap();
        assert_eq!(read_through(store, false, "BTC".into()).await.unwrap().as_deref(), Some("{\"id\":1}"));
        assert!(base.path().join("dump/data/signal/strategy/BTC.json").is_file());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn native_registry_futures_can_run_on_the_thread_pool() {
        let base = tempfile::tempdir().unwrap();
        let store = FileStore::new("risk", base.path());
        let write = tokio::spawn(write_through(store.clone(), true, "positions", b"[]".to_vec()));
        write.await.unwrap().unwrap();
        let read = tokio::spawn(read_through(store, false, "positions".into()));
        assert_eq!(read.await.unwrap().unwrap().as_deref(), Some("[]"));
    }

    #[test]
    fn memo_reports_first_use_and_keeps_the_first_store() {
        let mut memo: Memo<u32> = Memo::default();
        assert_eq!(memo.get("a"), None);
        assert_eq!(memo.insert("a", 1), (1, true));
        assert_eq!(memo.insert("a", 2), (1, false));
        assert_eq!(memo.get("a"), Some(1));
    }
}
