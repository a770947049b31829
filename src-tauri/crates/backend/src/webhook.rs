//! Decision webhooks: when an agent's action is decided (or expires), the decision is POSTed
//! to the URL the agent registered, retried with exponential backoff until it is taken (2xx)
//! or the attempts run out. Only http(s) URLs without credentials are accepted; redirects are
//! not followed.

use serde_json::Value;
use std::time::Duration;

/// How deliveries are made.
#[derive(Clone, Debug)]
pub(crate) struct Webhooks {
    client: reqwest::Client,
    attempts: u32,
    base: Duration,
    cap: Duration,
}

impl Webhooks {
    /// A sender trying `attempts` times, waiting `base` doubled each time up to `cap`.
    pub(crate) fn new(attempts: u32, base: Duration, cap: Duration) -> Self {
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
        }
    }

    /// Delivers `body` to `url` in the background.
    pub(crate) fn send(&self, url: String, body: Value) {
        let me = self.clone();
        tokio::spawn(async move {
            if !me.deliver(&url, &body).await {
                tracing::warn!(
                    "webhook {url}: not delivered after {} attempts",
                    me.attempts
                );
            }
        });
    }

    /// Tries until a 2xx answer or the attempts run out; returns whether it was delivered.
    async fn deliver(&self, url: &str, body: &Value) -> bool {
        let mut wait = self.base;
        for attempt in 1..=self.attempts {
            let sent = self
                .client
                .post(url)
                .header("X-Countersign-Event", "decision")
                .json(body)
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => return true,
                Ok(r) => {
                    tracing::debug!("webhook {url}: attempt {attempt} answered {}", r.status())
                }
                Err(e) => tracing::debug!("webhook {url}: attempt {attempt} failed: {e}"),
            }
            if attempt < self.attempts {
                // Backoff between attempts (not a synchronisation wait).
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(self.cap);
            }
        }
        false
    }
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
}
