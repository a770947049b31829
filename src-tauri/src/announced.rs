//! What the desktop notifications already announced this session (held in the app state,
//! filled by `notify`).

use std::collections::HashSet;
use std::sync::Mutex;

/// Keys of the items already announced; `None` until the first check recorded what existed.
#[derive(Default)]
pub struct Announced {
    /// The keys, once the first check ran.
    pub seen: Mutex<Option<HashSet<String>>>,
}
