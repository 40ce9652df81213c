//! Releases (each load that changed observations) and the data version behind every ETag.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::{data_version, releases};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = releases, check_for_backend(diesel::pg::Pg))]
pub struct Release {
    pub id: i64,
    pub released_at: DateTime<Utc>,
    pub title: String,
    pub summary: String,
    pub observations_added: i32,
    pub observations_changed: i32,
    pub observations_retracted: i32,
    /// The name of the token that published it; none for loads from the command line.
    pub published_by: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = releases)]
pub struct NewRelease<'a> {
    pub released_at: DateTime<Utc>,
    pub title: &'a str,
    pub summary: &'a str,
    pub observations_added: i32,
    pub observations_changed: i32,
    pub observations_retracted: i32,
    pub published_by: Option<&'a str>,
}

pub fn insert(conn: &mut PgConnection, release: &NewRelease) -> QueryResult<i64> {
    let statement = diesel::insert_into(releases::table)
        .values(release)
        .returning(releases::id);
    diesel::RunQueryDsl::get_result(statement, conn)
}

/// The newest releases first.
pub async fn newest(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<Release>> {
    releases::table
        .select(Release::as_select())
        .order((releases::released_at.desc(), releases::id.desc()))
        .limit(limit)
        .load(conn)
        .await
}

/// Up to `limit` releases, newest first, older than release `before` when given. Loads are
/// serialized, so a later release always has a larger id.
pub async fn page(
    conn: &mut AsyncPgConnection,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Release>> {
    releases::table
        .filter(releases::id.lt(before.unwrap_or(i64::MAX)))
        .select(Release::as_select())
        .order(releases::id.desc())
        .limit(limit)
        .load(conn)
        .await
}

/// How many releases there are.
pub async fn count(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    releases::table.count().get_result(conn).await
}

pub async fn find(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Release>> {
    releases::table
        .find(id)
        .select(Release::as_select())
        .first(conn)
        .await
        .optional()
}

/// The version of the published data and when it last changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct DataVersion {
    pub version: i64,
    pub changed_at: DateTime<Utc>,
}

pub async fn data_version(conn: &mut AsyncPgConnection) -> QueryResult<DataVersion> {
    data_version::table
        .select((data_version::version, data_version::changed_at))
        .first(conn)
        .await
}

/// [`data_version`] on a synchronous connection (the listener, loads).
pub fn data_version_sync(conn: &mut PgConnection) -> QueryResult<DataVersion> {
    let query = data_version::table.select((data_version::version, data_version::changed_at));
    diesel::RunQueryDsl::first(query, conn)
}

/// The releases made at these times (a release stamps what it writes with its own time).
pub async fn made_at(
    conn: &mut AsyncPgConnection,
    times: &[DateTime<Utc>],
) -> QueryResult<Vec<(DateTime<Utc>, i64)>> {
    releases::table
        .filter(releases::released_at.eq_any(times))
        .select((releases::released_at, releases::id))
        .load(conn)
        .await
}
