//! Where a base URL chosen by a request (not by the operator) may send the model call.
//!
//! An operator's configuration (environment, command line, builder) is trusted. A URL that comes
//! from a request is not: [`Egress`] decides whether it may be reached. With no allow-list, only
//! `https` URLs whose host resolves to public addresses pass; loopback, private, link-local,
//! shared, unique-local and unspecified addresses are refused, both when the request is checked
//! and again when the connection is made (so a name that changes its answer in between is still
//! refused), and on every redirect. With an allow-list, a URL passes when it starts with one of
//! the listed prefixes, whatever its host.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use futures::FutureExt;
use reqwest::Url;

/// Why a request-chosen URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EgressError {
    /// Not an absolute `http` or `https` URL.
    #[error("'{url}' is not an absolute http(s) URL")]
    NotHttpUrl {
        /// The URL given.
        url: String,
    },
    /// Not `https`, with no allow-list that names it.
    #[error("'{url}' is not https; only https URLs may be named by a request")]
    NotHttps {
        /// The URL given.
        url: String,
    },
    /// Not under any prefix of the allow-list.
    #[error("'{url}' is not under any allowed base URL ({allowed})")]
    NotAllowed {
        /// The URL given.
        url: String,
        /// The allowed prefixes, comma-separated.
        allowed: String,
    },
    /// The host is, or resolves to, an internal address.
    #[error("'{host}' is an internal address ({addr}); a request may not send traffic there")]
    Internal {
        /// The host of the URL.
        host: String,
        /// The internal address it is or resolves to.
        addr: IpAddr,
    },
    /// The host does not resolve.
    #[error("'{host}' does not resolve: {reason}")]
    Unresolved {
        /// The host of the URL.
        host: String,
        /// Why.
        reason: String,
    },
    /// An allow-list entry is not an absolute http(s) URL (a configuration error).
    #[error("allowed base URL '{0}' is not an absolute http(s) URL")]
    BadPrefix(String),
}

/// What a URL the default rule can allow looks like: `https`, a host of letters, digits, dots
/// and dashes (names and IPv4 addresses; IPv6 literals are all refused but public ones), an
/// optional port, a path.
const PUBLIC_URL_PATTERN: &str =
    r"^https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,4})?(/[^\s?#]*)?$";

/// The rule for request-chosen base URLs. Cloning is cheap.
///
/// With no allow-list ([`Egress::default`]), only `https` URLs whose host resolves to public
/// addresses pass: loopback, private, link-local, shared, unique-local and unspecified addresses
/// are refused when the request is checked ([`Egress::check`]), again when the connection is made
/// (so a name that changes its answer in between is still refused), and on every redirect. With
/// an allow-list ([`Egress::allow`]), a URL passes when it starts with one of the listed
/// prefixes, whatever its host.
///
/// ```
/// use agency_core::model::Egress;
///
/// let default = Egress::default();
/// assert!(default.check_url("https://api.example.com/v1").is_ok());
/// assert!(default.check_url("http://api.example.com/v1").is_err()); // not https
/// assert!(default.check_url("https://127.0.0.1/v1").is_err()); // loopback
/// assert!(default.check_url("https://169.254.169.254/latest").is_err()); // link-local
///
/// let listed = Egress::allow(["http://10.0.0.5:11434/v1"]).unwrap();
/// assert!(listed.check_url("http://10.0.0.5:11434/v1/").is_ok());
/// assert!(listed.check_url("http://10.0.0.5:11434/v2").is_err());
/// assert!(listed.check_url("https://api.example.com/v1").is_err());
/// ```
#[derive(Clone, Default)]
pub struct Egress(Arc<Inner>);

#[derive(Default)]
struct Inner {
    /// `None`: public https only. `Some`: these prefixes only (empty: nothing).
    prefixes: Option<Vec<Url>>,
    /// The HTTP client that enforces the rule on connect and on redirect, built on first use.
    http: OnceLock<Result<reqwest::Client, String>>,
}

impl PartialEq for Egress {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.prefixes == other.0.prefixes
    }
}

impl std::fmt::Debug for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0.prefixes {
            None => f.write_str("Egress(public https)"),
            Some(p) => f
                .debug_tuple("Egress")
                .field(&p.iter().map(Url::as_str).collect::<Vec<_>>())
                .finish(),
        }
    }
}

impl Egress {
    /// Only URLs under one of `prefixes` (any host, `http` too); an empty list allows nothing.
    pub fn allow<I, S>(prefixes: I) -> Result<Egress, EgressError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let prefixes = prefixes
            .into_iter()
            .map(|p| {
                let p = p.as_ref().trim();
                http_url(p).ok_or_else(|| EgressError::BadPrefix(p.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Egress(Arc::new(Inner {
            prefixes: Some(prefixes),
            http: OnceLock::new(),
        })))
    }

    /// The allowed prefixes, or `None` for the default rule (public https).
    pub fn prefixes(&self) -> Option<Vec<&str>> {
        self.0
            .prefixes
            .as_ref()
            .map(|p| p.iter().map(Url::as_str).collect())
    }

    /// A regular expression (for a JSON schema's `pattern`) that the URLs this rule can allow
    /// match: an `https` URL with a host name or address for the default rule, the prefixes (each up to a path boundary) for an
    /// allow-list, `None` when nothing is allowed. What it cannot say (the host's addresses) is
    /// checked by [`Egress::check`].
    ///
    /// ```
    /// use agency_core::model::Egress;
    ///
    /// let public = Egress::default().url_pattern().unwrap();
    /// assert!(public.starts_with("^https://"));
    /// let listed = Egress::allow(["http://10.0.0.5:11434/v1"]).unwrap();
    /// assert_eq!(listed.url_pattern().as_deref(), Some(r"^(http://10\.0\.0\.5:11434/v1)(/|$)"));
    /// assert_eq!(Egress::allow(Vec::<String>::new()).unwrap().url_pattern(), None);
    /// ```
    pub fn url_pattern(&self) -> Option<String> {
        match &self.0.prefixes {
            None => Some(PUBLIC_URL_PATTERN.to_owned()),
            Some(prefixes) if prefixes.is_empty() => None,
            Some(prefixes) => {
                let alternatives: Vec<String> = prefixes
                    .iter()
                    .map(|p| regex::escape(p.as_str().trim_end_matches('/')))
                    .collect();
                Some(format!("^({})(/|$)", alternatives.join("|")))
            }
        }
    }

    /// Checks what can be told from the URL alone: its form, scheme, the allow-list, and an IP
    /// literal host. Names are checked by [`Egress::check`].
    pub fn check_url(&self, url: &str) -> Result<Url, EgressError> {
        let parsed = http_url(url).ok_or_else(|| EgressError::NotHttpUrl {
            url: url.to_owned(),
        })?;
        match &self.0.prefixes {
            Some(prefixes) => {
                if prefixes.iter().any(|p| under(&parsed, p)) {
                    Ok(parsed)
                } else {
                    Err(EgressError::NotAllowed {
                        url: url.to_owned(),
                        allowed: prefixes
                            .iter()
                            .map(Url::as_str)
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                }
            }
            None if parsed.scheme() != "https" => Err(EgressError::NotHttps {
                url: url.to_owned(),
            }),
            None => {
                if let Some(ip) = literal_ip(&parsed)
                    && is_internal(ip)
                {
                    return Err(EgressError::Internal {
                        host: host_of(&parsed),
                        addr: ip,
                    });
                }
                Ok(parsed)
            }
        }
    }

    /// [`Egress::check_url`], then, for the default rule, resolves the host and refuses it when
    /// any of its addresses is internal.
    pub async fn check(&self, url: &str) -> Result<Url, EgressError> {
        let parsed = self.check_url(url)?;
        if self.0.prefixes.is_none() && literal_ip(&parsed).is_none() {
            let host = host_of(&parsed);
            let port = parsed.port_or_known_default().unwrap_or(443);
            resolve_public(&host, port).await?;
        }
        Ok(parsed)
    }

    /// Whether the connection-time check applies to `host`: not for hosts an allow-list names.
    fn guards_host(&self, host: &str) -> bool {
        match &self.0.prefixes {
            None => true,
            Some(prefixes) => !prefixes.iter().any(|p| p.host_str() == Some(host)),
        }
    }

    /// The HTTP client for calls to a request-chosen URL (a model API, a file to download): it
    /// refuses internal addresses when it connects and redirects the rule would refuse. Built
    /// once per rule.
    pub fn http_client(&self) -> Result<reqwest::Client, String> {
        self.0
            .http
            .get_or_init(|| {
                let on_redirect = self.clone();
                let on_connect = self.clone();
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                        if attempt.previous().len() >= 5 {
                            return attempt.error("too many redirects");
                        }
                        match on_redirect.check_url(attempt.url().as_str()) {
                            Ok(_) => attempt.follow(),
                            Err(e) => attempt.error(format!("refused a redirect: {e}")),
                        }
                    }))
                    .dns_resolver(Arc::new(GuardedResolver(on_connect)))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .clone()
    }
}

/// Resolves names for the guarded client, refusing internal addresses.
struct GuardedResolver(Egress);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let guard = self.0.guards_host(&host);
        async move {
            let addrs = if guard {
                resolve_public(&host, 0).await?
            } else {
                lookup(&host, 0).await?
            };
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        }
        .boxed()
    }
}

/// How long a name may take to resolve.
const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

async fn lookup(host: &str, port: u16) -> Result<Vec<SocketAddr>, EgressError> {
    let unresolved = |reason: String| EgressError::Unresolved {
        host: host.to_owned(),
        reason,
    };
    match tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, port))).await {
        Ok(Ok(addrs)) => Ok(addrs.collect()),
        Ok(Err(e)) => Err(unresolved(e.to_string())),
        Err(_) => Err(unresolved(format!(
            "no answer within {} s",
            LOOKUP_TIMEOUT.as_secs()
        ))),
    }
}

/// The addresses of `host`, refused when any of them is internal.
async fn resolve_public(host: &str, port: u16) -> Result<Vec<SocketAddr>, EgressError> {
    let addrs = lookup(host, port).await?;
    if let Some(bad) = addrs.iter().find(|a| is_internal(a.ip())) {
        return Err(EgressError::Internal {
            host: host.to_owned(),
            addr: bad.ip(),
        });
    }
    if addrs.is_empty() {
        return Err(EgressError::Unresolved {
            host: host.to_owned(),
            reason: "no addresses".to_owned(),
        });
    }
    Ok(addrs)
}

/// An absolute `http`/`https` URL with a host.
fn http_url(url: &str) -> Option<Url> {
    let parsed = Url::parse(url.trim()).ok()?;
    (matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some()).then_some(parsed)
}

/// Whether `url` is `prefix` or below it: same scheme, host and port, and a path that continues
/// the prefix's at a segment boundary (`/v1` covers `/v1` and `/v1/x`, not `/v10`).
fn under(url: &Url, prefix: &Url) -> bool {
    if url.scheme() != prefix.scheme()
        || url.host_str() != prefix.host_str()
        || url.port_or_known_default() != prefix.port_or_known_default()
    {
        return false;
    }
    let base = prefix.path().trim_end_matches('/');
    let path = url.path();
    path == base
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

fn host_of(url: &Url) -> String {
    url.host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned()
}

/// Loopback, private, link-local, shared (100.64/10), unspecified, broadcast, multicast,
/// documentation and benchmarking ranges, IPv6 unique-local and link-local, and IPv4 addresses
/// inside IPv6 (mapped or compatible) that are any of these.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4() {
                // `::ffff:a.b.c.d` and the deprecated `::a.b.c.d` (`::1` is loopback below).
                if !v6.is_loopback() {
                    return is_internal(IpAddr::V4(v4));
                }
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn prefixes_match_on_boundaries() {
        let e = Egress::allow(["https://api.example.com/v1"]).unwrap();
        assert!(e.check_url("https://api.example.com/v1").is_ok());
        assert!(e.check_url("https://api.example.com/v1/chat").is_ok());
        assert!(e.check_url("https://api.example.com/v10").is_err());
        assert!(e.check_url("https://api.example.com.evil.net/v1").is_err());
        assert!(e.check_url("https://api.example.com:444/v1").is_err());
        assert!(e.check_url("http://api.example.com/v1").is_err());
        assert!(
            Egress::allow(Vec::<String>::new())
                .unwrap()
                .check_url("https://x.y")
                .is_err()
        );
        assert!(Egress::allow(["not a url"]).is_err());
    }

    #[tokio::test]
    async fn names_resolving_inside_are_refused() {
        let e = Egress::default();
        let err = e.check("https://localhost:8443/v1").await.unwrap_err();
        assert!(matches!(err, EgressError::Internal { .. }), "{err}");
        // A bracketed IPv6 literal.
        assert!(e.check_url("https://[::1]/v1").is_err());
        assert!(e.check_url("https://[::ffff:7f00:1]/v1").is_err());
    }
}
