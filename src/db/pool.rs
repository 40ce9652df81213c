//! The connection pools of request handlers: asynchronous connections (diesel-async over
//! tokio-postgres), one pool per HTTP worker. actix runs one single-threaded runtime per worker;
//! a connection's socket is driven by a task of the runtime that opened it, so a pool per worker
//! keeps every query on the thread that asked for it, with no hop to another thread and back.
//!
//! Connections are not pinged on every checkout, which would cost each request a second round
//! trip; a connection is pinged before reuse only when it has been idle a while or when any
//! request has found the server gone since it last worked. A connection on which a query found
//! the server gone, or whose query was abandoned, is closed instead of going back to the pool.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use diesel::ConnectionError;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// A connection idle longer than this is pinged before it is handed out again.
const IDLE_CHECK: Duration = Duration::from_secs(5);

/// How long opening one connection may take before the checkout fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub type PgPool = managed::Pool<Manager>;
pub type Pooled = managed::Object<Manager>;

/// Opens connections for one pool and decides when a pooled one needs a ping.
#[derive(Debug)]
pub struct Manager {
    config: tokio_postgres::Config,
    statement_timeout: Duration,
    /// How many times a query has found the server gone, shared by every pool of the process;
    /// a connection that last worked before the latest loss is pinged before reuse.
    losses: Arc<AtomicU64>,
}

/// A pooled connection: derefs to the `AsyncPgConnection`.
pub struct Conn {
    conn: AsyncPgConnection,
    cancel: tokio_postgres::CancelToken,
    tls: bool,
    lost: bool,
    discarded: bool,
    losses_seen: u64,
    losses: Arc<AtomicU64>,
}

impl Conn {
    /// Marks the connection lost: it is closed when returned, and every other connection is
    /// pinged before its next use.
    pub fn mark_lost(&mut self) {
        if !self.lost {
            self.lost = true;
            self.losses.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Closes the connection when it is returned instead of pooling it again.
    pub fn discard(&mut self) {
        self.discarded = true;
    }

    /// Asks the server to cancel whatever this connection is running (the query of a request
    /// that was abandoned), without waiting for the answer.
    pub fn cancel_in_background(&self) {
        let token = self.cancel.clone();
        let tls = self.tls;
        let cancel = async move {
            let result = match tls_connector() {
                Ok(connector) if tls => token.cancel_query(connector).await,
                _ => token.cancel_query(tokio_postgres::NoTls).await,
            };
            if let Err(e) = result {
                log::debug!("cancelling an abandoned query: {e}");
            }
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            actix_web::rt::spawn(cancel);
        }
    }
}

impl Deref for Conn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.conn
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.conn
    }
}

/// Builds a pool of at most `size` connections, opened on first use by the runtime that uses
/// them (the caller bounds how long a checkout waits). Each connection gets
/// `statement_timeout` as a backstop; the service itself cancels a query whose request ended.
pub fn build(
    database_url: &str,
    size: usize,
    statement_timeout: Duration,
    losses: Arc<AtomicU64>,
) -> anyhow::Result<PgPool> {
    let manager = Manager {
        config: parse_url(database_url)?,
        statement_timeout,
        losses,
    };
    managed::Pool::builder(manager)
        .max_size(size)
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| anyhow::anyhow!("building the connection pool: {e}"))
}

/// The connection settings of a `postgres://` URL, with libpq's defaults where the URL is
/// silent: the host from `PGHOST`, else the local socket directory.
pub fn parse_url(database_url: &str) -> anyhow::Result<tokio_postgres::Config> {
    let mut config: tokio_postgres::Config = database_url.parse().map_err(|e| {
        anyhow::anyhow!(
            "DATABASE_URL {} cannot be read: {e}",
            super::redact(database_url)
        )
    })?;
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        match std::env::var("PGHOST") {
            Ok(host) if !host.is_empty() => {
                config.host(&host);
            }
            _ => {
                config.host_path("/var/run/postgresql");
            }
        }
    }
    Ok(config)
}

/// TLS as libpq's `sslmode=prefer` and `require` do it: encrypted, the certificate not checked.
fn tls_connector() -> Result<postgres_openssl::MakeTlsConnector, openssl::error::ErrorStack> {
    let mut builder = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls())?;
    builder.set_verify(openssl::ssl::SslVerifyMode::NONE);
    Ok(postgres_openssl::MakeTlsConnector::new(builder.build()))
}

/// Opens one asynchronous connection, with TLS unless `sslmode=disable` (or a local socket).
pub async fn connect(
    config: &tokio_postgres::Config,
) -> Result<(AsyncPgConnection, tokio_postgres::CancelToken, bool), ConnectionError> {
    let setup = |e: tokio_postgres::Error| ConnectionError::BadConnection(with_causes(&e));
    let tls = config.get_ssl_mode() != tokio_postgres::config::SslMode::Disable;
    let (client, cancel) = if tls {
        let connector =
            tls_connector().map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
        let (client, connection) = config.connect(connector).await.map_err(setup)?;
        let cancel = client.cancel_token();
        (
            AsyncPgConnection::try_from_client_and_connection(client, connection).await?,
            cancel,
        )
    } else {
        let (client, connection) = config.connect(tokio_postgres::NoTls).await.map_err(setup)?;
        let cancel = client.cancel_token();
        (
            AsyncPgConnection::try_from_client_and_connection(client, connection).await?,
            cancel,
        )
    };
    Ok((client, cancel, tls))
}

/// An error with the causes behind it: tokio-postgres says "db error" and keeps the server's
/// message in its source.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

impl managed::Manager for Manager {
    type Type = Conn;
    type Error = diesel::result::Error;

    async fn create(&self) -> Result<Conn, diesel::result::Error> {
        let (mut conn, cancel, tls) = connect(&self.config)
            .await
            .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
        diesel::sql_query(format!(
            "SET statement_timeout = {}",
            self.statement_timeout.as_millis()
        ))
        .execute(&mut conn)
        .await?;
        Ok(Conn {
            conn,
            cancel,
            tls,
            lost: false,
            discarded: false,
            losses_seen: AtomicU64::load(&self.losses, Ordering::Relaxed),
            losses: self.losses.clone(),
        })
    }

    async fn recycle(
        &self,
        conn: &mut Conn,
        metrics: &Metrics,
    ) -> RecycleResult<diesel::result::Error> {
        if conn.lost || conn.discarded {
            return Err(RecycleError::message(
                "the connection was lost or abandoned",
            ));
        }
        let losses = AtomicU64::load(&self.losses, Ordering::Relaxed);
        if conn.losses_seen == losses && metrics.last_used() < IDLE_CHECK {
            return Ok(());
        }
        diesel::sql_query("SELECT 1")
            .execute(&mut conn.conn)
            .await
            .map_err(RecycleError::Backend)?;
        conn.losses_seen = losses;
        Ok(())
    }
}
