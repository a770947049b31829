//! A token bucket per key: each request takes one token; tokens refill at a steady rate up to
//! a burst. An empty bucket answers how long until the next token (the `Retry-After`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets by key id.
pub(crate) struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `rate` tokens per second, at most `burst` saved up. A rate of 0 or less disables it.
    pub(crate) fn new(rate: f64, burst: f64) -> Self {
        RateLimiter {
            rate,
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key` at `now`: `Ok` when there was one, else how long to wait.
    pub(crate) fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let Ok(mut map) = self.buckets.lock() else {
            return Ok(());
        };
        let (tokens, last) = map.entry(key.to_string()).or_insert((self.burst, now));
        let refill = now.saturating_duration_since(*last).as_secs_f64() * self.rate;
        *tokens = (*tokens + refill).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds_and_keys_are_separate() {
        let rl = RateLimiter::new(2.0, 3.0);
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(rl.take("a", t), Ok(()));
        }
        let wait = rl.take("a", t).expect_err("bucket empty");
        assert!(wait <= Duration::from_millis(500) && wait > Duration::ZERO);
        assert_eq!(rl.take("b", t), Ok(()));
        assert_eq!(rl.take("a", t + Duration::from_millis(500)), Ok(()));
        assert!(rl.take("a", t + Duration::from_millis(500)).is_err());
    }
}
