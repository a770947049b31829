//! Decision webhooks: when an agent's action is decided (or expires), a delivery is owed in
//! the database (one per decision, so it survives a restart and is made once) and a worker in
//! every server process sends what falls due, retrying with exponential backoff until the
//! receiver takes it (2xx) or the attempts run out. Only http(s) URLs without credentials are
//! accepted; redirects are not followed.
//!
//! Deliveries to a registered webhook are signed: `Countersign-Signature: t=<unix seconds>,
//! v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, with the webhook's secret, returned once at
//! registration. The secret is not stored: it is derived from the server's `webhook-key` (a
//! random key in the data directory, mode 0600; servers sharing one PostgreSQL database share
//! their data directory, or a copy of this file) and the webhook id. Receivers check the
//! signature and refuse a timestamp older than a few minutes (a replay), and drop repeats by
//! `Countersign-Delivery`.

use crate::State;
use crate::db::webhooks::{self as store, Delivery};
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// Name of the key file webhook secrets are derived from, in the data directory.
pub(crate) const WEBHOOK_KEY_FILE: &str = "webhook-key";

/// The header carrying the signature.
pub(crate) const SIGNATURE_HEADER: &str = "Countersign-Signature";

/// How long a claimed delivery is this process's to send before another may take it over.
const LEASE_MS: i64 = 60_000;

/// How often the worker looks for work nobody told it of (other processes' decisions, owed
/// deliveries left by a stop, expiries).
const SWEEP: Duration = Duration::from_secs(2);

type HmacSha256 = Hmac<Sha256>;

/// How deliveries are made.
#[derive(Clone, Debug)]
pub(crate) struct Webhooks {
    client: reqwest::Client,
    attempts: u32,
    base: Duration,
    cap: Duration,
    root: [u8; 32],
    wake: Arc<Notify>,
}

impl Webhooks {
    /// A sender trying `attempts` times, waiting `base` doubled each time up to `cap`, deriving
    /// secrets from `root`.
    pub(crate) fn new(attempts: u32, base: Duration, cap: Duration, root: [u8; 32]) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Webhooks {
            client,
            attempts: attempts.max(1),
            base,
            cap,
            root,
            wake: Arc::new(Notify::new()),
        }
    }

    /// The signing secret of webhook `id` (`whsec_…`).
    pub(crate) fn secret(&self, id: &str) -> String {
        use base64::Engine;
        let mut mac = HmacSha256::new_from_slice(&self.root).unwrap_or_else(|_| unreachable());
        mac.update(b"countersign webhook secret\n");
        mac.update(id.as_bytes());
        format!(
            "whsec_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    /// Tells the worker a delivery may be due now.
    pub(crate) fn poke(&self) {
        self.wake.notify_one();
    }

    /// The wait before attempt `attempt + 1` after attempt `attempt` failed.
    fn backoff(&self, attempt: i64) -> Duration {
        let doublings = attempt.clamp(1, 30) as u32 - 1;
        self.base
            .checked_mul(1u32 << doublings.min(20))
            .unwrap_or(self.cap)
            .min(self.cap)
    }

    /// One attempt at delivery `d`: `Ok` when taken (2xx), else why not.
    async fn attempt(&self, d: &Delivery) -> Result<(), String> {
        let mut req = self
            .client
            .post(&d.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Countersign-Event", "decision")
            .header("Countersign-Event", &d.event)
            .header("Countersign-Delivery", &d.delivery_id);
        if let Some(id) = &d.webhook_id {
            let t = Utc::now().timestamp();
            req = req.header(
                SIGNATURE_HEADER,
                sign(&self.secret(id), t, d.body.as_bytes()),
            );
        }
        match req.body(d.body.clone()).send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("answered {}", r.status())),
            Err(e) => Err(format!("failed: {e}")),
        }
    }
}

/// An HMAC key of any length is accepted; this is never reached.
fn unreachable() -> HmacSha256 {
    unreachable!("HMAC takes keys of any length")
}

/// The `Countersign-Signature` value for `body` sent at unix time `t` with `secret`.
pub(crate) fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable());
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends owed deliveries as they fall due until `stop` is set. Each sweep also expires due
/// actions and owes the deliveries a stopped server left unowed, so nothing decided is lost to
/// a restart.
pub(crate) async fn run(st: Arc<State>, mut stop: watch::Receiver<bool>) {
    let mut last_sweep: Option<tokio::time::Instant> = None;
    loop {
        let sweep = last_sweep.is_none_or(|t| t.elapsed() >= SWEEP);
        if sweep {
            last_sweep = Some(tokio::time::Instant::now());
            crate::api::agent::owe_missing(&st).await;
        }
        let s = st.clone();
        let claimed = tokio::task::spawn_blocking(move || {
            s.db.with(|c| -> Result<_, crate::Error> {
                let now = Utc::now();
                let due = store::claim_due(c, now, LEASE_MS, 32)?;
                let next = store::next_due_ms(c)?;
                Ok((due, next))
            })
        })
        .await;
        let (due, next) = match claimed {
            Ok(Ok(Ok(x))) => x,
            Ok(Ok(Err(e))) | Ok(Err(e)) => {
                tracing::warn!("webhook deliveries: {e}");
                (Vec::new(), None)
            }
            Err(e) => {
                tracing::warn!("webhook deliveries: {e}");
                (Vec::new(), None)
            }
        };
        for d in due {
            tokio::spawn(deliver(st.clone(), d));
        }
        let now_ms = Utc::now().timestamp_millis();
        let wait = next
            .map(|n| Duration::from_millis((n - now_ms).max(0) as u64))
            .unwrap_or(SWEEP)
            .min(SWEEP);
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            _ = st.webhooks.wake.notified() => {}
            // The next delivery falls due, or it is time to sweep (a timer, not synchronisation).
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Makes one attempt at `d` and records how it went.
async fn deliver(st: Arc<State>, d: Delivery) {
    let outcome = st.webhooks.attempt(&d).await;
    let next = match &outcome {
        Ok(()) => None,
        Err(why) if d.attempts < i64::from(st.webhooks.attempts) => {
            tracing::debug!("webhook {}: attempt {} {why}", d.url, d.attempts);
            let wait = chrono::Duration::from_std(st.webhooks.backoff(d.attempts))
                .unwrap_or(chrono::Duration::seconds(30));
            Some(Utc::now() + wait)
        }
        Err(why) => {
            tracing::warn!(
                "webhook {}: not delivered after {} attempts ({why})",
                d.url,
                d.attempts
            );
            None
        }
    };
    let s = st.clone();
    let id = d.delivery_id.clone();
    let saved = tokio::task::spawn_blocking(move || {
        s.db.with(|c| match outcome {
            Ok(()) => store::delivered(c, &id, Utc::now()),
            Err(why) => store::attempt_failed(c, &id, &why, next),
        })
    })
    .await;
    if !matches!(saved, Ok(Ok(Ok(())))) {
        tracing::warn!("webhook {}: could not record the attempt", d.url);
    }
    st.webhooks.poke();
}

/// Checks a webhook URL: http or https, a host, no user or password; the reason otherwise.
pub(crate) fn check_url(text: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("scheme {} is not http or https", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must not carry credentials".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_pass() {
        assert_eq!(check_url("https://agent.example/hook"), Ok(()));
        assert_eq!(check_url("http://127.0.0.1:9000/d"), Ok(()));
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ftp://x/y",
            "https://user:pw@agent.example/",
            "not a url",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn signatures_follow_rfc_4231_hmac_and_secrets_differ_per_webhook() {
        // The MAC is RFC 4231's HMAC-SHA256 (test case 2).
        let mut mac = HmacSha256::new_from_slice(b"Jefe").unwrap_or_else(|_| unreachable());
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let s = sign("whsec_x", 1_700_000_000, b"{\"a\":1}");
        assert!(s.starts_with("t=1700000000,v1="), "{s}");
        assert_ne!(s, sign("whsec_y", 1_700_000_000, b"{\"a\":1}"));
        assert_ne!(s, sign("whsec_x", 1_700_000_001, b"{\"a\":1}"));
        let w = Webhooks::new(1, Duration::ZERO, Duration::ZERO, [7; 32]);
        assert_ne!(w.secret("wh_a"), w.secret("wh_b"));
        assert_eq!(w.secret("wh_a"), w.secret("wh_a"));
        assert_ne!(
            w.secret("wh_a"),
            Webhooks::new(1, Duration::ZERO, Duration::ZERO, [8; 32]).secret("wh_a")
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let w = Webhooks::new(
            8,
            Duration::from_millis(100),
            Duration::from_secs(1),
            [0; 32],
        );
        let waits: Vec<u128> = (1..=6).map(|a| w.backoff(a).as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 400, 800, 1000, 1000]);
    }
}
