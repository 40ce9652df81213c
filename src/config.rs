//! Typed configuration, read once from the environment and passed explicitly from there on.

use std::env;
use std::time::Duration;

/// Where the service finds PostgreSQL when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres:///township_stats";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

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
    /// by default taken from each request's Host.
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
    /// `RATE_LIMIT_KEY`: `peer` (the TCP peer address) or `forwarded` (the client address a
    /// trusted reverse proxy puts in Forwarded / X-Forwarded-For).
    pub rate_limit_key: RateLimitKey,
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

impl Config {
    /// Reads the environment. Missing variables take their defaults; malformed ones are errors.
    pub fn from_env() -> anyhow::Result<Config> {
        Ok(Config {
            database_url: env::var("DATABASE_URL")
                .unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned()),
            bind: env::var("BIND").unwrap_or_else(|_| DEFAULT_BIND.to_owned()),
            pool_size: parse_var("DATABASE_POOL_SIZE", 10)?,
            pool_timeout: Duration::from_secs(parse_var("DATABASE_TIMEOUT_SECS", 3)?),
            workers: match env::var("WORKERS") {
                Ok(_) => Some(parse_var("WORKERS", 0)?),
                Err(_) => None,
            },
            public_url: env::var("PUBLIC_URL").ok().filter(|u| !u.is_empty()),
            cache_max_age_secs: parse_var("CACHE_MAX_AGE_SECS", 60)?,
            response_cache_mb: parse_var("RESPONSE_CACHE_MB", 32)?,
            database_wait: Duration::from_secs(parse_var("DATABASE_WAIT_SECS", 30)?),
            prepare_database: parse_var("PREPARE_DATABASE", true)?,
            request_timeout: Duration::from_secs(parse_var("REQUEST_TIMEOUT_SECS", 30)?),
            shutdown_grace: Duration::from_secs(parse_var("SHUTDOWN_GRACE_SECS", 30)?),
            query_max_bytes: parse_var("QUERY_MAX_BYTES", 4096)?,
            body_max_bytes: parse_var("BODY_MAX_BYTES", 16_384)?,
            rate_limit_rps: parse_var("RATE_LIMIT_RPS", 50)?,
            rate_limit_burst: parse_var("RATE_LIMIT_BURST", 100)?,
            rate_limit_key: parse_var("RATE_LIMIT_KEY", RateLimitKey::Peer)?,
        })
    }

    /// A configuration for the given database with every other setting at its default, except
    /// that the rate limiter is off and start-up does not wait for the database.
    pub fn for_database(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_owned(),
            bind: DEFAULT_BIND.to_owned(),
            pool_size: 10,
            pool_timeout: Duration::from_secs(3),
            workers: None,
            public_url: None,
            cache_max_age_secs: 60,
            response_cache_mb: 32,
            database_wait: Duration::ZERO,
            prepare_database: true,
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            query_max_bytes: 4096,
            body_max_bytes: 16_384,
            rate_limit_rps: 0,
            rate_limit_burst: 100,
            rate_limit_key: RateLimitKey::Peer,
        }
    }
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
