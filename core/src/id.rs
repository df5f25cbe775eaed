//! Entity ids and names become file and directory names; these checks keep every one of them
//! inside its store's directory and out of the temp-file namespace.

use crate::TMP_FILE_PREFIX;

/// Why `name` cannot be a single path component inside a store, or `None` if it can.
pub fn unsafe_component(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("must not be empty");
    }
    if name == "." || name == ".." {
        return Some("must not be '.' or '..'");
    }
    if name.contains('/') {
        return Some("must not contain '/'");
    }
    if name.contains('\\') {
        return Some("must not contain '\\'");
    }
    if name.contains('\0') {
        return Some("must not contain NUL");
    }
    if cfg!(windows) && name.contains(':') {
        return Some("must not contain ':'");
    }
    None
}

/// Why `id` cannot name an entity file, or `None` if it can. Beyond [`unsafe_component`], an id
/// must not look like an atomic write's temp file, which listings skip.
pub fn invalid_entity_id(id: &str) -> Option<&'static str> {
    if let Some(reason) = unsafe_component(id) {
        return Some(reason);
    }
    if id.starts_with(TMP_FILE_PREFIX) {
        return Some("must not start with the temp-file prefix '.tmp-'");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_names_that_leave_the_directory() {
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\0b"] {
            assert!(invalid_entity_id(bad).is_some(), "{bad:?} must be rejected");
        }
        assert!(invalid_entity_id(".tmp-abc-x").is_some());
    }

    #[test]
    fn accepts_ordinary_ids() {
        for good in ["BTCUSDT", "7", "...", ".hidden", "a b", "ключ", "a..b", "levels"] {
            assert_eq!(invalid_entity_id(good), None, "{good:?} must be accepted");
        }
    }
}
