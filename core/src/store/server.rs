//! What the server stores share: URLs shown without their passwords.

/// A URL with the password (if any) replaced by `***`, even when the URL does not parse.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => redact_unparsed(url),
    }
}

/// `scheme://user:password@rest` with the password replaced, found by its delimiters alone.
fn redact_unparsed(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|at| at + 3) else { return url.to_string() };
    let rest = &url[scheme_end..];
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let Some(at) = authority.rfind('@') else { return url.to_string() };
    let Some(colon) = authority[..at].find(':') else { return url.to_string() };
    format!("{}{}:***{}", &url[..scheme_end], &authority[..colon], &rest[at..])
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_show_whether_or_not_the_url_parses() {
        assert_eq!(redact_url("redis://:s3cret@127.0.0.1:6379/0"), "redis://:***@127.0.0.1:6379/0");
        assert_eq!(
            redact_url("postgres://bot:pw@localhost:notaport/bots"),
            "postgres://bot:***@localhost:notaport/bots"
        );
        assert_eq!(redact_url("postgres://bot:p@ss@host/db"), "postgres://bot:***@host/db");
        assert_eq!(redact_url("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
    }
}
