//! PostgreSQL access: the connection pool, migrations, and one module of queries per table.
//! Diesel is synchronous, so request handlers reach it only through [`run`], on the blocking pool.

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

use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::ApiError;

pub use pool::{build as pool, PgPool};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The connection pool and its metrics, shared by every request of the service.
#[derive(Clone)]
pub struct Database {
    pool: PgPool,
    waiting: prometheus::IntGauge,
    errors: prometheus::IntCounterVec,
    memo: std::sync::Arc<memo::Memo>,
}

impl Database {
    /// Wraps the pool and registers its metrics (size, idle, waiting, errors) in `registry`.
    pub fn new(pool: PgPool, registry: &prometheus::Registry) -> anyhow::Result<Database> {
        let waiting = prometheus::IntGauge::new(
            "township_stats_db_pool_waiting",
            "Requests waiting for a database connection",
        )?;
        let errors = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "township_stats_db_errors_total",
                "Database errors seen by requests, by kind (unavailable, query)",
            ),
            &["kind"],
        )?;
        registry.register(Box::new(waiting.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(metrics::PoolCollector::new(pool.clone())?))?;
        Ok(Database {
            pool,
            waiting,
            errors,
            memo: Default::default(),
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// What this process remembers per data version.
    pub fn memo(&self) -> std::sync::Arc<memo::Memo> {
        self.memo.clone()
    }
}

/// Runs a database closure on the blocking thread pool with a pooled connection.
pub async fn run<T, F>(db: &Database, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = db.pool.clone();
    let waiting = db.waiting.clone();
    let result = actix_web::web::block(move || {
        waiting.inc();
        let conn = pool.get();
        waiting.dec();
        let mut conn = conn.map_err(ApiError::unavailable)?;
        let result = f(&mut conn);
        if let Err(e) = &result {
            conn.note_error(e);
        }
        result
    })
    .await
    .map_err(|e| ApiError::internal(anyhow::anyhow!("blocking task failed: {e}")))?;
    match &result {
        Err(ApiError::Unavailable(_)) => db.errors.with_label_values(&["unavailable"]).inc(),
        Err(ApiError::Internal(_)) => db.errors.with_label_values(&["query"]).inc(),
        _ => {}
    }
    result
}

/// Every place code and indicator code.
pub fn known_codes(conn: &mut PgConnection) -> QueryResult<memo::KnownCodes> {
    let indicators: Vec<(String, String)> = schema::indicators::table
        .select((schema::indicators::code, schema::indicators::category))
        .load(conn)?;
    let mut categories: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (code, category) in &indicators {
        categories
            .entry(category.clone())
            .or_default()
            .push(code.clone());
    }
    Ok(memo::KnownCodes {
        places: schema::places::table
            .select(schema::places::code)
            .load::<String>(conn)?
            .into_iter()
            .collect(),
        indicators: indicators.into_iter().map(|(code, _)| code).collect(),
        categories,
    })
}

/// When the published data last changed.
pub fn data_updated_at(
    conn: &mut PgConnection,
) -> QueryResult<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(Some(releases::data_version(conn)?.changed_at))
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
    let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = {})",
        quote_literal(&name)
    )))
    .get_result(&mut conn)?;
    if !exists {
        log::info!("creating database {name}");
        match diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(&name)))
            .execute(&mut conn)
        {
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
