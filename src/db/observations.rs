//! Observations: the filtered, keyset-paginated listing and the seed's upsert.

use bigdecimal::BigDecimal;
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Text};
use diesel::upsert::excluded;
use serde::{Deserialize, Serialize};

use super::schema::{indicators, observations, places};
use crate::domain::{Kind, Level, Qualifier};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = observations, check_for_backend(Pg))]
pub struct ObservationRow {
    pub id: i64,
    pub period_start: i32,
    pub period_end: i32,
    pub kind: Kind,
    pub value: BigDecimal,
    pub qualifier: Qualifier,
    pub value_as_written: String,
    pub unit_as_written: String,
    pub source_id: String,
    pub quote: String,
    pub quote_start: i32,
    pub quote_end: i32,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = indicators, check_for_backend(Pg))]
pub struct IndicatorRef {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = places, check_for_backend(Pg))]
pub struct PlaceRef {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub level: Level,
}

/// An observation with the names of its indicator and place.
pub type ObservationWithRefs = (ObservationRow, IndicatorRef, PlaceRef);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = observations)]
pub struct NewObservation {
    pub indicator_code: String,
    pub place_code: String,
    pub period_start: i32,
    pub period_end: i32,
    pub kind: Kind,
    pub value: BigDecimal,
    pub qualifier: Qualifier,
    pub value_as_written: String,
    pub unit_as_written: String,
    pub source_id: String,
    pub quote: String,
    pub quote_start: i32,
    pub quote_end: i32,
    pub note: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct ObservationFilter {
    /// Place codes; empty means every place.
    pub places: Vec<String>,
    /// Also match every place below the given ones.
    pub descendants: bool,
    /// Indicator codes; empty means every indicator.
    pub indicators: Vec<String>,
    pub category: Option<String>,
    pub kind: Option<Kind>,
    /// Periods overlapping [from, to] match.
    pub from: Option<i32>,
    pub to: Option<i32>,
}

/// The orders a listing can take; each ends in `id`, so every order is total and keyset-safe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Sort {
    /// Load order (`id`).
    #[default]
    #[serde(rename = "id")]
    Id,
    /// Oldest period first: `period_start`, `period_end`, `id`.
    #[serde(rename = "period")]
    Period,
    /// Newest period first.
    #[serde(rename = "-period")]
    PeriodDesc,
    /// By indicator code, then `id`.
    #[serde(rename = "indicator")]
    Indicator,
    /// By place code, then `id`.
    #[serde(rename = "place")]
    Place,
}

/// Where the previous page ended, in the terms of its sort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum After {
    Id(i64),
    Period(i32, i32, i64),
    Code(String, i64),
}

impl After {
    /// The key of `row` under `sort`.
    pub fn of(sort: Sort, row: &ObservationWithRefs) -> After {
        let (obs, indicator, place) = row;
        match sort {
            Sort::Id => After::Id(obs.id),
            Sort::Period | Sort::PeriodDesc => {
                After::Period(obs.period_start, obs.period_end, obs.id)
            }
            Sort::Indicator => After::Code(indicator.code.clone(), obs.id),
            Sort::Place => After::Code(place.code.clone(), obs.id),
        }
    }

    /// Whether this key can continue a listing in `sort`.
    pub fn fits(&self, sort: Sort) -> bool {
        matches!(
            (self, sort),
            (After::Id(_), Sort::Id)
                | (After::Period(..), Sort::Period | Sort::PeriodDesc)
                | (After::Code(..), Sort::Indicator | Sort::Place)
        )
    }
}

type Joined = diesel::dsl::InnerJoin<
    diesel::dsl::InnerJoin<observations::table, indicators::table>,
    places::table,
>;
type Boxed<'a> = diesel::dsl::IntoBoxed<'a, Joined, Pg>;

fn filtered(filter: &ObservationFilter) -> Boxed<'static> {
    let mut query = observations::table
        .inner_join(indicators::table)
        .inner_join(places::table)
        .into_boxed();
    if !filter.places.is_empty() {
        if filter.descendants {
            // Codes nest (a place's code begins with its parent's), so "this place and all
            // below it" is a prefix match that the text_pattern_ops index answers.
            let patterns: Vec<String> = filter
                .places
                .iter()
                .map(|code| format!("{}%", super::places::escape_like(code)))
                .collect();
            query = query.filter(
                sql::<Bool>("observations.place_code LIKE ANY(")
                    .bind::<Array<Text>, _>(patterns)
                    .sql(")"),
            );
        } else {
            query = query.filter(observations::place_code.eq_any(filter.places.clone()));
        }
    }
    if !filter.indicators.is_empty() {
        query = query.filter(observations::indicator_code.eq_any(filter.indicators.clone()));
    }
    if let Some(category) = &filter.category {
        query = query.filter(indicators::category.eq(category.clone()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(observations::kind.eq(kind));
    }
    if let Some(from) = filter.from {
        query = query.filter(observations::period_end.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(observations::period_start.le(to));
    }
    query
}

/// One observation by id.
pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<ObservationWithRefs>> {
    observations::table
        .inner_join(indicators::table)
        .inner_join(places::table)
        .filter(observations::id.eq(id))
        .select((
            ObservationRow::as_select(),
            IndicatorRef::as_select(),
            PlaceRef::as_select(),
        ))
        .first(conn)
        .optional()
}

/// How many observations match the filter.
pub fn count(conn: &mut PgConnection, filter: &ObservationFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

/// Up to `limit` observations after `after` in the order `sort`.
pub fn page(
    conn: &mut PgConnection,
    filter: &ObservationFilter,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> QueryResult<Vec<ObservationWithRefs>> {
    let mut query = filtered(filter)
        .select((
            ObservationRow::as_select(),
            IndicatorRef::as_select(),
            PlaceRef::as_select(),
        ))
        .limit(limit);
    // Keep the rows after `after` in `sort`, as a row comparison PostgreSQL can index.
    if let Some(after) = after {
        query = match (sort, after) {
            (Sort::Id, After::Id(id)) => query.filter(observations::id.gt(*id)),
            (Sort::Period | Sort::PeriodDesc, After::Period(start, end, id)) => {
                let op = if sort == Sort::Period { ">" } else { "<" };
                query.filter(
                    sql::<Bool>(
                        "(observations.period_start, observations.period_end, observations.id) ",
                    )
                    .sql(op)
                    .sql(" (")
                    .bind::<Integer, _>(*start)
                    .sql(", ")
                    .bind::<Integer, _>(*end)
                    .sql(", ")
                    .bind::<BigInt, _>(*id)
                    .sql(")"),
                )
            }
            (Sort::Indicator | Sort::Place, After::Code(code, id)) => {
                let column = if sort == Sort::Indicator {
                    "observations.indicator_code"
                } else {
                    "observations.place_code"
                };
                query.filter(
                    sql::<Bool>(&format!("({column}, observations.id) > ("))
                        .bind::<Text, _>(code.clone())
                        .sql(", ")
                        .bind::<BigInt, _>(*id)
                        .sql(")"),
                )
            }
            // Handlers check `After::fits` first; a key of another sort matches nothing.
            _ => query.filter(sql::<Bool>("false")),
        };
    }
    query = match sort {
        Sort::Id => query.order(observations::id),
        Sort::Period => query.order((
            observations::period_start,
            observations::period_end,
            observations::id,
        )),
        Sort::PeriodDesc => query.order((
            observations::period_start.desc(),
            observations::period_end.desc(),
            observations::id.desc(),
        )),
        Sort::Indicator => query.order((observations::indicator_code, observations::id)),
        Sort::Place => query.order((observations::place_code, observations::id)),
    };
    query.load(conn)
}

/// Inserts observations, or updates them in place (keeping their id) when their natural key
/// exists with different content. Returns how many rows were written.
pub fn upsert(conn: &mut PgConnection, rows: &[NewObservation]) -> QueryResult<usize> {
    let mut written = 0;
    for chunk in rows.chunks(4_000) {
        let statement = diesel::insert_into(observations::table)
            .values(chunk)
            .on_conflict(diesel::upsert::on_constraint("observations_natural_key"))
            .do_update()
            .set((
                observations::value.eq(excluded(observations::value)),
                observations::qualifier.eq(excluded(observations::qualifier)),
                observations::value_as_written.eq(excluded(observations::value_as_written)),
                observations::unit_as_written.eq(excluded(observations::unit_as_written)),
                observations::quote.eq(excluded(observations::quote)),
                observations::quote_start.eq(excluded(observations::quote_start)),
                observations::quote_end.eq(excluded(observations::quote_end)),
                observations::note.eq(excluded(observations::note)),
            ));
        // Only rows that differ are rewritten (keeping their id), so the count says what changed.
        written += diesel::query_dsl::methods::FilterDsl::filter(
            statement,
            observations::value
                .ne(excluded(observations::value))
                .or(observations::qualifier.ne(excluded(observations::qualifier)))
                .or(observations::value_as_written.ne(excluded(observations::value_as_written)))
                .or(observations::unit_as_written.ne(excluded(observations::unit_as_written)))
                .or(observations::quote.ne(excluded(observations::quote)))
                .or(observations::quote_start.ne(excluded(observations::quote_start)))
                .or(observations::quote_end.ne(excluded(observations::quote_end)))
                .or(observations::note.is_distinct_from(excluded(observations::note))),
        )
        .execute(conn)?;
    }
    Ok(written)
}
