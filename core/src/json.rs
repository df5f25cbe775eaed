//! Whether a stored document is one `JSON.parse` accepts, decided off the JS thread.
//!
//! The bytes are decoded the way Node's `readFile(path, "utf-8")` does (invalid UTF-8 becomes
//! U+FFFD) and validated by serde_json without building a value. That check follows the JSON
//! grammar exactly as `JSON.parse` does: no depth limit, no number range limit, lone surrogate
//! escapes allowed, the same four whitespace characters.

use serde::de::IgnoredAny;

pub fn is_valid_json(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    serde_json::from_str::<IgnoredAny>(&text).is_ok()
}

/// The elements of a JSON array as `JSON.stringify` wrote it, each the exact text it has in
/// `text` (what `JSON.stringify` gives for that element alone, for plain data), or `None` when
/// `text` is not such an array (or nests deeper than the parser goes).
pub fn array_elements(text: &str) -> Option<Vec<&str>> {
    let elements: Vec<&serde_json::value::RawValue> = serde_json::from_str(text).ok()?;
    Some(elements.into_iter().map(|element| element.get()).collect())
}

#[cfg(test)]
mod tests {
    use super::is_valid_json;

    #[test]
    fn an_array_splits_into_the_exact_texts_of_its_elements() {
        let text = r#"[{"a":1,"b":"x,]"},null,[1,[2]],"s",-1.5e3]"#;
        assert_eq!(
            super::array_elements(text),
            Some(vec![r#"{"a":1,"b":"x,]"}"#, "null", "[1,[2]]", r#""s""#, "-1.5e3"])
        );
        assert_eq!(super::array_elements("{}"), None);
        assert_eq!(super::array_elements("[1,"), None);
    }

    #[test]
    fn accepts_what_json_parse_accepts() {
        for ok in ["null", " {\"a\":[1,2.5e10,-0,true,false,null]}\n", "\"\\ud800\"", "1e400", "\"\u{7f}\""] {
            assert!(is_valid_json(ok.as_bytes()), "{ok:?}");
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(is_valid_json(deep.as_bytes()));
        assert!(is_valid_json(b"\"\xff\""), "invalid UTF-8 inside a string decodes to U+FFFD");
    }

    #[test]
    fn rejects_what_json_parse_rejects() {
        for bad in ["", "{", "{\"a\":1", "01", "[1,]", "'a'", "\"\n\"", "\u{feff}{}", "{} x", "NaN", "\u{a0}1"] {
            assert!(!is_valid_json(bad.as_bytes()), "{bad:?}");
        }
    }
}
