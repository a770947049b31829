//! Store errors.

/// What can go wrong reading or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused the statement or the file.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A migration failed to apply (its number and SQLite's reason).
    #[error("{0}")]
    Migration(String),
    /// The store was written by a newer Countersign with a schema this build does not know.
    #[error(
        "store {path} has schema version {found}, written by a newer Countersign (this one reads up to {known}); upgrade Countersign to open it"
    )]
    NewerSchema {
        /// The store file.
        path: String,
        /// Its schema version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A command that only reads was pointed at a store file that does not exist.
    #[error(
        "no store at {0} (nothing was created; check the path, or sync a backend into it first)"
    )]
    Missing(String),
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
