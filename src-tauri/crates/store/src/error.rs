//! Store errors.

/// What can go wrong reading or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused the statement or the file.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A migration failed to apply.
    #[error("migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// A stored JSON body could not be read back.
    #[error("stored record is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The caller asked for something that does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The thing to add exists already (a backend URL added twice) and the caller did not ask
    /// to replace it.
    #[error("already exists: {0}")]
    Exists(String),
    /// The caller passed something the store cannot accept.
    #[error("invalid input: {0}")]
    Invalid(String),
}

/// Store result.
pub type Result<T> = std::result::Result<T, StoreError>;
