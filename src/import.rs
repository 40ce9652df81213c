//! Imports: a publisher's figures for one source, as CSV (the columns of the observation CSV
//! export, so an exported file edited in a spreadsheet imports back) or a JSON array of the same
//! fields. Every row is checked against the source's text before anything is written: the quote
//! must occur in it, the figure in the quote, the unit must fit the indicator, and a value or
//! qualifier given must be the one the words say. One bad row refuses the whole file (422 listing
//! every fault); a good file becomes one release, or none when it changes nothing. A dry run
//! answers the same report and writes nothing. `POST /v1/imports` and `township-stats import`
//! both come here.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use actix_web::http::StatusCode;
use bigdecimal::BigDecimal;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::indicators::Indicator;
use crate::db::observations::{self, NaturalKey, NewObservation};
use crate::db::schema::{indicators, places, sources};
use crate::domain::Kind;
use crate::error::{ApiError, FieldError};
use crate::normalize;
use crate::seed::publish::{self, Diff};

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
    /// Each row's outcome, and each retracted observation.
    pub rows: Vec<RowOutcome>,
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

/// Rows of a CSV file (UTF-8, a BOM allowed, a header row naming the columns).
pub fn read_csv(bytes: &[u8]) -> Result<Vec<Row>, ApiError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
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
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let number = i as u64 + 2;
        let record = record.map_err(|e| {
            ApiError::body(
                StatusCode::BAD_REQUEST,
                vec![FieldError::new("", format!("row {number} cannot be read: {e}")).row(number)],
            )
        })?;
        let fields = header
            .iter()
            .zip(record.iter())
            .filter(|(h, _)| REQUIRED.contains(&h.as_str()) || OPTIONAL.contains(&h.as_str()))
            .map(|(h, v)| (h.clone(), v.to_owned()))
            .collect();
        rows.push(Row { number, fields });
    }
    Ok(rows)
}

/// Rows of a JSON array of objects with the same fields (numbers may be JSON numbers).
pub fn read_json(bytes: &[u8]) -> Result<Vec<Row>, ApiError> {
    let items: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_slice(bytes)
        .map_err(|e| {
            bad(
                StatusCode::BAD_REQUEST,
                format!("the body is not a JSON array of objects: {e}"),
            )
        })?;
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, item)| Row {
            number: i as u64 + 1,
            fields: item
                .into_iter()
                .filter(|(k, _)| REQUIRED.contains(&k.as_str()) || OPTIONAL.contains(&k.as_str()))
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k, s)),
                    serde_json::Value::Null => None,
                    other => Some((k, other.to_string())),
                })
                .collect(),
        })
        .collect())
}

/// What the rows are checked against.
struct Context<'a> {
    source: &'a str,
    text: &'a str,
    indicators: HashMap<String, Indicator>,
    places: HashSet<String>,
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
        Vec::new()
    } else {
        occurrences(ctx.text, quote)
    };
    let quote_start = match (found.as_slice(), get("quote_start").trim()) {
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

fn outcome(
    row: Option<u64>,
    outcome: &'static str,
    id: Option<i64>,
    o: &NewObservation,
    value: Option<&BigDecimal>,
    old: Option<&BigDecimal>,
) -> RowOutcome {
    RowOutcome {
        row,
        outcome,
        id,
        indicator_code: o.indicator_code.clone(),
        place_code: o.place_code.clone(),
        period_start: o.period_start,
        period_end: o.period_end,
        kind: o.kind,
        value: value.map(|v| v.normalized().to_plain_string()),
        old_value: old.map(|v| v.normalized().to_plain_string()),
    }
}

/// The observations `rows` state about `source`, each checked against its text, or 422 with
/// every fault (404 when the source does not exist). The seed goes through here too.
pub fn checked(
    conn: &mut PgConnection,
    source: &str,
    rows: &[Row],
) -> Result<(Vec<NewObservation>, HashMap<NaturalKey, u64>), ApiError> {
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
    let codes: HashSet<&str> = rows
        .iter()
        .filter_map(|r| r.fields.get("place_code"))
        .map(|c| c.trim())
        .filter(|c| !c.contains('\0'))
        .collect();
    let mut places_found = HashSet::new();
    let codes: Vec<&str> = codes.into_iter().collect();
    for chunk in codes.chunks(10_000) {
        let found: Vec<String> = places::table
            .filter(places::code.eq_any(chunk))
            .select(places::code)
            .load(conn)?;
        places_found.extend(found);
    }
    let ctx = Context {
        source,
        text: &text,
        indicators,
        places: places_found,
    };
    let mut faults = Vec::new();
    let mut observations = Vec::with_capacity(rows.len());
    let mut numbers: HashMap<NaturalKey, u64> = HashMap::new();
    for row in rows {
        match check(row, &ctx) {
            Ok(observation) => {
                if let Some(first) = numbers.insert(observation.key(), row.number) {
                    faults.push(
                        FieldError::new(
                            "indicator_code",
                            format!(
                                "row {first} states the same indicator, place, period and kind"
                            ),
                        )
                        .row(row.number),
                    );
                }
                observations.push(observation);
            }
            Err(mut errors) => faults.append(&mut errors),
        }
        if faults.len() >= MAX_FAULTS {
            faults.truncate(MAX_FAULTS);
            break;
        }
    }
    if rows.is_empty() {
        faults.push(FieldError::new("", "the file has no rows"));
    }
    if !faults.is_empty() {
        return Err(ApiError::body(StatusCode::UNPROCESSABLE_ENTITY, faults));
    }
    Ok((observations, numbers))
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

/// Checks every row, then (unless a dry run) publishes the difference as one release, all in
/// one transaction under the loads' lock: a failure, or a process killed midway, leaves nothing.
pub fn run(
    conn: &mut PgConnection,
    options: &Options,
    rows: &[Row],
) -> Result<ImportReport, ApiError> {
    conn.transaction(|conn| {
        let at = publish::lock_for_load(conn)?;
        let (observations, numbers) = checked(conn, &options.source, rows)?;
        let stored = observations::stored_for_sources(conn, std::slice::from_ref(&options.source))?;
        let diff = Diff::of(stored, &observations, options.mode == Mode::Replace);
        let mut report = ImportReport {
            release: None,
            dry_run: options.dry_run,
            added: diff.added.len(),
            changed: diff.changed.len(),
            retracted: diff.retracted.len(),
            unchanged: diff.unchanged.len(),
            rows: Vec::with_capacity(rows.len()),
        };
        let row_of = |o: &NewObservation| numbers.get(&o.key()).copied();
        for o in &diff.added {
            report
                .rows
                .push(outcome(row_of(o), "added", None, o, Some(&o.value), None));
        }
        for (stored, o) in &diff.changed {
            let old = stored.observation.value.clone();
            report.rows.push(outcome(
                row_of(o),
                "changed",
                Some(stored.id),
                o,
                Some(&o.value),
                Some(&old),
            ));
        }
        for stored in &diff.unchanged {
            let o = &stored.observation;
            report.rows.push(outcome(
                row_of(o),
                "unchanged",
                Some(stored.id),
                o,
                Some(&o.value),
                None,
            ));
        }
        for stored in &diff.retracted {
            let o = &stored.observation;
            report.rows.push(outcome(
                None,
                "retracted",
                Some(stored.id),
                o,
                None,
                Some(&o.value),
            ));
        }
        report.rows.sort_by_key(|r| (r.row.is_none(), r.row, r.id));
        if !options.dry_run {
            let title = options
                .title
                .clone()
                .unwrap_or_else(|| format!("Import: {}", options.source));
            let publication = publish::apply(
                conn,
                at,
                &title,
                options.published_by.as_deref(),
                std::slice::from_ref(&options.source),
                &diff,
            )?;
            report.release = publication.release_id;
        }
        Ok(report)
    })
}

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
