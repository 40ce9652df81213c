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
        })
    }

    /// A configuration for the given database with every other setting at its default.
    pub fn for_database(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_owned(),
            bind: DEFAULT_BIND.to_owned(),
            pool_size: 10,
            pool_timeout: Duration::from_secs(3),
            workers: None,
            public_url: None,
            cache_max_age_secs: 60,
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
