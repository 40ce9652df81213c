//! The indicator catalogue.

use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::indicators;
use crate::domain::ValueType;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, Identifiable)]
#[diesel(table_name = indicators, primary_key(code), check_for_backend(diesel::pg::Pg))]
pub struct Indicator {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub description_zh: String,
    pub description_en: String,
    pub category: String,
    pub unit: String,
    pub value_type: ValueType,
}

/// Which indicators a listing keeps.
#[derive(Debug, Default, Clone)]
pub struct IndicatorFilter {
    /// Only this category.
    pub category: Option<String>,
    /// Only indicators whose code, Chinese or English name or description contains this
    /// (case-insensitive).
    pub q: Option<String>,
}

fn filtered(filter: &IndicatorFilter) -> indicators::BoxedQuery<'static, diesel::pg::Pg> {
    let mut query = indicators::table.into_boxed();
    if let Some(category) = &filter.category {
        query = query.filter(indicators::category.eq(category.clone()));
    }
    if let Some(q) = &filter.q {
        let pattern = format!("%{}%", super::places::escape_like(q));
        query = query.filter(
            indicators::code
                .ilike(pattern.clone())
                .or(indicators::name_zh.ilike(pattern.clone()))
                .or(indicators::name_en.ilike(pattern.clone()))
                .or(indicators::description_zh.ilike(pattern.clone()))
                .or(indicators::description_en.ilike(pattern)),
        );
    }
    query
}

/// How many indicators the filter keeps.
pub async fn count(conn: &mut AsyncPgConnection, filter: &IndicatorFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn).await
}

/// Up to `limit` indicators the filter keeps, in code order after `after`.
pub async fn page(
    conn: &mut AsyncPgConnection,
    filter: &IndicatorFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Indicator>> {
    let mut query = filtered(filter)
        .select(Indicator::as_select())
        .order(indicators::code)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(indicators::code.gt(after.to_owned()));
    }
    query.load(conn).await
}

pub async fn find(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<Option<Indicator>> {
    indicators::table
        .find(code)
        .select(Indicator::as_select())
        .first(conn)
        .await
        .optional()
}

/// Every category in use, sorted.
pub async fn categories(conn: &mut AsyncPgConnection) -> QueryResult<Vec<String>> {
    indicators::table
        .select(indicators::category)
        .distinct()
        .order(indicators::category)
        .load(conn)
        .await
}

/// Inserts or updates indicators by code; identical rows are left untouched.
pub fn upsert(conn: &mut PgConnection, rows: &[Indicator]) -> QueryResult<usize> {
    let statement = diesel::insert_into(indicators::table)
        .values(rows)
        .on_conflict(indicators::code)
        .do_update()
        .set((
            indicators::name_zh.eq(excluded(indicators::name_zh)),
            indicators::name_en.eq(excluded(indicators::name_en)),
            indicators::description_zh.eq(excluded(indicators::description_zh)),
            indicators::description_en.eq(excluded(indicators::description_en)),
            indicators::category.eq(excluded(indicators::category)),
            indicators::unit.eq(excluded(indicators::unit)),
            indicators::value_type.eq(excluded(indicators::value_type)),
        ));
    let statement = diesel::query_dsl::methods::FilterDsl::filter(
        statement,
        indicators::name_zh
            .ne(excluded(indicators::name_zh))
            .or(indicators::name_en.ne(excluded(indicators::name_en)))
            .or(indicators::description_zh.ne(excluded(indicators::description_zh)))
            .or(indicators::description_en.ne(excluded(indicators::description_en)))
            .or(indicators::category.ne(excluded(indicators::category)))
            .or(indicators::unit.ne(excluded(indicators::unit)))
            .or(indicators::value_type.ne(excluded(indicators::value_type))),
    );
    diesel::RunQueryDsl::execute(statement, conn)
}

/// Writes `indicator` unless the stored row is identical.
pub async fn save(
    conn: &mut AsyncPgConnection,
    indicator: &Indicator,
) -> QueryResult<super::Saved> {
    match find(conn, &indicator.code).await? {
        Some(stored) if stored == *indicator => Ok(super::Saved::Unchanged),
        Some(_) => {
            diesel::update(indicator)
                .set(indicator)
                .execute(conn)
                .await?;
            Ok(super::Saved::Changed)
        }
        None => {
            diesel::insert_into(indicators::table)
                .values(indicator)
                .execute(conn)
                .await?;
            Ok(super::Saved::Created)
        }
    }
}

/// How many observations (retracted ones included) measure indicator `code`.
pub async fn observed(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<i64> {
    use super::schema::observations;
    observations::table
        .filter(observations::indicator_code.eq(code))
        .count()
        .get_result(conn)
        .await
}
