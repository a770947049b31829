//! Sync errors, each with a stable code the UI can act on.

use serde::{Deserialize, Serialize};

/// What can go wrong talking to a backend or applying what it sent.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Connection refused, reset, timed out, or the body was cut off — after all retries.
    #[error("backend unreachable: {0}")]
    Unreachable(String),
    /// The backend refused the token (401).
    #[error("backend refused the token: {0}")]
    Unauthorized(String),
    /// The token lacks the role for this request (403).
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The backend answered with an error status it explained (problem+json detail).
    #[error("backend error {status}: {detail}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Problem detail or body excerpt.
        detail: String,
    },
    /// The backend answered something that is not the protocol (bad page shape, too large).
    #[error("backend broke the protocol: {0}")]
    Protocol(String),
    /// A token would travel over plain http to a host that is not this machine, and the admin
    /// has not allowed plain http for this backend.
    #[error("{0}")]
    PlainHttp(String),
    /// The backend redirected to another origin; the redirect was not followed, so no
    /// credential reached it.
    #[error("{0}")]
    Redirected(String),
    /// Writing to the local store failed; nothing of the failing page was kept.
    #[error("store: {0}")]
    Store(#[from] countersign_store::StoreError),
    /// The user cancelled the sync; pages applied before stay applied.
    #[error("sync cancelled")]
    Cancelled,
}

impl SyncError {
    /// Stable machine code (`backend_unreachable`, `unauthorized`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Unreachable(_) => "backend_unreachable",
            SyncError::Unauthorized(_) => "unauthorized",
            SyncError::Forbidden(_) => "forbidden",
            SyncError::Status { status: 409, .. } => "conflict",
            SyncError::Status { status: 404, .. } => "not_found",
            SyncError::Status {
                status: 400 | 422, ..
            } => "invalid_input",
            SyncError::Status { .. } => "backend_error",
            SyncError::Protocol(_) => "protocol",
            SyncError::PlainHttp(_) => "plain_http_refused",
            SyncError::Redirected(_) => "redirect_refused",
            SyncError::Store(_) => "store",
            SyncError::Cancelled => "cancelled",
        }
    }

    /// Serialisable `{code, message}` for reports and the UI.
    pub fn view(&self) -> ErrorView {
        ErrorView {
            code: self.code().to_string(),
            message: self.to_string(),
        }
    }
}

/// An error as the UI receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ErrorView {
    /// Stable code.
    pub code: String,
    /// Human message.
    pub message: String,
}
