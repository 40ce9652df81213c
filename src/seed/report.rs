//! The Shuangsheng report: its text, the villages it names, the indicator catalogue and every
//! figure it states. A new source adds its text to `FILES` and its rows to the TOML files.

use std::str::FromStr;

use anyhow::{bail, Context};
use bigdecimal::BigDecimal;
use chrono::NaiveDate;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::names::{english_name, search_key};
use crate::db::indicators::Indicator;
use crate::db::observations::NewObservation;
use crate::db::places::Place;
use crate::db::sources::NewSource;
use crate::domain::{Kind, Level, Qualifier, ValueType};

macro_rules! seed_file {
    ($path:literal) => {
        ($path, include_str!(concat!("../../seed/", $path)))
    };
}

pub const FILES: [(&str, &str); 5] = [
    seed_file!("sources.toml"),
    seed_file!("places.toml"),
    seed_file!("indicators.toml"),
    seed_file!("observations.toml"),
    seed_file!("sources/shuangsheng-2021-government-work-report.txt"),
];

/// The source every observation in observations.toml comes from.
pub const REPORT_SOURCE_ID: &str = "shuangsheng-2021-government-work-report";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    source: Vec<SourceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceEntry {
    id: String,
    title_zh: String,
    title_en: String,
    publisher_zh: String,
    publisher_en: String,
    published_on: toml::value::Datetime,
    delivered_on: Option<toml::value::Datetime>,
    url: Option<String>,
    licence: String,
    place_code: Option<String>,
    file: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlacesFile {
    place: Vec<PlaceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceEntry {
    code: String,
    name_zh: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorsFile {
    indicator: Vec<IndicatorEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorEntry {
    code: String,
    name_zh: String,
    name_en: String,
    category: String,
    unit: String,
    value_type: ValueType,
    description_en: String,
    description_zh: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservationsFile {
    observation: Vec<ObservationEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservationEntry {
    indicator: String,
    place: String,
    period_start: i32,
    period_end: i32,
    kind: Kind,
    value: String,
    qualifier: Qualifier,
    value_as_written: String,
    unit_as_written: String,
    quote: String,
    quote_start: i32,
    quote_end: i32,
    note: Option<String>,
}

/// The report seed, parsed and checked, ready to upsert.
pub struct Report {
    pub sources: Vec<NewSource>,
    pub places: Vec<Place>,
    pub indicators: Vec<Indicator>,
    pub observations: Vec<NewObservation>,
}

fn file(name: &str) -> anyhow::Result<&'static str> {
    FILES
        .iter()
        .find(|(path, _)| *path == name)
        .map(|(_, content)| *content)
        .with_context(|| format!("seed/{name} is not embedded (add it to report::FILES)"))
}

impl Report {
    pub fn parse() -> anyhow::Result<Report> {
        let sources: SourcesFile = toml::from_str(file("sources.toml")?).context("sources.toml")?;
        let sources = sources
            .source
            .into_iter()
            .map(|s| {
                let content = file(&format!("sources/{}", s.file))?.to_owned();
                let published_on = NaiveDate::from_str(&s.published_on.to_string())
                    .with_context(|| format!("source {}: published_on", s.id))?;
                let delivered_on = s
                    .delivered_on
                    .map(|d| NaiveDate::from_str(&d.to_string()))
                    .transpose()
                    .with_context(|| format!("source {}: delivered_on", s.id))?;
                Ok(NewSource {
                    sha256: hex::encode(Sha256::digest(content.as_bytes())),
                    id: s.id,
                    title_zh: s.title_zh,
                    title_en: s.title_en,
                    publisher_zh: s.publisher_zh,
                    publisher_en: s.publisher_en,
                    published_on,
                    delivered_on,
                    url: s.url,
                    licence: s.licence,
                    place_code: s.place_code,
                    content,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        let places: PlacesFile = toml::from_str(file("places.toml")?).context("places.toml")?;
        let places = places
            .place
            .into_iter()
            .map(|p| {
                if Level::of_code(&p.code) != Some(Level::Village) {
                    bail!("places.toml: {} is not a village code", p.code);
                }
                Ok(Place {
                    parent_code: Some(p.code[..9].to_owned()),
                    level: Level::Village,
                    name_en: english_name(&p.name_zh, Level::Village),
                    search_key: search_key(&p.name_zh),
                    code: p.code,
                    name_zh: p.name_zh,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        let indicators: IndicatorsFile =
            toml::from_str(file("indicators.toml")?).context("indicators.toml")?;
        let indicators = indicators
            .indicator
            .into_iter()
            .map(|i| Indicator {
                code: i.code,
                name_zh: i.name_zh,
                name_en: i.name_en,
                description_zh: i.description_zh,
                description_en: i.description_en,
                category: i.category,
                unit: i.unit,
                value_type: i.value_type,
            })
            .collect();

        let observations: ObservationsFile =
            toml::from_str(file("observations.toml")?).context("observations.toml")?;
        let observations = observations
            .observation
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                let value = BigDecimal::from_str(&o.value).with_context(|| {
                    format!(
                        "observations.toml, observation {}: value {:?}",
                        i + 1,
                        o.value
                    )
                })?;
                Ok(NewObservation {
                    indicator_code: o.indicator,
                    place_code: o.place,
                    period_start: o.period_start,
                    period_end: o.period_end,
                    kind: o.kind,
                    value,
                    qualifier: o.qualifier,
                    value_as_written: o.value_as_written,
                    unit_as_written: o.unit_as_written,
                    source_id: REPORT_SOURCE_ID.to_owned(),
                    quote: o.quote,
                    quote_start: o.quote_start,
                    quote_end: o.quote_end,
                    note: o.note,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        Ok(Report {
            sources,
            places,
            indicators,
            observations,
        })
    }
}

/// The characters `start..end` (code-point offsets, end exclusive) of `text`.
pub fn char_span(text: &str, start: usize, end: usize) -> Option<String> {
    if start > end {
        return None;
    }
    let span: String = text.chars().skip(start).take(end - start).collect();
    (span.chars().count() == end - start).then_some(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_quote_stands_in_the_source_at_its_span() {
        let report = Report::parse().unwrap();
        let text = &report.sources[0].content;
        for o in &report.observations {
            let at = char_span(text, o.quote_start as usize, o.quote_end as usize);
            let found = text.find(&o.quote).map(|byte| text[..byte].chars().count());
            assert_eq!(
                at.as_deref(),
                Some(o.quote.as_str()),
                "{} {}-{}: quote not at its span; it starts at character {:?}",
                o.indicator_code,
                o.period_start,
                o.period_end,
                found
            );
            assert!(
                o.quote.contains(&o.value_as_written),
                "{}: value as written {:?} is not in its quote",
                o.indicator_code,
                o.value_as_written
            );
            // One rule for every figure: the number as written, without its unit or the word
            // that qualifies it, which `qualifier` carries.
            assert!(
                !["余", "多", "以上", "以下", "约", "近"]
                    .iter()
                    .any(|word| o.value_as_written.contains(word)),
                "{}: value as written {:?} holds its qualifier word",
                o.indicator_code,
                o.value_as_written
            );
        }
    }

    #[test]
    fn every_observation_names_a_known_indicator() {
        let report = Report::parse().unwrap();
        for o in &report.observations {
            assert!(
                report.indicators.iter().any(|i| i.code == o.indicator_code),
                "unknown indicator {}",
                o.indicator_code
            );
        }
        assert!(report.observations.len() >= 60);
    }
}
