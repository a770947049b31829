//! The PostgreSQL side: pooled blocking connections (each with its prepared statements), and
//! the listener that turns other server processes' change notifications into local wake-ups.
//!
//! Several server processes share one database. What they must not do twice or beyond a cap is
//! serialised in the database (row locks, advisory locks: see [`super::sql::lock_key`]); what
//! waits on a change elsewhere hears of it through `LISTEN`/`NOTIFY` on [`CHANNEL`].

use super::sql::dollar_placeholders;
use crate::Error;
use crate::wakeups::Wakeups;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, GenericClient, NoTls, Statement};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// The notification channel: the payload is the id of an action that changed.
pub(crate) const CHANNEL: &str = "countersign_action_changed";

/// Prepared statements of one connection, by their `?N` text.
#[derive(Default)]
pub(crate) struct Statements(HashMap<String, Statement>);

impl Statements {
    /// The statement for `sql`, prepared on first use.
    pub(crate) fn get<C: GenericClient>(
        &mut self,
        c: &mut C,
        sql: &str,
    ) -> Result<Statement, Error> {
        if let Some(st) = self.0.get(sql) {
            return Ok(st.clone());
        }
        let st = c.prepare(&dollar_placeholders(sql))?;
        self.0.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

/// A connection and its prepared statements.
pub(crate) struct PgConn {
    client: Client,
    statements: Statements,
    /// The [`Pool::lost`] count when it was opened or last checked.
    epoch: u64,
}

impl PgConn {
    /// The client and the statement cache, borrowed apart.
    pub(crate) fn parts(&mut self) -> (&mut Client, &mut Statements) {
        (&mut self.client, &mut self.statements)
    }

    /// A new transaction with the statement cache beside it.
    pub(crate) fn transaction(
        &mut self,
    ) -> Result<(postgres::Transaction<'_>, &mut Statements), Error> {
        Ok((self.client.transaction()?, &mut self.statements))
    }
}

/// Opens pooled connections to one database URL.
pub(crate) struct Manager {
    config: postgres::Config,
    /// Shared with [`Pool`]: how often the listener lost its connection.
    lost: Arc<AtomicU64>,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        let epoch = self.lost.load(Ordering::Acquire);
        Ok(PgConn {
            client: self.config.connect(NoTls)?,
            statements: Statements::default(),
            epoch,
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}

/// The pool of a server process. Dropping it closes its connections on a thread of their
/// own: closing a blocking client on an async runtime's thread would panic, and the last
/// owner of the server's state may well be an async task.
///
/// A blocking client notices that the database cut its connection only when it next uses it,
/// so after a database restart every idle pooled connection would fail one request. The
/// listener ([`listen`]) hears of a restart first (its connection is always in use): it bumps
/// [`Pool::lost`], and a connection opened before that is checked with a round trip when it
/// is next taken out, and replaced if dead.
pub(crate) struct Pool {
    pool: Option<r2d2::Pool<Manager>>,
    lost: Arc<AtomicU64>,
}

impl Pool {
    /// A connection, waiting for one to be free if all are in use.
    pub(crate) fn get(&self) -> Result<r2d2::PooledConnection<Manager>, Error> {
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| Error::Unavailable("the pool is closed".into()))?;
        // Each stale connection is checked once; a dead one is dropped by the pool when it
        // comes back (`has_broken`), so at most every pooled connection plus a new one.
        for _ in 0..=pool.max_size() {
            let mut conn = pool
                .get()
                .map_err(|e| Error::Unavailable(format!("no database connection: {e}")))?;
            let lost = self.lost.load(Ordering::Acquire);
            if conn.epoch == lost {
                return Ok(conn);
            }
            if conn.client.simple_query("").is_ok() {
                conn.epoch = lost;
                return Ok(conn);
            }
        }
        Err(Error::Unavailable(
            "no live database connection (the database is restarting?)".into(),
        ))
    }

    /// The count the listener bumps each time it loses its connection.
    pub(crate) fn lost_counter(&self) -> Arc<AtomicU64> {
        self.lost.clone()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::Builder::new()
                .name("countersign-pg-close".into())
                .spawn(move || drop(pool));
        }
    }
}

/// Parses `url` (`postgres://user@host:port/db`, libpq's key=value form too).
fn config(url: &str) -> Result<postgres::Config, Error> {
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e| Error::Invalid(format!("database URL: {e}")))?;
    config.application_name("countersign-backend");
    config.connect_timeout(Duration::from_secs(10));
    Ok(config)
}

/// A pool of up to `size` connections to `url`; fails when the database cannot be reached.
pub(crate) fn pool(url: &str, size: u32) -> Result<Pool, Error> {
    let lost = Arc::new(AtomicU64::new(0));
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        // A broken connection is noticed by `has_broken`; a round trip per checkout would
        // double the cost of small requests.
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(30))
        .build(Manager {
            config: config(url)?,
            lost: lost.clone(),
        })
        .map_err(|e| Error::Unavailable(format!("cannot reach the database: {e}")))?;
    Ok(Pool {
        pool: Some(pool),
        lost,
    })
}

/// Whether `e` means the connection is gone (the database restarted or is shutting down)
/// rather than that the statement failed: the request may be tried again.
pub(crate) fn connection_lost(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        // Class 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now.
        Some(code) => {
            let c = code.code();
            c.starts_with("08") || c.starts_with("57P")
        }
        // No SQLSTATE: the socket failed under the client.
        None => e.as_db_error().is_none(),
    }
}

/// Listens on [`CHANNEL`] on its own connection in a thread of its own, waking local waiters
/// on each notification (and dropping a revoked key from `keys`), until `stop` is set. When the
/// connection drops (the database restarted) it bumps `lost` (the pool then checks its older
/// connections before use), drops every cached key, reconnects and wakes every waiter, since
/// notifications sent meanwhile were lost; waiters re-read the action either way.
pub(crate) fn listen(
    url: &str,
    wakeups: Arc<Wakeups>,
    keys: Arc<super::keys::KeyCache>,
    lost: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Result<std::thread::JoinHandle<()>, Error> {
    let config = config(url)?;
    let mut first = Some(connect_listener(&config)?);
    std::thread::Builder::new()
        .name("countersign-pg-listen".into())
        .spawn(move || {
            let mut backoff = Duration::from_millis(50);
            while !stop.load(Ordering::Relaxed) {
                let mut client = match first.take() {
                    Some(c) => c,
                    None => match connect_listener(&config) {
                        Ok(c) => {
                            backoff = Duration::from_millis(50);
                            // Revocations may have been missed while away.
                            keys.clear();
                            wakeups.wake_all();
                            c
                        }
                        Err(e) => {
                            tracing::warn!("database listener: {e}; retrying");
                            // Reconnect back-off (not synchronisation): the database is away.
                            std::thread::sleep(backoff);
                            backoff = (backoff * 2).min(Duration::from_secs(2));
                            continue;
                        }
                    },
                };
                drain(&mut client, &wakeups, &keys, &stop);
                keys.clear();
                // The connection is gone: so, likely, is every pooled one.
                lost.fetch_add(1, Ordering::AcqRel);
            }
        })
        .map_err(Error::Io)
}

/// A connection listening on [`CHANNEL`].
fn connect_listener(config: &postgres::Config) -> Result<Client, Error> {
    let mut client = config.connect(NoTls)?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    Ok(client)
}

/// Wakes waiters for each notification until the connection fails or `stop` is set (checked
/// at least every 200 ms).
fn drain(client: &mut Client, wakeups: &Wakeups, keys: &super::keys::KeyCache, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        {
            let mut notes = client.notifications();
            let mut it = notes.timeout_iter(Duration::from_millis(200));
            loop {
                match it.next() {
                    Ok(Some(n)) => match n.payload().strip_prefix(super::keys::REVOKED_PREFIX) {
                        Some(h) => keys.drop_key(h),
                        None => wakeups.wake(n.payload()),
                    },
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!("database listener lost its connection: {e}");
                        return;
                    }
                }
            }
        }
        if client.is_closed() {
            return;
        }
    }
}
