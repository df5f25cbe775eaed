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

/// Why `name` cannot name a store's directory under its `baseDir`, or `None` if it can. A name is
/// `/`-separated segments, each a safe single component (backtest-kit 19.5.0 keeps candles under
/// `<exchange>/<symbol>/<interval>`), or empty: the store is then `baseDir` itself (a live
/// session's frame). No name can leave `baseDir`.
pub fn invalid_entity_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    for segment in name.split('/') {
        if segment.is_empty() {
            return Some("must not have an empty segment (a leading, trailing or doubled '/')".to_string());
        }
        if let Some(reason) = unsafe_component(segment) {
            return Some(if segment == name {
                reason.to_string()
            } else {
                format!("has a segment {segment:?} that {reason}")
            });
        }
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
    fn names_are_safe_segments_or_empty() {
        for good in ["", "signal", "binance/BTCUSDT/1m", "a b/ключ", "...", "x.y/z"] {
            assert_eq!(invalid_entity_name(good), None, "{good:?} must be accepted");
        }
        for bad in ["..", ".", "/abs", "a/", "a//b", "a/../b", "a/./b", "a\\b", "a/b\0c"] {
            assert!(invalid_entity_name(bad).is_some(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn accepts_ordinary_ids() {
        for good in ["BTCUSDT", "7", "...", ".hidden", "a b", "ключ", "a..b", "levels"] {
            assert_eq!(invalid_entity_id(good), None, "{good:?} must be accepted");
        }
    }
}
