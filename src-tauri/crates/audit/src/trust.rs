//! Which keys an auditor trusts: installation keys that may sign a bundle and backend keys
//! whose checkpoint receipts anchor the chain. Never taken from the bundle being verified —
//! from the auditor's own file (`--trusted-keys`), a key given on the command line, or the
//! console's `trusted_keys` table.

use countersign_store::StoreError;
use countersign_store::rusqlite::Connection;
use countersign_store::trusted_keys::{self, KeyRole, TrustedKey, normalize_key};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use countersign_store::trusted_keys::fingerprint;

/// A set of trusted public keys (lowercase hex) by role, each with a label to show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedKeys {
    installation: BTreeMap<String, String>,
    backend: BTreeMap<String, String>,
}

/// A line of a trusted-keys file that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("trusted keys line {line}: {reason}")]
pub struct TrustFileError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl TrustedKeys {
    /// No keys: nothing is trusted.
    pub fn new() -> TrustedKeys {
        TrustedKeys::default()
    }

    /// Trusts `public_key` (hex) in `role`, labelled `label`. Fails on a key that is not 64 hex
    /// digits.
    pub fn add(&mut self, role: KeyRole, public_key: &str, label: &str) -> Result<(), StoreError> {
        let key = normalize_key(public_key)?;
        let map = match role {
            KeyRole::Installation => &mut self.installation,
            KeyRole::Backend => &mut self.backend,
        };
        map.insert(key, label.trim().to_string());
        Ok(())
    }

    /// The set made of the console's stored trusted keys.
    pub fn from_rows(rows: &[TrustedKey]) -> TrustedKeys {
        let mut t = TrustedKeys::new();
        for r in rows {
            // Stored keys are normalised already; a bad row simply trusts nothing.
            let _ = t.add(r.role, &r.public_key, &r.label);
        }
        t
    }

    /// The console's trusted keys (`trusted_keys` table): what the app's Verify uses.
    pub fn load(conn: &Connection) -> Result<TrustedKeys, StoreError> {
        Ok(TrustedKeys::from_rows(&trusted_keys::list(conn)?))
    }

    /// Reads a trusted-keys file: one key per line, `installation <hex> [label]` or
    /// `backend <hex> [label]`; blank lines and lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Result<TrustedKeys, TrustFileError> {
        let mut t = TrustedKeys::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: String| TrustFileError {
                line: i + 1,
                reason,
            };
            let mut parts = line.splitn(3, char::is_whitespace);
            let role = match parts.next() {
                Some(r) => KeyRole::parse(r).ok_or_else(|| {
                    err(format!(
                        "starts with {r:?}, expected `installation` or `backend`"
                    ))
                })?,
                None => continue,
            };
            let key = parts
                .next()
                .ok_or_else(|| err("no public key after the role".into()))?;
            let label = parts.next().unwrap_or("").trim();
            t.add(role, key, label).map_err(|e| err(e.to_string()))?;
        }
        Ok(t)
    }

    /// The set in the file format [`TrustedKeys::parse`] reads, with each key's fingerprint
    /// in a comment: what the console exports for an auditor.
    pub fn to_file_text(&self) -> String {
        let mut out =
            String::from("# Countersign trusted keys: <role> <ed25519 public key hex> [label]\n");
        for (role, map) in [
            (KeyRole::Installation, &self.installation),
            (KeyRole::Backend, &self.backend),
        ] {
            for (key, label) in map {
                let _ = writeln!(out, "# fingerprint {}", fingerprint(key));
                let _ = writeln!(out, "{} {key} {label}", role.as_str());
            }
        }
        out
    }

    /// The label of `public_key` if it is a trusted installation key.
    pub fn installation(&self, public_key: &str) -> Option<&str> {
        self.installation.get(public_key).map(String::as_str)
    }

    /// The label of `public_key` if it is a trusted backend key.
    pub fn backend(&self, public_key: &str) -> Option<&str> {
        self.backend.get(public_key).map(String::as_str)
    }

    /// Whether no key at all is trusted.
    pub fn is_empty(&self) -> bool {
        self.installation.is_empty() && self.backend.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";
    const K2: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    #[test]
    fn the_file_format_round_trips_and_errors_name_the_line() -> Result<(), TrustFileError> {
        let text = format!(
            "# auditor's keys\n\ninstallation {} Acme console\nbackend {K2}\n",
            K1.to_uppercase()
        );
        let t = TrustedKeys::parse(&text)?;
        assert_eq!(t.installation(K1), Some("Acme console"));
        assert_eq!(t.backend(K2), Some(""));
        assert_eq!(t.backend(K1), None, "roles are kept apart");
        assert_eq!(TrustedKeys::parse(&t.to_file_text())?, t);
        assert!(t.to_file_text().contains(&fingerprint(K1)));
        let err = TrustedKeys::parse("installation abc\n").err();
        assert_eq!(err.map(|e| e.line), Some(1));
        let err = TrustedKeys::parse("# x\nsigner 00\n").err();
        assert_eq!(err.map(|e| e.line), Some(2));
        Ok(())
    }
}
