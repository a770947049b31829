//! Throwaway PostgreSQL clusters for tests.
//!
//! [`Cluster::start`] finds the server binaries (`/usr/lib/postgresql/*/bin`, the newest, or
//! `$COUNTERSIGN_PG_BIN`), runs `initdb` into a fresh temp folder (as the `postgres` user
//! through `runuser` when the tests run as root, since `initdb` refuses root), starts it with
//! `pg_ctl` on a free 127.0.0.1 port with its socket in that folder, and stops it by the
//! postmaster's PID when dropped. [`shared`] is one cluster per test process, stopped by a
//! small watchdog process when the test process ends (statics are never dropped); tests take a
//! fresh database of it each with [`Cluster::fresh_database`].
//!
//! No system service is used or touched.

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The role tests connect as (created by `initdb -U`, trusted on loopback).
pub const USER: &str = "countersign";

/// How to install the binaries when they are missing.
const INSTALL_HINT: &str = "install PostgreSQL's server binaries with \
     `apt-get install -y --no-install-recommends postgresql` (scripts/setup.sh does)";

/// A running throwaway cluster. Dropping it stops the server (by PID) and removes its folder.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    pid: u32,
    /// Whether commands run as `postgres` through `runuser` (the tests run as root).
    as_postgres: bool,
    counter: AtomicU64,
}

/// The folder of `initdb`, `pg_ctl` and `psql`.
pub fn bin_dir() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("COUNTERSIGN_PG_BIN") {
        let dir = PathBuf::from(dir);
        if dir.join("pg_ctl").exists() {
            return Ok(dir);
        }
        return Err(format!(
            "COUNTERSIGN_PG_BIN={} has no pg_ctl; {INSTALL_HINT}",
            dir.display()
        ));
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    let version = e.file_name().to_str()?.parse::<u32>().ok()?;
                    let bin = e.path().join("bin");
                    (bin.join("initdb").exists() && bin.join("pg_ctl").exists())
                        .then_some((version, bin))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().map(|(_, bin)| bin).ok_or_else(|| {
        format!(
            "PostgreSQL server binaries not found in {}/*/bin: {INSTALL_HINT}",
            root.display()
        )
    })
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("local_addr: {e}"))
}

/// A new empty folder under the temp dir.
fn temp_folder() -> Result<PathBuf, String> {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!(
        "countersign-pg-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Runs `cmd` to completion; its output becomes the error when it fails.
fn run(mut cmd: Command, what: &str) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether process `pid` still runs (a zombie waiting to be reaped by init does not).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses: `PID (comm) S ...`.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

impl Cluster {
    /// Initialises and starts a new cluster (about two seconds).
    pub fn start() -> Result<Cluster, String> {
        let bin = bin_dir()?;
        let dir = temp_folder()?;
        let me = std::fs::metadata(&dir)
            .map_err(|e| format!("stat {}: {e}", dir.display()))?
            .uid();
        let as_postgres = me == 0;
        if as_postgres {
            let ids = run(
                {
                    let mut c = Command::new("id");
                    c.args(["-u", "postgres"]);
                    c
                },
                "id -u postgres (the package creates that user)",
            )?;
            let uid: u32 = ids
                .trim()
                .parse()
                .map_err(|_| "id -u postgres".to_string())?;
            std::os::unix::fs::chown(&dir, Some(uid), None)
                .map_err(|e| format!("chown {}: {e}", dir.display()))?;
        }
        let mut cluster = Cluster {
            dir,
            bin,
            port: 0,
            pid: 0,
            as_postgres,
            counter: AtomicU64::new(0),
        };
        let data = cluster.data();
        let mut init = cluster.command("initdb");
        init.arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", USER, "-E", "UTF8", "--locale=C"])
            .args(["--no-sync", "--no-instructions"]);
        run(init, "initdb")?;
        // The port is free when picked but may be taken before the server binds it: retry.
        let mut last = String::new();
        for _ in 0..5 {
            cluster.port = free_port()?;
            match cluster.pg_ctl_start() {
                Ok(pid) => {
                    cluster.pid = pid;
                    return Ok(cluster);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The cluster's data folder (inside the temp folder, which also holds the socket).
    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A command for binary `name` of the cluster's version, as `postgres` when root.
    fn command(&self, name: &str) -> Command {
        let exe = self.bin.join(name);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    /// Starts the server (`pg_ctl start -w` returns once it accepts connections) and
    /// returns the postmaster's PID.
    fn pg_ctl_start(&self) -> Result<u32, String> {
        let data = self.data();
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir.display()
        );
        let mut start = self.command("pg_ctl");
        start
            .arg("-D")
            .arg(&data)
            .args(["-o", &opts, "-l"])
            .arg(self.dir.join("log"))
            .args(["-w", "-t", "60", "start"])
            .stdout(Stdio::null());
        if let Err(e) = run(start, "pg_ctl start") {
            let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
            return Err(format!("{e}\nserver log:\n{log}"));
        }
        let pidfile = std::fs::read_to_string(data.join("postmaster.pid"))
            .map_err(|e| format!("read postmaster.pid: {e}"))?;
        pidfile
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| "postmaster.pid has no PID".to_string())
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The postmaster's PID.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The URL of database `db` (`postgres://countersign@127.0.0.1:PORT/db`).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates database `name` (lowercase letters, digits, `_`) and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(format!("database name {name:?}: use [a-z0-9_]"));
        }
        let mut psql = Command::new(self.bin.join("psql"));
        psql.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.url("postgres"))
            .args(["-c", &format!("CREATE DATABASE {name}")]);
        run(psql, "psql CREATE DATABASE")?;
        Ok(self.url(name))
    }

    /// A new database with a unique name; returns its URL.
    pub fn fresh_database(&self) -> Result<String, String> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.create_database(&format!("t{}_{n}", std::process::id()))
    }

    /// Restarts the server on the same port and folder, as an operator would: `pg_ctl stop
    /// -m fast` (every connection is cut, open transactions roll back) and, once it is down,
    /// `pg_ctl start` again. Clients see their connections fail until it is back.
    pub fn restart(&mut self) -> Result<(), String> {
        let mut stop = self.command("pg_ctl");
        stop.arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "-t", "60", "stop"])
            .stdout(Stdio::null());
        run(stop, "pg_ctl stop -m fast")?;
        // `pg_ctl -w` returns once the PID file is gone, a moment before the process exits.
        let deadline = Instant::now() + Duration::from_secs(30);
        while alive(self.pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if alive(self.pid) {
            return Err(format!("postmaster {} still running after stop", self.pid));
        }
        self.pid = self.pg_ctl_start()?;
        Ok(())
    }

    /// Stops the server by its PID (fast shutdown: SIGINT) and waits until it is gone.
    fn stop(&self) {
        if self.pid == 0 || !alive(self.pid) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-INT", &self.pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // Bounded wait for the postmaster to finish its shutdown (it is not our child, so it
        // cannot be waited on).
        let deadline = Instant::now() + Duration::from_secs(30);
        while alive(self.pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One cluster for the whole test process, started on first use. A watchdog process stops it
/// (by PID) and removes its folder when this process exits, however it exits.
pub fn shared() -> Result<&'static Cluster, String> {
    static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let c = Cluster::start()?;
            let script = format!(
                "tail --pid={me} -f /dev/null; kill -INT {pg}; \
                 while kill -0 {pg} 2>/dev/null; do sleep 0.05; done; rm -rf '{dir}'",
                me = std::process::id(),
                pg = c.pid,
                dir = c.dir.display()
            );
            Command::new("sh")
                .args(["-c", &script])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("start the cluster's watchdog: {e}"))?;
            Ok(c)
        })
        .as_ref()
        .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_starts_serves_a_fresh_database_and_stops_by_pid() -> Result<(), String> {
        let c = Cluster::start()?;
        let url = c.fresh_database()?;
        assert!(url.starts_with(&format!("postgres://{USER}@127.0.0.1:{}/t", c.port())));
        let mut psql = Command::new(c.bin.join("psql"));
        psql.args(["-X", "-At", "-d", &url, "-c", "SELECT 40 + 2"]);
        assert_eq!(run(psql, "psql")?.trim(), "42");
        let (pid, dir) = (c.pid(), c.dir.clone());
        assert!(alive(pid));
        drop(c);
        assert!(!alive(pid), "postmaster {pid} still running");
        assert!(!dir.exists());
        Ok(())
    }

    #[test]
    fn a_restarted_cluster_serves_the_same_data_on_the_same_port() -> Result<(), String> {
        let mut c = Cluster::start()?;
        let url = c.fresh_database()?;
        let psql = |c: &Cluster, sql: &str| {
            let mut p = Command::new(c.bin.join("psql"));
            p.args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", &url, "-c", sql]);
            run(p, "psql")
        };
        psql(&c, "CREATE TABLE t(x int); INSERT INTO t VALUES (42)")?;
        let (port, pid) = (c.port(), c.pid());
        c.restart()?;
        assert_eq!(c.port(), port);
        assert!(!alive(pid), "the old postmaster {pid} is gone");
        assert!(alive(c.pid()));
        assert_eq!(psql(&c, "SELECT x FROM t")?.trim(), "42");
        Ok(())
    }

    #[test]
    fn bad_database_names_are_refused() -> Result<(), String> {
        let c = shared()?;
        assert!(c.create_database("x; DROP").is_err());
        Ok(())
    }
}
