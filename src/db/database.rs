//! Lending connections to requests: the pools (one per HTTP worker), what all workers share
//! (metrics, the memo, the export permits, the memory budget), and `run`, which cancels the query of a request that
//! is abandoned.

use std::sync::Arc;
use std::time::Duration;

use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::releases::DataVersion;
use super::replicas::ReadRoute;
use super::{memo, metrics, pool, PgPool};
use crate::budget::{MemoryBudget, Reservation};
use crate::error::ApiError;

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
    /// What the answers that cost most memory may hold at once (`MEMORY_BUDGET_MB`).
    pub memory_budget_mb: u32,
    /// Streaming replicas that serve reads (`DATABASE_REPLICA_URLS`); each worker has a pool on
    /// each, of the same size as its primary pool.
    pub replica_urls: Vec<String>,
}

/// What every worker's [`Database`] shares: metrics, the memo, the export permits, the memory
/// budget.
struct Shared {
    waiting: prometheus::IntGauge,
    /// Time to check a connection out, and time holding it: where a request's database time goes.
    checkout_seconds: prometheus::Histogram,
    held_seconds: prometheus::Histogram,
    errors: prometheus::IntCounterVec,
    memo: Arc<memo::Memo>,
    exports: Arc<tokio::sync::Semaphore>,
    budget: MemoryBudget,
    downloads: prometheus::IntCounterVec,
    wait: Duration,
    /// Where reads go: a replica or the primary.
    route: Arc<ReadRoute>,
}

/// One worker's connection pool and what all workers share. Cloned into each request.
/// Where one request's reads go, fixed when the request starts (`caching::conditional_get`), so
/// that every query of it reads the database its data version label was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadTarget {
    Primary,
    Replica(usize),
}

tokio::task_local! {
    /// The read target of the request this task is answering, if fixed.
    static READ_FROM: ReadTarget;
}

/// Runs `f` (a request's handling) with its reads fixed to `target`. If that replica is left
/// meanwhile, they go to the primary, whose rows are newer than the label, never to another
/// replica, whose rows may be older.
pub async fn read_from<F: std::future::Future>(target: ReadTarget, f: F) -> F::Output {
    READ_FROM.scope(target, f).await
}

#[derive(Clone)]
pub struct Database {
    /// On the primary: writes, token checks, and reads while no replica serves them.
    pool: PgPool,
    /// One pool on each replica, in the order of `DATABASE_REPLICA_URLS`.
    replicas: Vec<PgPool>,
    /// Every query of this handle goes to the primary ([`Database::on_primary`]).
    primary_only: bool,
    /// Reads fixed to this target whatever task runs them ([`Database::pinned`]).
    pin: Option<ReadTarget>,
    shared: Arc<Shared>,
}

impl Database {
    /// One `Database` per worker, each with its own pool (`settings.size` shared out, at least
    /// one connection each), registering their metrics in `registry`.
    pub fn per_worker(
        settings: &PoolSettings,
        route: Arc<ReadRoute>,
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
        let reserved = prometheus::IntGauge::new(
            "township_stats_memory_reserved_bytes",
            "Memory reserved by the answers being written (MEMORY_BUDGET_MB is the most)",
        )?;
        registry.register(Box::new(reserved.clone()))?;
        let downloads = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "township_stats_downloads_total",
                "Streamed downloads by how they ended (complete, failed, abandoned)",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(downloads.clone()))?;
        let losses = route.losses();
        let shared = Arc::new(Shared {
            waiting,
            checkout_seconds,
            held_seconds,
            errors,
            memo: Default::default(),
            exports: Arc::new(tokio::sync::Semaphore::new(settings.exports)),
            budget: MemoryBudget::new(settings.memory_budget_mb, settings.wait, reserved),
            downloads,
            wait: settings.wait,
            route,
        });
        let pools = settings.pools.max(1);
        let per_pool = settings.size.div_ceil(pools).max(1);
        let databases = (0..pools)
            .map(|_| {
                let build = |url: &str| {
                    pool::build(url, per_pool, settings.statement_timeout, losses.clone())
                };
                Ok(Database {
                    pool: build(&settings.database_url)?,
                    replicas: settings
                        .replica_urls
                        .iter()
                        .map(|url| build(url))
                        .collect::<anyhow::Result<_>>()?,
                    primary_only: false,
                    pin: None,
                    shared: shared.clone(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        registry.register(Box::new(metrics::PoolCollector::new(
            databases
                .iter()
                .flat_map(|d| std::iter::once(d.pool.clone()).chain(d.replicas.iter().cloned()))
                .collect(),
        )?))?;
        Ok(databases)
    }

    /// This handle with every query sent to the primary: for writes, and for reads that must
    /// see what a replica may not have replayed yet.
    pub fn on_primary(&self) -> Database {
        Database {
            primary_only: true,
            ..self.clone()
        }
    }

    /// Where a request starting now reads, and the data version of that replica as last
    /// polled (none for the primary): what its answer is labelled with.
    pub fn read_target(&self) -> (ReadTarget, Option<DataVersion>) {
        if self.primary_only {
            return (ReadTarget::Primary, None);
        }
        match self.shared.route.target() {
            Some((i, version)) => (ReadTarget::Replica(i), Some(version)),
            None => (ReadTarget::Primary, None),
        }
    }

    /// This handle with its reads fixed to the current request's target, for work that
    /// outlives the handler (a streamed download's batches).
    pub fn pinned(&self) -> Database {
        Database {
            pin: self.current_target(),
            ..self.clone()
        }
    }

    fn current_target(&self) -> Option<ReadTarget> {
        if self.primary_only {
            return Some(ReadTarget::Primary);
        }
        self.pin.or_else(|| READ_FROM.try_with(|t| *t).ok())
    }

    /// The data version of the replica this request reads from, as last polled; `None` when
    /// it reads from the primary.
    pub fn replica_version(&self) -> Option<DataVersion> {
        match self.current_target() {
            Some(ReadTarget::Primary) => None,
            Some(ReadTarget::Replica(i)) => self.shared.route.version_of(i),
            None => self.read_target().1,
        }
    }

    /// Where reads go, and what was last seen of each replica.
    pub fn read_route(&self) -> &ReadRoute {
        &self.shared.route
    }

    /// The pool this handle's next query uses, and the replica it is on, if any.
    fn pool_for_read(&self) -> (&PgPool, Option<usize>) {
        let chosen = self.shared.route.chosen();
        let replica = match self.current_target() {
            Some(ReadTarget::Primary) => None,
            // The replica the request started on, while it still serves.
            Some(ReadTarget::Replica(i)) => chosen.filter(|c| *c == i),
            None => self.shared.route.target().map(|(i, _)| i),
        };
        match replica.and_then(|i| self.replicas.get(i).map(|pool| (pool, i))) {
            Some((pool, i)) => (pool, Some(i)),
            None => (&self.pool, None),
        }
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

    /// Reserves `bytes` of the memory budget for an answer that will hold them; past the budget
    /// it waits as long as for a connection, then answers 503.
    pub async fn reserve(&self, bytes: u64) -> Result<Reservation, ApiError> {
        self.shared.budget.reserve(bytes).await
    }

    /// Counts a streamed download by how it ended.
    pub fn count_download(&self, outcome: crate::formats::stream::Outcome) {
        self.shared
            .downloads
            .with_label_values(&[outcome.as_str()])
            .inc();
    }

    /// Runs `f` with a pooled connection. The connection goes back to the pool when `f` ends;
    /// if the request is abandoned first (the client left, the request timed out), the query
    /// still running is cancelled on the server and the connection is closed.
    pub async fn run<T>(
        &self,
        f: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let shared = &self.shared;
        let started = std::time::Instant::now();
        let checkout = {
            // Counted as waiting until the checkout ends, however it ends (a request abandoned
            // while it waits too).
            let _waiting = Waiting::new(&shared.waiting);
            let (pool, replica) = self.pool_for_read();
            let got = tokio::time::timeout(shared.wait, pool.get()).await;
            match (got, replica) {
                // A replica that cannot give a connection, or not in time (a host that drops
                // packets), is left at once: this read, and the next ones, go to the primary.
                (Ok(Err(_)) | Err(_), Some(i)) => {
                    log::debug!("no connection from replica {i}; reading from the primary");
                    shared.route.failed(i);
                    tokio::time::timeout(shared.wait, self.pool.get()).await
                }
                (got, _) => got,
            }
        };
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

/// One more request waiting for a connection, for as long as it lives.
struct Waiting<'a>(&'a prometheus::IntGauge);

impl<'a> Waiting<'a> {
    fn new(gauge: &'a prometheus::IntGauge) -> Self {
        gauge.inc();
        Waiting(gauge)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}
