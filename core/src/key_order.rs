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

/// Sorts ids in [`compare_keys`] order. Each id's collation sort key is computed once and
/// compared as bytes, which gives the collator's order without collating every pair anew.
pub fn sort_keys(keys: &mut [String]) {
    match collator() {
        Some(collator) => keys.sort_by_cached_key(|id| {
            let mut sort_key = Vec::new();
            let Ok(()) = collator.write_sort_key_to(id.as_str(), &mut sort_key);
            (sort_key, id.clone())
        }),
        None => keys.sort(),
    }
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

    proptest::proptest! {
        /// Sorting by sort keys gives the order of pairwise comparison.
        #[test]
        fn sort_keys_agree_with_pairwise_comparison(
            ids in proptest::collection::vec("[aAbB0-9é_.-]{0,6}", 0..40)
        ) {
            let mut by_keys: Vec<String> = ids.clone();
            sort_keys(&mut by_keys);
            let mut pairwise = ids;
            pairwise.sort_by(|a, b| compare_keys(a, b));
            proptest::prop_assert_eq!(by_keys, pairwise);
        }
    }

    #[test]
    fn case_and_accents_are_ignored_then_code_point_breaks_ties() {
        assert_eq!(sorted(&["b", "A", "a", "B"]), ["A", "a", "B", "b"]);
        assert_eq!(compare_keys("résumé", "resume"), "résumé".cmp("resume"));
        assert_eq!(compare_keys("ETHUSDT", "btcusdt"), Ordering::Greater);
    }
}
