//! Imports: a publisher's figures for one source, as CSV (the columns of the observation CSV
//! export, so an exported file edited in a spreadsheet imports back) or a JSON array of the same
//! fields. Every row is checked against the source's text before anything is written: the quote
//! must occur in it, the figure in the quote, the unit must fit the indicator, and a value or
//! qualifier given must be the one the words say. One bad row refuses the whole file (422 listing
//! every fault); a good file becomes one release, or none when it changes nothing. A dry run
//! answers the same report and writes nothing. `POST /v1/imports` and `township-stats import`
//! both come here.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::str::FromStr;

use actix_web::http::StatusCode;
use bigdecimal::BigDecimal;
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
use crate::normalize;
use crate::seed::publish;

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

/// Where an import's rows come from: a CSV file or a JSON array, read a row at a time, or rows
/// already in memory (the seed's).
pub enum Input {
    Csv(Box<dyn Read + Send>),
    Json(Box<dyn Read + Send>),
    Rows(Vec<Row>),
}

/// What [`Input::each`] does with a row: go on reading or stop.
type EachRow<'a> = &'a mut dyn FnMut(Row) -> Result<bool, ApiError>;

impl Input {
    /// Hands each row to `each` as it is read, until `each` says stop.
    pub fn each(self, each: EachRow) -> Result<(), ApiError> {
        match self {
            Input::Csv(read) => each_csv(read, each),
            Input::Json(read) => each_json(read, each),
            Input::Rows(rows) => {
                for row in rows {
                    if !each(row)? {
                        break;
                    }
                }
                Ok(())
            }
        }
    }
}

fn wanted(column: &str) -> bool {
    REQUIRED.contains(&column) || OPTIONAL.contains(&column)
}

/// Rows of a CSV file (UTF-8, a BOM allowed, a header row naming the columns).
fn each_csv(read: Box<dyn Read + Send>, each: EachRow) -> Result<(), ApiError> {
    let mut read = BufReader::with_capacity(64 * 1024, read);
    let start = read.fill_buf().map_err(|e| {
        bad(
            StatusCode::BAD_REQUEST,
            format!("the file cannot be read: {e}"),
        )
    })?;
    if start.starts_with(b"\xEF\xBB\xBF") {
        read.consume(3);
    }
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(read);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            bad(
                StatusCode::BAD_REQUEST,
                format!("the CSV header cannot be read: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let missing: Vec<FieldError> = REQUIRED
        .iter()
        .filter(|c| !header.iter().any(|h| h == *c))
        .map(|c| FieldError::new(*c, format!("the file has no `{c}` column")).row(1))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::body(StatusCode::UNPROCESSABLE_ENTITY, missing));
    }
    let mut record = csv::StringRecord::new();
    let mut number = 1;
    loop {
        number += 1;
        let more = reader.read_record(&mut record).map_err(|e| {
            ApiError::body(
                StatusCode::BAD_REQUEST,
                vec![FieldError::new("", format!("row {number} cannot be read: {e}")).row(number)],
            )
        })?;
        if !more {
            return Ok(());
        }
        let fields = header
            .iter()
            .zip(record.iter())
            .filter(|(h, _)| wanted(h))
            .map(|(h, v)| (h.clone(), v.to_owned()))
            .collect();
        if !each(Row { number, fields })? {
            return Ok(());
        }
    }
}

/// Rows of a JSON array of objects with the same fields (numbers may be JSON numbers), read one
/// element at a time.
fn each_json(read: Box<dyn Read + Send>, each: EachRow) -> Result<(), ApiError> {
    use serde::de::{Deserializer as _, Error as _, SeqAccess, Visitor};

    struct Elements<'a, 'b> {
        each: &'a mut EachRow<'b>,
        failed: &'a mut Option<ApiError>,
    }
    impl<'de> Visitor<'de> for Elements<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of objects")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut number = 0;
            while let Some(item) =
                seq.next_element::<serde_json::Map<String, serde_json::Value>>()?
            {
                number += 1;
                let fields = item
                    .into_iter()
                    .filter(|(k, _)| wanted(k))
                    .filter_map(|(k, v)| match v {
                        serde_json::Value::String(s) => Some((k, s)),
                        serde_json::Value::Null => None,
                        other => Some((k, other.to_string())),
                    })
                    .collect();
                match (self.each)(Row { number, fields }) {
                    Ok(true) => {}
                    Ok(false) => return Err(A::Error::custom(STOPPED)),
                    Err(e) => {
                        *self.failed = Some(e);
                        return Err(A::Error::custom(STOPPED));
                    }
                }
            }
            Ok(())
        }
    }
    const STOPPED: &str = "stopped";

    let mut each = each;
    let mut failed = None;
    let mut json = serde_json::Deserializer::from_reader(BufReader::with_capacity(64 * 1024, read));
    let read = json
        .deserialize_seq(Elements {
            each: &mut each,
            failed: &mut failed,
        })
        .and_then(|()| json.end());
    match (read, failed) {
        (_, Some(e)) => Err(e),
        (Ok(()), None) => Ok(()),
        (Err(e), None) if e.to_string().starts_with(STOPPED) => Ok(()),
        (Err(e), None) => Err(bad(
            StatusCode::BAD_REQUEST,
            format!("the body is not a JSON array of objects: {e}"),
        )),
    }
}

/// What the rows are checked against.
struct Context<'a> {
    source: &'a str,
    text: &'a str,
    indicators: HashMap<String, Indicator>,
    places: HashSet<String>,
    /// Where quotes already looked up occur in the text (a file often quotes one sentence for
    /// many rows); at most [`MAX_QUOTES_KEPT`].
    quotes: RefCell<HashMap<String, std::rc::Rc<[usize]>>>,
}

/// Distinct quotes whose offsets are kept while an import reads its rows.
const MAX_QUOTES_KEPT: usize = 10_000;

impl Context<'_> {
    fn occurrences(&self, quote: &str) -> std::rc::Rc<[usize]> {
        if let Some(found) = self.quotes.borrow().get(quote) {
            return found.clone();
        }
        let found: std::rc::Rc<[usize]> = occurrences(self.text, quote).into();
        let mut kept = self.quotes.borrow_mut();
        if kept.len() < MAX_QUOTES_KEPT {
            kept.insert(quote.to_owned(), found.clone());
        }
        found
    }
}

/// Character offsets of every occurrence of `quote` in `text`, counted in one pass.
fn occurrences(text: &str, quote: &str) -> Vec<usize> {
    let mut chars = 0;
    let mut counted = 0;
    text.match_indices(quote)
        .map(|(byte, _)| {
            chars += text[counted..byte].chars().count();
            counted = byte;
            chars
        })
        .collect()
}

/// At most ten offsets, for a message.
fn listed(offsets: &[usize]) -> String {
    let mut shown: Vec<String> = offsets.iter().take(10).map(usize::to_string).collect();
    if offsets.len() > 10 {
        shown.push("…".to_owned());
    }
    shown.join(", ")
}

/// Faults reported of one file, at most: past them, the file is refused with the first.
const MAX_FAULTS: usize = 1_000;

/// The observation a row states, or everything wrong with it.
fn check(row: &Row, ctx: &Context) -> Result<NewObservation, Vec<FieldError>> {
    let mut faults = Vec::new();
    let mut fault = |column: &str, value: &str, detail: String| {
        faults.push(FieldError::new(column, detail).value(value).row(row.number));
    };
    let get = |column: &str| row.fields.get(column).map(String::as_str).unwrap_or("");
    for (column, value) in &row.fields {
        if value.contains('\0') {
            fault(column, "", format!("`{column}` holds a NUL character"));
        }
    }
    for column in REQUIRED {
        if get(column).trim().is_empty() {
            fault(column, "", format!("`{column}` is empty"));
        }
    }
    let indicator_code = get("indicator_code").trim().to_ascii_lowercase();
    let indicator = ctx.indicators.get(&indicator_code);
    if indicator.is_none() && !indicator_code.is_empty() {
        fault(
            "indicator_code",
            &indicator_code,
            format!("no indicator has the code {indicator_code:?}"),
        );
    }
    let place_code = get("place_code").trim().to_owned();
    if !place_code.is_empty() && !ctx.places.contains(&place_code) {
        fault(
            "place_code",
            &place_code,
            format!("no place has the code {place_code:?}"),
        );
    }
    let year = |column: &str, fault: &mut dyn FnMut(&str, &str, String)| -> Option<i32> {
        let raw = get(column).trim();
        match raw.parse::<i32>() {
            Ok(y) if (1949..=2100).contains(&y) => Some(y),
            _ if raw.is_empty() => None,
            _ => {
                fault(
                    column,
                    raw,
                    format!("`{column}` is a year from 1949 to 2100, got {raw:?}"),
                );
                None
            }
        }
    };
    let period_start = year("period_start", &mut fault);
    let period_end = year("period_end", &mut fault);
    if let (Some(start), Some(end)) = (period_start, period_end) {
        if start > end {
            fault(
                "period_end",
                &end.to_string(),
                format!("the period ends ({end}) before it starts ({start})"),
            );
        }
    }
    let kind = match get("kind").trim() {
        "" => None,
        raw => Kind::from_str(raw)
            .map_err(|e| fault("kind", raw, format!("`kind`: {e}")))
            .ok(),
    };
    let quote = get("quote");
    let found = if quote.is_empty() {
        std::rc::Rc::from([])
    } else {
        ctx.occurrences(quote)
    };
    let quote_start = match (&*found, get("quote_start").trim()) {
        ([], _) if !quote.is_empty() => {
            fault(
                "quote",
                quote,
                format!("the quote does not occur in the text of {:?}", ctx.source),
            );
            None
        }
        ([], _) => None,
        ([only], "") => Some(*only),
        (many, "") => {
            fault(
                "quote_start",
                "",
                format!(
                    "the quote occurs {} times in the text (at characters {}): say which in `quote_start`",
                    many.len(),
                    listed(many)
                ),
            );
            None
        }
        (found, raw) => match raw.parse::<usize>() {
            Ok(start) if found.contains(&start) => Some(start),
            _ => {
                fault(
                    "quote_start",
                    raw,
                    format!(
                        "the quote does not start at character {raw} of the text; it starts at {}",
                        listed(found)
                    ),
                );
                None
            }
        },
    };
    let value_as_written = get("value_as_written").trim();
    let unit_as_written = get("unit_as_written").trim();
    // A figure is a few characters; PostgreSQL's numeric has limits of its own.
    if value_as_written.chars().count() > MAX_FIGURE_CHARS {
        fault(
            "value_as_written",
            "",
            format!("a figure is at most {MAX_FIGURE_CHARS} characters"),
        );
    }
    let readable =
        !value_as_written.is_empty() && value_as_written.chars().count() <= MAX_FIGURE_CHARS;
    let figure = match indicator {
        Some(indicator) if !quote.is_empty() && readable => {
            match normalize::figure(
                quote,
                value_as_written,
                unit_as_written,
                &indicator.unit,
                indicator.value_type,
            ) {
                Ok(figure) => Some(figure),
                Err(normalize::FigureError::Unit(detail)) => {
                    fault("unit_as_written", unit_as_written, detail);
                    None
                }
                Err(normalize::FigureError::Value(detail)) => {
                    fault("value_as_written", value_as_written, detail);
                    None
                }
            }
        }
        _ => None,
    };
    if let (Some(figure), Some(indicator)) = (&figure, indicator) {
        let given_value = get("value").trim();
        if !given_value.is_empty() {
            // Read only what a figure can be: bigdecimal would take `10e9223372036854775808`.
            let agrees = given_value.len() <= MAX_FIGURE_CHARS
                && given_value
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
                && BigDecimal::from_str(given_value).is_ok_and(|v| v.normalized() == figure.value);
            if !agrees {
                fault(
                    "value",
                    given_value,
                    format!(
                        "the quote says {value_as_written}{unit_as_written}, which is {} {}",
                        figure.value, indicator.unit
                    ),
                );
            }
        }
        let given_qualifier = get("qualifier").trim();
        if !given_qualifier.is_empty() && given_qualifier != figure.qualifier.as_str() {
            fault(
                "qualifier",
                given_qualifier,
                format!("the quote's words make it `{}`", figure.qualifier),
            );
        }
        let given_unit = get("unit").trim();
        if !given_unit.is_empty() && given_unit != indicator.unit {
            fault(
                "unit",
                given_unit,
                format!("{} is measured in {}", indicator.code, indicator.unit),
            );
        }
    }
    match (
        faults.is_empty(),
        indicator,
        period_start,
        period_end,
        kind,
        quote_start,
        figure,
    ) {
        (
            true,
            Some(indicator),
            Some(period_start),
            Some(period_end),
            Some(kind),
            Some(start),
            Some(figure),
        ) => {
            let start = i32::try_from(start).unwrap_or(i32::MAX);
            let length = i32::try_from(quote.chars().count()).unwrap_or(i32::MAX);
            let note = get("note").trim();
            Ok(NewObservation {
                indicator_code: indicator.code.clone(),
                place_code,
                period_start,
                period_end,
                kind,
                value: figure.value,
                qualifier: figure.qualifier,
                value_as_written: value_as_written.to_owned(),
                unit_as_written: unit_as_written.to_owned(),
                source_id: ctx.source.to_owned(),
                quote: quote.to_owned(),
                quote_start: start,
                quote_end: start.saturating_add(length),
                note: (!note.is_empty()).then(|| note.to_owned()),
            })
        }
        _ => Err(faults),
    }
}

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
    let ctx = Context {
        source,
        text: &text,
        indicators,
        places,
        quotes: RefCell::default(),
    };
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
