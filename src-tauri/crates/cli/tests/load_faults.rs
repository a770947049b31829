//! Faults under load, with real processes: agent processes report runs and ask approvals
//! through two `countersign backend serve` processes on one PostgreSQL database while a
//! console syncs and a reviewer approves; one server is killed with SIGKILL mid-load, and
//! PostgreSQL is restarted (`pg_ctl stop -m fast`, start on the same port) later in the load.
//! The agents fail over and retry; afterwards the backend's tables must hold every run an
//! agent was acknowledged, no run or action twice, one decision per action and one result per
//! execution, and the console's store every stored run.

mod load;

use load::{Engine, Faults, Options};
use std::time::Duration;

#[test]
fn agents_lose_nothing_and_nothing_runs_twice_through_a_kill_9_and_a_postgres_restart() {
    let o = Options {
        bin: env!("CARGO_BIN_EXE_countersign").into(),
        engine: Engine::Postgres,
        instances: 2,
        agents: 4,
        seconds: 8.0,
        batch: 20,
        sync_interval: Duration::from_millis(200),
        faults: Faults {
            kill_instance_at: Some(0.3),
            restart_postgres_at: Some(0.6),
        },
    };
    let r = load::run(&o).unwrap_or_else(|e| panic!("load run: {e}"));
    eprintln!(
        "{}: {} runs acked, {} stored, {} decisions, {} retries",
        r.label,
        r.acked_runs,
        r.runs_in_db,
        r.decision_wait_ms.len(),
        r.retries
    );
    assert_eq!(r.violations(), Vec::<String>::new());
    assert!(r.retries > 0, "the faults were felt (agents retried)");
    assert!(
        !r.decision_wait_ms.is_empty() && r.executed > 0,
        "approvals went through"
    );
}
