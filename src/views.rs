//! The public shapes of the API. Rows from `db` are converted here, so a change of column cannot
//! silently change the contract.

use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::citation::{Citation, Citer};
use crate::db::indicators::Indicator;
use crate::db::observations::{IndicatorRef, ObservationRow, ObservationWithRefs, PlaceRef};
use crate::db::places::Place;
use crate::db::sources::SourceMeta;
use crate::domain::{Kind, Lang, Level, Qualifier, ValueType};

/// A place of the administrative tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceView {
    /// NBS division code at its natural length, or a local village code (`511903114L001`).
    #[schema(example = "511903114")]
    pub code: String,
    /// The name in the language chosen by `lang`.
    #[schema(example = "双胜镇")]
    pub name: String,
    #[schema(example = "双胜镇")]
    pub name_zh: String,
    #[schema(example = "Shuangsheng Town")]
    pub name_en: String,
    pub level: Level,
    /// The code of the place one level up; null for a province.
    #[schema(example = "511903")]
    pub parent_code: Option<String>,
}

impl PlaceView {
    pub fn new(place: Place, lang: Lang) -> PlaceView {
        PlaceView {
            name: lang.pick(&place.name_zh, &place.name_en).to_owned(),
            code: place.code,
            name_zh: place.name_zh,
            name_en: place.name_en,
            level: place.level,
            parent_code: place.parent_code,
        }
    }
}

/// A place with the chain above it and the places directly below it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceDetail {
    #[serde(flatten)]
    pub place: PlaceView,
    /// From the parent up to the province.
    pub ancestors: Vec<PlaceView>,
    /// The places one level down, in code order.
    pub children: Vec<PlaceView>,
}

/// An indicator of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorView {
    #[schema(example = "poverty_exit_persons")]
    pub code: String,
    #[schema(example = "脱贫人数")]
    pub name: String,
    #[schema(example = "脱贫人数")]
    pub name_zh: String,
    #[schema(example = "Registered poor people lifted out of poverty")]
    pub name_en: String,
    /// The description in the language chosen by `lang`.
    pub description: String,
    pub description_zh: String,
    pub description_en: String,
    #[schema(example = "poverty_alleviation")]
    pub category: String,
    /// The canonical unit of every value of this indicator.
    #[schema(example = "persons")]
    pub unit: String,
    pub value_type: ValueType,
}

impl IndicatorView {
    pub fn new(i: Indicator, lang: Lang) -> IndicatorView {
        IndicatorView {
            name: lang.pick(&i.name_zh, &i.name_en).to_owned(),
            description: lang.pick(&i.description_zh, &i.description_en).to_owned(),
            code: i.code,
            name_zh: i.name_zh,
            name_en: i.name_en,
            description_zh: i.description_zh,
            description_en: i.description_en,
            category: i.category,
            unit: i.unit,
            value_type: i.value_type,
        }
    }
}

/// A published document that observations quote.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceView {
    #[schema(example = "shuangsheng-2021-government-work-report")]
    pub id: String,
    /// The title in the language chosen by `lang`.
    pub title: String,
    pub title_zh: String,
    pub title_en: String,
    pub publisher_zh: String,
    pub publisher_en: String,
    /// When the document was published (online, for this report).
    pub published_on: NaiveDate,
    /// When the document was delivered (a report read to a congress), when known and not the
    /// day it was published.
    pub delivered_on: Option<NaiveDate>,
    /// Where the document was published, when known.
    pub url: Option<String>,
    pub licence: String,
    /// Hex SHA-256 of the UTF-8 bytes served at `text_url`.
    #[schema(example = "9926412d1343e5b28fe8546a251a2e9ad670cf861cf19884883e8315030ec1d4")]
    pub sha256: String,
    /// The place the document is about, when it is about one.
    #[schema(example = "511903114")]
    pub place_code: Option<String>,
    /// Path of the full text, against which every quote and span can be checked.
    #[schema(example = "/v1/sources/shuangsheng-2021-government-work-report/text")]
    pub text_url: String,
}

impl SourceView {
    pub fn new(s: SourceMeta, lang: Lang) -> SourceView {
        SourceView {
            title: lang.pick(&s.title_zh, &s.title_en).to_owned(),
            text_url: format!("/v1/sources/{}/text", s.id),
            id: s.id,
            title_zh: s.title_zh,
            title_en: s.title_en,
            publisher_zh: s.publisher_zh,
            publisher_en: s.publisher_en,
            published_on: s.published_on,
            delivered_on: s.delivered_on,
            url: s.url,
            licence: s.licence,
            sha256: s.sha256,
            place_code: s.place_code,
        }
    }
}

/// The indicator of an observation, in brief.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorBrief {
    #[schema(example = "poverty_fiscal_investment")]
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub name_en: String,
    #[schema(example = "yuan")]
    pub unit: String,
}

/// The place of an observation, in brief.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceBrief {
    #[schema(example = "511903114")]
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub name_en: String,
    pub level: Level,
}

/// One number about one indicator, one place, one period and one kind, with its provenance.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObservationView {
    /// Stable id of the observation.
    pub id: i64,
    pub indicator: IndicatorBrief,
    pub place: PlaceBrief,
    /// First year of the period.
    #[schema(example = 2016)]
    pub period_start: i32,
    /// Last year of the period (equal to `period_start` for a single year).
    #[schema(example = 2020)]
    pub period_end: i32,
    pub kind: Kind,
    /// The exact value in the indicator's canonical unit, never in exponent notation, with
    /// every digit it has. It is a decimal, not a binary float: read it as one (Python
    /// `json.loads(..., parse_float=Decimal)`) or read `value_decimal`.
    #[schema(schema_with = exact_number, example = 278650000)]
    pub value: serde_json::Number,
    /// The same value as a decimal string, for clients that would read `value` as a float.
    #[schema(example = "278650000")]
    pub value_decimal: String,
    /// The canonical unit (same as `indicator.unit`).
    #[schema(example = "yuan")]
    pub unit: String,
    pub qualifier: Qualifier,
    /// The number as the source writes it, in digits or words, without its unit (in
    /// `unit_as_written`) or the word that qualifies it (余, 以上, 约: in `qualifier`).
    #[schema(example = "27865")]
    pub value_as_written: String,
    /// The unit as the source writes it.
    #[schema(example = "万元")]
    pub unit_as_written: String,
    /// Id of the source document.
    #[schema(example = "shuangsheng-2021-government-work-report")]
    pub source: String,
    /// The source's words, verbatim.
    pub quote: String,
    /// Offset of the quote in the source text, in characters (Unicode code points).
    pub quote_start: i32,
    /// End of the quote (exclusive), in characters.
    pub quote_end: i32,
    /// How an ambiguous statement was read, when it was.
    pub note: Option<String>,
    /// The address of this observation.
    #[schema(example = "http://127.0.0.1:8080/v1/observations/17")]
    pub url: String,
    /// How to cite this number: source, date, the quoted sentence and this observation's URL.
    pub citation: Citation,
    /// When the observation was first published.
    pub created_at: DateTime<Utc>,
    /// When it last changed (or was retracted).
    pub updated_at: DateTime<Utc>,
    /// Set when the observation was withdrawn from the data; such tombstones appear only in
    /// `updated_since` and `release` listings, so that copies can delete it.
    pub retracted_at: Option<DateTime<Utc>>,
}

impl ObservationView {
    pub fn new(
        (obs, indicator, place): ObservationWithRefs,
        lang: Lang,
        citer: &Citer,
    ) -> ObservationView {
        let ObservationRow {
            id,
            indicator_code: _,
            place_code: _,
            period_start,
            period_end,
            kind,
            value,
            qualifier,
            value_as_written,
            unit_as_written,
            source_id,
            quote,
            quote_start,
            quote_end,
            note,
            created_at,
            updated_at,
            retracted_at,
        } = obs;
        let IndicatorRef {
            code: indicator_code,
            name_zh: indicator_zh,
            name_en: indicator_en,
            unit,
        } = indicator;
        let PlaceRef {
            code: place_code,
            name_zh: place_zh,
            name_en: place_en,
            level,
        } = place;
        ObservationView {
            url: citer.url(id),
            citation: citer.cite(id, &source_id, &quote),
            id,
            indicator: IndicatorBrief {
                code: indicator_code,
                name: lang.pick(&indicator_zh, &indicator_en).to_owned(),
                name_zh: indicator_zh,
                name_en: indicator_en,
                unit: unit.clone(),
            },
            place: PlaceBrief {
                code: place_code,
                name: lang.pick(&place_zh, &place_en).to_owned(),
                name_zh: place_zh,
                name_en: place_en,
                level,
            },
            period_start,
            period_end,
            kind,
            value: json_number(&value),
            value_decimal: plain_decimal(&value),
            unit,
            qualifier,
            value_as_written,
            unit_as_written,
            source: source_id,
            quote,
            quote_start,
            quote_end,
            note,
            created_at,
            updated_at,
            retracted_at,
        }
    }
}

/// The schema of an exact decimal number: `number` with no `format` (`double` would tell
/// generated clients to read it as a binary float).
pub fn exact_number() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Number)
        .build()
}

/// The decimal in plain notation with no trailing zeros: 1690000000, 0.5, 16.
pub fn plain_decimal(value: &BigDecimal) -> String {
    let normalized = value.normalized();
    if normalized.fractional_digit_count() < 0 {
        normalized.with_scale(0).to_plain_string()
    } else {
        normalized.to_plain_string()
    }
}

/// The decimal as a JSON number written with every digit it has.
pub fn json_number(value: &BigDecimal) -> serde_json::Number {
    let text = plain_decimal(value);
    text.parse().unwrap_or_else(|_| serde_json::Number::from(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn decimals_are_plain_and_exact() {
        for (input, plain) in [
            ("1690000000", "1690000000"),
            ("1.69E+9", "1690000000"),
            ("16.90", "16.9"),
            ("0.000", "0"),
            ("12345678901234567890.125", "12345678901234567890.125"),
        ] {
            let value = BigDecimal::from_str(input).unwrap();
            assert_eq!(plain_decimal(&value), plain);
            assert_eq!(json_number(&value).to_string(), plain);
        }
    }
}
