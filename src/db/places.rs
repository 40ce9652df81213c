//! The place tree.

use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::places;
use crate::domain::Level;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, Identifiable)]
#[diesel(table_name = places, primary_key(code), check_for_backend(diesel::pg::Pg))]
#[diesel(treat_none_as_null = true)]
pub struct Place {
    pub code: String,
    pub parent_code: Option<String>,
    pub level: Level,
    pub name_zh: String,
    pub name_en: String,
    pub search_key: String,
}

#[derive(Debug, Default, Clone)]
pub struct PlaceFilter {
    pub level: Option<Level>,
    pub parent: Option<String>,
    /// Matched against the Chinese name, the English name and the toneless pinyin.
    pub q: Option<String>,
}

type Boxed<'a> = places::BoxedQuery<'a, diesel::pg::Pg>;

fn filtered(filter: &PlaceFilter) -> Boxed<'_> {
    let mut query = places::table.into_boxed();
    if let Some(level) = filter.level {
        query = query.filter(places::level.eq(level));
    }
    if let Some(parent) = &filter.parent {
        query = query.filter(places::parent_code.eq(parent));
    }
    if let Some(q) = &filter.q {
        let contains = format!("%{}%", escape_like(q));
        let key: String = q
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let names = places::name_zh
            .like(contains.clone())
            .or(places::name_en.ilike(contains));
        query = if key.is_empty() {
            query.filter(names)
        } else {
            query.filter(names.or(places::search_key.like(format!("%{key}%"))))
        };
    }
    query
}

/// How many places match the filter.
pub async fn count(conn: &mut AsyncPgConnection, filter: &PlaceFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn).await
}

/// Up to `limit` places matching the filter, in code order after `after`.
pub async fn page(
    conn: &mut AsyncPgConnection,
    filter: &PlaceFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Place>> {
    let mut query = filtered(filter)
        .select(Place::as_select())
        .order(places::code)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(places::code.gt(after.to_owned()));
    }
    query.load(conn).await
}

pub async fn find(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<Option<Place>> {
    places::table
        .find(code)
        .select(Place::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn children(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<Vec<Place>> {
    places::table
        .filter(places::parent_code.eq(code))
        .select(Place::as_select())
        .order(places::code)
        .load(conn)
        .await
}

/// The chain of parents from the place's parent up to its province.
pub async fn ancestors(conn: &mut AsyncPgConnection, place: &Place) -> QueryResult<Vec<Place>> {
    let mut chain = Vec::new();
    let mut next = place.parent_code.clone();
    while let Some(code) = next {
        match find(conn, &code).await? {
            Some(parent) => {
                next = parent.parent_code.clone();
                chain.push(parent);
            }
            None => break,
        }
    }
    Ok(chain)
}

/// Inserts or updates places by code; rows that are already identical are left untouched.
pub fn upsert(conn: &mut PgConnection, rows: &[Place]) -> QueryResult<usize> {
    let mut changed = 0;
    // Six parameters a row; PostgreSQL allows 65,535 bind parameters a statement.
    for chunk in rows.chunks(10_000) {
        let statement = diesel::insert_into(places::table)
            .values(chunk)
            .on_conflict(places::code)
            .do_update()
            .set((
                places::parent_code.eq(excluded(places::parent_code)),
                places::level.eq(excluded(places::level)),
                places::name_zh.eq(excluded(places::name_zh)),
                places::name_en.eq(excluded(places::name_en)),
                places::search_key.eq(excluded(places::search_key)),
            ));
        // Only rows that differ are rewritten, so the count says what changed.
        let statement = diesel::query_dsl::methods::FilterDsl::filter(
            statement,
            places::parent_code
                .is_distinct_from(excluded(places::parent_code))
                .or(places::level.ne(excluded(places::level)))
                .or(places::name_zh.ne(excluded(places::name_zh)))
                .or(places::name_en.ne(excluded(places::name_en)))
                .or(places::search_key.ne(excluded(places::search_key))),
        );
        changed += diesel::RunQueryDsl::execute(statement, conn)?;
    }
    Ok(changed)
}

/// Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Writes `place` unless the stored row is identical.
pub async fn save(conn: &mut AsyncPgConnection, place: &Place) -> QueryResult<super::Saved> {
    match find(conn, &place.code).await? {
        Some(stored) if stored == *place => Ok(super::Saved::Unchanged),
        Some(_) => {
            diesel::update(place).set(place).execute(conn).await?;
            Ok(super::Saved::Changed)
        }
        None => {
            diesel::insert_into(places::table)
                .values(place)
                .execute(conn)
                .await?;
            Ok(super::Saved::Created)
        }
    }
}
