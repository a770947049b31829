//! Load benchmark: K agent processes report runs and ask approvals against (a) one
//! `countersign backend serve` on SQLite and (b) two on one PostgreSQL database, while a
//! console syncs and a reviewer approves. Prints, side by side: runs/s ingested (counted in
//! the backend's `runs` table), decision-wait latency (decision posted → the agent's long-poll
//! returned) and console sync lag (run acknowledged → in the console's store), and checks that
//! nothing was lost or done twice.
//!
//! ```text
//! cargo bench -p countersign-cli --bench load -- [--agents K] [--seconds S] [--batch B]
//!     [--instances N] [--sync-interval-ms MS] [--only sqlite|postgres] [--faults]
//! ```
//!
//! `--faults` adds a PostgreSQL column under faults: kill -9 of one instance at 30 % of the
//! load and a PostgreSQL restart (fast stop + start) at 60 %.

#[path = "../tests/load/mod.rs"]
mod load;

use load::{Engine, Faults, Options, Report, percentile};
use std::time::Duration;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let only: String = arg(&args, "--only", String::new());
    let base = Options {
        bin: env!("CARGO_BIN_EXE_countersign").into(),
        engine: Engine::Sqlite,
        instances: arg(&args, "--instances", 2),
        agents: arg(&args, "--agents", 8),
        seconds: arg(&args, "--seconds", 15.0),
        batch: arg(&args, "--batch", 50),
        sync_interval: Duration::from_millis(arg(&args, "--sync-interval-ms", 250)),
        faults: Faults::default(),
    };
    eprintln!(
        "{} agent processes, {} s, {} runs per request, console sync every {} ms",
        base.agents,
        base.seconds,
        base.batch,
        base.sync_interval.as_millis()
    );
    let mut reports: Vec<Report> = Vec::new();
    let mut runs = Vec::new();
    if only.is_empty() || only == "sqlite" {
        runs.push(Options {
            engine: Engine::Sqlite,
            ..base.clone()
        });
    }
    if only.is_empty() || only == "postgres" {
        runs.push(Options {
            engine: Engine::Postgres,
            ..base.clone()
        });
    }
    if args.iter().any(|a| a == "--faults") {
        runs.push(Options {
            engine: Engine::Postgres,
            faults: Faults {
                kill_instance_at: Some(0.3),
                restart_postgres_at: Some(0.6),
            },
            ..base.clone()
        });
    }
    let mut failed = false;
    for o in &runs {
        eprintln!("running {:?}…", o.engine);
        match load::run(o) {
            Ok(mut r) => {
                if o.faults != Faults::default() {
                    r.label.push_str(", kill -9 + PG restart");
                }
                let v = r.violations();
                if !v.is_empty() {
                    eprintln!("{}: {}", r.label, v.join("; "));
                    failed = true;
                }
                reports.push(r);
            }
            Err(e) => {
                eprintln!("{:?}: {e}", o.engine);
                failed = true;
            }
        }
    }
    print_table(&reports);
    if failed {
        std::process::exit(1);
    }
}

fn print_table(reports: &[Report]) {
    let row = |name: &str, f: &dyn Fn(&Report) -> String| {
        let mut line = format!("{name:<36}");
        for r in reports {
            line.push_str(&format!("{:>46}", f(r)));
        }
        println!("{line}");
    };
    row("", &|r| r.label.clone());
    row("runs/s ingested (runs table)", &|r| {
        format!("{:.0}", r.runs_per_s())
    });
    row("runs stored / acknowledged", &|r| {
        format!("{} / {}", r.runs_in_db, r.acked_runs)
    });
    row("decisions waited on", &|r| {
        r.decision_wait_ms.len().to_string()
    });
    row("decision wait p50 / p99 (ms)", &|r| {
        format!(
            "{:.1} / {:.1}",
            percentile(&r.decision_wait_ms, 50.0),
            percentile(&r.decision_wait_ms, 99.0)
        )
    });
    row("console sync lag p50 / p99 (ms)", &|r| {
        format!(
            "{:.0} / {:.0}",
            percentile(&r.sync_lag_ms, 50.0),
            percentile(&r.sync_lag_ms, 99.0)
        )
    });
    row("console sync lag max (ms)", &|r| {
        format!("{:.0}", percentile(&r.sync_lag_ms, 100.0))
    });
    row("lost / duplicated runs", &|r| {
        format!("{} / {}", r.lost_runs, r.duplicate_runs)
    });
    row("actions asked / stored", &|r| {
        format!("{} / {}", r.actions_asked, r.actions_in_db)
    });
    row("decided twice / executed twice", &|r| {
        format!("{} / {}", r.decided_twice, r.executed_twice)
    });
    row("executions / results stored", &|r| {
        format!("{} / {}", r.executed, r.results_in_db)
    });
    row("agent retries / failed sync passes", &|r| {
        format!("{} / {}", r.retries, r.sync_errors)
    });
}
