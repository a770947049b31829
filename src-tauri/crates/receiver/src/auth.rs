//! The optional bearer token: `Authorization: Bearer <token>`, compared in constant time.

use axum::http::{HeaderMap, header};

/// Whether `headers` carry `expected` as a bearer token (scheme case-insensitive).
pub fn bearer_ok(headers: &HeaderMap, expected: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && same(token.trim().as_bytes(), expected.as_bytes())
}

/// Equal bytes, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            if let Ok(v) = v.parse() {
                h.insert(header::AUTHORIZATION, v);
            }
            h
        };
        assert!(bearer_ok(&with("Bearer s3cret"), "s3cret"));
        assert!(bearer_ok(&with("bearer  s3cret "), "s3cret"));
        assert!(!bearer_ok(&with("Bearer s3cre"), "s3cret"));
        assert!(!bearer_ok(&with("Basic s3cret"), "s3cret"));
        assert!(!bearer_ok(&with("s3cret"), "s3cret"));
        assert!(!bearer_ok(&HeaderMap::new(), "s3cret"));
    }
}
