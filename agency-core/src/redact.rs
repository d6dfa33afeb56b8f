//! Secrets kept out of what is shown: URLs with their passwords hidden.

/// `url` with its password, if any, replaced by `***`: the one in the user-info part
/// (`scheme://user:password@host`) and any query parameter whose name contains `password`.
///
/// ```
/// use agency_core::redact_url;
///
/// assert_eq!(redact_url("postgres://me:s3cret@db/app"), "postgres://me:***@db/app");
/// assert_eq!(redact_url("postgres://db/app?password=s3cret"), "postgres://db/app?password=***");
/// assert_eq!(redact_url("sqlite://agency-threads.db"), "sqlite://agency-threads.db");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The last `@` ends the user info: a password may hold an unescaped `@`, `/` or `?`, so
    // this errs on hiding too much.
    let (userinfo, rest) = match rest.rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let mut out = format!("{scheme}://");
    if let Some(userinfo) = userinfo {
        match userinfo.split_once(':') {
            Some((user, _)) => out.push_str(&format!("{user}:***@")),
            None => out.push_str(&format!("{userinfo}@")),
        }
    }
    match rest.split_once('?') {
        None => out.push_str(rest),
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((key, _)) if key.to_ascii_lowercase().contains("password") => {
                        format!("{key}=***")
                    }
                    _ => param.to_owned(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
    }
    out
}
