//! The order `keys()` yields ids in: the reference sorts with
//! `a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" })`, which is ICU root
//! collation at primary strength with numeric ordering. Ids equal under it (`a` and `A`) are
//! ordered by code point so the result does not depend on the directory's listing order.

use std::cmp::Ordering;
use std::sync::OnceLock;

use icu_collator::options::{CollatorOptions, Strength};
use icu_collator::preferences::CollationNumericOrdering;
use icu_collator::{Collator, CollatorBorrowed, CollatorPreferences};

fn collator() -> Option<&'static CollatorBorrowed<'static>> {
    static COLLATOR: OnceLock<Option<CollatorBorrowed<'static>>> = OnceLock::new();
    COLLATOR
        .get_or_init(|| {
            let mut prefs = CollatorPreferences::default();
            prefs.numeric_ordering = Some(CollationNumericOrdering::True);
            let mut options = CollatorOptions::default();
            options.strength = Some(Strength::Primary);
            Collator::try_new(prefs, options).ok()
        })
        .as_ref()
}

/// Compares two ids as the reference's `localeCompare` does, ties broken by code point.
pub fn compare_keys(a: &str, b: &str) -> Ordering {
    let collated = collator().map_or(Ordering::Equal, |c| c.compare(a, b));
    collated.then_with(|| a.cmp(b))
}

pub fn sort_keys(keys: &mut [String]) {
    keys.sort_by(|a, b| compare_keys(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(ids: &[&str]) -> Vec<String> {
        let mut keys: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        sort_keys(&mut keys);
        keys
    }

    #[test]
    fn numbers_sort_by_value() {
        assert_eq!(sorted(&["10", "9", "100", "1"]), ["1", "9", "10", "100"]);
        assert_eq!(sorted(&["item10", "item2", "item1"]), ["item1", "item2", "item10"]);
    }

    #[test]
    fn case_and_accents_are_ignored_then_code_point_breaks_ties() {
        assert_eq!(sorted(&["b", "A", "a", "B"]), ["A", "a", "B", "b"]);
        assert_eq!(compare_keys("résumé", "resume"), "résumé".cmp("resume"));
        assert_eq!(compare_keys("ETHUSDT", "btcusdt"), Ordering::Greater);
    }
}
