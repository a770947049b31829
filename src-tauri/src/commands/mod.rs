//! Tauri commands, one module per user job. Each is a few lines over the crates.

pub mod admin;
pub mod approvals;
pub mod audit;
pub mod autonomy;
pub mod backend_edit;
pub mod backends;
pub mod budgets;
pub mod failures;
pub mod golden;
pub mod golden_langgraph;
pub mod identity_keys;
pub mod keys;
pub mod review_gate;
pub mod runs;
pub mod system;
pub mod traces;
pub mod trust;

#[cfg(test)]
mod settings_audit_tests;
