//! String `format`s: the ones schemars writes are checked with the parsers pydantic itself uses
//! (the `uuid` and `url` crates, speedate for dates and times) and reported with pydantic's error
//! kinds and messages.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use strum::EnumMessage;

use super::issue::{self, Issue};
use crate::schema::integer_range;

/// The string formats the validator checks.
pub(crate) const CHECKED: &[&str] = &[
    "uuid",
    "uri",
    "date-time",
    "partial-date-time",
    "date",
    "time",
    "partial-time",
    "duration",
    "email",
    "ipv4",
    "ipv6",
    "ip",
];

/// Whether the validator honours `format`: a string format it checks, or a number format
/// (`int32`, `double`...) whose range the schema's bounds carry.
pub(super) fn is_known(format: &str) -> bool {
    CHECKED.contains(&format)
        || integer_range(format).is_some()
        || format == "float"
        || format == "double"
}

/// Checks `text` against `format`; a format the validator does not check accepts anything.
pub(super) fn check(format: &str, text: &str) -> Result<(), Issue> {
    match format {
        "uuid" => uuid::Uuid::parse_str(text).map(drop).map_err(|e| {
            issue::parsing(
                "uuid_parsing",
                "Input should be a valid UUID",
                &e.to_string(),
            )
        }),
        "uri" => uri(text),
        "date-time" | "partial-date-time" => speedate::DateTime::parse_str_rfc3339(text)
            .map(drop)
            .map_err(|e| parsing("datetime_parsing", "Input should be a valid datetime", &e)),
        "date" => speedate::Date::parse_str_rfc3339(text)
            .map(drop)
            .map_err(|e| {
                let msg = "Input should be a valid date in the format YYYY-MM-DD";
                parsing("date_parsing", msg, &e)
            }),
        "time" | "partial-time" => speedate::Time::parse_str(text)
            .map(drop)
            .map_err(|e| parsing("time_parsing", "Input should be in a valid time format", &e)),
        "duration" => speedate::Duration::parse_str(text).map(drop).map_err(|e| {
            parsing(
                "time_delta_parsing",
                "Input should be a valid timedelta",
                &e,
            )
        }),
        "email" => email(text).map_err(issue::email),
        "ipv4" => text
            .parse::<Ipv4Addr>()
            .map(drop)
            .map_err(|_| issue::IP_V4_ADDRESS),
        "ipv6" => text
            .parse::<Ipv6Addr>()
            .map(drop)
            .map_err(|_| issue::IP_V6_ADDRESS),
        "ip" => text
            .parse::<IpAddr>()
            .map(drop)
            .map_err(|_| issue::IP_ANY_ADDRESS),
        _ => Ok(()),
    }
}

/// A speedate error as pydantic words it (the variant's documentation, `input is too short`).
fn parsing(kind: &'static str, msg: &str, error: &speedate::ParseError) -> Issue {
    issue::parsing(
        kind,
        msg,
        error.get_documentation().unwrap_or("invalid input"),
    )
}

/// An absolute URL, as pydantic's `AnyUrl` checks it (with the same parser).
fn uri(text: &str) -> Result<(), Issue> {
    let msg = "Input should be a valid URL";
    if text.is_empty() {
        return Err(issue::parsing("url_parsing", msg, "input is empty"));
    }
    url::Url::parse(text)
        .map(drop)
        .map_err(|e| issue::parsing("url_parsing", msg, &e.to_string()))
}

/// An email address in the common form `local@domain.tld`, with the reasons the
/// `email-validator` package behind pydantic's `EmailStr` gives. Quoted local parts and address
/// literals (`[1.2.3.4]`) are refused, as they are there by default.
fn email(text: &str) -> Result<(), &'static str> {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return Err("An email address must have an @-sign.");
    };
    if local.is_empty() {
        return Err("There must be something before the @-sign.");
    }
    if domain.is_empty() {
        return Err("There must be something after the @-sign.");
    }
    // Letters, digits and `!#$%&'*+-/=?^_`{|}~`, and any non-ASCII character.
    let local_ok =
        |c: char| !c.is_ascii() || c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    if !local.chars().all(local_ok) {
        return Err("The email address contains invalid characters before the @-sign.");
    }
    if local.starts_with('.') {
        return Err("An email address cannot start with a period.");
    }
    if local.ends_with('.') {
        return Err("An email address cannot have a period immediately before the @-sign.");
    }
    if local.contains("..") || domain.contains("..") {
        return Err("An email address cannot have two periods in a row.");
    }
    let domain_ok = |c: char| !c.is_ascii() || c.is_ascii_alphanumeric() || c == '-' || c == '.';
    if !domain.chars().all(domain_ok) {
        return Err("The part after the @-sign contains invalid characters.");
    }
    if domain.starts_with('.') {
        return Err("An email address cannot have a period immediately after the @-sign.");
    }
    if domain.ends_with('.') {
        return Err("An email address cannot end with a period.");
    }
    if !domain.contains('.') {
        return Err("The part after the @-sign is not valid. It should have a period.");
    }
    if domain
        .split('.')
        .any(|label| label.starts_with('-') || label.ends_with('-'))
    {
        return Err(
            "The part after the @-sign is not valid. A label cannot start or end with a hyphen.",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(format: &str, text: &str) -> Result<(), (&'static str, String)> {
        check(format, text).map_err(|i| (i.kind, i.msg.into_owned()))
    }

    #[test]
    fn valid_values_pass() {
        for (format, text) in [
            ("uuid", "67e55044-10b1-426f-9247-bb680e5fe0c8"),
            ("uuid", "67e5504410b1426f9247bb680e5fe0c8"),
            ("uri", "https://example.com/a?b=c"),
            ("uri", "mailto:someone@example.com"),
            ("date-time", "2024-02-29T12:30:00Z"),
            ("date-time", "2024-02-29T12:30:00.123+02:00"),
            ("date", "2024-02-29"),
            ("time", "12:30:00"),
            ("duration", "P1DT2H"),
            ("email", "first.last+tag@mail.example.co"),
            ("ipv4", "192.168.0.1"),
            ("ipv6", "::1"),
            ("ip", "10.0.0.1"),
            ("hostname", "anything goes: not checked"),
        ] {
            assert_eq!(kind(format, text), Ok(()), "{format} {text}");
        }
    }

    #[test]
    fn invalid_values_get_pydantic_errors() {
        let err = |format, text| kind(format, text).unwrap_err();
        assert_eq!(
            err("uuid", "abc"),
            (
                "uuid_parsing",
                "Input should be a valid UUID, invalid length: found 3".to_owned()
            )
        );
        assert_eq!(
            err("uri", "not a url"),
            (
                "url_parsing",
                "Input should be a valid URL, relative URL without a base".to_owned()
            )
        );
        assert_eq!(
            err("uri", "").1,
            "Input should be a valid URL, input is empty"
        );
        assert_eq!(
            err("date-time", "2024-02-30T00:00:00Z"),
            (
                "datetime_parsing",
                "Input should be a valid datetime, day value is outside expected range".to_owned()
            )
        );
        assert_eq!(
            err("date", "2024-1-1"),
            (
                "date_parsing",
                "Input should be a valid date in the format YYYY-MM-DD, input is too short"
                    .to_owned()
            )
        );
        assert_eq!(err("time", "25:00").0, "time_parsing");
        assert_eq!(err("duration", "forever").0, "time_delta_parsing");
        assert_eq!(
            err("email", "someone.example.com"),
            (
                "value_error",
                "value is not a valid email address: An email address must have an @-sign."
                    .to_owned()
            )
        );
        for bad in [
            "@example.com",
            "a@",
            "a b@example.com",
            "a@example",
            "a..b@example.com",
            "a@-x.com",
            "a@x.com.",
        ] {
            assert_eq!(err("email", bad).0, "value_error", "{bad}");
        }
        assert_eq!(err("ipv4", "256.0.0.1").0, "ip_v4_address");
        assert_eq!(err("ipv6", "1.2.3.4").0, "ip_v6_address");
        assert_eq!(err("ip", "localhost").0, "ip_any_address");
    }
}
