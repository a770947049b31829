//! Tauri commands, one module per user job. Each is a few lines over the crates.

pub mod approvals;
pub mod audit;
pub mod backends;
pub mod budgets;
pub mod review_gate;
pub mod runs;
pub mod system;
pub mod traces;
