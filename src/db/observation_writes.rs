//! Observations as a source states them, and the bulk COPY of new ones (`synth`). Imports write
//! through `staging`; listing and paging are in `observations`.

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;

use super::schema::observations;
use crate::domain::{Kind, Qualifier};

/// An observation as a source states it; what a load publishes.
#[derive(Debug, Clone, PartialEq, Insertable, Queryable, Selectable)]
#[diesel(table_name = observations, check_for_backend(Pg))]
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

/// Adds observations that are known to be new, with COPY (binary), as part of release
/// `release_id` at time `at`. For bulk loads; a duplicate natural key fails the whole COPY.
pub fn copy_in(
    conn: &mut PgConnection,
    rows: Vec<NewObservation>,
    at: DateTime<Utc>,
    release_id: i64,
) -> QueryResult<usize> {
    use diesel::prelude::ExecuteCopyFromDsl;
    let rows: Vec<CopyRow> = rows
        .into_iter()
        .map(|o| CopyRow {
            indicator_code: o.indicator_code,
            place_code: o.place_code,
            period_start: o.period_start,
            period_end: o.period_end,
            kind: o.kind,
            value: o.value,
            qualifier: o.qualifier,
            value_as_written: o.value_as_written,
            unit_as_written: o.unit_as_written,
            source_id: o.source_id,
            quote: o.quote,
            quote_start: o.quote_start,
            quote_end: o.quote_end,
            note: o.note,
            created_at: at,
            updated_at: at,
            release_id: Some(release_id),
        })
        .collect();
    diesel::copy_from(observations::table)
        .from_insertable(&rows)
        .execute(conn)
}

/// One row as COPY sends it: every column spelled out, `None` as NULL.
#[derive(Insertable)]
#[diesel(table_name = observations, treat_none_as_default_value = false)]
struct CopyRow {
    indicator_code: String,
    place_code: String,
    period_start: i32,
    period_end: i32,
    kind: Kind,
    value: BigDecimal,
    qualifier: Qualifier,
    value_as_written: String,
    unit_as_written: String,
    source_id: String,
    quote: String,
    quote_start: i32,
    quote_end: i32,
    note: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    release_id: Option<i64>,
}

/// The places that already have observations from `source_id`.
pub fn places_with_source(conn: &mut PgConnection, source_id: &str) -> QueryResult<Vec<String>> {
    observations::table
        .filter(observations::source_id.eq(source_id))
        .select(observations::place_code)
        .distinct()
        .load(conn)
}
