//! PostgreSQL access: the connection pools, migrations, and one module of queries per table.
//! Request handlers reach PostgreSQL asynchronously (diesel-async), through [`Database::run`];
//! loads, migrations and the data version listener use synchronous diesel connections.

pub mod catalog;
mod database;
pub mod indicators;
pub mod memo;
mod metrics;
pub mod observation_order;
pub mod observation_writes;
pub mod observations;
pub mod places;
mod pool;
pub mod releases;
pub mod replicas;
pub mod schema;
pub mod sources;
pub mod staging;
pub mod tokens;
pub mod watch;

use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use database::{read_from, Database, PoolSettings, ReadTarget};
pub use pool::{parse_url, PgPool};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

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

/// Refreshes the planner's statistics of the tables loads write. Loads call it when they end,
/// so that plans never depend on autovacuum having run (it may be off, or late after a bulk
/// load).
pub fn analyze(conn: &mut PgConnection) -> anyhow::Result<()> {
    diesel::RunQueryDsl::execute(
        diesel::sql_query("ANALYZE places, indicators, sources, observations, releases"),
        conn,
    )
    .context("refreshing the planner's statistics (ANALYZE)")?;
    Ok(())
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

/// What saving a row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Created,
    Changed,
    /// The stored row was identical: nothing was written (and the data version stays).
    Unchanged,
}
