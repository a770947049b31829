//! The one SQL interface the backend's storage is written against, with a SQLite and a
//! PostgreSQL implementation.
//!
//! Statements are written once, in the SQL both engines speak (text and 64-bit integer
//! columns, `?N` placeholders, `ON CONFLICT`, `CAST(... AS BIGINT)` around sums); the
//! PostgreSQL side rewrites `?N` to `$N` and prepares each statement once per connection.
//! Where the engines must differ (locks, change order, schema) the caller asks
//! [`Sql::engine`].

use super::pg::PgConn;
use crate::Error;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// Which engine a connection speaks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    /// One SQLite file, one connection behind a mutex.
    Sqlite,
    /// A PostgreSQL database, possibly shared by several server processes.
    Postgres,
}

/// A value bound to a statement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum P<'a> {
    /// SQL NULL.
    Null,
    /// An integer (bound to whatever integer or text type the column has).
    Int(i64),
    /// Text.
    Text(&'a str),
}

/// Anything that binds as a [`P`].
pub(crate) trait Param {
    /// The bound value.
    fn p(&self) -> P<'_>;
}

impl Param for str {
    fn p(&self) -> P<'_> {
        P::Text(self)
    }
}
impl Param for String {
    fn p(&self) -> P<'_> {
        P::Text(self)
    }
}
impl Param for i64 {
    fn p(&self) -> P<'_> {
        P::Int(*self)
    }
}
impl Param for i32 {
    fn p(&self) -> P<'_> {
        P::Int(i64::from(*self))
    }
}
impl Param for u32 {
    fn p(&self) -> P<'_> {
        P::Int(i64::from(*self))
    }
}
impl Param for bool {
    fn p(&self) -> P<'_> {
        P::Int(i64::from(*self))
    }
}
impl<T: Param + ?Sized> Param for &T {
    fn p(&self) -> P<'_> {
        (**self).p()
    }
}
impl<T: Param> Param for Option<T> {
    fn p(&self) -> P<'_> {
        self.as_ref().map_or(P::Null, Param::p)
    }
}

/// Binds a list of values: `args![a, b]` is `&[P]`.
macro_rules! args {
    ($($e:expr),* $(,)?) => {
        &[$($crate::db::sql::Param::p(&$e)),*]
    };
}
pub(crate) use args;

/// A value read from a row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum V {
    /// SQL NULL.
    Null,
    /// An integer (booleans read as 0 or 1).
    Int(i64),
    /// Text.
    Text(String),
}

/// One result row.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Row(pub Vec<V>);

impl Row {
    fn bad(i: usize, want: &str, got: &V) -> Error {
        Error::Invalid(format!("column {i}: expected {want}, found {got:?}"))
    }

    /// Column `i` as an integer.
    pub(crate) fn int(&self, i: usize) -> Result<i64, Error> {
        match self.0.get(i) {
            Some(V::Int(v)) => Ok(*v),
            other => Err(Self::bad(i, "an integer", other.unwrap_or(&V::Null))),
        }
    }

    /// Column `i` as an integer, or `None` for NULL.
    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>, Error> {
        match self.0.get(i) {
            Some(V::Null) => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    /// Column `i` as text (taken out of the row).
    pub(crate) fn text(&mut self, i: usize) -> Result<String, Error> {
        match self.0.get_mut(i) {
            Some(V::Text(s)) => Ok(std::mem::take(s)),
            other => Err(Self::bad(i, "text", &other.cloned().unwrap_or(V::Null))),
        }
    }

    /// Column `i` as text, or `None` for NULL (taken out of the row).
    pub(crate) fn opt_text(&mut self, i: usize) -> Result<Option<String>, Error> {
        match self.0.get(i) {
            Some(V::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
}

/// Runs statements: a connection in autocommit mode or an open transaction.
pub(crate) trait Sql {
    /// The engine behind it.
    fn engine(&self) -> Engine;
    /// Runs one statement; returns the rows it changed.
    fn exec(&mut self, sql: &str, args: &[P<'_>]) -> Result<u64, Error>;
    /// Runs one query; returns every row.
    fn rows(&mut self, sql: &str, args: &[P<'_>]) -> Result<Vec<Row>, Error>;

    /// The first row of a query, if any.
    fn row(&mut self, sql: &str, args: &[P<'_>]) -> Result<Option<Row>, Error> {
        Ok(self.rows(sql, args)?.into_iter().next())
    }

    /// The first column of the first row as an integer (0 without rows).
    fn int(&mut self, sql: &str, args: &[P<'_>]) -> Result<i64, Error> {
        match self.row(sql, args)? {
            Some(r) => r.int(0),
            None => Ok(0),
        }
    }

    /// The first column of the first row as text, if there is a row and it is not NULL.
    fn text(&mut self, sql: &str, args: &[P<'_>]) -> Result<Option<String>, Error> {
        match self.row(sql, args)? {
            Some(mut r) => r.opt_text(0),
            None => Ok(None),
        }
    }
}

/// A connection, borrowed for one unit of work.
pub(crate) enum Conn<'c> {
    /// The SQLite connection (the mutex is held by the caller).
    Sqlite(&'c mut rusqlite::Connection),
    /// A pooled PostgreSQL connection.
    Pg(&'c mut PgConn),
}

impl Conn<'_> {
    /// Begins a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so
    /// a check and the write that follows it never interleave with another writer; on
    /// PostgreSQL it is READ COMMITTED and callers lock what they check ([`lock_key`], `FOR
    /// UPDATE`).
    pub(crate) fn begin(&mut self) -> Result<Tx<'_>, Error> {
        Ok(match self {
            Conn::Sqlite(c) => {
                Tx::Sqlite(c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
            }
            Conn::Pg(c) => {
                let (tx, cache) = c.transaction()?;
                Tx::Pg(tx, cache)
            }
        })
    }
}

/// An open transaction; dropped without [`Tx::commit`] it rolls back.
pub(crate) enum Tx<'c> {
    /// SQLite.
    Sqlite(rusqlite::Transaction<'c>),
    /// PostgreSQL, with its connection's statement cache.
    Pg(postgres::Transaction<'c>, &'c mut super::pg::Statements),
}

impl Tx<'_> {
    /// Commits.
    pub(crate) fn commit(self) -> Result<(), Error> {
        match self {
            Tx::Sqlite(t) => t.commit()?,
            Tx::Pg(t, _) => t.commit()?,
        }
        Ok(())
    }
}

/// Serialises transactions that check and then write the same thing (`name`): on PostgreSQL a
/// transaction-scoped advisory lock on the name's hash, held until commit or rollback, so two
/// server processes take turns; on SQLite nothing, as `BEGIN IMMEDIATE` already did.
pub(crate) fn lock_key(c: &mut dyn Sql, name: &str) -> Result<(), Error> {
    if c.engine() == Engine::Postgres {
        c.rows(
            "SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))",
            args![name],
        )?;
    }
    Ok(())
}

/// ` FOR UPDATE` on PostgreSQL (a read that locks the rows it returns until commit), nothing on
/// SQLite (whose transactions already hold the write lock).
pub(crate) fn for_update(c: &dyn Sql) -> &'static str {
    match c.engine() {
        Engine::Sqlite => "",
        Engine::Postgres => " FOR UPDATE",
    }
}

// --- SQLite ---------------------------------------------------------------------------------

impl rusqlite::ToSql for P<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            P::Null => ValueRef::Null,
            P::Int(v) => ValueRef::Integer(v),
            P::Text(s) => ValueRef::Text(s.as_bytes()),
        }))
    }
}

fn sqlite_exec(c: &rusqlite::Connection, sql: &str, args: &[P<'_>]) -> Result<u64, Error> {
    let mut st = c.prepare_cached(sql)?;
    let n = st.execute(rusqlite::params_from_iter(args))?;
    Ok(n as u64)
}

fn sqlite_rows(c: &rusqlite::Connection, sql: &str, args: &[P<'_>]) -> Result<Vec<Row>, Error> {
    use rusqlite::types::ValueRef;
    let mut st = c.prepare_cached(sql)?;
    let width = st.column_count();
    let mut rows = st.query(rusqlite::params_from_iter(args))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut row = Vec::with_capacity(width);
        for i in 0..width {
            row.push(match r.get_ref(i)? {
                ValueRef::Null => V::Null,
                ValueRef::Integer(v) => V::Int(v),
                ValueRef::Real(f) => V::Int(f as i64),
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    V::Text(String::from_utf8_lossy(t).into_owned())
                }
            });
        }
        out.push(Row(row));
    }
    Ok(out)
}

// --- PostgreSQL -----------------------------------------------------------------------------

impl ToSql for P<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            P::Null => Ok(IsNull::Yes),
            P::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
                Type::BOOL => (v != 0).to_sql(ty, out),
                _ => v.to_string().as_str().to_sql(ty, out),
            },
            P::Text(s) => match *ty {
                Type::INT8 => s.parse::<i64>()?.to_sql(ty, out),
                Type::INT4 => s.parse::<i32>()?.to_sql(ty, out),
                _ => s.to_sql(ty, out),
            },
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::BOOL
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
                | Type::UNKNOWN
        )
    }

    to_sql_checked!();
}

/// `?N` placeholders as PostgreSQL's `$N` (outside quoted literals).
pub(crate) fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\'' => {
                quoted = !quoted;
                out.push(ch);
            }
            '?' if !quoted && chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            _ => out.push(ch),
        }
    }
    out
}

/// A PostgreSQL row as engine-neutral values.
pub(crate) fn pg_row(r: &postgres::Row) -> Result<Row, Error> {
    let mut row = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let v = match *col.type_() {
            Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(V::Int),
            Type::INT4 => r.try_get::<_, Option<i32>>(i)?.map(|v| V::Int(v.into())),
            Type::INT2 => r.try_get::<_, Option<i16>>(i)?.map(|v| V::Int(v.into())),
            Type::BOOL => r.try_get::<_, Option<bool>>(i)?.map(|v| V::Int(v.into())),
            Type::VOID => None,
            _ => r.try_get::<_, Option<String>>(i)?.map(V::Text),
        };
        row.push(v.unwrap_or(V::Null));
    }
    Ok(Row(row))
}

/// The argument list PostgreSQL's client takes.
fn pg_args<'a>(args: &'a [P<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

impl Sql for Conn<'_> {
    fn engine(&self) -> Engine {
        match self {
            Conn::Sqlite(_) => Engine::Sqlite,
            Conn::Pg(_) => Engine::Postgres,
        }
    }

    fn exec(&mut self, sql: &str, args: &[P<'_>]) -> Result<u64, Error> {
        match self {
            Conn::Sqlite(c) => sqlite_exec(c, sql, args),
            Conn::Pg(c) => {
                let (client, cache) = c.parts();
                let st = cache.get(client, sql)?;
                Ok(client.execute(&st, &pg_args(args))?)
            }
        }
    }

    fn rows(&mut self, sql: &str, args: &[P<'_>]) -> Result<Vec<Row>, Error> {
        match self {
            Conn::Sqlite(c) => sqlite_rows(c, sql, args),
            Conn::Pg(c) => {
                let (client, cache) = c.parts();
                let st = cache.get(client, sql)?;
                client
                    .query(&st, &pg_args(args))?
                    .iter()
                    .map(pg_row)
                    .collect()
            }
        }
    }
}

impl Sql for Tx<'_> {
    fn engine(&self) -> Engine {
        match self {
            Tx::Sqlite(_) => Engine::Sqlite,
            Tx::Pg(..) => Engine::Postgres,
        }
    }

    fn exec(&mut self, sql: &str, args: &[P<'_>]) -> Result<u64, Error> {
        match self {
            Tx::Sqlite(t) => sqlite_exec(t, sql, args),
            Tx::Pg(t, cache) => {
                let st = cache.get(t, sql)?;
                Ok(t.execute(&st, &pg_args(args))?)
            }
        }
    }

    fn rows(&mut self, sql: &str, args: &[P<'_>]) -> Result<Vec<Row>, Error> {
        match self {
            Tx::Sqlite(t) => sqlite_rows(t, sql, args),
            Tx::Pg(t, cache) => {
                let st = cache.get(t, sql)?;
                t.query(&st, &pg_args(args))?.iter().map(pg_row).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_literals() {
        assert_eq!(
            dollar_placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND d IN (?2, ?10)"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND d IN ($2, $10)"
        );
    }

    #[test]
    fn rows_read_by_type_and_text_is_taken() -> Result<(), Error> {
        let mut r = Row(vec![V::Int(3), V::Null, V::Text("x".into())]);
        assert_eq!(r.int(0)?, 3);
        assert_eq!(r.opt_int(1)?, None);
        assert_eq!(r.opt_text(1)?, None);
        assert_eq!(r.text(2)?, "x");
        assert!(r.int(2).is_err());
        Ok(())
    }
}
