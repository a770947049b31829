//! Autonomy levels per workflow: how much of an agent's writing a backend lets through without
//! a person, from refusing every write to executing within the caps, and the pure rule that
//! says what happens to one proposed write at a level.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How far a workflow's writes go without a reviewer, in rising order.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum AutonomyLevel {
    /// Every write is refused; the workflow may only read.
    ReadOnly,
    /// Writes are prepared and recorded as drafts, never executed.
    Draft,
    /// Every write waits for a reviewer (the default).
    #[default]
    ApproveEveryWrite,
    /// A share of the writes is reviewed; the rest execute at once, with undo recorded.
    SampledApproval,
    /// Writes execute at once, with undo recorded; budgets are still enforced.
    AutonomousWithinCaps,
}

impl AutonomyLevel {
    /// Every level, lowest first.
    pub const ALL: [AutonomyLevel; 5] = [
        AutonomyLevel::ReadOnly,
        AutonomyLevel::Draft,
        AutonomyLevel::ApproveEveryWrite,
        AutonomyLevel::SampledApproval,
        AutonomyLevel::AutonomousWithinCaps,
    ];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AutonomyLevel::ReadOnly => "read_only",
            AutonomyLevel::Draft => "draft",
            AutonomyLevel::ApproveEveryWrite => "approve_every_write",
            AutonomyLevel::SampledApproval => "sampled_approval",
            AutonomyLevel::AutonomousWithinCaps => "autonomous_within_caps",
        }
    }

    /// Reads the wire spelling back.
    pub fn parse(text: &str) -> Option<AutonomyLevel> {
        Self::ALL.into_iter().find(|l| l.as_str() == text)
    }

    /// Whether going from `self` to `to` gives the workflow more autonomy.
    pub fn is_raise_to(self, to: AutonomyLevel) -> bool {
        to > self
    }
}

/// A level with its sample share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AutonomySetting {
    /// The level.
    pub level: AutonomyLevel,
    /// At `sampled_approval`, the percentage of writes a reviewer sees (1-99); 0 otherwise.
    #[serde(default)]
    pub sample_percent: u8,
}

impl AutonomySetting {
    /// Checks the share fits the level: 1-99 % when sampled, 0 otherwise.
    pub fn validate(&self) -> Result<(), String> {
        match self.level {
            AutonomyLevel::SampledApproval if !(1..=99).contains(&self.sample_percent) => {
                Err("sample_percent: a sampled approval reviews 1-99 % of the writes".into())
            }
            AutonomyLevel::SampledApproval => Ok(()),
            _ if self.sample_percent != 0 => Err(format!(
                "sample_percent: only sampled_approval takes a share (got {} at {})",
                self.sample_percent,
                self.level.as_str()
            )),
            _ => Ok(()),
        }
    }

    /// Whether moving to `to` raises the autonomy: a higher level, or at sampled approval a
    /// smaller reviewed share.
    pub fn is_raise_to(&self, to: &AutonomySetting) -> bool {
        self.level.is_raise_to(to.level)
            || (self.level == to.level
                && to.level == AutonomyLevel::SampledApproval
                && to.sample_percent < self.sample_percent)
    }
}

/// A workflow's level as a backend holds it (`GET /v1/workflows/{id}/autonomy`): who set it
/// and why, and how many writes it refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct WorkflowAutonomy {
    /// The workflow.
    pub workflow: String,
    /// The level in force.
    pub level: AutonomyLevel,
    /// At `sampled_approval`, the percentage reviewed.
    #[serde(default)]
    pub sample_percent: u8,
    /// Who set it (the admin identity on the backend); `None` for the default.
    #[serde(default)]
    pub set_by: Option<String>,
    /// The person the request named as deciding it (the console user).
    #[serde(default)]
    pub requested_by: Option<String>,
    /// Why, as typed.
    #[serde(default)]
    pub justification: Option<String>,
    /// When it was set.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Writes the level refused (read-only) so far.
    #[serde(default)]
    pub refused_writes: u64,
    /// When the last one was refused.
    #[serde(default)]
    pub last_refused_at: Option<DateTime<Utc>>,
}

impl WorkflowAutonomy {
    /// The level and share.
    pub fn setting(&self) -> AutonomySetting {
        AutonomySetting {
            level: self.level,
            sample_percent: self.sample_percent,
        }
    }
}

/// What a level does with one proposed write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum WriteTreatment {
    /// Refused outright (read-only).
    Refuse,
    /// Recorded as a draft, never executed.
    Draft,
    /// Held for a reviewer.
    Review,
    /// Executed at once, without a reviewer, with its undo recorded.
    Execute,
}

/// The facts about a write the rule looks at.
#[derive(Clone, Copy, Debug)]
pub struct WriteFacts<'a> {
    /// A stable id of the write (its action id): the sample is drawn from it.
    pub key: &'a str,
    /// Whether the write can be undone (no undo: never executed without a reviewer).
    pub reversible: bool,
    /// Whether every policy check passed (a failed check: never executed without a reviewer).
    pub checks_passed: bool,
}

/// A number in 0..100 drawn from `key` (FNV-1a), the same on every server process.
pub fn sample_slot(key: &str) -> u8 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % 100) as u8
}

/// What happens to a write at `setting`: read-only refuses, draft records, approve-every-write
/// reviews; sampled approval reviews the writes whose [`sample_slot`] falls under the share
/// and executes the rest; autonomy executes. A write without undo, or with a failed policy
/// check, is always reviewed when it would otherwise execute.
pub fn treatment(setting: &AutonomySetting, w: &WriteFacts<'_>) -> WriteTreatment {
    let execute = match setting.level {
        AutonomyLevel::ReadOnly => return WriteTreatment::Refuse,
        AutonomyLevel::Draft => return WriteTreatment::Draft,
        AutonomyLevel::ApproveEveryWrite => false,
        AutonomyLevel::SampledApproval => sample_slot(w.key) >= setting.sample_percent,
        AutonomyLevel::AutonomousWithinCaps => true,
    };
    if execute && w.reversible && w.checks_passed {
        WriteTreatment::Execute
    } else {
        WriteTreatment::Review
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(level: AutonomyLevel, sample_percent: u8) -> AutonomySetting {
        AutonomySetting {
            level,
            sample_percent,
        }
    }

    fn facts(key: &str) -> WriteFacts<'_> {
        WriteFacts {
            key,
            reversible: true,
            checks_passed: true,
        }
    }

    #[test]
    fn levels_round_trip_and_rise_in_order() {
        for l in AutonomyLevel::ALL {
            assert_eq!(AutonomyLevel::parse(l.as_str()), Some(l));
            assert_eq!(
                serde_json::to_value(l).ok(),
                Some(serde_json::json!(l.as_str()))
            );
        }
        assert_eq!(AutonomyLevel::parse("yolo"), None);
        assert_eq!(AutonomyLevel::default(), AutonomyLevel::ApproveEveryWrite);
        assert!(AutonomyLevel::ReadOnly.is_raise_to(AutonomyLevel::Draft));
        assert!(!AutonomyLevel::AutonomousWithinCaps.is_raise_to(AutonomyLevel::ReadOnly));
        assert!(!AutonomyLevel::Draft.is_raise_to(AutonomyLevel::Draft));
        let s = |p| at(AutonomyLevel::SampledApproval, p);
        assert!(
            s(20).is_raise_to(&s(5)),
            "reviewing fewer writes is a raise"
        );
        assert!(!s(5).is_raise_to(&s(20)));
    }

    #[test]
    fn the_share_must_fit_the_level() {
        assert!(at(AutonomyLevel::SampledApproval, 0).validate().is_err());
        assert!(at(AutonomyLevel::SampledApproval, 100).validate().is_err());
        assert!(at(AutonomyLevel::SampledApproval, 10).validate().is_ok());
        assert!(at(AutonomyLevel::Draft, 10).validate().is_err());
        assert!(at(AutonomyLevel::ReadOnly, 0).validate().is_ok());
    }

    #[test]
    fn each_level_treats_a_write_as_documented() {
        let f = facts("act_1");
        assert_eq!(
            treatment(&at(AutonomyLevel::ReadOnly, 0), &f),
            WriteTreatment::Refuse
        );
        assert_eq!(
            treatment(&at(AutonomyLevel::Draft, 0), &f),
            WriteTreatment::Draft
        );
        assert_eq!(
            treatment(&at(AutonomyLevel::ApproveEveryWrite, 0), &f),
            WriteTreatment::Review
        );
        let auto = at(AutonomyLevel::AutonomousWithinCaps, 0);
        assert_eq!(treatment(&auto, &f), WriteTreatment::Execute);
        let no_undo = WriteFacts {
            reversible: false,
            ..f
        };
        assert_eq!(treatment(&auto, &no_undo), WriteTreatment::Review);
        let failed = WriteFacts {
            checks_passed: false,
            ..f
        };
        assert_eq!(treatment(&auto, &failed), WriteTreatment::Review);
    }

    #[test]
    fn sampled_approval_reviews_about_its_share() {
        let s = at(AutonomyLevel::SampledApproval, 20);
        let keys: Vec<String> = (0..10_000).map(|i| format!("act_{i:07}")).collect();
        let reviewed = keys
            .iter()
            .filter(|k| treatment(&s, &facts(k)) == WriteTreatment::Review)
            .count();
        assert!((1_700..=2_300).contains(&reviewed), "reviewed {reviewed}");
        for k in &keys {
            let expect = if sample_slot(k) < 20 {
                WriteTreatment::Review
            } else {
                WriteTreatment::Execute
            };
            assert_eq!(treatment(&s, &facts(k)), expect);
        }
    }
}
