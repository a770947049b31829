//! The audit anchor: `GET /v1/audit/key` publishes the backend's Ed25519 key;
//! `POST /v1/audit/checkpoints` countersigns a console's chain head (signed by its
//! installation key) and keeps it; `GET /v1/audit/checkpoints?installation_key=` lists what was
//! kept, so an auditor can ask for receipts a bundle left out.
//!
//! Signed bytes (`docs/audit.md`): the console signs `countersign-checkpoint/1\n` + the
//! canonical JSON of `{at, head_hash, installation_key, seq}`; the backend signs
//! `countersign-checkpoint-receipt/1\n` + the canonical JSON of the receipt without
//! `signature`.

use super::problem::{Problem, problem};
use super::{ApiResult, AppState, json_response, parse_body, with_db};
use crate::db::sql::{Conn, Sql, args, lock_key};
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use countersign_core::audit::{canonical_json, format_at, sha256_hex};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::Deserialize;
use serde_json::{Value, json};

const CHECKPOINT_DOMAIN: &str = "countersign-checkpoint/1\n";
const RECEIPT_DOMAIN: &str = "countersign-checkpoint-receipt/1\n";
const RECEIPT_FORMAT: &str = "countersign-checkpoint-receipt/1";

/// The body of `POST /v1/audit/checkpoints`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Checkpoint {
    installation_key: String,
    seq: u64,
    head_hash: String,
    at: String,
    signature: String,
}

/// A key's fingerprint: the first 16 bytes of SHA-256 of its raw bytes, in groups of four
/// hex digits.
fn fingerprint(key: &[u8; 32]) -> String {
    let h = sha256_hex(key);
    h.as_bytes()[..32]
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// `GET /v1/audit/key`, open to all: the key receipts are signed with.
pub(super) async fn key(st: AppState) -> ApiResult {
    let public = st.audit_key.verifying_key().to_bytes();
    Ok(json_response(
        json!({
            "algorithm": "ed25519",
            "public_key": hex::encode(public),
            "fingerprint": fingerprint(&public),
        })
        .to_string(),
    ))
}

fn invalid(detail: &str) -> Problem {
    problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-checkpoint",
        "Invalid checkpoint",
        detail,
    )
}

/// Exactly `n` bytes from lowercase hex.
fn lower_hex<const N: usize>(text: &str, what: &str) -> Result<[u8; N], Problem> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(invalid(&format!("{what} must be lowercase hex")));
    }
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| invalid(&format!("{what} must be {} hex digits", N * 2)))
}

/// Checks a checkpoint's fields and its installation signature.
fn check(c: &Checkpoint) -> Result<(), Problem> {
    let key_bytes = lower_hex::<32>(&c.installation_key, "installation_key")?;
    lower_hex::<32>(&c.head_hash, "head_hash")?;
    let sig = lower_hex::<64>(&c.signature, "signature")?;
    if c.seq == 0 {
        return Err(invalid("seq counts from 1"));
    }
    DateTime::parse_from_rfc3339(&c.at)
        .map_err(|e| invalid(&format!("at is not an RFC 3339 time: {e}")))?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| invalid("installation_key is not an Ed25519 key"))?;
    let signed = canonical_json(&json!({
        "installation_key": c.installation_key,
        "seq": c.seq,
        "head_hash": c.head_hash,
        "at": c.at,
    }));
    key.verify_strict(
        &[CHECKPOINT_DOMAIN.as_bytes(), signed.as_bytes()].concat(),
        &Signature::from_bytes(&sig),
    )
    .map_err(|_| invalid("signature does not match the checkpoint and installation_key"))
}

/// The receipt for `c`, received now, signed by `key`.
fn countersign(key: &SigningKey, c: &Checkpoint, now: DateTime<Utc>) -> Value {
    let mut r = json!({
        "format": RECEIPT_FORMAT,
        "installation_key": c.installation_key,
        "seq": c.seq,
        "head_hash": c.head_hash,
        "at": c.at,
        "installation_signature": c.signature,
        "backend_key": hex::encode(key.verifying_key().to_bytes()),
        "received_at": format_at(now),
    });
    let signed = [RECEIPT_DOMAIN.as_bytes(), canonical_json(&r).as_bytes()].concat();
    r["signature"] = json!(hex::encode(key.sign(&signed).to_bytes()));
    r
}

/// Keeps the receipt for `c`, or answers with the one kept for the same seq and hash; a
/// different hash for a seq already countersigned is a fork of the chain (409).
fn keep(
    conn: &mut Conn<'_>,
    key: &SigningKey,
    subject: &str,
    c: &Checkpoint,
) -> Result<(StatusCode, String), Problem> {
    let mut tx = conn.begin()?;
    lock_key(
        &mut tx,
        &format!("checkpoint:{}:{}", c.installation_key, c.seq),
    )?;
    let kept = tx.row(
        "SELECT head_hash, received_at, receipt FROM audit_checkpoints
         WHERE installation_key = ?1 AND seq = ?2",
        args![c.installation_key, c.seq as i64],
    )?;
    if let Some(mut r) = kept {
        let (hash, received_at, receipt) = (r.text(0)?, r.text(1)?, r.text(2)?);
        if hash == c.head_hash {
            return Ok((StatusCode::OK, receipt));
        }
        return Err(problem(
            StatusCode::CONFLICT,
            "checkpoint-conflict",
            "Seq already countersigned with another hash",
            &format!(
                "seq {} of this installation was countersigned with hash {hash} at \
                 {received_at}; the chain was rewritten or forked",
                c.seq
            ),
        )
        .with("countersigned_hash", json!(hash)));
    }
    let receipt = countersign(key, c, Utc::now());
    let text = canonical_json(&receipt);
    tx.exec(
        "INSERT INTO audit_checkpoints(installation_key, seq, head_hash, received_at, subject,
             receipt) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![
            c.installation_key,
            c.seq as i64,
            c.head_hash,
            receipt["received_at"].as_str().unwrap_or_default(),
            subject,
            text
        ],
    )?;
    tx.commit()?;
    Ok((StatusCode::CREATED, text))
}

/// `POST /v1/audit/checkpoints`: countersigns and keeps a chain head; any authenticated
/// caller. 201 with a new receipt, 200 with the kept one for a repeat.
pub(super) async fn post(
    st: AppState,
    axum::extract::Extension(who): axum::extract::Extension<countersign_core::Whoami>,
    body: Bytes,
) -> ApiResult {
    let c: Checkpoint = parse_body(&body)?;
    check(&c)?;
    let key = st.audit_key.clone();
    let (status, text) = with_db(&st.0, move |conn| keep(conn, &key, &who.subject, &c)).await?;
    let mut resp = json_response(text);
    *resp.status_mut() = status;
    Ok(resp.into_response())
}

/// Query of `GET /v1/audit/checkpoints`.
#[derive(Deserialize)]
pub(super) struct ListQuery {
    installation_key: String,
}

/// `GET /v1/audit/checkpoints?installation_key=`: every receipt kept for an installation, by
/// seq.
pub(super) async fn list(st: AppState, Query(q): Query<ListQuery>) -> ApiResult {
    let items = with_db(&st.0, move |conn| {
        let mut out = Vec::new();
        for mut r in conn.rows(
            "SELECT receipt FROM audit_checkpoints WHERE installation_key = ?1 ORDER BY seq",
            args![q.installation_key.trim().to_ascii_lowercase()],
        )? {
            out.push(r.text(0)?);
        }
        Ok(out)
    })
    .await?;
    Ok(json_response(format!(
        "{{\"items\":[{}]}}",
        items.join(",")
    )))
}
