//! A search combined with filters, answered by the full-text index: every run's filter values
//! (backend, tenant, workflow, outcome, model, user, flags, start day, cost band) are indexed
//! as marker words beside its text, and a search adds the markers its filters allow to the
//! FTS query. The index then intersects the word's and the filter's row lists itself (skipping
//! through both), instead of the run list reading every run with a common word to find the
//! few that pass a selective filter. Markers only narrow: the SQL filters still decide each
//! row, so a partial day or cost band is exact.

use crate::runs::RunQuery;

/// The filter values of one stored run, as its row holds them.
#[derive(Clone, Debug, Default)]
pub struct RunFacets<'a> {
    /// Backend id.
    pub backend_id: &'a str,
    /// Tenant.
    pub tenant: &'a str,
    /// Workflow.
    pub workflow: &'a str,
    /// Outcome (wire spelling).
    pub outcome: &'a str,
    /// Model.
    pub model: &'a str,
    /// User.
    pub user_id: &'a str,
    /// Cost in micro-dollars.
    pub cost_micros: i64,
    /// Start, epoch milliseconds.
    pub started_at_ms: i64,
    /// Failed policy checks.
    pub policy_failures: i64,
    /// Stale or deprecated citations.
    pub citation_warnings: i64,
}

const DAY_MS: i64 = 86_400_000;
/// Day blocks: a day, 32 days, 1024 days; a time range becomes at most ~31 markers per level.
const LEVELS: [u32; 3] = [0, 5, 10];

/// FNV-1a, 64 bits: stable across builds (markers are stored in the index).
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn text_marker(kind: char, value: &str) -> String {
    format!("zq{kind}{:016x}", hash(value))
}

fn day_marker(level: u32, block: i64) -> String {
    format!("zqd{level}x{}", block.rem_euclid(1 << 40))
}

/// The cost band of an amount: 0 for nothing, then 1-2-5 steps from one micro-dollar
/// (band 1 is [1, 2), band 2 is [2, 5), band 3 is [5, 10), band 4 is [10, 20) …).
fn cost_band(micros: i64) -> u32 {
    let mut band = 0;
    while band < MAX_BAND && band_floor(band + 1) <= micros {
        band += 1;
    }
    band
}

/// Lower bound (inclusive) of a band, the inverse of [`cost_band`].
fn band_floor(band: u32) -> i64 {
    if band == 0 {
        return i64::MIN;
    }
    let step = [1, 2, 5][((band - 1) % 3) as usize];
    step * 10_i64.saturating_pow((band - 1) / 3)
}

/// Bands go up to here (5·10^16 micro-dollars is beyond any run).
const MAX_BAND: u32 = 51;

fn cost_marker(band: u32) -> String {
    format!("zqc{band}")
}

/// The marker words of a run, appended to its indexed text.
pub fn markers(f: &RunFacets<'_>) -> String {
    let mut out = String::with_capacity(200);
    for (kind, v) in [
        ('b', f.backend_id),
        ('t', f.tenant),
        ('w', f.workflow),
        ('o', f.outcome),
        ('m', f.model),
        ('u', f.user_id),
    ] {
        out.push_str(&text_marker(kind, v));
        out.push('\n');
    }
    if f.policy_failures > 0 {
        out.push_str("zqflagpolicy\n");
    }
    if f.citation_warnings > 0 {
        out.push_str("zqflagstale\n");
    }
    let day = f.started_at_ms.div_euclid(DAY_MS);
    for level in LEVELS {
        out.push_str(&day_marker(level, day >> level));
        out.push('\n');
    }
    out.push_str(&cost_marker(cost_band(f.cost_micros)));
    out.push('\n');
    out
}

/// The days `[first, last]` as the fewest day-block markers (each block whole inside).
fn day_range_markers(first: i64, last: i64) -> Vec<String> {
    let mut out = Vec::new();
    let mut d = first;
    while d <= last {
        // The largest block starting at d and ending within the range.
        let level = LEVELS
            .iter()
            .rev()
            .copied()
            .find(|&l| d & ((1 << l) - 1) == 0 && d + (1 << l) - 1 <= last)
            .unwrap_or(0);
        out.push(day_marker(level, d >> level));
        d += 1 << level;
    }
    out
}

/// Markers are only worth adding while the OR they make stays short.
const MAX_ALTERNATIVES: usize = 96;

/// The FTS conditions (to AND with the typed words) that the filters of `q` allow: runs
/// without them cannot pass the filters. `span_ms` is the earliest and latest start in the
/// store (bounds an open time range). Empty when no filter is set.
pub fn filter_match(q: &RunQuery, span_ms: Option<(i64, i64)>) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, v) in [
        ('b', &q.backend_id),
        ('t', &q.tenant),
        ('w', &q.workflow),
        ('o', &q.outcome),
        ('m', &q.model),
        ('u', &q.user_id),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            out.push(text_marker(kind, v));
        }
    }
    if q.policy_failed {
        out.push("zqflagpolicy".into());
    }
    if q.cites_stale {
        out.push("zqflagstale".into());
    }
    if (q.since.is_some() || q.until.is_some())
        && let Some((lo, hi)) = span_ms
    {
        let since = q.since.map(crate::time::to_ms).unwrap_or(lo).max(lo);
        // `until` is exclusive.
        let until = q
            .until
            .map(|t| crate::time::to_ms(t) - 1)
            .unwrap_or(hi)
            .min(hi);
        if since > until {
            // Nothing in the store starts in the range: a marker no run has.
            out.push("zqnone".into());
        } else {
            let days = day_range_markers(since.div_euclid(DAY_MS), until.div_euclid(DAY_MS));
            if days.len() <= MAX_ALTERNATIVES {
                out.push(any_of(&days));
            }
        }
    }
    if q.min_cost_micros.is_some() || q.max_cost_micros.is_some() {
        let lo = q.min_cost_micros.map(cost_band).unwrap_or(0);
        let hi = q.max_cost_micros.map(cost_band).unwrap_or(MAX_BAND);
        if lo > hi {
            out.push("zqnone".into());
        } else if lo > 0 || hi < MAX_BAND {
            let bands: Vec<String> = (lo..=hi).map(cost_marker).collect();
            out.push(any_of(&bands));
        }
    }
    out
}

fn any_of(words: &[String]) -> String {
    match words {
        [one] => one.clone(),
        _ => format!("({})", words.join(" OR ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_bands_step_1_2_5_and_invert() {
        assert_eq!(cost_band(0), 0);
        assert_eq!(cost_band(1), 1);
        assert_eq!(cost_band(2), 2);
        assert_eq!(cost_band(4), 2);
        assert_eq!(cost_band(5), 3);
        assert_eq!(cost_band(9), 3);
        assert_eq!(cost_band(10), 4);
        assert_eq!(cost_band(49_999), cost_band(20_000));
        assert_eq!(cost_band(50_000), cost_band(20_000) + 1);
        for band in 1..MAX_BAND {
            let floor = band_floor(band);
            assert_eq!(cost_band(floor), band, "floor of band {band}");
            assert_eq!(cost_band(floor - 1), band - 1, "below band {band}");
        }
        assert_eq!(cost_band(i64::MAX), MAX_BAND);
    }

    #[test]
    fn day_ranges_are_covered_exactly_by_blocks() {
        for (first, last) in [(0, 0), (3, 70), (1000, 5000), (20_000, 20_420), (31, 32)] {
            let blocks = day_range_markers(first, last);
            let covered: usize = blocks
                .iter()
                .map(|m| {
                    let level: u32 = m[3..m.find('x').unwrap_or(4)].parse().unwrap_or(99);
                    1usize << level
                })
                .sum();
            assert_eq!(covered as i64, last - first + 1, "{first}..{last}");
            for d in [first, last, (first + last) / 2] {
                let run = markers(&RunFacets {
                    started_at_ms: d * DAY_MS + 5,
                    ..Default::default()
                });
                assert!(
                    blocks.iter().any(|m| run.lines().any(|l| l == m)),
                    "day {d} in {first}..{last}"
                );
            }
            let outside = markers(&RunFacets {
                started_at_ms: (last + 1) * DAY_MS,
                ..Default::default()
            });
            assert!(!blocks.iter().any(|m| outside.lines().any(|l| l == m)));
        }
    }
}
