//! Where credentials may travel. Every connector's requests go through [`crate::Client`], which
//! builds its HTTP client with [`redirect_policy`] (redirects are followed only within the
//! origin of the request, so no auth header — bearer, Basic, `x-api-key` — reaches another
//! origin) and checks [`require_tls`] before it holds a credential (a token only goes over
//! https, or plain http to a loopback address, unless the admin allowed plain http for that
//! backend).

use crate::error::SyncError;
use reqwest::Url;
use reqwest::redirect::{Attempt, Policy};
use std::net::IpAddr;

/// Most redirects followed within one origin before giving up.
pub const MAX_REDIRECTS: usize = 5;

/// Whether two URLs share an origin: scheme, host and port (the scheme's default port when
/// none is written).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The redirect policy of every connector: a redirect is followed only when it stays in the
/// origin of the first request (and at most [`MAX_REDIRECTS`] times); otherwise the redirect
/// response itself is returned, and [`crate::Client`] reports it as
/// [`SyncError::Redirected`] without sending anything to the other origin.
pub fn redirect_policy() -> Policy {
    Policy::custom(decide)
}

fn decide(attempt: Attempt<'_>) -> reqwest::redirect::Action {
    let follow = match attempt.previous().first() {
        Some(first) => {
            attempt.previous().len() <= MAX_REDIRECTS && same_origin(first, attempt.url())
        }
        None => false,
    };
    if follow {
        attempt.follow()
    } else {
        attempt.stop()
    }
}

/// Whether `url` names this machine: `localhost`, `127.0.0.0/8`, `::1` (or `::ffff:127.x`).
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}

/// Refuses to let a credential travel in clear: `base_url` must be https, or http to a
/// loopback address, unless `allow_plain_http` (set by the admin for this backend).
pub fn require_tls(base_url: &str, allow_plain_http: bool) -> Result<(), SyncError> {
    let url = Url::parse(base_url)
        .map_err(|e| SyncError::Protocol(format!("backend URL {base_url:?}: {e}")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_plain_http || is_loopback(&url) => Ok(()),
        "http" => Err(SyncError::PlainHttp(format!(
            "{base_url} uses plain http, so its token would cross the network unencrypted; use \
             https, or allow plain http for this backend explicitly in the Backends view"
        ))),
        other => Err(SyncError::Protocol(format!(
            "backend URL {base_url:?}: scheme {other:?} is not http(s)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn origin_is_scheme_host_and_port() {
        assert!(same_origin(&u("http://a.test/x"), &u("http://A.test:80/y")));
        assert!(!same_origin(&u("https://a.test/"), &u("http://a.test/")));
        assert!(!same_origin(
            &u("http://127.0.0.1:1/"),
            &u("http://127.0.0.1:2/")
        ));
        assert!(!same_origin(&u("http://a.test/"), &u("http://b.test/")));
    }

    #[test]
    fn tokens_need_tls_off_loopback_unless_allowed() {
        for ok in [
            "https://api.example.com",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://localhost:1",
            "http://[::1]:9",
            "http://[::ffff:127.0.0.1]:9",
        ] {
            assert!(require_tls(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.example.com",
            "http://10.0.0.5:8080",
            "http://localhost.example.com",
            "http://[::2]",
        ] {
            let e = require_tls(bad, false).expect_err(bad);
            assert_eq!(e.code(), "plain_http_refused");
            assert!(e.to_string().contains("Backends view"), "{e}");
            assert!(require_tls(bad, true).is_ok(), "{bad} allowed explicitly");
        }
        assert_eq!(
            require_tls("ftp://x.test", true).map_err(|e| e.code()),
            Err("protocol")
        );
    }
}
