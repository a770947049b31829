//! What the CLI's process tests share: the binary, a reference backend process started with
//! it, and commands that never read the developer's `COUNTERSIGN_STORE`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The `countersign` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_countersign");

/// A reference backend process (`countersign backend serve`), killed by pid when dropped.
pub struct Served {
    child: Child,
    /// Its base URL, read from its first line.
    pub url: String,
    /// Its operator token, read from its second line.
    pub token: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a reference backend on 127.0.0.1 port 0 with `seed_runs` seeded runs and no trickle,
/// its data in `data`, and reads back its address and token.
pub fn serve(data: &Path, seed_runs: u32) -> Served {
    let mut child = Command::new(BIN)
        .args([
            "backend",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--trickle",
            "0",
        ])
        .args(["--seed-runs", &seed_runs.to_string()])
        .arg("--data")
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("backend starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next = |prefix: &str| -> String {
        let line = lines.next().expect("a line").expect("utf-8");
        line.strip_prefix(prefix)
            .unwrap_or_else(|| panic!("expected {prefix:?}, got {line:?}"))
            .to_string()
    };
    let url = next("url: ");
    let token = next("token: ");
    Served { child, url, token }
}

/// A `countersign` command with `args`, without `COUNTERSIGN_STORE` from the environment.
pub fn cmd(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env_remove("COUNTERSIGN_STORE");
    c
}

/// Output bytes as text.
pub fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}
