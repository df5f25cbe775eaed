//! A store URL as it may be shown (error messages, the command line's output): every place a
//! driver reads a password from is replaced by `***`, found by its delimiters alone, so a URL
//! that does not parse (several hosts, a bad port, a raw `@` or `/` in the password) is hidden
//! as well as one that does, and the rest of the text is kept as it was given.

use std::ops::Range;

const HIDDEN: &str = "***";

/// `url` with its passwords replaced by `***`: the userinfo password (up to the last `@` of the
/// authority, where the `url` crate and so Redis ends it, or up to the first `@` anywhere, where
/// libpq and tokio-postgres end it: whichever is later), and the value of every query parameter
/// whose percent-decoded name contains "password" in any case (`?password=`, `?sslpassword=`).
/// Text with no `scheme://` is taken for a libpq `key=value` string, whose keywords are checked
/// alike.
pub fn redact_url(url: &str) -> String {
    let secrets = match url.find("://") {
        Some(scheme) => url_secrets(url, scheme + 3),
        None => keyword_secrets(url),
    };
    hide(url, secrets)
}

/// The password ranges of a URL whose authority starts at `start`.
fn url_secrets(url: &str, start: usize) -> Vec<Range<usize>> {
    let rest = &url[start..];
    let mut secrets = Vec::new();
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if let Some(end) = [authority.rfind('@'), rest.find('@')].into_iter().flatten().max() {
        if let Some(colon) = rest[..end].find(':') {
            secrets.push(start + colon + 1..start + end);
        }
    }
    // Wherever a `?` or `&` starts a parameter, even inside what another reading takes for the
    // password: hiding too much shows nothing that should not be seen.
    for (at, _) in url[start..].match_indices(['?', '&']) {
        let name_start = start + at + 1;
        let name_end = url[name_start..].find(['=', '&']).map_or(url.len(), |end| name_start + end);
        if url[name_end..].starts_with('=') && names_password(&url[name_start..name_end]) {
            let value_end = url[name_end..].find('&').map_or(url.len(), |end| name_end + end);
            secrets.push(name_end + 1..value_end);
        }
    }
    secrets
}

/// The password ranges of a libpq `key=value` string: `password=x`, `password = 'x y'`.
fn keyword_secrets(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let skip_blanks = |mut at: usize| {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        at
    };
    let mut secrets = Vec::new();
    for (found, _) in text.to_ascii_lowercase().match_indices("password") {
        let mut at = found;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() && bytes[at] != b'=' {
            at += 1;
        }
        at = skip_blanks(at);
        if bytes.get(at) != Some(&b'=') {
            continue;
        }
        let start = skip_blanks(at + 1);
        let quoted = bytes.get(start) == Some(&b'\'');
        let mut end = start + usize::from(quoted);
        while end < bytes.len() && !(if quoted { bytes[end] == b'\'' } else { bytes[end].is_ascii_whitespace() }) {
            // A backslash escapes the next character, a quote or a blank among them.
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        let end = (end + usize::from(quoted)).min(bytes.len());
        secrets.push(start..end);
    }
    secrets
}

/// Whether a parameter name, percent-decoded as the drivers read it, names a password.
fn names_password(name: &str) -> bool {
    let bytes = name.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = |offset: usize| bytes.get(at + offset).and_then(|digit| (*digit as char).to_digit(16));
        match (bytes[at], hex(1), hex(2)) {
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                at += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).to_lowercase().contains("password")
}

/// `text` with each non-empty range (merged where they overlap) replaced by `***`.
fn hide(text: &str, mut secrets: Vec<Range<usize>>) -> String {
    secrets.retain(|range| !range.is_empty());
    secrets.sort_by_key(|range| range.start);
    let mut shown = String::with_capacity(text.len());
    let mut kept_from = 0;
    for range in secrets {
        if range.start >= kept_from {
            shown.push_str(&text[kept_from..range.start]);
            shown.push_str(HIDDEN);
            kept_from = range.end;
        } else if range.end > kept_from {
            kept_from = range.end;
        }
    }
    shown.push_str(&text[kept_from..]);
    shown
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    fn assert_redacted(url: &str, shown: &str) {
        assert_eq!(redact_url(url), shown, "{url}");
    }

    #[test]
    fn the_userinfo_password_is_hidden_whether_or_not_the_url_parses() {
        assert_redacted("redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0");
        assert_redacted("rediss://bot:s3cret@cache:6380/1", "rediss://bot:***@cache:6380/1");
        assert_redacted("postgres://bot:pw@localhost:notaport/bots", "postgres://bot:***@localhost:notaport/bots");
        assert_redacted("postgresql://bot:pw@h1:5432,h2:5433/db", "postgresql://bot:***@h1:5432,h2:5433/db");
        assert_redacted("postgres://bot:p%40ss%2F@host/db", "postgres://bot:***@host/db");
        // A raw "@" or "/" in the password: each driver's reading is hidden.
        assert_redacted("postgres://bot:p@ss@host/db", "postgres://bot:***@host/db");
        assert_redacted("redis://bot:s3cret@x@127.0.0.1:6379/0", "redis://bot:***@127.0.0.1:6379/0");
        assert_redacted("postgres://bot:pa/ss@host/db", "postgres://bot:***@host/db");
        assert_redacted("postgres://bot:pa?ss@host/db", "postgres://bot:***@host/db");
        assert_redacted("postgres://bot:@host/db", "postgres://bot:@host/db");
    }

    #[test]
    fn password_parameters_are_hidden_by_their_decoded_name_in_any_case() {
        assert_redacted(
            "postgres://bot@h:5432/db?password=pw&sslmode=require",
            "postgres://bot@h:5432/db?password=***&sslmode=require",
        );
        assert_redacted("postgres://bot:p@ss@h1,h2/db?PassWord=x", "postgres://bot:***@h1,h2/db?PassWord=***");
        assert_redacted(
            "postgresql://h/db?sslmode=disable&password=pw",
            "postgresql://h/db?sslmode=disable&password=***",
        );
        assert_redacted("postgres://h/db?pass%77ord=pw", "postgres://h/db?pass%77ord=***");
        assert_redacted("postgres://h/db?%50ASSWORD=pw&x=1", "postgres://h/db?%50ASSWORD=***&x=1");
        assert_redacted("postgres://h/db?sslpassword=pw", "postgres://h/db?sslpassword=***");
        assert_redacted("postgres://h:notaport/db?password=a?b#c", "postgres://h:notaport/db?password=***");
        assert_redacted("redis://127.0.0.1:6379/0?password=pw", "redis://127.0.0.1:6379/0?password=***");
        assert_redacted("POSTGRES://h/db?password=pw", "POSTGRES://h/db?password=***");
        assert_redacted("postgres://h/db?password=&x=1", "postgres://h/db?password=&x=1");
        assert_redacted("postgres://u:a@h/db?password=b", "postgres://u:***@h/db?password=***");
    }

    #[test]
    fn other_parameters_and_urls_without_passwords_are_kept_as_given() {
        assert_redacted("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0");
        assert_redacted("redis://127.0.0.1:6379/0?wait=1", "redis://127.0.0.1:6379/0?wait=1");
        assert_redacted("postgres://bot@[::1]:5432/db?sslmode=require", "postgres://bot@[::1]:5432/db?sslmode=require");
        assert_redacted("postgres://h/db?passfile=/home/bot/.pgpass", "postgres://h/db?passfile=/home/bot/.pgpass");
        assert_redacted("", "");
    }

    #[test]
    fn a_libpq_keyword_string_has_its_password_values_hidden() {
        assert_redacted("host=h user=bot password=pw dbname=db", "host=h user=bot password=*** dbname=db");
        assert_redacted("host=h password = 'p w\\' x' port=5", "host=h password = *** port=5");
        assert_redacted("sslpassword=pw password=p\\ w", "sslpassword=*** password=***");
        assert_redacted("user=password_admin host=h", "user=password_admin host=h");
        assert_redacted("password='unterminated", "password=***");
        assert_redacted("password=\\", "password=***");
    }
}
