//! Published source documents.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::sources;

/// A source without its text.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = sources, check_for_backend(diesel::pg::Pg))]
pub struct SourceMeta {
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    pub publisher_zh: String,
    pub publisher_en: String,
    pub published_on: NaiveDate,
    /// The day the document was delivered (a report read to a congress), when known.
    pub delivered_on: Option<NaiveDate>,
    pub url: Option<String>,
    pub licence: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sources)]
pub struct NewSource {
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    pub publisher_zh: String,
    pub publisher_en: String,
    pub published_on: NaiveDate,
    /// The day the document was delivered (a report read to a congress), when known.
    pub delivered_on: Option<NaiveDate>,
    pub url: Option<String>,
    pub licence: String,
    pub content: String,
    pub sha256: String,
}

pub async fn count(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    sources::table.count().get_result(conn).await
}

/// Up to `limit` sources in id order after `after`.
pub async fn page(
    conn: &mut AsyncPgConnection,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<SourceMeta>> {
    let mut query = sources::table
        .select(SourceMeta::as_select())
        .order(sources::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(sources::id.gt(after.to_owned()));
    }
    query.load(conn).await
}

/// Every source, for citing observations.
pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<SourceMeta>> {
    sources::table
        .select(SourceMeta::as_select())
        .order(sources::id)
        .load(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<Option<SourceMeta>> {
    sources::table
        .find(id)
        .select(SourceMeta::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn content(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<Option<String>> {
    sources::table
        .find(id)
        .select(sources::content)
        .first(conn)
        .await
        .optional()
}

/// Inserts or updates a source by id; an identical row is left untouched.
pub fn upsert(conn: &mut PgConnection, source: &NewSource) -> QueryResult<usize> {
    let statement = diesel::insert_into(sources::table)
        .values(source)
        .on_conflict(sources::id)
        .do_update()
        .set((
            sources::title_zh.eq(excluded(sources::title_zh)),
            sources::title_en.eq(excluded(sources::title_en)),
            sources::publisher_zh.eq(excluded(sources::publisher_zh)),
            sources::publisher_en.eq(excluded(sources::publisher_en)),
            sources::published_on.eq(excluded(sources::published_on)),
            sources::delivered_on.eq(excluded(sources::delivered_on)),
            sources::url.eq(excluded(sources::url)),
            sources::licence.eq(excluded(sources::licence)),
            sources::content.eq(excluded(sources::content)),
            sources::sha256.eq(excluded(sources::sha256)),
        ));
    let statement = diesel::query_dsl::methods::FilterDsl::filter(
        statement,
        sources::title_zh
            .ne(excluded(sources::title_zh))
            .or(sources::title_en.ne(excluded(sources::title_en)))
            .or(sources::publisher_zh.ne(excluded(sources::publisher_zh)))
            .or(sources::publisher_en.ne(excluded(sources::publisher_en)))
            .or(sources::published_on.ne(excluded(sources::published_on)))
            .or(sources::delivered_on.is_distinct_from(excluded(sources::delivered_on)))
            .or(sources::url.is_distinct_from(excluded(sources::url)))
            .or(sources::licence.ne(excluded(sources::licence)))
            .or(sources::sha256.ne(excluded(sources::sha256))),
    );
    diesel::RunQueryDsl::execute(statement, conn)
}
