//! The pure step of sync: from a fetched page to what will be stored and what quarantined.

use countersign_core::{PendingAction, RunColumns};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// Streams a backend offers incrementally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// `/v1/runs`.
    Runs,
    /// `/v1/actions`.
    Actions,
}

impl Stream {
    /// Name used for cursors and quarantine rows.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Runs => "runs",
            Stream::Actions => "actions",
        }
    }
}

/// A record accepted for storage, with the exact JSON it arrived as.
#[derive(Debug)]
pub struct Accepted<T> {
    /// Parsed record.
    pub record: T,
    /// Its JSON text as received.
    pub raw: String,
}

/// What to do with one page.
#[derive(Debug)]
pub struct PagePlan<T> {
    /// Valid records, in page order.
    pub accepted: Vec<Accepted<T>>,
    /// Refused records: (reason, raw bytes).
    pub quarantined: Vec<(String, Vec<u8>)>,
}

/// Records the protocol knows how to validate.
pub trait Record: DeserializeOwned {
    /// Checks invariants beyond the JSON shape.
    fn check(&self) -> Result<(), String>;
}

/// Runs are read as their store columns (the record's JSON is stored as sent).
impl Record for RunColumns {
    fn check(&self) -> Result<(), String> {
        self.validate()
    }
}

impl Record for PendingAction {
    fn check(&self) -> Result<(), String> {
        if self.action_id.trim().is_empty() {
            return Err("action_id is empty".into());
        }
        if self.fields.is_empty() {
            return Err("action names no fields to review".into());
        }
        if self.expires_at < self.requested_at {
            return Err("expires_at is before requested_at".into());
        }
        Ok(())
    }
}

/// Splits a page into records to store and records to quarantine. A record larger than
/// `max_record_bytes`, one that does not parse, or one that breaks an invariant is refused with
/// its reason; the rest of the page is kept.
pub fn plan_page<T: Record>(items: &[Box<RawValue>], max_record_bytes: usize) -> PagePlan<T> {
    let mut plan = PagePlan {
        accepted: Vec::with_capacity(items.len()),
        quarantined: Vec::new(),
    };
    for item in items {
        let raw = item.get();
        if raw.len() > max_record_bytes {
            plan.quarantined.push((
                format!(
                    "record of {} bytes exceeds the {max_record_bytes}-byte limit",
                    raw.len()
                ),
                raw.as_bytes()[..max_record_bytes.min(raw.len())].to_vec(),
            ));
            continue;
        }
        match serde_json::from_str::<T>(raw) {
            Ok(record) => match record.check() {
                Ok(()) => plan.accepted.push(Accepted {
                    record,
                    raw: raw.to_string(),
                }),
                Err(why) => plan
                    .quarantined
                    .push((format!("invalid record: {why}"), raw.as_bytes().to_vec())),
            },
            Err(e) => plan
                .quarantined
                .push((format!("malformed record: {e}"), raw.as_bytes().to_vec())),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(items: &str) -> Vec<Box<RawValue>> {
        serde_json::from_str(items).unwrap_or_default()
    }

    const GOOD: &str = r#"{"run_id":"r1","user_id":"u","workflow":"w","model":"m",
        "cost_micros":120000,"latency_ms":5,"outcome":"success",
        "started_at":"2026-11-01T00:00:00Z","updated_at":"2026-11-01T00:00:01Z"}"#;

    #[test]
    fn keeps_good_records_and_quarantines_the_rest_with_reasons() {
        let page = raw(&format!(
            r#"[{GOOD}, 42, {{"run_id":"r2"}}, {}, {}]"#,
            GOOD.replace("120000", "-5").replace("r1", "r3"),
            GOOD.replace("r1", "r4"),
        ));
        let plan: PagePlan<RunColumns> = plan_page(&page, 1 << 20);
        let ids: Vec<_> = plan
            .accepted
            .iter()
            .map(|a| a.record.run_id.as_str())
            .collect();
        assert_eq!(ids, ["r1", "r4"]);
        assert_eq!(plan.quarantined.len(), 3);
        assert!(plan.quarantined[0].0.starts_with("malformed record"));
        assert!(plan.quarantined[1].0.contains("missing field"));
        assert!(plan.quarantined[2].0.contains("negative cost"));
        assert_eq!(plan.quarantined[0].1, b"42");
    }

    #[test]
    fn oversized_records_are_refused() {
        let page = raw(&format!("[{GOOD}]"));
        let plan: PagePlan<RunColumns> = plan_page(&page, 16);
        assert!(plan.accepted.is_empty());
        assert!(plan.quarantined[0].0.contains("exceeds"));
        assert_eq!(plan.quarantined[0].1.len(), 16);
    }
}
