//! A run of documents read a window at a time, stopping at the first that is missing or does
//! not parse: 19.5.0's candle range (`since + i * step` for `i` below a limit), which is served
//! whole or not at all. A miss costs the window it is found in, never the whole run: on files
//! the first window is the first document alone (one read, as the reference's first
//! `hasValue`), on a server one round trip of up to a full window. A run without a limit stops
//! at its first miss.

use crate::json::is_valid_json;

/// Documents read per window after the first, on several threads (files) or in one round trip.
pub const WINDOW: usize = 1024;

/// How a run ended.
#[derive(Debug, PartialEq)]
pub enum Range {
    /// A document of the run is missing (before any that does not parse).
    Missing,
    /// The document at `index` does not parse (before any missing one).
    Invalid { index: usize, text: String },
    /// Every document, in order.
    Whole(Vec<String>),
}

/// Where a run is: the ids to read next, and what was read.
pub struct RangeScan {
    id_at: Box<dyn Fn(usize) -> String + Send>,
    /// `None`: until a document is missing (what is read is then never returned).
    count: Option<usize>,
    first_window: usize,
    next: usize,
    texts: Vec<String>,
}

impl RangeScan {
    /// A run of `count` documents (`None`: unbounded), the `i`th named `id_at(i)`.
    pub fn new(id_at: impl Fn(usize) -> String + Send + 'static, count: Option<usize>) -> Self {
        Self { id_at: Box::new(id_at), count, first_window: 1, next: 0, texts: Vec::new() }
    }

    /// The same run with a first window of `size` documents (at least one).
    pub fn first_window(mut self, size: usize) -> Self {
        self.first_window = size.max(1);
        self
    }

    /// The ids of the next window; empty once the run is read.
    pub fn next_window(&self) -> Vec<String> {
        let size = if self.next == 0 { self.first_window } else { WINDOW };
        let end = match self.count {
            Some(count) => count.min(self.next.saturating_add(size)),
            None => self.next.saturating_add(size),
        };
        (self.next..end).map(|index| (self.id_at)(index)).collect()
    }

    /// How many documents were accepted so far (whole JSON values, in order, none missing).
    pub fn read(&self) -> usize {
        self.next
    }

    /// Takes what the window's reads gave (`None`: no such document): `Some` once the run's
    /// outcome is known.
    pub fn take(&mut self, texts: Vec<Option<String>>) -> Option<Range> {
        if texts.is_empty() {
            return Some(Range::Whole(std::mem::take(&mut self.texts)));
        }
        for text in texts {
            let Some(text) = text else { return Some(Range::Missing) };
            if !is_valid_json(text.as_bytes()) {
                return Some(Range::Invalid { index: self.next, text });
            }
            self.next += 1;
            if self.count.is_some() {
                self.texts.push(text);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stored: &[Option<&str>], count: Option<usize>) -> (Range, Vec<usize>) {
        let mut scan = RangeScan::new(|index| index.to_string(), count);
        let mut windows = Vec::new();
        loop {
            let ids = scan.next_window();
            windows.push(ids.len());
            let texts = ids
                .iter()
                .map(|id| stored.get(id.parse::<usize>().unwrap()).copied().flatten().map(str::to_string))
                .collect();
            if let Some(range) = scan.take(texts) {
                return (range, windows);
            }
        }
    }

    #[test]
    fn a_miss_at_the_start_costs_one_read() {
        assert_eq!(run(&[None, Some("1")], Some(1_000_000)), (Range::Missing, vec![1]));
    }

    #[test]
    fn a_whole_run_comes_back_in_order_and_an_unbounded_one_ends_at_its_first_miss() {
        let stored: Vec<Option<&str>> = (0..3000).map(|_| Some("{}")).collect();
        let (range, windows) = run(&stored, Some(2500));
        assert_eq!(windows, vec![1, 1024, 1024, 451, 0]);
        assert!(matches!(range, Range::Whole(texts) if texts.len() == 2500));
        assert_eq!(run(&stored, None).0, Range::Missing);
    }

    #[test]
    fn the_first_of_a_bad_and_a_missing_document_decides() {
        assert_eq!(run(&[Some("1"), Some("{"), None], Some(3)).0, Range::Invalid { index: 1, text: "{".into() });
        assert_eq!(run(&[Some("1"), None, Some("{")], Some(3)).0, Range::Missing);
        assert_eq!(run(&[], Some(0)).0, Range::Whole(Vec::new()));
    }
}
