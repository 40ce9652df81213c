//! The connection pool. Connections are not pinged on every checkout, which would cost each
//! request a second round trip; instead a connection is pinged before reuse only when it has been
//! idle a while or when any request has found the server gone since it last worked. A connection
//! on which a query found the server gone is closed instead of going back to the pool.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Error, ManageConnection, Pool};
use diesel::RunQueryDsl;

use crate::error::ApiError;

/// A connection idle longer than this is pinged before it is handed out again.
const IDLE_CHECK: Duration = Duration::from_secs(5);

pub type PgPool = Pool<Manager>;

/// Builds the pool. All `size` connections are opened in the background from the start, so the
/// first requests after a start do not wait while PostgreSQL starts backends for them; building
/// succeeds while PostgreSQL is down. Each connection gets `statement_timeout`, so no query
/// outlives the request that asked for it.
pub fn build(
    database_url: &str,
    size: u32,
    timeout: Duration,
    statement_timeout: Duration,
) -> PgPool {
    Pool::builder()
        .max_size(size)
        .min_idle(Some(size))
        .connection_timeout(timeout)
        // `Manager::is_valid` decides whether a checkout costs a ping.
        .test_on_check_out(true)
        .connection_customizer(Box::new(StatementTimeout(statement_timeout)))
        .build_unchecked(Manager {
            inner: ConnectionManager::new(database_url),
            losses: Arc::default(),
        })
}

/// diesel's connection manager, with the checks described in the module documentation.
#[derive(Debug)]
pub struct Manager {
    inner: ConnectionManager<PgConnection>,
    /// How many times a query has found the server gone; a connection that last worked before
    /// the latest loss is pinged before reuse.
    losses: Arc<AtomicU64>,
}

/// A pooled connection: derefs to the `PgConnection`.
pub struct Pooled {
    conn: PgConnection,
    lost: bool,
    worked_at: Instant,
    losses_seen: u64,
    losses: Arc<AtomicU64>,
}

impl Pooled {
    /// Takes note of an error a query on this connection ended in. One that found the server
    /// gone (`Unavailable`) marks the connection lost: it is closed when returned, and every
    /// other connection is pinged before its next use.
    pub fn note_error(&mut self, error: &ApiError) {
        if let ApiError::Unavailable(_) = error {
            if !self.lost {
                self.lost = true;
                self.losses.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Deref for Pooled {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = Error;

    fn connect(&self) -> Result<Pooled, Error> {
        Ok(Pooled {
            conn: self.inner.connect()?,
            lost: false,
            worked_at: Instant::now(),
            losses_seen: self.losses.load(Ordering::Relaxed),
            losses: self.losses.clone(),
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), Error> {
        let losses = self.losses.load(Ordering::Relaxed);
        if pooled.losses_seen == losses && pooled.worked_at.elapsed() < IDLE_CHECK {
            return Ok(());
        }
        self.inner.is_valid(&mut pooled.conn)?;
        pooled.losses_seen = losses;
        pooled.worked_at = Instant::now();
        Ok(())
    }

    /// Called as a connection goes back to the pool.
    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        if pooled.lost || self.inner.has_broken(&mut pooled.conn) {
            return true;
        }
        pooled.worked_at = Instant::now();
        false
    }
}

#[derive(Debug)]
struct StatementTimeout(Duration);

impl CustomizeConnection<Pooled, Error> for StatementTimeout {
    fn on_acquire(&self, pooled: &mut Pooled) -> Result<(), Error> {
        diesel::sql_query(format!("SET statement_timeout = {}", self.0.as_millis()))
            .execute(&mut pooled.conn)
            .map(|_| ())
            .map_err(Error::QueryError)
    }
}
