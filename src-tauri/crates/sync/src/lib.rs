//! Countersign's sync engine. A [`client::Client`] speaks the backend protocol (`/v1`) over
//! HTTP with timeouts, bounded bodies and retries; [`plan`] turns a fetched page into what to
//! store and what to quarantine (pure, no I/O); [`kit`] is the one sync loop every connector
//! runs through, applying each page in one store transaction together with its cursor, so a
//! crash at any point resumes without loss or duplicates; [`engine`] is the native connector.

pub mod applier;
pub mod checkpoint;
pub mod client;
pub mod decide;
pub mod engine;
pub mod error;
pub mod kit;
pub mod outbox;
pub mod plan;
pub mod retry;
pub mod transport;

pub use applier::Applier;
pub use client::{Client, ClientOptions};
pub use engine::{index_search, sync_backend};
pub use error::{ErrorView, SyncError};
pub use kit::{Cancel, Progress, SyncOptions, SyncReport};
