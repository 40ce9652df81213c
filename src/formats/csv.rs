//! CSV (RFC 4180, UTF-8, one header row) of observations, places, indicators and sources.

use crate::db::indicators::Indicator;
use crate::db::places::Place;
use crate::db::releases::Release;
use crate::db::sources::SourceMeta;
use crate::error::ApiError;
use crate::views::ObservationView;

/// The UTF-8 byte order mark that makes Excel read the file as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A column: its header and how a row's value is written in it.
pub type Column<T> = (&'static str, fn(&T) -> String);

/// The headers of `columns`, in order.
const fn headers<T, const N: usize>(columns: &[Column<T>; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = columns[i].0;
        i += 1;
    }
    out
}

/// The columns of an observation row, in order. Documented in README.md; never reorder.
pub const OBSERVATION_FIELDS: [Column<ObservationView>; 23] = [
    ("id", |o| o.id.to_string()),
    ("indicator_code", |o| o.indicator.code.clone()),
    ("indicator_name_zh", |o| o.indicator.name_zh.clone()),
    ("indicator_name_en", |o| o.indicator.name_en.clone()),
    ("place_code", |o| o.place.code.clone()),
    ("place_name_zh", |o| o.place.name_zh.clone()),
    ("place_name_en", |o| o.place.name_en.clone()),
    ("place_level", |o| o.place.level.to_string()),
    ("period_start", |o| o.period_start.to_string()),
    ("period_end", |o| o.period_end.to_string()),
    ("kind", |o| o.kind.to_string()),
    ("value", |o| o.value.to_string()),
    ("unit", |o| o.unit.clone()),
    ("qualifier", |o| o.qualifier.to_string()),
    ("value_as_written", |o| o.value_as_written.clone()),
    ("unit_as_written", |o| o.unit_as_written.clone()),
    ("note", |o| o.note.clone().unwrap_or_default()),
    ("source", |o| o.source.clone()),
    ("quote", |o| o.quote.clone()),
    ("url", |o| o.url.clone()),
    ("citation_zh", |o| o.citation.zh.clone()),
    ("citation_en", |o| o.citation.en.clone()),
    // Added after the others: columns are never reordered.
    ("quote_start", |o| o.quote_start.to_string()),
];
pub const OBSERVATION_COLUMNS: [&str; 23] = headers(&OBSERVATION_FIELDS);

pub const PLACE_FIELDS: [Column<Place>; 5] = [
    ("code", |p| p.code.clone()),
    ("parent_code", |p| p.parent_code.clone().unwrap_or_default()),
    ("level", |p| p.level.to_string()),
    ("name_zh", |p| p.name_zh.clone()),
    ("name_en", |p| p.name_en.clone()),
];
pub const PLACE_COLUMNS: [&str; 5] = headers(&PLACE_FIELDS);

pub const INDICATOR_FIELDS: [Column<Indicator>; 8] = [
    ("code", |i| i.code.clone()),
    ("name_zh", |i| i.name_zh.clone()),
    ("name_en", |i| i.name_en.clone()),
    ("category", |i| i.category.clone()),
    ("unit", |i| i.unit.clone()),
    ("value_type", |i| i.value_type.to_string()),
    ("description_zh", |i| i.description_zh.clone()),
    ("description_en", |i| i.description_en.clone()),
];
pub const INDICATOR_COLUMNS: [&str; 8] = headers(&INDICATOR_FIELDS);

pub const SOURCE_FIELDS: [Column<SourceMeta>; 11] = [
    ("id", |s| s.id.clone()),
    ("title_zh", |s| s.title_zh.clone()),
    ("title_en", |s| s.title_en.clone()),
    ("publisher_zh", |s| s.publisher_zh.clone()),
    ("publisher_en", |s| s.publisher_en.clone()),
    ("published_on", |s| s.published_on.to_string()),
    ("url", |s| s.url.clone().unwrap_or_default()),
    ("licence", |s| s.licence.clone()),
    ("sha256", |s| s.sha256.clone()),
    // Added after the others: columns are never reordered.
    ("delivered_on", |s| {
        s.delivered_on.map(|d| d.to_string()).unwrap_or_default()
    }),
    ("place_code", |s| s.place_code.clone().unwrap_or_default()),
];
pub const SOURCE_COLUMNS: [&str; 11] = headers(&SOURCE_FIELDS);

/// The release list's columns. A release's observations are `/v1/observations?release={id}`.
pub const RELEASE_FIELDS: [Column<Release>; 8] = [
    ("id", |r| r.id.to_string()),
    ("released_at", |r| {
        r.released_at
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }),
    ("title", |r| r.title.clone()),
    ("summary", |r| r.summary.clone()),
    ("observations_added", |r| r.observations_added.to_string()),
    ("observations_changed", |r| {
        r.observations_changed.to_string()
    }),
    ("observations_retracted", |r| {
        r.observations_retracted.to_string()
    }),
    ("published_by", |r| {
        r.published_by.clone().unwrap_or_default()
    }),
];
pub const RELEASE_COLUMNS: [&str; 8] = headers(&RELEASE_FIELDS);

/// One row written in `columns`.
pub fn record<T, const N: usize>(columns: &[Column<T>; N], row: &T) -> [String; N] {
    columns.map(|(_, value)| value(row))
}

/// Writes CSV records into memory, one batch at a time.
pub struct CsvBatch {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvBatch {
    /// A batch that starts with the BOM (when asked) and the header row.
    pub fn first(columns: &[&str], bom: bool) -> Result<CsvBatch, ApiError> {
        let mut batch = CsvBatch::next();
        if bom {
            batch.writer = csv::Writer::from_writer(BOM.to_vec());
        }
        batch.record(columns.iter().copied())?;
        Ok(batch)
    }

    /// A batch of further rows.
    pub fn next() -> CsvBatch {
        CsvBatch {
            writer: csv::Writer::from_writer(Vec::new()),
        }
    }

    pub fn record<I, T>(&mut self, fields: I) -> Result<(), ApiError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.writer.write_record(fields).map_err(ApiError::internal)
    }

    pub fn into_bytes(self) -> Result<Vec<u8>, ApiError> {
        self.writer
            .into_inner()
            .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))
    }
}
