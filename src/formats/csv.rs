//! CSV (RFC 4180, UTF-8, one header row) of observations, places, indicators and sources.

use crate::db::indicators::Indicator;
use crate::db::places::Place;
use crate::db::sources::SourceMeta;
use crate::error::ApiError;
use crate::views::ObservationView;

/// The UTF-8 byte order mark that makes Excel read the file as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The columns of an observation row, in order. Documented in README.md; never reorder.
pub const OBSERVATION_COLUMNS: [&str; 22] = [
    "id",
    "indicator_code",
    "indicator_name_zh",
    "indicator_name_en",
    "place_code",
    "place_name_zh",
    "place_name_en",
    "place_level",
    "period_start",
    "period_end",
    "kind",
    "value",
    "unit",
    "qualifier",
    "value_as_written",
    "unit_as_written",
    "note",
    "source",
    "quote",
    "url",
    "citation_zh",
    "citation_en",
];

pub const PLACE_COLUMNS: [&str; 5] = ["code", "parent_code", "level", "name_zh", "name_en"];

pub const INDICATOR_COLUMNS: [&str; 8] = [
    "code",
    "name_zh",
    "name_en",
    "category",
    "unit",
    "value_type",
    "description_zh",
    "description_en",
];

pub const SOURCE_COLUMNS: [&str; 9] = [
    "id",
    "title_zh",
    "title_en",
    "publisher_zh",
    "publisher_en",
    "published_on",
    "url",
    "licence",
    "sha256",
];

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

pub fn observation_record(o: &ObservationView) -> [String; 22] {
    [
        o.id.to_string(),
        o.indicator.code.clone(),
        o.indicator.name_zh.clone(),
        o.indicator.name_en.clone(),
        o.place.code.clone(),
        o.place.name_zh.clone(),
        o.place.name_en.clone(),
        o.place.level.to_string(),
        o.period_start.to_string(),
        o.period_end.to_string(),
        o.kind.to_string(),
        o.value.to_string(),
        o.unit.clone(),
        o.qualifier.to_string(),
        o.value_as_written.clone(),
        o.unit_as_written.clone(),
        o.note.clone().unwrap_or_default(),
        o.source.clone(),
        o.quote.clone(),
        o.url.clone(),
        o.citation.zh.clone(),
        o.citation.en.clone(),
    ]
}

pub fn place_record(p: &Place) -> [String; 5] {
    [
        p.code.clone(),
        p.parent_code.clone().unwrap_or_default(),
        p.level.to_string(),
        p.name_zh.clone(),
        p.name_en.clone(),
    ]
}

pub fn indicator_record(i: &Indicator) -> [String; 8] {
    [
        i.code.clone(),
        i.name_zh.clone(),
        i.name_en.clone(),
        i.category.clone(),
        i.unit.clone(),
        i.value_type.to_string(),
        i.description_zh.clone(),
        i.description_en.clone(),
    ]
}

pub fn source_record(s: &SourceMeta) -> [String; 9] {
    [
        s.id.clone(),
        s.title_zh.clone(),
        s.title_en.clone(),
        s.publisher_zh.clone(),
        s.publisher_en.clone(),
        s.published_on.to_string(),
        s.url.clone().unwrap_or_default(),
        s.licence.clone(),
        s.sha256.clone(),
    ]
}
