//! Backoff with full jitter, capped, honouring a server's Retry-After.

use std::time::Duration;

/// How retries are spaced.
#[derive(Clone, Debug)]
pub struct Backoff {
    /// Attempts in all (first try included).
    pub attempts: u32,
    /// Delay before the first retry, doubled each time.
    pub base: Duration,
    /// Upper bound of any one delay, Retry-After included.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            attempts: 8,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// Delay before retry number `retry` (0-based): Retry-After when the server gave one,
    /// otherwise a random point in `[0, base * 2^retry]`; never above `cap`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, unit_random: f64) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.cap);
        }
        let ceiling = self
            .base
            .saturating_mul(1u32 << retry.min(16))
            .min(self.cap);
        ceiling.mul_f64(unit_random.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_are_capped_and_follow_retry_after() {
        let b = Backoff::default();
        assert_eq!(b.delay(0, None, 1.0), Duration::from_millis(100));
        assert_eq!(b.delay(3, None, 1.0), Duration::from_millis(800));
        assert_eq!(b.delay(3, None, 0.5), Duration::from_millis(400));
        assert_eq!(b.delay(30, None, 1.0), Duration::from_secs(10));
        assert_eq!(
            b.delay(0, Some(Duration::from_secs(2)), 0.0),
            Duration::from_secs(2)
        );
        assert_eq!(
            b.delay(0, Some(Duration::from_secs(600)), 0.0),
            Duration::from_secs(10)
        );
    }
}
