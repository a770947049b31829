//! Desktop notifications: a new high-risk approval arrived, or spend crossed a soft budget
//! threshold. Each is sent once per item (per period for budgets); failures (no notification
//! service, e.g. headless) are logged, never fatal.

use crate::state::{AppState, with_store};
use countersign_core::text::plain;
use countersign_core::{ActionStatus, Enforcement, RiskLevel};
use std::sync::Arc;
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

/// Text for a notification shown as plain text: `&`, `<` and `>` escaped, since notification
/// servers (libnotify) read the body as markup — a `<b>` or `<a href>` from a backend must
/// show as typed, never format or link. Apply after [`plain`], so no entity is cut.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn show(app: &AppHandle, title: &str, body: &str) {
    let (title, body) = (escape_markup(title), escape_markup(body));
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::debug!(error = %e, "desktop notification not shown");
    }
}

/// Announces new pending high/critical actions and crossed soft thresholds. The first call
/// only records what exists, so starting the app does not replay old items.
pub async fn check(app: &AppHandle, state: &Arc<AppState>) {
    let found = with_store(state, |s| {
        let now = chrono::Utc::now();
        let mut items = Vec::new();
        for (b, a) in countersign_store::actions::list(s.conn(), Some("pending"), None)? {
            if a.risk >= RiskLevel::High && a.effective_status(now) == ActionStatus::Pending {
                let body = format!(
                    "{} — {} {}",
                    plain(&a.title, 80),
                    plain(&a.target.system, 30),
                    plain(&a.target.record_id, 40)
                );
                items.push((
                    format!("action:{b}:{}", a.action_id),
                    "New high-risk approval".to_string(),
                    body,
                ));
            }
        }
        for (b, budget) in countersign_store::budgets::list(s.conn())? {
            if budget.enforcement != Enforcement::Soft {
                continue;
            }
            let spend = countersign_store::budgets::spend(s.conn(), &b, &budget, now)?;
            if spend
                .used_percent
                .is_some_and(|p| p >= f64::from(budget.alert_at_percent))
            {
                let body = format!(
                    "{} spent {} of its cap ({:.0} %)",
                    plain(&budget.budget_id, 60),
                    spend.cost_micros,
                    spend.used_percent.unwrap_or_default()
                );
                items.push((
                    format!(
                        "budget:{b}:{}:{}",
                        budget.budget_id,
                        spend.period_start.timestamp()
                    ),
                    "Budget threshold crossed".to_string(),
                    body,
                ));
            }
        }
        Ok(items)
    })
    .await;
    let Ok(items) = found else { return };
    let Ok(mut guard) = state.announced.seen.lock() else {
        return;
    };
    match guard.as_mut() {
        None => *guard = Some(items.into_iter().map(|(k, _, _)| k).collect()),
        Some(seen) => {
            for (key, title, body) in items {
                if seen.insert(key) {
                    tracing::info!(%title, %body, "notifying");
                    show(app, &title, &body);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_shown_as_typed() {
        assert_eq!(
            escape_markup("<b>Refund</b> & <a href=\"https://x.test\">go</a>"),
            "&lt;b&gt;Refund&lt;/b&gt; &amp; &lt;a href=\"https://x.test\"&gt;go&lt;/a&gt;"
        );
        assert_eq!(
            escape_markup("&amp;"),
            "&amp;amp;",
            "an entity stays literal"
        );
        assert_eq!(escape_markup("plain — text"), "plain — text");
        let body = escape_markup(&plain("<i>x</i>\u{202E}", 80));
        assert_eq!(body, "&lt;i&gt;x&lt;/i&gt;U+202E");
    }
}
