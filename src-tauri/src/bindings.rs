//! The UI's wire types and shared rule data, generated from the Rust sources into
//! `ui/src/api/generated/` (one file per type, `constants.ts`, an `index.ts` barrel).
//!
//! `cargo test -p countersign-app bindings` fails when the committed files differ from what the
//! Rust types generate; `scripts/gen-types.sh` (which sets `UPDATE_BINDINGS=1`) rewrites them.

use countersign_core::money::{MAX_EXACT_IN_JS, MoneyError};
use countersign_core::{ActionStatus, FieldKind, Micros, Outcome, text};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use ts_rs::{Config, ExportError, TS};

/// Where the generated files live, from the app crate's manifest directory.
fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/api/generated")
}

/// Writes every wire type the commands and events carry (with the types they use) into `dir`.
fn export_types(dir: &Path) -> Result<(), ExportError> {
    let cfg = Config::new().with_large_int("number").with_out_dir(dir);
    macro_rules! export {
        ($($t:ty),* $(,)?) => { $( <$t as TS>::export_all(&cfg)?; )* };
    }
    use crate::commands::{approvals, audit, backends, budgets, keys, runs, system, traces};
    export!(
        // commands
        system::AppInfo,
        crate::error::CmdError,
        backends::BackendView,
        countersign_connect::Kind,
        countersign_sync::SyncReport,
        countersign_store::quarantine::QuarantineRow,
        countersign_store::runs::RunQuery,
        countersign_store::runs::RunPage,
        runs::RunDetail,
        runs::Facets,
        countersign_store::overview::Overview,
        approvals::ActionView,
        approvals::ActionList,
        crate::commands::review_gate::OpenedReview,
        countersign_core::review::ReviewInput,
        countersign_core::review::Warning,
        countersign_store::outbox::Entry,
        budgets::BudgetView,
        countersign_core::Budget,
        audit::AuditInfo,
        audit::ExportResult,
        audit::SourceView,
        countersign_audit::VerifyReport,
        audit::VerifyOutcome,
        keys::KeyDescription,
        countersign_store::trusted_keys::TrustedKey,
        countersign_core::audit::AuditEvent,
        countersign_otel::ImportCounts,
        traces::PriceTableView,
        traces::ReceiverView,
        crate::commands::identity_keys::IdentityKeysView,
        countersign_store::failures::FailureQuery,
        countersign_store::failures::FailurePage,
        countersign_store::failures::BucketSet,
        crate::commands::failures::FailureTrend,
        crate::commands::failures::CsvExport,
        countersign_core::FailureRules,
        countersign_store::trust::TrustQuery,
        countersign_store::trust::TrustReport,
        countersign_store::trust::DrillQuery,
        countersign_store::decisions::DecisionRow,
        countersign_store::decisions::CitationTarget,
        crate::commands::trust::SecondReviewItem,
        countersign_store::readiness::Scorecard,
        countersign_store::readiness::Thresholds,
        crate::commands::autonomy::AutonomyView,
        crate::commands::autonomy::AutonomyChange,
        countersign_core::AutonomyLevel,
        countersign_core::golden::GoldenCase,
        countersign_core::golden::Expectations,
        countersign_core::golden::ConfigLabel,
        countersign_core::golden::compare::PassThresholds,
        countersign_core::golden::compare::EvalComparison,
        countersign_store::golden::GoldenVersion,
        countersign_store::golden::StoredCase,
        countersign_store::golden::EvalRecord,
        crate::commands::golden::RunRef,
        crate::commands::golden::EvalOutcome,
        crate::commands::golden::CasePair,
        crate::commands::golden::WorkflowGate,
        // events
        crate::events::StoreChanged,
        crate::events::SyncStatus,
    );
    Ok(())
}

/// A TypeScript string literal: JSON escaping, and every non-ASCII or control character as
/// `\uXXXX` so hidden characters stay visible in the generated file.
fn ts_string(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04X}");
                }
            }
        }
    }
    out.push('\'');
    out
}

fn ranges(r: &[(u32, u32)]) -> String {
    let items: Vec<String> = r
        .iter()
        .map(|(lo, hi)| format!("[0x{lo:04X}, 0x{hi:04X}]"))
        .collect();
    format!("[{}]", items.join(", "))
}

fn list<T>(items: impl IntoIterator<Item = T>, f: impl Fn(T) -> String) -> String {
    let v: Vec<String> = items.into_iter().map(f).collect();
    format!("[{}]", v.join(", "))
}

/// Inputs the URL rule is asked about; the answers go into `constants.ts` for the UI's tests.
const URL_EXAMPLES: &[&str] = &[
    "https://kb.example/doc?id=1",
    "HTTP://kb.example",
    "http://127.0.0.1:8080/x",
    "javascript:alert(1)",
    "data:text/html,<b>x</b>",
    "file:///etc/passwd",
    "https://",
    "https:///etc/passwd",
    "//kb.example",
    " https://kb.example",
    "https://kb.example/a b",
    "https://kb.example/\n",
    "https://kb.example/\u{202E}fdp.exe",
    "https://kb.example/\u{200B}",
    "https://kb.example/\u{0085}",
    "ftp://kb.example",
    "",
];

/// Inputs the typed-dollars rule is asked about (see [`URL_EXAMPLES`]).
const DOLLAR_EXAMPLES: &[&str] = &[
    "12",
    "0.5",
    " .25 ",
    "$1,234.000001",
    "$ 7",
    "+3",
    "1,000",
    "1,000,000.5",
    "",
    "   ",
    "-1",
    "$-1",
    "1,23",
    "12,345,67",
    ",123",
    "1.2.3",
    "abc",
    "$",
    ".",
    "1e3",
    "0.0000001",
    "1.5000000",
    "9007199254.740991",
    "9007199255",
    "１２",
];

fn money_code(e: &MoneyError) -> &'static str {
    match e {
        MoneyError::Syntax(_) => "syntax",
        MoneyError::TooPrecise(_) => "too_precise",
        MoneyError::Overflow(_) => "overflow",
        MoneyError::Negative(_) => "negative",
    }
}

/// `constants.ts`: values and rule data the UI must not keep its own copy of.
fn constants() -> String {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(
        w,
        "// Generated from the Rust sources by src-tauri/src/bindings.rs (scripts/gen-types.sh). Do not edit.\n\
         import type {{ ActionStatus }} from './ActionStatus';\n\
         import type {{ FieldKind }} from './FieldKind';\n\
         import type {{ Outcome }} from './Outcome';\n\
         import type {{ FailureBucket }} from './FailureBucket';\n"
    );
    let _ = writeln!(
        w,
        "/** Every run outcome, in display order. */\nexport const OUTCOMES: readonly Outcome[] = {};\n",
        list(Outcome::ALL, |o| ts_string(o.as_str()))
    );
    let _ = writeln!(
        w,
        "/** Every action status, in display order. */\nexport const ACTION_STATUSES: readonly ActionStatus[] = {};\n",
        list(ActionStatus::ALL, |a| ts_string(a.as_str()))
    );
    let _ = writeln!(
        w,
        "/** Every failure-review bucket, in display order. */\nexport const FAILURE_BUCKETS: readonly FailureBucket[] = {};\n",
        list(countersign_core::FailureBucket::ALL, |b| ts_string(
            b.as_str()
        ))
    );
    let hints: Vec<String> = FieldKind::ALL
        .iter()
        .map(|k| {
            let name = serde_json::to_value(k)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!("  {name}: {},", ts_string(k.hint()))
        })
        .collect();
    let _ = writeln!(
        w,
        "/** What a value of each review-field kind looks like (`FieldKind::hint`). */\n\
         export const FIELD_KIND_HINTS: Readonly<Record<FieldKind, string>> = {{\n{}\n}};\n",
        hints.join("\n")
    );
    let _ = writeln!(
        w,
        "/** Run counts stop at this many rows; beyond it `total_capped` is true. */\n\
         export const RUN_COUNT_CAP = {};\n",
        countersign_store::runs::COUNT_CAP
    );
    let _ = writeln!(
        w,
        "/** Kinds of audit events, in display order. */\nexport const AUDIT_KINDS = {} as const;\n",
        list(countersign_core::audit::kinds::ALL, ts_string)
    );
    let ident = countersign_core::IdentityKeys::default();
    let keys = |l: &[String]| list(l.iter(), |k| ts_string(k));
    let _ = writeln!(
        w,
        "/** The metadata keys naming a run's user, tenant and session unless a source sets its own (`IdentityKeys::default`). */\n\
         export const DEFAULT_IDENTITY_KEYS = {{ user_keys: {}, tenant_keys: {}, session_keys: {} }} as const;\n\n\
         /** The backend-config key holding a source's identity keys. */\n\
         export const IDENTITY_CONFIG_KEY = {};\n",
        keys(&ident.user_keys),
        keys(&ident.tenant_keys),
        keys(&ident.session_keys),
        ts_string(countersign_core::identity::BACKEND_CONFIG_KEY)
    );
    let _ = writeln!(
        w,
        "/** Every warning code the review rules give (`review::WARNING_CODES`). */\nexport const WARNING_CODES = {} as const;\n",
        list(countersign_core::review::WARNING_CODES.iter(), |c| {
            ts_string(c)
        })
    );
    let events: Vec<String> = crate::events::ALL
        .iter()
        .map(|(key, name)| format!("  {key}: {},", ts_string(name)))
        .collect();
    let _ = writeln!(
        w,
        "/** Event names the app emits, by the key the typed subscriptions use. */\n\
         export const EVENTS = {{\n{}\n}} as const;\n",
        events.join("\n")
    );
    let _ = writeln!(
        w,
        "/** Default minimum review time; the effective one is `AppInfo.min_review_ms`. */\n\
         export const DEFAULT_MIN_REVIEW_MS = {};\n",
        countersign_core::review::DEFAULT_MIN_REVIEW_MS
    );
    let _ = writeln!(
        w,
        "/** Code point ranges (inclusive) that can hide or reorder text: marked wherever values are shown. */\n\
         export const INVISIBLE_OR_BIDI: readonly (readonly [number, number])[] = {};\n",
        ranges(text::INVISIBLE_OR_BIDI)
    );
    let _ = writeln!(
        w,
        "/** Control characters a display spells out (C0 but tab/LF/CR, DEL, C1, U+2028/9). */\n\
         export const DISPLAY_CONTROLS: readonly (readonly [number, number])[] = {};\n",
        ranges(text::DISPLAY_CONTROLS)
    );
    let _ = writeln!(
        w,
        "/** URL prefixes (case-insensitive) that may be opened in the system browser. */\n\
         export const OPENABLE_URL_SCHEMES: readonly string[] = {};\n",
        list(text::OPENABLE_URL_SCHEMES.iter(), |s| ts_string(s))
    );
    let _ = writeln!(
        w,
        "/** Largest micro-dollar amount a person may type (a JavaScript number holds it exactly). */\n\
         export const MAX_EXACT_MICROS = {MAX_EXACT_IN_JS};\n"
    );
    let _ = writeln!(
        w,
        "/** The Rust rule's answer for each URL (`text::is_openable_url`); the UI's tests check it agrees. */\n\
         export const OPENABLE_URL_EXAMPLES: readonly (readonly [string, boolean])[] = {};\n",
        list(URL_EXAMPLES.iter(), |u| format!(
            "[{}, {}]",
            ts_string(u),
            text::is_openable_url(u)
        ))
    );
    let _ = writeln!(
        w,
        "/** The Rust rule's answer for typed dollars (`Micros::parse_dollar_input`): micros, null (empty) or an error code. */\n\
         export const DOLLAR_INPUT_EXAMPLES: readonly (readonly [string, number | null | {{ error: string }}])[] = {};",
        list(DOLLAR_EXAMPLES.iter(), |t| {
            let answer = match Micros::parse_dollar_input(t) {
                Ok(Some(m)) => m.0.to_string(),
                Ok(None) => "null".to_string(),
                Err(e) => format!("{{ error: {} }}", ts_string(money_code(&e))),
            };
            format!("[{}, {answer}]", ts_string(t))
        })
    );
    s
}

/// Writes the whole generated folder (types, constants, index) into `dir`.
fn generate(dir: &Path) -> Result<(), String> {
    export_types(dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("constants.ts"), constants()).map_err(|e| e.to_string())?;
    let mut names: Vec<String> = files(dir)?
        .into_iter()
        .filter(|n| n != "constants.ts" && n != "index.ts")
        .collect();
    names.sort();
    let mut index = String::from(
        "// Generated from the Rust sources by src-tauri/src/bindings.rs (scripts/gen-types.sh). Do not edit.\n",
    );
    for n in &names {
        let _ = writeln!(
            index,
            "export type * from './{}';",
            n.trim_end_matches(".ts")
        );
    }
    index.push_str("export * from './constants';\n");
    std::fs::write(dir.join("index.ts"), index).map_err(|e| e.to_string())
}

/// Every file under `dir`, as `/`-separated paths relative to it, sorted.
fn files(dir: &Path) -> Result<Vec<String>, String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
        for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                walk(root, &path, out)?;
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ui_types_are_current() -> Result<(), String> {
        let fresh = tempfile::tempdir().map_err(|e| e.to_string())?;
        generate(fresh.path())?;
        let committed = committed_dir();
        if std::env::var("UPDATE_BINDINGS").is_ok_and(|v| v == "1") {
            if committed.exists() {
                std::fs::remove_dir_all(&committed).map_err(|e| e.to_string())?;
            }
            std::fs::create_dir_all(&committed).map_err(|e| e.to_string())?;
            for name in files(fresh.path())? {
                let to = committed.join(&name);
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                }
                std::fs::copy(fresh.path().join(&name), to).map_err(|e| e.to_string())?;
            }
            return Ok(());
        }
        let want = files(fresh.path())?;
        let have = if committed.exists() {
            files(&committed)?
        } else {
            Vec::new()
        };
        let mut stale: Vec<String> = Vec::new();
        for name in want.iter().chain(have.iter()) {
            let a = std::fs::read_to_string(fresh.path().join(name)).ok();
            let b = std::fs::read_to_string(committed.join(name)).ok();
            if a != b && !stale.contains(name) {
                stale.push(name.clone());
            }
        }
        assert!(
            stale.is_empty(),
            "ui/src/api/generated is stale ({}): run scripts/gen-types.sh and commit the result",
            stale.join(", ")
        );
        Ok(())
    }

    #[test]
    fn typescript_string_literals_show_hidden_characters() {
        assert_eq!(ts_string("a'b\\c"), "'a\\'b\\\\c'");
        assert_eq!(ts_string("x\u{202E}\n"), "'x\\u202E\\u000A'");
        assert_eq!(ts_string("\u{1F600}"), "'\\uD83D\\uDE00'");
    }
}
