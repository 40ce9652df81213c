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
    /// The place the document is about, when it is about one.
    pub place_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Insertable, Queryable, Selectable, AsChangeset, Identifiable)]
#[diesel(table_name = sources, check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_null = true)]
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
    pub place_code: Option<String>,
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
            sources::place_code.eq(excluded(sources::place_code)),
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
            .or(sources::sha256.ne(excluded(sources::sha256)))
            .or(sources::place_code.is_distinct_from(excluded(sources::place_code))),
    );
    diesel::RunQueryDsl::execute(statement, conn)
}

/// The stored source `id`, text included.
pub async fn find_whole(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<Option<NewSource>> {
    sources::table
        .find(id)
        .select(NewSource::as_select())
        .first(conn)
        .await
        .optional()
}

/// Writes `source` unless the stored row is identical.
pub async fn save(conn: &mut AsyncPgConnection, source: &NewSource) -> QueryResult<super::Saved> {
    match find_whole(conn, &source.id).await? {
        Some(stored) if stored == *source => Ok(super::Saved::Unchanged),
        Some(_) => {
            diesel::update(source).set(source).execute(conn).await?;
            Ok(super::Saved::Changed)
        }
        None => {
            diesel::insert_into(sources::table)
                .values(source)
                .execute(conn)
                .await?;
            Ok(super::Saved::Created)
        }
    }
}

/// How many observations (retracted ones included) quote source `id`.
pub async fn quoted_by(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<i64> {
    use super::schema::observations;
    observations::table
        .filter(observations::source_id.eq(id))
        .count()
        .get_result(conn)
        .await
}

impl From<NewSource> for SourceMeta {
    fn from(s: NewSource) -> SourceMeta {
        SourceMeta {
            id: s.id,
            title_zh: s.title_zh,
            title_en: s.title_en,
            publisher_zh: s.publisher_zh,
            publisher_en: s.publisher_en,
            published_on: s.published_on,
            delivered_on: s.delivered_on,
            url: s.url,
            licence: s.licence,
            sha256: s.sha256,
            place_code: s.place_code,
        }
    }
}
