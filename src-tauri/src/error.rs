//! The error every command returns: `{code, message}`, so the UI can say what to do.

use serde::Serialize;

/// A command failure as the UI receives it.
#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(rename = "ApiError")]
pub struct CmdError {
    /// Stable code (`backend_unreachable`, `not_found`, `invalid_input`, `store`, ...).
    pub code: &'static str,
    /// Human message.
    pub message: String,
}

impl CmdError {
    /// An error with a code and message.
    pub fn new(code: &'static str, message: impl Into<String>) -> CmdError {
        CmdError {
            code,
            message: message.into(),
        }
    }
}

impl From<countersign_store::StoreError> for CmdError {
    fn from(e: countersign_store::StoreError) -> CmdError {
        let code = match e {
            countersign_store::StoreError::NotFound(_) => "not_found",
            countersign_store::StoreError::Invalid(_) => "invalid_input",
            countersign_store::StoreError::Exists(_) => "backend_exists",
            _ => "store",
        };
        tracing::warn!(code, error = %e, "store error");
        CmdError::new(code, e.to_string())
    }
}

impl From<countersign_sync::SyncError> for CmdError {
    fn from(e: countersign_sync::SyncError) -> CmdError {
        CmdError::new(e.code(), e.to_string())
    }
}

impl From<tauri::Error> for CmdError {
    fn from(e: tauri::Error) -> CmdError {
        CmdError::new("internal", e.to_string())
    }
}

/// Command result.
pub type CmdResult<T> = Result<T, CmdError>;
