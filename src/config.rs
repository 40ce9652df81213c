//! Typed configuration, read once from the environment and passed explicitly from there on.

use std::env;
use std::time::Duration;

/// Where the service finds PostgreSQL when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres:///township_stats";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// The smallest memory budget: one JSON-stat dataset at its cap fits in it.
pub const MEMORY_BUDGET_MIN_MB: u32 = 48;

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: the PostgreSQL database to serve; created on start if missing.
    pub database_url: String,
    /// `BIND`: address and port to listen on; port 0 picks a free one.
    pub bind: String,
    /// `DATABASE_POOL_SIZE`: connections kept to PostgreSQL.
    pub pool_size: u32,
    /// `DATABASE_TIMEOUT_SECS`: how long a request waits for a connection before a 503.
    pub pool_timeout: Duration,
    /// `WORKERS`: HTTP worker threads; defaults to the number of cores.
    pub workers: Option<usize>,
    /// `PUBLIC_URL`: scheme and host the API is reached at, for links in citations and exports;
    /// by default the listen address (a Host named in `ALLOWED_HOSTS` is written instead).
    pub public_url: Option<String>,
    /// `CACHE_MAX_AGE_SECS`: `Cache-Control: max-age` of data answers.
    pub cache_max_age_secs: u32,
    /// `RESPONSE_CACHE_MB`: memory for whole answers kept per data version (0: none).
    pub response_cache_mb: u64,
    /// `DATABASE_WAIT_SECS`: how long start-up retries an unreachable PostgreSQL (0: fail at once).
    pub database_wait: Duration,
    /// `PREPARE_DATABASE`: whether `serve` creates, migrates and seeds the database first. Off
    /// for a read-only role (docs/DEPLOYMENT.md).
    pub prepare_database: bool,
    /// `REQUEST_TIMEOUT_SECS`: the longest a request may take to start its answer; also the
    /// PostgreSQL statement timeout of the pool.
    pub request_timeout: Duration,
    /// `SHUTDOWN_GRACE_SECS`: on SIGTERM or SIGINT, how long in-flight requests may finish.
    pub shutdown_grace: Duration,
    /// `QUERY_MAX_BYTES`: the longest query string accepted (414 beyond).
    pub query_max_bytes: usize,
    /// `BODY_MAX_BYTES`: the largest request body accepted (413 beyond).
    pub body_max_bytes: u64,
    /// `RATE_LIMIT_RPS` and `RATE_LIMIT_BURST`: requests a second each client may make on
    /// average, and in a burst; `RATE_LIMIT_RPS=0` turns the limiter off.
    pub rate_limit_rps: u32,
    pub rate_limit_burst: u32,
    /// `AUTH_FAILURES_PER_MINUTE`: failed authentications a client may make in a minute before
    /// its writes are refused 429; 0 turns the throttle off.
    pub auth_failures_per_minute: u32,
    /// `RATE_LIMIT_KEY`: `peer` (the TCP peer address) or `forwarded` (the client address a
    /// trusted reverse proxy puts in Forwarded / X-Forwarded-For).
    pub rate_limit_key: RateLimitKey,
    /// `EXPORT_CONCURRENCY`: streamed downloads served at once (503 with Retry-After beyond).
    pub export_concurrency: usize,
    /// `MEMORY_BUDGET_MB`: what JSON-stat datasets and streamed downloads (with their
    /// compressors) may hold at once, all requests together (docs/RELIABILITY.md).
    pub memory_budget_mb: u32,
    /// `IMPORT_MAX_BYTES`: the largest file `POST /v1/imports` takes (413 beyond).
    pub import_max_bytes: u64,
    /// `METRICS_BIND`: a separate address for `/metrics` (e.g. 127.0.0.1:9090), which the
    /// public address then no longer serves.
    pub metrics_bind: Option<String>,
    /// `ALLOWED_HOSTS`: the hosts (host or host:port) whose `Host` header may be written into
    /// the URLs of answers; comma-separated, empty by default.
    pub allowed_hosts: Vec<String>,
    /// `TRUSTED_PROXIES`: the peer addresses whose `Forwarded` / `X-Forwarded-*` headers count;
    /// comma-separated, empty by default.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `DATABASE_REPLICA_URLS`: streaming replicas of `DATABASE_URL` that serve reads;
    /// comma-separated, none by default (the primary serves everything).
    pub replica_urls: Vec<String>,
    /// `REPLICA_MAX_LAG_SECS`: a replica further behind than this serves no reads.
    pub replica_max_lag: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitKey {
    Peer,
    Forwarded,
}

impl std::str::FromStr for RateLimitKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "peer" => Ok(RateLimitKey::Peer),
            "forwarded" => Ok(RateLimitKey::Forwarded),
            other => Err(format!("expected peer or forwarded, got {other:?}")),
        }
    }
}

impl Default for Config {
    /// Every setting at its documented default (README.md, Configuration).
    fn default() -> Config {
        Config {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            bind: DEFAULT_BIND.to_owned(),
            pool_size: 10,
            pool_timeout: Duration::from_secs(3),
            workers: None,
            public_url: None,
            cache_max_age_secs: 60,
            response_cache_mb: 32,
            database_wait: Duration::from_secs(30),
            prepare_database: true,
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            query_max_bytes: 4096,
            body_max_bytes: 16_384,
            rate_limit_rps: 50,
            rate_limit_burst: 100,
            auth_failures_per_minute: crate::auth::MAX_FAILURES,
            rate_limit_key: RateLimitKey::Peer,
            export_concurrency: 32,
            memory_budget_mb: 160,
            import_max_bytes: 256 << 20,
            metrics_bind: None,
            allowed_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            replica_urls: Vec::new(),
            replica_max_lag: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// Reads the environment. Missing variables take their defaults; malformed or out-of-range
    /// ones are errors that name the variable.
    pub fn from_env() -> anyhow::Result<Config> {
        let d = Config::default();
        let secs = |name, default: Duration| -> anyhow::Result<Duration> {
            Ok(Duration::from_secs(parse_var(name, default.as_secs())?))
        };
        let config = Config {
            database_url: env::var("DATABASE_URL").unwrap_or(d.database_url),
            bind: env::var("BIND").unwrap_or(d.bind),
            pool_size: parse_var("DATABASE_POOL_SIZE", d.pool_size)?,
            pool_timeout: secs("DATABASE_TIMEOUT_SECS", d.pool_timeout)?,
            workers: match env::var("WORKERS") {
                Ok(_) => Some(parse_var("WORKERS", 0)?),
                Err(_) => d.workers,
            },
            public_url: env::var("PUBLIC_URL").ok().filter(|u| !u.is_empty()),
            cache_max_age_secs: parse_var("CACHE_MAX_AGE_SECS", d.cache_max_age_secs)?,
            response_cache_mb: parse_var("RESPONSE_CACHE_MB", d.response_cache_mb)?,
            database_wait: secs("DATABASE_WAIT_SECS", d.database_wait)?,
            prepare_database: parse_var("PREPARE_DATABASE", d.prepare_database)?,
            request_timeout: secs("REQUEST_TIMEOUT_SECS", d.request_timeout)?,
            shutdown_grace: secs("SHUTDOWN_GRACE_SECS", d.shutdown_grace)?,
            query_max_bytes: parse_var("QUERY_MAX_BYTES", d.query_max_bytes)?,
            body_max_bytes: parse_var("BODY_MAX_BYTES", d.body_max_bytes)?,
            rate_limit_rps: parse_var("RATE_LIMIT_RPS", d.rate_limit_rps)?,
            rate_limit_burst: parse_var("RATE_LIMIT_BURST", d.rate_limit_burst)?,
            auth_failures_per_minute: parse_var(
                "AUTH_FAILURES_PER_MINUTE",
                d.auth_failures_per_minute,
            )?,
            rate_limit_key: parse_var("RATE_LIMIT_KEY", d.rate_limit_key)?,
            export_concurrency: parse_var("EXPORT_CONCURRENCY", d.export_concurrency)?,
            memory_budget_mb: parse_var("MEMORY_BUDGET_MB", d.memory_budget_mb)?,
            import_max_bytes: parse_var("IMPORT_MAX_BYTES", d.import_max_bytes)?,
            metrics_bind: env::var("METRICS_BIND").ok().filter(|b| !b.is_empty()),
            allowed_hosts: list_var("ALLOWED_HOSTS")?,
            trusted_proxies: list_var("TRUSTED_PROXIES")?,
            replica_urls: list_var("DATABASE_REPLICA_URLS")?,
            replica_max_lag: secs("REPLICA_MAX_LAG_SECS", d.replica_max_lag)?,
        };
        config.validate()?;
        Ok(config)
    }

    /// Refuses settings the service cannot run with, naming the variable in one line.
    pub fn validate(&self) -> anyhow::Result<()> {
        let positive = [
            ("DATABASE_POOL_SIZE", u64::from(self.pool_size)),
            ("DATABASE_TIMEOUT_SECS", self.pool_timeout.as_secs()),
            ("REQUEST_TIMEOUT_SECS", self.request_timeout.as_secs()),
            ("QUERY_MAX_BYTES", self.query_max_bytes as u64),
            ("BODY_MAX_BYTES", self.body_max_bytes),
            ("IMPORT_MAX_BYTES", self.import_max_bytes),
            ("EXPORT_CONCURRENCY", self.export_concurrency as u64),
            ("WORKERS", self.workers.map_or(1, |w| w as u64)),
        ];
        for (name, value) in positive {
            anyhow::ensure!(value > 0, "{name} must be at least 1, got 0");
        }
        anyhow::ensure!(
            self.memory_budget_mb >= MEMORY_BUDGET_MIN_MB,
            "MEMORY_BUDGET_MB must be at least {MEMORY_BUDGET_MIN_MB} (one JSON-stat dataset at \
             its cap needs that much), got {}",
            self.memory_budget_mb
        );
        if self.rate_limit_rps > 0 {
            anyhow::ensure!(
                self.rate_limit_burst > 0,
                "RATE_LIMIT_BURST must be at least 1 while the rate limiter is on (RATE_LIMIT_RPS={})",
                self.rate_limit_rps
            );
        }
        anyhow::ensure!(
            self.database_url.starts_with("postgres://")
                || self.database_url.starts_with("postgresql://"),
            "DATABASE_URL must be a postgres:// URL, got {}",
            crate::db::redact(&self.database_url)
        );
        if let Some(url) = &self.public_url {
            anyhow::ensure!(
                url.starts_with("http://") || url.starts_with("https://"),
                "PUBLIC_URL must start with http:// or https://, got {url:?}"
            );
        }
        Ok(())
    }

    /// HTTP worker threads: `WORKERS`, or one per core.
    pub fn workers(&self) -> usize {
        self.workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
    }

    /// A configuration for the given database with every other setting at its default, except
    /// that the rate limiter is off and start-up does not wait for the database.
    pub fn for_database(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_owned(),
            database_wait: Duration::ZERO,
            rate_limit_rps: 0,
            ..Config::default()
        }
    }
}

/// A comma-separated list; each item parsed, a bad one named.
fn list_var<T: std::str::FromStr>(name: &str) -> anyhow::Result<Vec<T>>
where
    T::Err: std::fmt::Display,
{
    let Ok(raw) = env::var(name) else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse()
                .map_err(|e| anyhow::anyhow!("{name}: {item:?} is not valid: {e}"))
        })
        .collect()
}

fn parse_var<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match env::var(name) {
        Ok(raw) => raw
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={raw:?} is not valid: {e}")),
        Err(_) => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_sizes_and_timeouts_are_refused_by_name() {
        let base = Config::for_database("postgres:///x");
        assert!(base.validate().is_ok());
        let cases: [(&str, Config); 5] = [
            (
                "WORKERS",
                Config {
                    workers: Some(0),
                    ..base.clone()
                },
            ),
            (
                "DATABASE_POOL_SIZE",
                Config {
                    pool_size: 0,
                    ..base.clone()
                },
            ),
            (
                "DATABASE_TIMEOUT_SECS",
                Config {
                    pool_timeout: Duration::ZERO,
                    ..base.clone()
                },
            ),
            (
                "REQUEST_TIMEOUT_SECS",
                Config {
                    request_timeout: Duration::ZERO,
                    ..base.clone()
                },
            ),
            (
                "EXPORT_CONCURRENCY",
                Config {
                    export_concurrency: 0,
                    ..base.clone()
                },
            ),
        ];
        for (name, config) in cases {
            let message = config.validate().unwrap_err().to_string();
            assert!(message.contains(name), "{message}");
            assert_eq!(message.lines().count(), 1);
        }
    }

    #[test]
    fn urls_must_be_urls() {
        let base = Config::for_database("postgres:///x");
        assert!(Config {
            database_url: "township".into(),
            ..base.clone()
        }
        .validate()
        .is_err());
        assert!(Config {
            public_url: Some("example.org".into()),
            ..base
        }
        .validate()
        .is_err());
    }
}
