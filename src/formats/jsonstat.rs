//! JSON-stat 2.0 datasets of observations: dimensions indicator (metric), place (geo), period
//! (time) and kind, values in row-major order, the qualifier of each value in `status`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::domain::Qualifier;
use crate::views::ObservationView;

/// Above this many cells the values are written as an object of the cells that hold a value
/// (JSON-stat's sparse form) instead of an array with nulls.
const DENSE_CELLS_MAX: usize = 1_000_000;

/// The label of a period: `2018` or `2016-2020`.
pub fn period_label(start: i32, end: i32) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start}-{end}")
    }
}

/// One dimension's categories in order, with labels.
struct Dimension {
    index: BTreeMap<String, usize>,
    labels: BTreeMap<String, String>,
}

impl Dimension {
    fn new<'a>(items: impl Iterator<Item = (String, String, &'a str)>) -> Dimension {
        // Ordered by the sort key (third item), then code.
        let mut all: Vec<(String, String, String)> = items
            .map(|(code, label, key)| (key.to_owned(), code, label))
            .collect();
        all.sort();
        all.dedup_by(|a, b| a.1 == b.1);
        let mut index = BTreeMap::new();
        let mut labels = BTreeMap::new();
        for (_, code, label) in all {
            let next = index.len();
            index.entry(code.clone()).or_insert(next);
            labels.entry(code).or_insert(label);
        }
        Dimension { index, labels }
    }

    fn size(&self) -> usize {
        self.index.len()
    }

    fn position(&self, code: &str) -> usize {
        self.index.get(code).copied().unwrap_or_default()
    }

    fn to_json(&self, label: &str, extra: Option<(&str, Value)>) -> Value {
        let mut ordered: Vec<(&String, &usize)> = self.index.iter().collect();
        ordered.sort_by_key(|(_, i)| **i);
        let mut category = Map::new();
        category.insert(
            "index".into(),
            Value::Array(ordered.iter().map(|(c, _)| json!(c)).collect()),
        );
        category.insert("label".into(), json!(self.labels));
        if let Some((key, value)) = extra {
            category.insert(key.into(), value);
        }
        json!({ "label": label, "category": category })
    }
}

/// Builds the dataset. `english` picks the labels' language; `updated` is the data's last load.
pub fn dataset(
    observations: &[ObservationView],
    english: bool,
    updated: Option<DateTime<Utc>>,
    source_titles: &[String],
) -> Value {
    let name = |zh: &str, en: &str| {
        if english {
            en.to_owned()
        } else {
            zh.to_owned()
        }
    };
    let indicator = Dimension::new(observations.iter().map(|o| {
        (
            o.indicator.code.clone(),
            name(&o.indicator.name_zh, &o.indicator.name_en),
            o.indicator.code.as_str(),
        )
    }));
    let place = Dimension::new(observations.iter().map(|o| {
        (
            o.place.code.clone(),
            name(&o.place.name_zh, &o.place.name_en),
            o.place.code.as_str(),
        )
    }));
    let period_keys: Vec<String> = observations
        .iter()
        .map(|o| format!("{:04}{:04}", o.period_start, o.period_end))
        .collect();
    let period = Dimension::new(observations.iter().zip(&period_keys).map(|(o, key)| {
        let label = period_label(o.period_start, o.period_end);
        (label.clone(), label, key.as_str())
    }));
    let kind = Dimension::new(observations.iter().map(|o| {
        let k = o.kind.as_str();
        (k.to_owned(), k.to_owned(), k)
    }));

    let size = [indicator.size(), place.size(), period.size(), kind.size()];
    let cells: usize = size.iter().product();
    let mut values: BTreeMap<usize, Value> = BTreeMap::new();
    let mut status = Map::new();
    let mut notes = Map::new();
    let mut units: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for o in observations {
        let at = ((indicator.position(&o.indicator.code) * size[1]
            + place.position(&o.place.code))
            * size[2]
            + period.position(&period_label(o.period_start, o.period_end)))
            * size[3]
            + kind.position(o.kind.as_str());
        values.insert(at, Value::Number(o.value.clone()));
        if o.qualifier != Qualifier::Exact {
            status.insert(at.to_string(), json!(o.qualifier.as_str()));
        }
        if let Some(note) = &o.note {
            notes.insert(at.to_string(), json!(note));
        }
        let decimals = o
            .value
            .to_string()
            .split_once('.')
            .map_or(0, |(_, fraction)| fraction.len());
        let unit = units
            .entry(o.indicator.code.clone())
            .or_insert((o.unit.clone(), 0));
        unit.1 = unit.1.max(decimals);
    }
    let value = if cells <= DENSE_CELLS_MAX {
        Value::Array(
            (0..cells)
                .map(|i| values.get(&i).cloned().unwrap_or(Value::Null))
                .collect(),
        )
    } else {
        Value::Object(
            values
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    };
    let unit_json: Map<String, Value> = units
        .into_iter()
        .map(|(code, (label, decimals))| (code, json!({ "label": label, "decimals": decimals })))
        .collect();

    let mut dimension = Map::new();
    dimension.insert(
        "indicator".into(),
        indicator.to_json("indicator", Some(("unit", Value::Object(unit_json)))),
    );
    dimension.insert("place".into(), place.to_json("place", None));
    dimension.insert("period".into(), period.to_json("period", None));
    dimension.insert("kind".into(), kind.to_json("kind", None));

    let mut out = json!({
        "version": "2.0",
        "class": "dataset",
        "label": if english { "township-stats observations" } else { "township-stats 观测值" },
        "source": source_titles.join("; "),
        "id": ["indicator", "place", "period", "kind"],
        "size": size,
        "role": { "metric": ["indicator"], "geo": ["place"], "time": ["period"] },
        "dimension": dimension,
        "value": value,
        "status": status,
        "note": [
            "Values are exact, in each indicator's unit (category.unit).",
            "status holds the qualifier of a value that is not exact; extension.status says what each means.",
            "Periods are years: 2018 is one year, 2016-2020 the five years from 2016 to 2020."
        ],
        "extension": {
            "status": {
                "more_than": "more than the value (余, 多)",
                "at_least": "the value or more (以上)",
                "approx": "about the value (约, 近)",
                "less_than": "less than the value",
                "at_most": "the value or less"
            },
            "notes": notes,
        },
    });
    if let (Some(updated), Some(map)) = (updated, out.as_object_mut()) {
        map.insert("updated".into(), json!(updated.to_rfc3339()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_labels() {
        assert_eq!(period_label(2018, 2018), "2018");
        assert_eq!(period_label(2016, 2020), "2016-2020");
    }
}
