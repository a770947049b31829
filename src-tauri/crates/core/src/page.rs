//! One page of an incremental listing, as every `/v1` list endpoint answers.

use serde::{Deserialize, Serialize};

/// A page of items in change order plus the cursor to resume after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// Items, oldest change first.
    pub items: Vec<T>,
    /// Opaque cursor: pass it back to get the changes after this page.
    pub next_cursor: String,
    /// Whether more changes are waiting now.
    pub has_more: bool,
}
