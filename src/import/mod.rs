//! Imports: a publisher's figures for one source, as CSV (the columns of the observation CSV
//! export, so an exported file edited in a spreadsheet imports back) or a JSON array of the same
//! fields. Every row is checked against the source's text before anything is written: the quote
//! must occur in it, the figure in the quote, the unit must fit the indicator, and a value or
//! qualifier given must be the one the words say. One bad row refuses the whole file (422 listing
//! every fault); a good file becomes one release, or none when it changes nothing. A dry run
//! answers the same report and writes nothing. `POST /v1/imports` and `township-stats import`
//! both come here.

use std::collections::{HashMap, HashSet};

use actix_web::http::StatusCode;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

use crate::db::indicators::Indicator;
use crate::db::observations::NewObservation;
use crate::db::releases::{self, NewRelease};
use crate::db::schema::{indicators, places, sources};
use crate::db::staging;
use crate::domain::Kind;
use crate::error::{ApiError, FieldError};
use crate::seed::publish;

mod check;
mod read;
use check::{check, Context};
pub use read::Input;

/// Columns every row has.
pub const REQUIRED: [&str; 8] = [
    "indicator_code",
    "place_code",
    "period_start",
    "period_end",
    "kind",
    "value_as_written",
    "unit_as_written",
    "quote",
];
/// The longest `value_as_written` read (`1,234,567,890.25` has 16).
const MAX_FIGURE_CHARS: usize = 40;

/// Columns a row may have; any other column (names, url, citations of an export) is ignored.
pub const OPTIONAL: [&str; 5] = ["qualifier", "quote_start", "value", "unit", "note"];

/// `upsert` adds and changes; `replace` also retracts the source's observations the file lacks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Upsert,
    Replace,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub source: String,
    pub mode: Mode,
    pub dry_run: bool,
    pub title: Option<String>,
    /// The token's name, recorded on the release.
    pub published_by: Option<String>,
}

/// A row as read: its number in the file (the CSV header is row 1; a JSON array's first
/// element is row 1) and its fields.
#[derive(Debug, Clone)]
pub struct Row {
    pub number: u64,
    pub fields: HashMap<String, String>,
}

/// What an import did, or would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// The release written; none for a dry run or a file that changes nothing.
    pub release: Option<i64>,
    pub dry_run: bool,
    pub added: usize,
    pub changed: usize,
    pub retracted: usize,
    pub unchanged: usize,
    /// Each row's outcome in file order, then each retracted observation: the first 10,000.
    pub rows: Vec<RowOutcome>,
    /// Outcomes past the first 10,000, not listed in `rows`.
    pub omitted: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RowOutcome {
    /// The row of the file; none for a retracted observation.
    pub row: Option<u64>,
    /// `added`, `changed`, `unchanged` or `retracted`.
    pub outcome: &'static str,
    /// The stored observation's id, when there is one.
    pub id: Option<i64>,
    pub indicator_code: String,
    pub place_code: String,
    pub period_start: i32,
    pub period_end: i32,
    pub kind: Kind,
    /// The value this import publishes (none for a retraction).
    #[schema(value_type = Option<String>)]
    pub value: Option<String>,
    /// The value it replaces, for changed and retracted rows.
    #[schema(value_type = Option<String>)]
    pub old_value: Option<String>,
}

fn bad(status: StatusCode, detail: String) -> ApiError {
    ApiError::body(status, vec![FieldError::new("", detail)])
}

/// Faults reported of one file, at most: past them, the file is refused with the first.
const MAX_FAULTS: usize = 1_000;

/// How many rows of a file are staged at a time.
const BATCH_ROWS: usize = 5_000;

/// The most outcomes a report lists; past them it says how many it left out.
pub const REPORT_MAX_ROWS: i64 = 10_000;

/// Reads `input`, checking each row against the text of `source` and staging the good ones;
/// 422 with every fault (at most [`MAX_FAULTS`]), 404 when the source does not exist. Call in a
/// transaction: the staged rows are dropped at its end.
fn stage(conn: &mut PgConnection, source: &str, input: Input) -> Result<(), ApiError> {
    let text: Option<String> = sources::table
        .find(source)
        .select(sources::content)
        .first(conn)
        .optional()?;
    let Some(text) = text else {
        return Err(ApiError::NotFound(format!(
            "no source has the id {source:?}: register it first with PUT /v1/sources/{{id}}"
        )));
    };
    let indicators: HashMap<String, Indicator> = indicators::table
        .select(Indicator::as_select())
        .load(conn)?
        .into_iter()
        .map(|i| (i.code.clone(), i))
        .collect();
    // Every code: a few megabytes for the gazetteer, and no query per row.
    let places: HashSet<String> = places::table
        .select(places::code)
        .load_iter::<String, diesel::pg::PgRowByRowLoadingMode>(conn)?
        .collect::<QueryResult<_>>()?;
    let ctx = Context::new(source, &text, indicators, places);
    staging::create(conn)?;
    let started = std::time::Instant::now();
    let mut faults = Vec::new();
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    let mut rows = 0;
    let mut copied: QueryResult<()> = Ok(());
    input.each(&mut |row| {
        rows += 1;
        match check(&row, &ctx) {
            Ok(observation) => batch.push(staging::Staged::new(row.number, observation)),
            Err(mut errors) => faults.append(&mut errors),
        }
        if batch.len() == BATCH_ROWS {
            copied = staging::copy(conn, &batch).map(drop);
            batch.clear();
        }
        Ok(copied.is_ok() && faults.len() < MAX_FAULTS)
    })?;
    copied?;
    staging::copy(conn, &batch)?;
    drop(batch);
    log::debug!(
        "import of {source}: {rows} rows read, checked and copied in {:?}",
        started.elapsed()
    );
    if rows == 0 {
        faults.push(FieldError::new("", "the file has no rows"));
    }
    for duplicate in staging::duplicates(conn, MAX_FAULTS as i64)? {
        faults.push(
            FieldError::new(
                "indicator_code",
                format!(
                    "row {} states the same indicator, place, period and kind",
                    duplicate.first
                ),
            )
            .row(duplicate.number as u64),
        );
    }
    if faults.is_empty() {
        return Ok(());
    }
    faults.sort_by_key(|f| f.row);
    faults.truncate(MAX_FAULTS);
    Err(ApiError::body(StatusCode::UNPROCESSABLE_ENTITY, faults))
}

/// Checks every row of `input`, then (unless a dry run) publishes the difference as one
/// release at `at`, none when nothing changes. Call in a transaction, after
/// [`publish::lock_for_load`] (which gives `at`): a failure, or a process killed midway, leaves
/// nothing. The seed comes through here too.
pub fn import(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    options: &Options,
    input: Input,
) -> Result<ImportReport, ApiError> {
    let source = options.source.as_str();
    let replace = options.mode == Mode::Replace;
    let started = std::time::Instant::now();
    stage(conn, source, input)?;
    log::debug!(
        "import of {source}: read, checked and staged in {:?}",
        started.elapsed()
    );
    staging::compare(conn, source)?;
    let counts = staging::counts(conn, source, replace)?;
    let listed = staging::outcomes(conn, source, replace, REPORT_MAX_ROWS)?;
    log::debug!("import of {source}: compared in {:?}", started.elapsed());
    let count = |n: i64| usize::try_from(n).unwrap_or(usize::MAX);
    let total = counts.added + counts.changed + counts.unchanged + counts.retracted;
    let mut report = ImportReport {
        release: None,
        dry_run: options.dry_run,
        added: count(counts.added),
        changed: count(counts.changed),
        retracted: count(counts.retracted),
        unchanged: count(counts.unchanged),
        omitted: count(total - listed.len() as i64),
        rows: listed
            .into_iter()
            .map(|o| RowOutcome {
                row: o.number.map(|r| r as u64),
                outcome: match o.outcome.as_str() {
                    "added" => "added",
                    "changed" => "changed",
                    "unchanged" => "unchanged",
                    _ => "retracted",
                },
                id: o.id,
                indicator_code: o.indicator_code,
                place_code: o.place_code,
                period_start: o.period_start,
                period_end: o.period_end,
                kind: o.kind,
                value: o.value.map(|v| v.normalized().to_plain_string()),
                old_value: o.old_value.map(|v| v.normalized().to_plain_string()),
            })
            .collect(),
    };
    if options.dry_run || counts.added + counts.changed + counts.retracted == 0 {
        return Ok(report);
    }
    let title = options
        .title
        .clone()
        .unwrap_or_else(|| format!("Import: {source}"));
    let summary = format!(
        "{} observations added, {} changed, {} retracted (source: {source}).",
        counts.added, counts.changed, counts.retracted
    );
    let clamp = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    let release = releases::insert(
        conn,
        &NewRelease {
            released_at: at,
            title: &title,
            summary: &summary,
            observations_added: clamp(counts.added),
            observations_changed: clamp(counts.changed),
            observations_retracted: clamp(counts.retracted),
            published_by: options.published_by.as_deref(),
        },
    )?;
    staging::publish(conn, at, release)?;
    if replace {
        staging::retract_missing(conn, source, at, release)?;
    }
    log::debug!("import of {source}: written in {:?}", started.elapsed());
    report.release = Some(release);
    Ok(report)
}

/// The row an observation is written as: what an export of it holds.
pub fn row_of(number: u64, o: &NewObservation) -> Row {
    let mut fields: HashMap<String, String> = [
        ("indicator_code", o.indicator_code.clone()),
        ("place_code", o.place_code.clone()),
        ("period_start", o.period_start.to_string()),
        ("period_end", o.period_end.to_string()),
        ("kind", o.kind.to_string()),
        ("value_as_written", o.value_as_written.clone()),
        ("unit_as_written", o.unit_as_written.clone()),
        ("quote", o.quote.clone()),
        ("quote_start", o.quote_start.to_string()),
        ("value", o.value.normalized().to_plain_string()),
        ("qualifier", o.qualifier.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if let Some(note) = &o.note {
        fields.insert("note".to_owned(), note.clone());
    }
    Row { number, fields }
}

/// [`import`] in a transaction of its own, under the loads' lock.
pub fn run(
    conn: &mut PgConnection,
    options: &Options,
    input: Input,
) -> Result<ImportReport, ApiError> {
    let report = conn.transaction(|conn| {
        let at = publish::lock_for_load(conn)?;
        import(conn, at, options, input)
    })?;
    // A large import changes the planner's picture of the table; autovacuum may be off or late.
    if report.added + report.changed + report.retracted >= ANALYZE_AFTER_ROWS {
        if let Err(e) = crate::db::analyze(conn) {
            log::warn!("after the import of {}: {e:#}", options.source);
        }
    }
    Ok(report)
}

/// Rows an import must write for the planner's statistics to be refreshed at its end.
const ANALYZE_AFTER_ROWS: usize = 10_000;

/// What the import endpoint needs beside the request: where to write (imports run on a
/// synchronous connection of their own, as loads do), how large a file may be, and one permit,
/// so that at most one file is held in memory at a time (imports serialize on the loads' lock
/// anyway).
pub struct Imports {
    pub database_url: String,
    pub max_bytes: u64,
    pub permit: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Imports {
    pub fn new(database_url: String, max_bytes: u64) -> Imports {
        Imports {
            database_url,
            max_bytes,
            permit: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }
}
