//! Countersign's domain model: what a run, a tool call, a citation, a pending high-risk write
//! and a budget are, and the pure rules over them. This crate does no I/O and knows nothing of
//! Tauri, SQLite or HTTP, so every rule here is testable headless.

pub mod action;
pub mod amount_text;
pub mod audit;
pub mod authority;
pub mod autonomy;
pub mod backend;
pub mod budget;
pub mod csv;
pub mod failure;
pub mod field;
pub mod golden;
pub mod identity;
pub mod lookalike;
pub mod money;
pub mod page;
pub mod review;
pub mod run;
pub mod run_record;
pub mod text;

pub use action::{
    ActionBatch, ActionStatus, ConfirmMode, Decision, DecisionKind, FieldKind, PendingAction,
    ReviewField, RiskLevel, TargetRecord,
};
pub use autonomy::{AutonomyLevel, AutonomySetting, WorkflowAutonomy, WriteTreatment};
pub use backend::{KnowledgeSource, Role, SourceDoc, Whoami};
pub use budget::{Budget, BudgetLimits, BudgetScope, Enforcement, Period, ScopeKind};
pub use failure::{Evidence, FailureBucket, FailureRules, Signal, Suggestion};
pub use field::{KindSource, PolicyMax};
pub use identity::IdentityKeys;
pub use money::{Micros, MoneyError};
pub use page::Page;
pub use run::{
    Citation, Outcome, PolicyCheck, RecordChange, Run, RunSummary, TokenUsage, ToolCall,
};
pub use run_record::{CitationFacts, RunColumns};
