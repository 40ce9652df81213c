//! PostgreSQL access: the connection pools, migrations, and one module of queries per table.
//! Request handlers reach PostgreSQL asynchronously (diesel-async), through [`Database::run`];
//! loads, migrations and the data version listener use synchronous diesel connections.

pub mod catalog;
pub mod indicators;
pub mod memo;
mod metrics;
pub mod observation_order;
pub mod observation_writes;
pub mod observations;
pub mod places;
mod pool;
pub mod releases;
pub mod schema;
pub mod sources;
pub mod watch;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::ApiError;

pub use pool::{parse_url, PgPool};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// How the pools of a process are sized and bounded.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub database_url: String,
    /// Connections of all pools together (`DATABASE_POOL_SIZE`), shared out among the workers.
    pub size: usize,
    /// How many pools (one per HTTP worker).
    pub pools: usize,
    /// How long a request waits for a connection before a 503.
    pub wait: Duration,
    /// The server-side `statement_timeout`, a backstop behind the request timeout.
    pub statement_timeout: Duration,
    /// Concurrent streamed exports at most (`EXPORT_CONCURRENCY`).
    pub exports: usize,
}

/// What every worker's [`Database`] shares: metrics, the memo, the export permits.
struct Shared {
    waiting: prometheus::IntGauge,
    /// Time to check a connection out, and time holding it: where a request's database time goes.
    checkout_seconds: prometheus::Histogram,
    held_seconds: prometheus::Histogram,
    errors: prometheus::IntCounterVec,
    memo: Arc<memo::Memo>,
    exports: Arc<tokio::sync::Semaphore>,
    wait: Duration,
}

/// One worker's connection pool and what all workers share. Cloned into each request.
#[derive(Clone)]
pub struct Database {
    pool: PgPool,
    shared: Arc<Shared>,
}

impl Database {
    /// One `Database` per worker, each with its own pool (`settings.size` shared out, at least
    /// one connection each), registering their metrics in `registry`.
    pub fn per_worker(
        settings: &PoolSettings,
        registry: &prometheus::Registry,
    ) -> anyhow::Result<Vec<Database>> {
        let waiting = prometheus::IntGauge::new(
            "township_stats_db_pool_waiting",
            "Requests and streams waiting for a database connection",
        )?;
        let errors = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "township_stats_db_errors_total",
                "Database errors seen by requests, by kind (unavailable, query, abandoned)",
            ),
            &["kind"],
        )?;
        let buckets = vec![
            0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
        ];
        let checkout_seconds = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new(
                "township_stats_db_checkout_seconds",
                "Time requests and streams waited for a pooled connection",
            )
            .buckets(buckets.clone()),
        )?;
        let held_seconds = prometheus::Histogram::with_opts(
            prometheus::HistogramOpts::new(
                "township_stats_db_held_seconds",
                "Time a request or stream batch held its connection (its queries)",
            )
            .buckets(buckets),
        )?;
        registry.register(Box::new(checkout_seconds.clone()))?;
        registry.register(Box::new(held_seconds.clone()))?;
        registry.register(Box::new(waiting.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        let shared = Arc::new(Shared {
            waiting,
            checkout_seconds,
            held_seconds,
            errors,
            memo: Default::default(),
            exports: Arc::new(tokio::sync::Semaphore::new(settings.exports)),
            wait: settings.wait,
        });
        let losses = Arc::new(AtomicU64::new(0));
        let pools = settings.pools.max(1);
        let per_pool = settings.size.div_ceil(pools).max(1);
        let databases = (0..pools)
            .map(|_| {
                Ok(Database {
                    pool: pool::build(
                        &settings.database_url,
                        per_pool,
                        settings.statement_timeout,
                        losses.clone(),
                    )?,
                    shared: shared.clone(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        registry.register(Box::new(metrics::PoolCollector::new(
            databases.iter().map(|d| d.pool.clone()).collect(),
        )?))?;
        Ok(databases)
    }

    /// What this process remembers per data version.
    pub fn memo(&self) -> Arc<memo::Memo> {
        self.shared.memo.clone()
    }

    /// Opens every connection of this pool, so that the first requests do not wait while
    /// PostgreSQL starts backends for them. Call it on the worker that will use the pool.
    pub async fn warm_up(&self) {
        let mut held = Vec::new();
        for _ in 0..self.pool.status().max_size {
            match self.pool.get().await {
                Ok(conn) => held.push(conn),
                Err(e) => {
                    log::debug!("opening pooled connections: {e}");
                    break;
                }
            }
        }
    }

    /// A permit to stream one export. While `EXPORT_CONCURRENCY` streams are running it waits
    /// as long as a request waits for a connection, then answers 503.
    pub async fn export_permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        let permit = self.shared.exports.clone().acquire_owned();
        let permit = tokio::time::timeout(self.shared.wait, permit).await;
        permit.ok().and_then(Result::ok).ok_or_else(|| {
            ApiError::limit(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "Too many downloads",
                "as many downloads as the service streams at once are running; try again shortly"
                    .to_owned(),
                Some(10),
            )
        })
    }

    /// Runs `f` with a pooled connection. The connection goes back to the pool when `f` ends;
    /// if the request is abandoned first (the client left, the request timed out), the query
    /// still running is cancelled on the server and the connection is closed.
    pub async fn run<T>(
        &self,
        f: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let shared = &self.shared;
        shared.waiting.inc();
        let started = std::time::Instant::now();
        let checkout = tokio::time::timeout(shared.wait, self.pool.get()).await;
        shared.waiting.dec();
        shared
            .checkout_seconds
            .observe(started.elapsed().as_secs_f64());
        let conn = match checkout {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => {
                shared.errors.with_label_values(&["unavailable"]).inc();
                return Err(ApiError::unavailable(anyhow::anyhow!(
                    "no database connection: {e}"
                )));
            }
            Err(_) => {
                shared.errors.with_label_values(&["unavailable"]).inc();
                return Err(ApiError::unavailable(anyhow::anyhow!(
                    "no database connection free within {:?}",
                    shared.wait
                )));
            }
        };
        let mut guard = Abandoned {
            conn,
            finished: false,
            errors: shared.errors.clone(),
        };
        let started = std::time::Instant::now();
        let mut result = f(&mut guard.conn).await;
        shared.held_seconds.observe(started.elapsed().as_secs_f64());
        if let Err(ApiError::Internal(cause)) = result {
            // An error says nothing of its SQLSTATE through diesel; the connection tells
            // whether the server went away (a terminated backend) or the query failed.
            result = Err(if alive(&mut guard.conn).await {
                ApiError::Internal(cause)
            } else {
                ApiError::Unavailable(cause)
            });
        }
        guard.finished = true;
        match &result {
            Err(ApiError::Unavailable(_)) => {
                guard.conn.mark_lost();
                shared.errors.with_label_values(&["unavailable"]).inc();
            }
            Err(ApiError::Internal(_)) => shared.errors.with_label_values(&["query"]).inc(),
            _ => {}
        }
        result
    }
}

/// Whether a connection still answers, within a second.
async fn alive(conn: &mut AsyncPgConnection) -> bool {
    let ping = diesel::sql_query("SELECT 1").execute(conn);
    matches!(
        tokio::time::timeout(Duration::from_secs(1), ping).await,
        Ok(Ok(_))
    )
}

/// A connection lent to a request; dropped unfinished, it cancels the query and is discarded.
struct Abandoned {
    conn: pool::Pooled,
    finished: bool,
    errors: prometheus::IntCounterVec,
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        if !self.finished {
            self.errors.with_label_values(&["abandoned"]).inc();
            self.conn.cancel_in_background();
            self.conn.discard();
        }
    }
}

/// Opens one asynchronous connection to `database_url` (for commands and tests).
pub async fn connect_async(database_url: &str) -> anyhow::Result<AsyncPgConnection> {
    let config = parse_url(database_url)?;
    let (conn, _, _) = pool::connect(&config).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot connect to PostgreSQL at {}: {}. Start PostgreSQL or set DATABASE_URL.",
            redact(database_url),
            one_line(&e.to_string())
        )
    })?;
    Ok(conn)
}

/// Every place and indicator, with their names, and the indicators of each category.
pub async fn known_codes(conn: &mut AsyncPgConnection) -> QueryResult<memo::KnownCodes> {
    use observations::{IndicatorRef, PlaceRef};
    let indicators: Vec<(IndicatorRef, String)> = schema::indicators::table
        .select((IndicatorRef::as_select(), schema::indicators::category))
        .load(conn)
        .await?;
    let mut categories: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (indicator, category) in &indicators {
        categories
            .entry(category.clone())
            .or_default()
            .push(indicator.code.clone());
    }
    Ok(memo::KnownCodes {
        places: schema::places::table
            .select(PlaceRef::as_select())
            .load::<PlaceRef>(conn)
            .await?
            .into_iter()
            .map(|p| (p.code.clone(), p))
            .collect(),
        indicators: indicators
            .into_iter()
            .map(|(i, _)| (i.code.clone(), i))
            .collect(),
        categories,
    })
}

/// When the published data last changed.
pub async fn data_updated_at(
    conn: &mut AsyncPgConnection,
) -> QueryResult<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(Some(releases::data_version(conn).await?.changed_at))
}

/// Applies every pending embedded migration.
pub fn migrate(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
    Ok(())
}

/// Creates the database named in `database_url` if it does not exist yet.
pub fn ensure_database(database_url: &str) -> anyhow::Result<()> {
    if PgConnection::establish(database_url).is_ok() {
        return Ok(());
    }
    let (maintenance_url, name) = split_database_url(database_url)?;
    let mut conn = PgConnection::establish(&maintenance_url).map_err(|e| {
        anyhow::anyhow!(
            "cannot reach PostgreSQL at {}: {}. Start PostgreSQL or set DATABASE_URL.",
            redact(database_url),
            one_line(&e.to_string())
        )
    })?;
    let exists: bool = diesel::RunQueryDsl::get_result(
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = {})",
            quote_literal(&name)
        ))),
        &mut conn,
    )?;
    if !exists {
        log::info!("creating database {name}");
        let create = diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(&name)));
        match diesel::RunQueryDsl::execute(create, &mut conn) {
            Ok(_) => {}
            // Another instance created it between our check and our CREATE.
            Err(diesel::result::Error::DatabaseError(_, info))
                if info.message().contains("already exists") => {}
            Err(e) => return Err(e).context(format!("creating database {name}")),
        }
    }
    Ok(())
}

/// Opens one connection, with an error that names the URL (password hidden) and the way out.
pub fn connect(database_url: &str) -> anyhow::Result<PgConnection> {
    PgConnection::establish(database_url).map_err(|e| {
        anyhow::anyhow!(
            "cannot connect to PostgreSQL at {}: {}. Start PostgreSQL or set DATABASE_URL.",
            redact(database_url),
            one_line(&e.to_string())
        )
    })
}

/// PostgreSQL's messages span lines; a log line should not.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The URL of the `postgres` maintenance database on the same server, and the database name.
pub fn split_database_url(database_url: &str) -> anyhow::Result<(String, String)> {
    let mut url = url::Url::parse(database_url)
        .with_context(|| format!("DATABASE_URL is not a URL: {}", redact(database_url)))?;
    let name = url.path().trim_start_matches('/').to_owned();
    anyhow::ensure!(!name.is_empty(), "DATABASE_URL names no database");
    url.set_path("/postgres");
    Ok((url.to_string(), percent_decode(&name)))
}

/// The URL with any password replaced, fit for logs and error messages.
pub fn redact(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => database_url.to_owned(),
    }
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_splits_into_maintenance_url_and_name() {
        let (url, name) = split_database_url("postgres://u:p@db:5433/township_stats").unwrap();
        assert_eq!(url, "postgres://u:p@db:5433/postgres");
        assert_eq!(name, "township_stats");
        let (url, name) = split_database_url("postgres:///township_stats").unwrap();
        assert_eq!(url, "postgres:///postgres");
        assert_eq!(name, "township_stats");
    }

    #[test]
    fn redaction_hides_only_the_password() {
        assert_eq!(redact("postgres://u:secret@db/x"), "postgres://u:***@db/x");
        assert_eq!(redact("postgres:///x"), "postgres:///x");
    }
}
