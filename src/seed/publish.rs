//! Publishing observations as a release: loads serialize on one lock, and say what they did.
//! What a load changes is found and written by `import` (through `db::staging`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// What a publication did; `release_id` is `None` when nothing changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Publication {
    pub release_id: Option<i64>,
    pub added: usize,
    pub changed: usize,
    pub retracted: usize,
}

/// Serializes loads, so that release times increase in commit order and a client syncing by
/// `updated_since` never passes a time that a later commit could still write.
pub fn lock_for_load(conn: &mut PgConnection) -> QueryResult<DateTime<Utc>> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(7204116253)").execute(conn)?;
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Timestamptz>(
        "clock_timestamp()",
    ))
    .get_result(conn)
}

/// [`lock_for_load`] on an async connection, for writes through the API.
pub async fn lock_for_load_async(
    conn: &mut diesel_async::AsyncPgConnection,
) -> QueryResult<DateTime<Utc>> {
    let lock = diesel::sql_query("SELECT pg_advisory_xact_lock(7204116253)");
    diesel_async::RunQueryDsl::execute(lock, conn).await?;
    let now = diesel::select(diesel::dsl::sql::<diesel::sql_types::Timestamptz>(
        "clock_timestamp()",
    ));
    diesel_async::RunQueryDsl::get_result(now, conn).await
}
