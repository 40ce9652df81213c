//! Observations: what a load writes (publish, COPY, retract) and what it compares against.
//! Listing and paging are in `observations`.

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::upsert::excluded;

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

impl NewObservation {
    /// The natural key: one observation per indicator, place, period, kind and source.
    pub fn key(&self) -> NaturalKey {
        (
            self.indicator_code.clone(),
            self.place_code.clone(),
            self.period_start,
            self.period_end,
            self.kind,
            self.source_id.clone(),
        )
    }
}

pub type NaturalKey = (String, String, i32, i32, Kind, String);

/// A row as written by a release: the observation and its change tracking.
#[derive(Insertable)]
#[diesel(table_name = observations)]
struct PublishedObservation {
    #[diesel(embed)]
    observation: NewObservation,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    release_id: i64,
}

/// What is stored for an observation, to compare with what a load brings.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = observations, check_for_backend(Pg))]
pub struct Stored {
    pub id: i64,
    #[diesel(embed)]
    pub observation: NewObservation,
    pub retracted_at: Option<DateTime<Utc>>,
}

/// Every stored observation of the given sources, retracted ones included.
pub fn stored_for_sources(
    conn: &mut PgConnection,
    source_ids: &[String],
) -> QueryResult<Vec<Stored>> {
    observations::table
        .filter(observations::source_id.eq_any(source_ids))
        .select(Stored::as_select())
        .order(observations::id)
        .load(conn)
}

/// Writes observations as part of release `release_id` at time `at`: new ones are inserted,
/// existing ones (by natural key) updated in place, keeping their id and un-retracting them. The
/// revision trigger keeps the values they replace.
pub fn publish(
    conn: &mut PgConnection,
    rows: &[NewObservation],
    at: DateTime<Utc>,
    release_id: i64,
) -> QueryResult<usize> {
    let rows: Vec<PublishedObservation> = rows
        .iter()
        .map(|observation| PublishedObservation {
            observation: observation.clone(),
            created_at: at,
            updated_at: at,
            release_id,
        })
        .collect();
    let mut written = 0;
    for chunk in rows.chunks(3_000) {
        written += diesel::insert_into(observations::table)
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
                observations::updated_at.eq(excluded(observations::updated_at)),
                observations::release_id.eq(excluded(observations::release_id)),
                observations::retracted_at.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)?;
    }
    Ok(written)
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

/// Retracts observations as part of release `release_id` at time `at`: they stay, marked.
pub fn retract(
    conn: &mut PgConnection,
    ids: &[i64],
    at: DateTime<Utc>,
    release_id: i64,
) -> QueryResult<usize> {
    diesel::update(observations::table.filter(observations::id.eq_any(ids)))
        .set((
            observations::retracted_at.eq(Some(at)),
            observations::updated_at.eq(at),
            observations::release_id.eq(release_id),
        ))
        .execute(conn)
}
