//! The staging table of an import: the checked rows of one file, copied in batches into a
//! temporary table that lives as long as the import's transaction. What the file changes (added,
//! changed, unchanged, retracted) is then found and written by set-based SQL, so an import of
//! millions of rows holds one batch in memory, not the file.

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Numeric, Text, Timestamptz};

use super::observation_writes::NewObservation;
use crate::domain::Kind;

diesel::table! {
    /// Temporary: created by [`create`], dropped at commit.
    import_rows (row) {
        row -> Int8,
        indicator_code -> Text,
        place_code -> Text,
        period_start -> Int4,
        period_end -> Int4,
        kind -> Text,
        value -> Numeric,
        qualifier -> Text,
        value_as_written -> Text,
        unit_as_written -> Text,
        source_id -> Text,
        quote -> Text,
        quote_start -> Int4,
        quote_end -> Int4,
        note -> Nullable<Text>,
    }
}

/// A checked row and its number in the file, as COPY sends it.
#[derive(Insertable)]
#[diesel(table_name = import_rows, treat_none_as_default_value = false)]
pub struct Staged {
    row: i64,
    indicator_code: String,
    place_code: String,
    period_start: i32,
    period_end: i32,
    kind: Kind,
    value: BigDecimal,
    qualifier: crate::domain::Qualifier,
    value_as_written: String,
    unit_as_written: String,
    source_id: String,
    quote: String,
    quote_start: i32,
    quote_end: i32,
    note: Option<String>,
}

impl Staged {
    pub fn new(row: u64, o: NewObservation) -> Staged {
        Staged {
            row: i64::try_from(row).unwrap_or(i64::MAX),
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
        }
    }
}

/// The memory PostgreSQL may give each sort and hash of an import (its comparison of a million
/// rows, the duplicate check): once at a time, as imports serialize.
pub const WORK_MEM: &str = "64MB";

/// Creates the staging table for this transaction. Codes compare as the observations' do
/// (collation "C").
pub fn create(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT set_config('work_mem', $1, true)")
        .bind::<Text, _>(WORK_MEM)
        .execute(conn)?;
    conn.batch_execute(
        "DROP TABLE IF EXISTS pg_temp.import_rows, pg_temp.import_matched;
        CREATE TEMP TABLE import_rows (
            row bigint PRIMARY KEY,
            indicator_code text NOT NULL,
            place_code text COLLATE \"C\" NOT NULL,
            period_start integer NOT NULL,
            period_end integer NOT NULL,
            kind text NOT NULL,
            value numeric NOT NULL,
            qualifier text NOT NULL,
            value_as_written text NOT NULL,
            unit_as_written text NOT NULL,
            source_id text NOT NULL,
            quote text NOT NULL,
            quote_start integer NOT NULL,
            quote_end integer NOT NULL,
            note text
        ) ON COMMIT DROP;
        CREATE TEMP TABLE import_matched (
            row bigint PRIMARY KEY,
            id bigint,
            old_value numeric,
            outcome text NOT NULL
        ) ON COMMIT DROP;",
    )
}

/// Adds a batch of checked rows (binary COPY).
pub fn copy(conn: &mut PgConnection, batch: &[Staged]) -> QueryResult<usize> {
    use diesel::prelude::ExecuteCopyFromDsl;
    diesel::copy_from(import_rows::table)
        .from_insertable(batch)
        .execute(conn)
}

/// Matches each staged row with the stored observation of `source` of the same natural key, if
/// any, and says what publishing it would do: `added`, `changed` (another value, or retracted and
/// back) or `unchanged`. Once per import, into `import_matched`, which the queries below read.
pub fn compare(conn: &mut PgConnection, source: &str) -> QueryResult<()> {
    // Every staged key is distinct, so a memoized nested loop caches nothing and costs three
    // times the hash join.
    conn.batch_execute("ANALYZE import_rows; SET LOCAL enable_memoize = off;")?;
    diesel::sql_query(
        "INSERT INTO import_matched (row, id, old_value, outcome)
        SELECT s.row, o.id, o.value,
            CASE WHEN o.id IS NULL THEN 'added'
                 WHEN o.retracted_at IS NOT NULL
                      OR (o.value, o.qualifier, o.value_as_written, o.unit_as_written, o.quote,
                          o.quote_start, o.quote_end, o.note)
                         IS DISTINCT FROM
                         (s.value, s.qualifier, s.value_as_written, s.unit_as_written, s.quote,
                          s.quote_start, s.quote_end, s.note)
                 THEN 'changed'
                 ELSE 'unchanged' END
        FROM import_rows s
        LEFT JOIN (SELECT * FROM observations WHERE source_id = $1) o
            ON (o.indicator_code, o.place_code, o.period_start, o.period_end, o.kind)
             = (s.indicator_code, s.place_code, s.period_start, s.period_end, s.kind)",
    )
    .bind::<Text, _>(source)
    .execute(conn)?;
    conn.batch_execute("ANALYZE import_matched;")
}

/// The stored, published observations of `$1` that the staged rows lack.
const MISSING: &str = "
    FROM observations o
    WHERE o.source_id = $1 AND o.retracted_at IS NULL
      AND NOT EXISTS (
        SELECT 1 FROM import_rows s
        WHERE (o.indicator_code, o.place_code, o.period_start, o.period_end, o.kind)
            = (s.indicator_code, s.place_code, s.period_start, s.period_end, s.kind))";

/// A staged row that states the same indicator, place, period and kind as an earlier one.
#[derive(QueryableByName)]
pub struct Duplicate {
    #[diesel(sql_type = BigInt, column_name = row)]
    pub number: i64,
    #[diesel(sql_type = BigInt)]
    pub first: i64,
}

/// Rows that repeat an earlier row's natural key, at most `limit`, in file order.
pub fn duplicates(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Duplicate>> {
    diesel::sql_query(
        "SELECT row, first FROM (
            SELECT row, min(row) OVER (PARTITION BY indicator_code, place_code, period_start,
                                                    period_end, kind) AS first
            FROM import_rows) d
         WHERE row <> first ORDER BY row LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)
}

#[derive(QueryableByName, Debug, Default)]
pub struct Counts {
    #[diesel(sql_type = BigInt)]
    pub added: i64,
    #[diesel(sql_type = BigInt)]
    pub changed: i64,
    #[diesel(sql_type = BigInt)]
    pub unchanged: i64,
    #[diesel(sql_type = BigInt)]
    pub retracted: i64,
}

/// How many staged rows would be added, changed and left unchanged, and how many stored
/// observations of `source` would be retracted (only when `retract_missing`).
pub fn counts(conn: &mut PgConnection, source: &str, retract_missing: bool) -> QueryResult<Counts> {
    diesel::sql_query(format!(
        "SELECT count(*) FILTER (WHERE outcome = 'added') AS added,
                count(*) FILTER (WHERE outcome = 'changed') AS changed,
                count(*) FILTER (WHERE outcome = 'unchanged') AS unchanged,
                CASE WHEN $2 THEN (SELECT count(*) {MISSING}) ELSE 0 END AS retracted
         FROM import_matched"
    ))
    .bind::<Text, _>(source)
    .bind::<Bool, _>(retract_missing)
    .get_result(conn)
}

/// One row of what an import does: a staged row, or (with no row) an observation it retracts.
#[derive(QueryableByName, Debug)]
pub struct Outcome {
    #[diesel(sql_type = Nullable<BigInt>, column_name = row)]
    pub number: Option<i64>,
    #[diesel(sql_type = Text)]
    pub outcome: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub indicator_code: String,
    #[diesel(sql_type = Text)]
    pub place_code: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub period_start: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub period_end: i32,
    #[diesel(sql_type = Text)]
    pub kind: Kind,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub value: Option<BigDecimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub old_value: Option<BigDecimal>,
}

/// The first `limit` outcomes: staged rows in file order, then retracted observations by id.
pub fn outcomes(
    conn: &mut PgConnection,
    source: &str,
    retract_missing: bool,
    limit: i64,
) -> QueryResult<Vec<Outcome>> {
    diesel::sql_query(format!(
        "(SELECT s.row, m.outcome, m.id, s.indicator_code, s.place_code, s.period_start,
                 s.period_end, s.kind, s.value,
                 CASE WHEN m.outcome = 'changed' THEN m.old_value END AS old_value
          FROM import_rows s JOIN import_matched m USING (row) ORDER BY s.row LIMIT $3)
         UNION ALL
         (SELECT NULL, 'retracted', o.id, o.indicator_code, o.place_code, o.period_start,
                 o.period_end, o.kind, NULL, o.value
          {MISSING} AND $2 ORDER BY o.id LIMIT $3)
         LIMIT $3"
    ))
    .bind::<Text, _>(source)
    .bind::<Bool, _>(retract_missing)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Publishes the staged rows that add or change something as part of release `release_id` at
/// `at`: new ones inserted; changed ones updated in place, keeping their id and coming back if
/// retracted (the revision trigger keeps the values they replace).
pub fn publish(conn: &mut PgConnection, at: DateTime<Utc>, release_id: i64) -> QueryResult<usize> {
    let added = diesel::sql_query(
        "INSERT INTO observations (indicator_code, place_code, period_start, period_end, kind,
             value, qualifier, value_as_written, unit_as_written, source_id, quote, quote_start,
             quote_end, note, created_at, updated_at, release_id)
         SELECT indicator_code, place_code, period_start, period_end, kind, value, qualifier,
             value_as_written, unit_as_written, source_id, quote, quote_start, quote_end, note,
             $1, $1, $2
         FROM import_rows s JOIN import_matched m USING (row) WHERE m.outcome = 'added'",
    )
    .bind::<Timestamptz, _>(at)
    .bind::<BigInt, _>(release_id)
    .execute(conn)?;
    let changed = diesel::sql_query(
        "UPDATE observations o SET value = s.value, qualifier = s.qualifier,
             value_as_written = s.value_as_written, unit_as_written = s.unit_as_written,
             quote = s.quote, quote_start = s.quote_start, quote_end = s.quote_end,
             note = s.note, updated_at = $1, release_id = $2, retracted_at = NULL
         FROM import_rows s JOIN import_matched m USING (row)
         WHERE m.outcome = 'changed' AND o.id = m.id",
    )
    .bind::<Timestamptz, _>(at)
    .bind::<BigInt, _>(release_id)
    .execute(conn)?;
    Ok(added + changed)
}

/// Retracts the published observations of `source` that the staged rows lack, as part of
/// release `release_id` at `at`: they stay, marked.
pub fn retract_missing(
    conn: &mut PgConnection,
    source: &str,
    at: DateTime<Utc>,
    release_id: i64,
) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "UPDATE observations SET retracted_at = $2, updated_at = $2, release_id = $3
         WHERE id IN (SELECT o.id {MISSING})"
    ))
    .bind::<Text, _>(source)
    .bind::<Timestamptz, _>(at)
    .bind::<BigInt, _>(release_id)
    .execute(conn)
}
