//! The audit trail's hash chain: every console action is an [`AuditEvent`] that carries the
//! SHA-256 of the previous event, so editing, deleting, inserting or reordering any event breaks
//! the chain at that event. Pure: encoding, hashing and verification only, no I/O.
//!
//! An event's hash is `hex(sha256(canonical))` where `canonical` is the JSON object
//! `{actor, at, details, kind, prev_hash, seq, subject}` with object keys sorted recursively
//! and no whitespace ([`canonical_json`]); `at` is RFC 3339 UTC with milliseconds and `Z`
//! (`2026-11-01T10:00:00.000Z`). The first event's `prev_hash` is [`GENESIS_HASH`].

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;

/// The `prev_hash` of the first event: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Event kinds (the `kind` column).
pub mod kinds {
    /// A reviewer approved, denied or escalated a pending write.
    pub const DECISION: &str = "decision";
    /// A queued decision or rollback reached its backend (or was refused by it).
    pub const DECISION_DELIVERY: &str = "decision_delivery";
    /// A reviewer asked for an executed write to be rolled back.
    pub const ROLLBACK: &str = "rollback";
    /// A budget cap was changed.
    pub const BUDGET_CHANGE: &str = "budget_change";
    /// A backend was connected.
    pub const BACKEND_ADDED: &str = "backend_added";
    /// A backend's per-kind settings (review fields, project) changed.
    pub const BACKEND_CONFIG: &str = "backend_config";
    /// A backend was removed.
    pub const BACKEND_REMOVED: &str = "backend_removed";
    /// An audit bundle was exported.
    pub const EXPORT: &str = "export";
    /// A sync of a backend failed.
    pub const SYNC_FAILURE: &str = "sync_failure";
    /// A sync page quarantined records it could not accept.
    pub const QUARANTINE: &str = "quarantine";
    /// A public key was marked trusted for verifying bundles or checkpoint receipts.
    pub const TRUSTED_KEY_ADDED: &str = "trusted_key_added";
    /// A public key was no longer trusted.
    pub const TRUSTED_KEY_REMOVED: &str = "trusted_key_removed";
    /// A backend's name or plain-http choice was edited (before → after).
    pub const BACKEND_EDITED: &str = "backend_edited";
    /// The model price table was replaced (before → after).
    pub const PRICE_TABLE_CHANGED: &str = "price_table_changed";
    /// The identity keys of imported and received traces were replaced (before → after).
    pub const IDENTITY_KEYS_CHANGED: &str = "identity_keys_changed";
    /// An operator confirmed or changed a failed run's review bucket (before → after).
    pub const FAILURE_BUCKET_SET: &str = "failure_bucket_set";

    /// A reviewer opened a cited passage or its source.
    pub const CITATION_OPENED: &str = "citation_opened";
    /// A second reviewer gave a blind opinion on a sampled decision (nothing executed).
    pub const SECOND_REVIEW: &str = "second_review";
    /// The readiness thresholds or the second-review share changed (before → after).
    pub const READINESS_THRESHOLDS_CHANGED: &str = "readiness_thresholds_changed";
    /// A workflow's autonomy level changed (before → after, the scorecard as it stood, and
    /// the justification when a failing row was overridden).
    pub const AUTONOMY_CHANGED: &str = "autonomy_changed";
    /// A workflow's golden set changed: a new version (cases added, removed, expectations
    /// edited, imported).
    pub const GOLDEN_SET_CHANGED: &str = "golden_set_changed";
    /// The golden-set pass thresholds changed (before → after).
    pub const GOLDEN_THRESHOLDS_CHANGED: &str = "golden_thresholds_changed";
    /// An eval's replay stopped on a server error: what it got was kept, the error named.
    pub const GOLDEN_EVAL_FAILED: &str = "golden_eval_failed";
    /// The failure-bucketing rules' tunables changed (before → after).
    pub const FAILURE_RULES_CHANGED: &str = "failure_rules_changed";

    /// Every kind, in display order.
    pub const ALL: [&str; 24] = [
        DECISION,
        DECISION_DELIVERY,
        ROLLBACK,
        BUDGET_CHANGE,
        BACKEND_ADDED,
        BACKEND_CONFIG,
        BACKEND_REMOVED,
        EXPORT,
        SYNC_FAILURE,
        QUARANTINE,
        TRUSTED_KEY_ADDED,
        TRUSTED_KEY_REMOVED,
        BACKEND_EDITED,
        PRICE_TABLE_CHANGED,
        IDENTITY_KEYS_CHANGED,
        FAILURE_BUCKET_SET,
        CITATION_OPENED,
        SECOND_REVIEW,
        READINESS_THRESHOLDS_CHANGED,
        AUTONOMY_CHANGED,
        GOLDEN_SET_CHANGED,
        GOLDEN_THRESHOLDS_CHANGED,
        GOLDEN_EVAL_FAILED,
        FAILURE_RULES_CHANGED,
    ];
}

/// One event of the audit trail, as stored and as exported (one JSON object per line).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// When it happened (millisecond precision).
    #[serde(with = "millis")]
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// Who did it (`user:…`, `sync`, `cli`).
    pub actor: String,
    /// What kind of event (see [`kinds`]).
    pub kind: String,
    /// What it concerns (backend id, action id, budget id, bundle folder).
    pub subject: String,
    /// Kind-specific details.
    pub details: Value,
    /// Hash of the previous event ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// Hash of this event's canonical encoding.
    pub hash: String,
}

impl AuditEvent {
    /// Builds the event at `seq` after `prev_hash` and computes its hash. `at` is truncated to
    /// milliseconds, the precision that is hashed and stored.
    pub fn new(
        seq: u64,
        at: DateTime<Utc>,
        actor: &str,
        kind: &str,
        subject: &str,
        details: Value,
        prev_hash: &str,
    ) -> AuditEvent {
        let mut e = AuditEvent {
            seq,
            at: truncate_to_millis(at),
            actor: actor.to_string(),
            kind: kind.to_string(),
            subject: subject.to_string(),
            details,
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    /// The canonical encoding the hash is taken over (everything but `hash`).
    pub fn canonical(&self) -> String {
        canonical_json(&serde_json::json!({
            "seq": self.seq,
            "at": format_at(self.at),
            "actor": self.actor,
            "kind": self.kind,
            "subject": self.subject,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }))
    }

    /// `hex(sha256(canonical))`, what `hash` must be.
    pub fn compute_hash(&self) -> String {
        sha256_hex(self.canonical().as_bytes())
    }

    /// The whole event (with `hash`) as one line of canonical JSON, without a newline; the
    /// form of `audit.jsonl` in an export.
    pub fn to_line(&self) -> String {
        canonical_json(&serde_json::json!({
            "seq": self.seq,
            "at": format_at(self.at),
            "actor": self.actor,
            "kind": self.kind,
            "subject": self.subject,
            "details": self.details,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }))
    }
}

/// `at` as hashed: RFC 3339 UTC with milliseconds and `Z`.
pub fn format_at(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `at` cut to whole milliseconds.
pub fn truncate_to_millis(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(at.timestamp_millis())
        .single()
        .unwrap_or(at)
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// JSON with object keys sorted (by their UTF-8 bytes) at every depth and no whitespace. Two
/// equal values always encode to the same bytes, whatever order their keys were built in.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        // Null, booleans and numbers have one spelling in serde_json's compact output.
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push_str(&Value::String(s.to_string()).to_string());
}

/// Why a chain does not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainFault {
    /// `hash` is not the hash of the event's content: the event was edited.
    HashMismatch,
    /// `prev_hash` is not the previous event's hash: an event before it was edited, removed
    /// or replaced.
    PrevHashMismatch,
    /// The first event of the chain (seq 1) does not start from [`GENESIS_HASH`].
    NotGenesis,
    /// A seq number is missing: events were deleted.
    SeqGap {
        /// The seq that should come next.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// Events are not in seq order (moved or duplicated).
    OutOfOrder {
        /// The seq that should come next.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// A seq of 0 (chains count from 1).
    ZeroSeq,
}

impl fmt::Display for ChainFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainFault::HashMismatch => write!(f, "hash mismatch"),
            ChainFault::PrevHashMismatch => {
                write!(f, "prev_hash mismatch (does not chain to the event before)")
            }
            ChainFault::NotGenesis => write!(f, "first event does not start from the genesis hash"),
            ChainFault::SeqGap { expected, found } => {
                write!(f, "seq gap: expected {expected}, found {found}")
            }
            ChainFault::OutOfOrder { expected, found } => {
                write!(f, "out of order: expected seq {expected}, found {found}")
            }
            ChainFault::ZeroSeq => write!(f, "seq 0 (chains start at 1)"),
        }
    }
}

/// The first event of a chain that does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event {index} (seq {seq}): {reason}")]
pub struct ChainError {
    /// Position of the bad event in the slice given (0-based).
    pub index: usize,
    /// Its seq as written.
    pub seq: u64,
    /// What is wrong with it.
    pub reason: ChainFault,
}

/// Verifies a run of consecutive events and names the first bad one: seq numbers must follow
/// each other without gaps, each `prev_hash` must be the previous event's `hash`, and each
/// `hash` must be the hash of the event's content. A chain that starts at seq 1 must start
/// from [`GENESIS_HASH`]; a segment that starts later is anchored at its first event's
/// `prev_hash` (compare its end with a trusted head to trust it). An empty chain verifies.
pub fn verify_chain(events: &[AuditEvent]) -> Result<(), ChainError> {
    let fail = |index: usize, reason: ChainFault| ChainError {
        index,
        seq: events.get(index).map_or(0, |e| e.seq),
        reason,
    };
    let mut prev: Option<&AuditEvent> = None;
    for (i, e) in events.iter().enumerate() {
        match prev {
            None => {
                if e.seq == 0 {
                    return Err(fail(i, ChainFault::ZeroSeq));
                }
                if e.seq == 1 && e.prev_hash != GENESIS_HASH {
                    return Err(fail(i, ChainFault::NotGenesis));
                }
            }
            Some(p) => {
                let expected = p.seq.saturating_add(1);
                if e.seq < expected {
                    return Err(fail(
                        i,
                        ChainFault::OutOfOrder {
                            expected,
                            found: e.seq,
                        },
                    ));
                }
                if e.seq > expected {
                    // The expected event turning up later means a move, not a deletion.
                    let moved = events[i + 1..].iter().any(|l| l.seq == expected);
                    let reason = if moved {
                        ChainFault::OutOfOrder {
                            expected,
                            found: e.seq,
                        }
                    } else {
                        ChainFault::SeqGap {
                            expected,
                            found: e.seq,
                        }
                    };
                    return Err(fail(i, reason));
                }
                if e.prev_hash != p.hash {
                    return Err(fail(i, ChainFault::PrevHashMismatch));
                }
            }
        }
        if e.hash != e.compute_hash() {
            return Err(fail(i, ChainFault::HashMismatch));
        }
        prev = Some(e);
    }
    Ok(())
}

/// Serde for `at`: RFC 3339 with milliseconds and `Z`.
mod millis {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_at(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 10, minute, 0)
            .single()
            .unwrap_or_default()
    }

    fn chain(n: u64) -> Vec<AuditEvent> {
        let mut out: Vec<AuditEvent> = Vec::new();
        for seq in 1..=n {
            let prev = out
                .last()
                .map_or(GENESIS_HASH.to_string(), |e| e.hash.clone());
            out.push(AuditEvent::new(
                seq,
                at(seq as u32),
                "user:ana",
                kinds::DECISION,
                &format!("act_{seq}"),
                json!({"decision": "approve", "amount_usd": "12.50", "n": seq}),
                &prev,
            ));
        }
        out
    }

    #[test]
    fn genesis_is_64_zeros() {
        assert_eq!(GENESIS_HASH.len(), 64);
        assert!(GENESIS_HASH.bytes().all(|b| b == b'0'));
    }

    #[test]
    fn canonical_json_sorts_keys_recursively_without_whitespace() {
        let v = json!({"b": 1, "a": {"z": [true, null, {"y": "x", "c": 1.5}], "k": "\"q\"\n"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"k":"\"q\"\n","z":[true,null,{"c":1.5,"y":"x"}]},"b":1}"#
        );
    }

    #[test]
    fn hash_is_sha256_of_the_documented_encoding() {
        let e = AuditEvent::new(
            1,
            at(0),
            "sync",
            kinds::SYNC_FAILURE,
            "be-1",
            json!({"message": "refused", "code": "backend_unreachable"}),
            GENESIS_HASH,
        );
        let expected = format!(
            "{{\"actor\":\"sync\",\"at\":\"2026-11-01T10:00:00.000Z\",\"details\":{{\"code\":\"backend_unreachable\",\"message\":\"refused\"}},\"kind\":\"sync_failure\",\"prev_hash\":\"{GENESIS_HASH}\",\"seq\":1,\"subject\":\"be-1\"}}"
        );
        assert_eq!(e.canonical(), expected);
        assert_eq!(e.hash, sha256_hex(expected.as_bytes()));
        assert_eq!(e.hash.len(), 64);
    }

    #[test]
    fn at_is_truncated_to_millis() {
        let precise = at(0) + chrono::Duration::nanoseconds(1_234_567);
        let e = AuditEvent::new(1, precise, "a", "k", "s", json!({}), GENESIS_HASH);
        assert_eq!(format_at(e.at), "2026-11-01T10:00:00.001Z");
        assert_eq!(e.hash, e.compute_hash());
    }

    #[test]
    fn line_round_trips() -> Result<(), serde_json::Error> {
        for e in chain(3) {
            let back: AuditEvent = serde_json::from_str(&e.to_line())?;
            assert_eq!(back, e);
            assert_eq!(back.to_line(), e.to_line());
        }
        Ok(())
    }

    #[test]
    fn a_good_chain_verifies() {
        assert_eq!(verify_chain(&[]), Ok(()));
        assert_eq!(verify_chain(&chain(10)), Ok(()));
        // A later segment is anchored at its first event.
        assert_eq!(verify_chain(&chain(10)[4..]), Ok(()));
    }

    #[test]
    fn an_edited_event_is_named() {
        let mut c = chain(10);
        c[6].details = json!({"decision": "deny"});
        let err = verify_chain(&c).err();
        assert_eq!(
            err,
            Some(ChainError {
                index: 6,
                seq: 7,
                reason: ChainFault::HashMismatch
            })
        );
        assert_eq!(
            err.map(|e| e.to_string()).unwrap_or_default(),
            "event 6 (seq 7): hash mismatch"
        );
    }

    #[test]
    fn an_edited_and_rehashed_event_breaks_the_next_link() {
        let mut c = chain(10);
        c[3].actor = "mallory".into();
        c[3].hash = c[3].compute_hash();
        assert_eq!(
            verify_chain(&c).err().map(|e| (e.index, e.reason)),
            Some((4, ChainFault::PrevHashMismatch))
        );
    }

    #[test]
    fn a_wrong_prev_hash_is_named() {
        let mut c = chain(5);
        c[2].prev_hash = GENESIS_HASH.into();
        c[2].hash = c[2].compute_hash();
        assert_eq!(
            verify_chain(&c).err().map(|e| (e.index, e.reason)),
            Some((2, ChainFault::PrevHashMismatch))
        );
    }

    #[test]
    fn a_first_event_not_from_genesis_is_named() {
        let mut c = chain(3);
        c[0].prev_hash = "ab".repeat(32);
        c[0].hash = c[0].compute_hash();
        assert_eq!(
            verify_chain(&c).err().map(|e| (e.index, e.reason)),
            Some((0, ChainFault::NotGenesis))
        );
    }

    #[test]
    fn a_deleted_event_is_a_gap() {
        let mut c = chain(8);
        c.remove(4);
        assert_eq!(
            verify_chain(&c).err().map(|e| (e.index, e.seq, e.reason)),
            Some((
                4,
                6,
                ChainFault::SeqGap {
                    expected: 5,
                    found: 6
                }
            ))
        );
    }

    #[test]
    fn reordered_and_duplicated_events_are_out_of_order() {
        let mut c = chain(8);
        c.swap(2, 5);
        assert_eq!(
            verify_chain(&c).err().map(|e| (e.index, e.reason)),
            Some((
                2,
                ChainFault::OutOfOrder {
                    expected: 3,
                    found: 6
                }
            ))
        );
        let mut d = chain(8);
        let dup = d[3].clone();
        d.insert(4, dup);
        assert_eq!(
            verify_chain(&d).err().map(|e| (e.index, e.reason)),
            Some((
                4,
                ChainFault::OutOfOrder {
                    expected: 5,
                    found: 4
                }
            ))
        );
    }

    #[test]
    fn seq_zero_is_refused() {
        let e = AuditEvent::new(0, at(0), "a", "k", "s", json!(null), GENESIS_HASH);
        assert_eq!(
            verify_chain(&[e]).err().map(|e| e.reason),
            Some(ChainFault::ZeroSeq)
        );
    }

    #[test]
    fn every_single_field_edit_is_detected() {
        let base = chain(4);
        let edits: [fn(&mut AuditEvent); 6] = [
            |e| e.at += chrono::Duration::milliseconds(1),
            |e| e.actor.push('x'),
            |e| e.kind = kinds::EXPORT.into(),
            |e| e.subject.clear(),
            |e| e.details = json!({"n": 0}),
            |e| e.hash.replace_range(0..1, "f"),
        ];
        for (k, edit) in edits.iter().enumerate() {
            for i in 0..base.len() {
                let mut c = base.clone();
                edit(&mut c[i]);
                if c == base {
                    continue;
                }
                let err = verify_chain(&c).err();
                assert_eq!(err.map(|e| e.index), Some(i), "edit {k} of event {i}");
            }
        }
    }
}
