//! The Frictionless Data Package (Table Schema) of the bulk downloads.

use serde_json::{json, Value};

use crate::db::sources::SourceMeta;
use crate::domain::{Kind, Level, Qualifier, ValueType};

fn field(name: &str, kind: &str, description: &str) -> Value {
    json!({ "name": name, "type": kind, "description": description })
}

fn required(mut field: Value) -> Value {
    field["constraints"] = json!({ "required": true });
    field
}

fn one_of(mut field: Value, values: Vec<&str>) -> Value {
    field["constraints"] = json!({ "required": true, "enum": values });
    field
}

fn resource(name: &str, title: &str, fields: Vec<Value>, keys: Value) -> Value {
    let mut schema = json!({ "fields": fields, "missingValues": [""] });
    if let (Some(schema), Some(keys)) = (schema.as_object_mut(), keys.as_object()) {
        schema.extend(keys.clone());
    }
    json!({
        "name": name,
        "title": title,
        "path": format!("{name}.csv"),
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": { "delimiter": ",", "quoteChar": "\"", "header": true },
        "schema": schema,
    })
}

pub fn descriptor(sources: &[SourceMeta]) -> Value {
    let levels: Vec<&str> = Level::ALL.iter().map(|l| l.as_str()).collect();
    let places = resource(
        "places",
        "Places: the administrative tree (NBS 2023 codes, local village codes)",
        vec![
            json!({ "name": "code", "type": "string", "description": "NBS code at its natural length, or a local village code",
                    "constraints": { "required": true, "unique": true, "pattern": "[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}(L[0-9]{3}|[0-9]{3})?)?)?)?" } }),
            field(
                "parent_code",
                "string",
                "The place one level up; empty for a province",
            ),
            one_of(field("level", "string", "Level in the tree"), levels),
            required(field("name_zh", "string", "Official Chinese name")),
            required(field("name_en", "string", "English (pinyin) name")),
        ],
        json!({
            "primaryKey": ["code"],
            "foreignKeys": [{ "fields": ["parent_code"], "reference": { "resource": "", "fields": ["code"] } }],
        }),
    );
    let indicators = resource(
        "indicators",
        "Indicators: what is measured, in which unit",
        vec![
            json!({ "name": "code", "type": "string", "constraints": { "required": true, "unique": true } }),
            required(field("name_zh", "string", "Chinese name")),
            required(field("name_en", "string", "English name")),
            required(field("category", "string", "Category")),
            required(field("unit", "string", "Canonical unit of every value")),
            one_of(
                field("value_type", "string", "Kind of number"),
                ValueType::ALL.iter().map(|v| v.as_str()).collect(),
            ),
            field("description_zh", "string", "Chinese description"),
            field("description_en", "string", "English description"),
        ],
        json!({ "primaryKey": ["code"] }),
    );
    let source_resource = resource(
        "sources",
        "Sources: the documents quoted",
        vec![
            json!({ "name": "id", "type": "string", "constraints": { "required": true, "unique": true } }),
            required(field("title_zh", "string", "Chinese title")),
            required(field("title_en", "string", "English title")),
            required(field("publisher_zh", "string", "Publisher, Chinese")),
            required(field("publisher_en", "string", "Publisher, English")),
            required(field("published_on", "date", "Publication date")),
            field("url", "string", "Where the document was published"),
            required(field("licence", "string", "Terms of use")),
            json!({ "name": "sha256", "type": "string", "description": "SHA-256 of the text at /v1/sources/{id}/text",
                    "constraints": { "required": true, "pattern": "[0-9a-f]{64}" } }),
            field(
                "delivered_on",
                "date",
                "Delivery date (a report read to a congress), when it is not the publication date",
            ),
            field(
                "place_code",
                "string",
                "The place the document is about, when it is about one",
            ),
        ],
        json!({ "primaryKey": ["id"] }),
    );
    let observations = resource(
        "observations",
        "Observations: one number about one indicator, place, period and kind, with its quote",
        vec![
            json!({ "name": "id", "type": "integer", "constraints": { "required": true, "unique": true } }),
            required(field("indicator_code", "string", "Indicator")),
            field("indicator_name_zh", "string", "Indicator name, Chinese"),
            field("indicator_name_en", "string", "Indicator name, English"),
            required(field("place_code", "string", "Place")),
            field("place_name_zh", "string", "Place name, Chinese"),
            field("place_name_en", "string", "Place name, English"),
            one_of(
                field("place_level", "string", "Level of the place"),
                Level::ALL.iter().map(|l| l.as_str()).collect(),
            ),
            json!({ "name": "period_start", "type": "integer", "description": "First year of the period",
                    "constraints": { "required": true, "minimum": 1949, "maximum": 2100 } }),
            json!({ "name": "period_end", "type": "integer", "description": "Last year of the period",
                    "constraints": { "required": true, "minimum": 1949, "maximum": 2100 } }),
            one_of(
                field("kind", "string", "actual or target"),
                Kind::ALL.iter().map(|k| k.as_str()).collect(),
            ),
            required(field(
                "value",
                "number",
                "Exact value in the indicator's unit",
            )),
            required(field("unit", "string", "The indicator's unit")),
            one_of(
                field("qualifier", "string", "How the source qualified the value"),
                Qualifier::ALL.iter().map(|q| q.as_str()).collect(),
            ),
            field(
                "value_as_written",
                "string",
                "The number as the source writes it",
            ),
            field(
                "unit_as_written",
                "string",
                "The unit as the source writes it",
            ),
            field("note", "string", "How an ambiguous statement was read"),
            required(field("source", "string", "Source id")),
            required(field("quote", "string", "The source's words, verbatim")),
            field("url", "string", "This observation in the API"),
            field("citation_zh", "string", "Citation, Chinese"),
            field("citation_en", "string", "Citation, English"),
            json!({ "name": "quote_start", "type": "integer",
                    "description": "Where the quote starts in the source's text, in characters from 0",
                    "constraints": { "required": true, "minimum": 0 } }),
        ],
        json!({
            "primaryKey": ["id"],
            "foreignKeys": [
                { "fields": ["indicator_code"], "reference": { "resource": "indicators", "fields": ["code"] } },
                { "fields": ["place_code"], "reference": { "resource": "places", "fields": ["code"] } },
                { "fields": ["source"], "reference": { "resource": "sources", "fields": ["id"] } },
            ],
        }),
    );
    json!({
        "profile": "tabular-data-package",
        "name": "township-stats",
        "title": "township-stats: statistics of Chinese townships, with their sources",
        "description": "Normalized statistics about Chinese townships by place and period. Each observation quotes the sentence of its source; the places are the NBS 2023 division codes.",
        // The parts come under different terms: each resource says its own.
        "resources": resources(places, indicators, source_resource, observations, sources),
        "sources": sources.iter().map(|s| {
            let mut source = json!({ "title": s.title_en });
            if let Some(url) = &s.url {
                source["path"] = json!(url);
            }
            source
        }).collect::<Vec<_>>(),
    })
}

/// The licence of the place list: the NBS division codes as compiled by
/// modood/Administrative-divisions-of-China (seed/admin-divisions-2023/LICENSE).
fn gazetteer_licence() -> Value {
    json!({
        "name": "WTFPL",
        "path": "http://www.wtfpl.net/",
        "title": "Do What The F*ck You Want To Public License 2 (the place codes and names, from modood/Administrative-divisions-of-China)"
    })
}

/// The terms of each source, as the source states them (`licence` in sources.csv): what
/// the sources table and every observation quoting them come under.
fn source_licences(sources: &[SourceMeta]) -> Vec<Value> {
    let mut terms: Vec<&str> = sources.iter().map(|s| s.licence.as_str()).collect();
    terms.sort_unstable();
    terms.dedup();
    terms
        .into_iter()
        .map(|licence| {
            // An SPDX identifier (CC0-1.0) names itself; a statement in words is given as
            // written, under the Open Definition's id for what it says.
            let name = if !licence.contains(' ') {
                licence
            } else if licence.contains("not subject to copyright") {
                "other-pd"
            } else {
                "other-at"
            };
            json!({ "name": name, "title": licence })
        })
        .collect()
}

fn resources(
    mut places: Value,
    mut indicators: Value,
    mut sources_resource: Value,
    mut observations: Value,
    sources: &[SourceMeta],
) -> Vec<Value> {
    places["licenses"] = json!([gazetteer_licence()]);
    indicators["licenses"] = json!([{
        "name": "CC-BY-4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
        "title": "Creative Commons Attribution 4.0 (the indicator definitions of township-stats)"
    }]);
    sources_resource["licenses"] = json!(source_licences(sources));
    observations["licenses"] = json!(source_licences(sources));
    vec![places, indicators, sources_resource, observations]
}
