//! The weekly roll-up of reviewed failures and what changed from one week to the next.

use super::FailureBucket;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Runs in one bucket of one workflow in one review week (Monday 00:00 UTC). The bucket is
/// the operator's when set, else the suggestion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct WeekCount {
    /// Monday 00:00 UTC of the week.
    pub week: DateTime<Utc>,
    /// Workflow.
    pub workflow: String,
    /// Bucket.
    pub bucket: FailureBucket,
    /// Runs.
    pub runs: u64,
}

/// How one bucket of one workflow moved from last week to this week.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct BucketChange {
    /// Workflow.
    pub workflow: String,
    /// Bucket.
    pub bucket: FailureBucket,
    /// Runs last week.
    pub last_week: u64,
    /// Runs this week.
    pub this_week: u64,
}

impl BucketChange {
    /// This week minus last week.
    pub fn delta(&self) -> i64 {
        self.this_week as i64 - self.last_week as i64
    }
}

/// Every (workflow, bucket) whose count differs between `last` and `this` week, biggest move
/// first (then by workflow and bucket). New and vanished buckets are included.
pub fn week_changes(
    counts: &[WeekCount],
    this: DateTime<Utc>,
    last: DateTime<Utc>,
) -> Vec<BucketChange> {
    let mut by: BTreeMap<(&str, FailureBucket), (u64, u64)> = BTreeMap::new();
    for c in counts {
        let slot = by.entry((c.workflow.as_str(), c.bucket)).or_default();
        if c.week == last {
            slot.0 += c.runs;
        } else if c.week == this {
            slot.1 += c.runs;
        }
    }
    let mut out: Vec<BucketChange> = by
        .into_iter()
        .filter(|(_, (l, t))| l != t)
        .map(|((workflow, bucket), (l, t))| BucketChange {
            workflow: workflow.to_string(),
            bucket,
            last_week: l,
            this_week: t,
        })
        .collect();
    out.sort_by(|a, b| {
        b.delta()
            .abs()
            .cmp(&a.delta().abs())
            .then_with(|| a.workflow.cmp(&b.workflow))
            .then_with(|| a.bucket.cmp(&b.bucket))
    });
    out
}
