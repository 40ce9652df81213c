//! JSON-stat 2.0 datasets of observations: dimensions indicator (metric), place (geo), period
//! (time), kind and source (two sources can state the same figure; each keeps its cell), values
//! in row-major order, the qualifier of each value in `status`.
//!
//! A [`Builder`] takes rows one at a time as they arrive from PostgreSQL and keeps only what the
//! dataset needs of each (category numbers, the value's digits, its qualifier and note: about
//! [`BYTES_PER_ROW`]), then writes the dataset straight to bytes. No row is held twice and no
//! JSON tree of the values is built.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use chrono::{DateTime, Utc};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};

use crate::db::memo::KnownCodes;
use crate::db::observations::ObservationRow;
use crate::db::sources::SourceMeta;
use crate::domain::{Lang, Qualifier};
use crate::views::plain_decimal;

/// Above this many cells the values are written as an object of the cells that hold a value
/// (JSON-stat's sparse form) instead of an array with nulls.
const DENSE_CELLS_MAX: usize = 1_000_000;

/// What building a dataset costs per row at its peak, the rows kept plus the bytes written
/// (measured by bench/memory.sh, rounded up): what a request reserves from the memory budget.
pub const BYTES_PER_ROW: u64 = 256;

/// What a dataset costs whatever its rows: the dense array's nulls (at most
/// `DENSE_CELLS_MAX`, 5 bytes each) and the dimensions.
pub const BYTES_FIXED: u64 = 8 << 20;

/// The label of a period: `2018` or `2016-2020`.
pub fn period_label(start: i32, end: i32) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start}-{end}")
    }
}

/// The categories of one dimension, numbered in the order they were first seen.
struct Categories<T> {
    ids: HashMap<T, u32>,
    items: Vec<T>,
}

impl<T: Hash + Eq + Ord + Clone> Categories<T> {
    fn new() -> Self {
        Categories {
            ids: HashMap::new(),
            items: Vec::new(),
        }
    }

    fn id<Q>(&mut self, key: &Q) -> u32
    where
        T: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = T> + ?Sized,
    {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = self.items.len() as u32;
        self.items.push(key.to_owned());
        self.ids.insert(key.to_owned(), id);
        id
    }

    /// The categories in order, and where each number went.
    fn sorted(self) -> (Vec<T>, Vec<usize>) {
        let mut order: Vec<usize> = (0..self.items.len()).collect();
        order.sort_by(|a, b| self.items[*a].cmp(&self.items[*b]));
        let mut position = vec![0; order.len()];
        for (at, id) in order.iter().enumerate() {
            position[*id] = at;
        }
        let items = order.iter().map(|id| self.items[*id].clone()).collect();
        (items, position)
    }
}

/// One observation as the dataset keeps it.
struct Cell {
    indicator: u32,
    place: u32,
    period: u32,
    kind: u32,
    source: u32,
    qualifier: Qualifier,
    value: Box<str>,
    note: Option<Box<str>>,
}

/// Collects rows, then writes the dataset.
pub struct Builder {
    indicators: Categories<String>,
    places: Categories<String>,
    periods: Categories<(i32, i32)>,
    kinds: Categories<&'static str>,
    sources: Categories<String>,
    /// Per indicator number: the most decimals any of its values has.
    decimals: Vec<usize>,
    cells: Vec<Cell>,
}

/// What a dataset says about itself.
pub struct About {
    /// English labels (else Chinese).
    pub english: bool,
    /// When the data last changed.
    pub updated: Option<DateTime<Utc>>,
    /// The titles of the sources, in the labels' language.
    pub source: String,
    /// Each source's id and title, in the labels' language: the `source` dimension's labels.
    pub titles: Vec<(String, String)>,
}

impl About {
    /// A dataset in `lang` of data from `sources`, last changed at `updated`.
    pub fn of(lang: Lang, sources: &[SourceMeta], updated: Option<DateTime<Utc>>) -> About {
        let titles: Vec<&str> = sources
            .iter()
            .map(|s| lang.pick(&s.title_zh, &s.title_en))
            .collect();
        About {
            english: lang == Lang::En,
            updated,
            source: titles.join("; "),
            titles: sources
                .iter()
                .map(|s| (s.id.clone(), lang.pick(&s.title_zh, &s.title_en).to_owned()))
                .collect(),
        }
    }
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            indicators: Categories::new(),
            places: Categories::new(),
            periods: Categories::new(),
            kinds: Categories::new(),
            sources: Categories::new(),
            decimals: Vec::new(),
            cells: Vec::new(),
        }
    }
}

impl Builder {
    /// Adds one observation.
    pub fn push(&mut self, row: &ObservationRow) {
        let indicator = self.indicators.id(row.indicator_code.as_str());
        let value = plain_decimal(&row.value);
        let decimals = value.split_once('.').map_or(0, |(_, f)| f.len());
        if self.decimals.len() <= indicator as usize {
            self.decimals.resize(indicator as usize + 1, 0);
        }
        let most = &mut self.decimals[indicator as usize];
        *most = (*most).max(decimals);
        let cell = Cell {
            indicator,
            place: self.places.id(row.place_code.as_str()),
            period: self.periods.id(&(row.period_start, row.period_end)),
            kind: self.kinds.id(&row.kind.as_str()),
            source: self.sources.id(row.source_id.as_str()),
            qualifier: row.qualifier,
            value: value.into_boxed_str(),
            note: row.note.as_deref().map(Box::from),
        };
        self.cells.push(cell);
    }

    /// How many observations were added.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The place and indicator codes seen, for looking up names `KnownCodes` lacks.
    pub fn codes(&self) -> (impl Iterator<Item = &str>, impl Iterator<Item = &str>) {
        (
            self.places.items.iter().map(String::as_str),
            self.indicators.items.iter().map(String::as_str),
        )
    }

    /// The dataset as JSON. Names come from the first of `names` that has them (a code none has
    /// is labelled with itself).
    pub fn write(self, names: &[&KnownCodes], about: &About) -> serde_json::Result<Vec<u8>> {
        let english = about.english;
        let Builder {
            indicators,
            places,
            periods,
            kinds,
            sources,
            decimals,
            cells,
        } = self;
        let pick = |zh: &str, en: &str| if english { en } else { zh }.to_owned();
        let (indicators, indicator_at) = indicators.sorted();
        let (places, place_at) = places.sorted();
        let (periods, period_at) = periods.sorted();
        let (kinds, kind_at) = kinds.sorted();
        let (sources, source_at) = sources.sorted();
        let size = [
            indicators.len(),
            places.len(),
            periods.len(),
            kinds.len(),
            sources.len(),
        ];

        let mut units = Map::new();
        let mut decimals_of = vec![0; indicators.len()];
        for (id, most) in decimals.into_iter().enumerate() {
            decimals_of[indicator_at[id]] = most;
        }
        let indicator = dimension(
            "indicator",
            indicators.iter().zip(&decimals_of).map(|(code, most)| {
                let known = names.iter().find_map(|n| n.indicators.get(code));
                let unit = known.map_or("", |i| i.unit.as_str());
                units.insert(code.clone(), json!({ "label": unit, "decimals": most }));
                let label = known.map_or_else(|| code.clone(), |i| pick(&i.name_zh, &i.name_en));
                (code.clone(), label)
            }),
        );
        let mut indicator = indicator;
        indicator["category"]["unit"] = Value::Object(units);
        let place = dimension(
            "place",
            places.iter().map(|code| {
                let known = names.iter().find_map(|n| n.places.get(code));
                let label = known.map_or_else(|| code.clone(), |p| pick(&p.name_zh, &p.name_en));
                (code.clone(), label)
            }),
        );
        let period = dimension(
            "period",
            periods.iter().map(|(start, end)| {
                let label = period_label(*start, *end);
                (label.clone(), label)
            }),
        );
        let kind = dimension(
            "kind",
            kinds.iter().map(|k| ((*k).to_owned(), (*k).to_owned())),
        );
        // Two sources can state the same indicator, place, period and kind: each keeps its cell.
        let source = dimension(
            "source",
            sources.iter().map(|id| {
                let title = about.titles.iter().find(|(s, _)| s == id);
                (
                    id.clone(),
                    title.map_or_else(|| id.clone(), |(_, t)| t.clone()),
                )
            }),
        );

        // Each cell's place in the row-major value array, in that order.
        let mut placed: Vec<(usize, u32)> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let at = (((indicator_at[c.indicator as usize] * size[1]
                    + place_at[c.place as usize])
                    * size[2]
                    + period_at[c.period as usize])
                    * size[3]
                    + kind_at[c.kind as usize])
                    * size[4]
                    + source_at[c.source as usize];
                (at, i as u32)
            })
            .collect();
        placed.sort_unstable();
        placed.dedup_by_key(|(at, _)| *at);
        let cells_total: usize = size.iter().product();

        let dataset = Dataset {
            version: "2.0",
            class: "dataset",
            label: if english {
                "township-stats observations"
            } else {
                "township-stats 观测值"
            },
            source: about.source.clone(),
            updated: about.updated.map(|u| u.to_rfc3339()),
            id: ["indicator", "place", "period", "kind", "source"],
            size,
            role: json!({ "metric": ["indicator"], "geo": ["place"], "time": ["period"] }),
            dimension: json!({
                "indicator": indicator,
                "place": place,
                "period": period,
                "kind": kind,
                "source": source,
            }),
            value: Values {
                cells: &cells,
                placed: &placed,
                dense: (cells_total <= DENSE_CELLS_MAX).then_some(cells_total),
            },
            status: ByPosition {
                cells: &cells,
                placed: &placed,
                field: qualifier_of,
            },
            note: [
                "Values are exact, in each indicator's unit (category.unit).",
                "status holds the qualifier of a value that is not exact; extension.status says what each means.",
                "Periods are years: 2018 is one year, 2016-2020 the five years from 2016 to 2020.",
            ],
            extension: Extension {
                status: json!({
                    "more_than": "more than the value (余, 多)",
                    "at_least": "the value or more (以上)",
                    "approx": "about the value (约, 近)",
                    "less_than": "less than the value",
                    "at_most": "the value or less"
                }),
                notes: ByPosition {
                    cells: &cells,
                    placed: &placed,
                    field: note_of,
                },
            },
        };
        let mut out = Vec::with_capacity(placed.len() * 16 + 4096);
        serde_json::to_writer(&mut out, &dataset)?;
        Ok(out)
    }
}

/// A dimension: its categories in order, each with its label.
fn dimension(label: &str, categories: impl Iterator<Item = (String, String)>) -> Value {
    let mut index = Vec::new();
    let mut labels = Map::new();
    for (code, name) in categories {
        index.push(Value::String(code.clone()));
        labels.insert(code, Value::String(name));
    }
    json!({ "label": label, "category": { "index": index, "label": labels } })
}

#[derive(Serialize)]
struct Dataset<'a> {
    version: &'static str,
    class: &'static str,
    label: &'static str,
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    id: [&'static str; 5],
    size: [usize; 5],
    role: Value,
    dimension: Value,
    value: Values<'a>,
    status: ByPosition<'a>,
    note: [&'static str; 3],
    extension: Extension<'a>,
}

#[derive(Serialize)]
struct Extension<'a> {
    status: Value,
    notes: ByPosition<'a>,
}

/// The values: an array of `dense` cells with nulls where there is none, or an object of the
/// positions that hold one.
struct Values<'a> {
    cells: &'a [Cell],
    placed: &'a [(usize, u32)],
    dense: Option<usize>,
}

fn number(cell: &Cell) -> serde_json::Number {
    cell.value.parse().unwrap_or_else(|_| 0.into())
}

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.dense {
            Some(total) => {
                let mut seq = serializer.serialize_seq(Some(total))?;
                let mut next = self.placed.iter().peekable();
                for at in 0..total {
                    match next.next_if(|(p, _)| *p == at) {
                        Some((_, i)) => seq.serialize_element(&number(&self.cells[*i as usize]))?,
                        None => seq.serialize_element(&())?,
                    }
                }
                seq.end()
            }
            None => {
                let mut map = serializer.serialize_map(Some(self.placed.len()))?;
                for (at, i) in self.placed {
                    map.serialize_entry(&at.to_string(), &number(&self.cells[*i as usize]))?;
                }
                map.end()
            }
        }
    }
}

/// An object of the positions whose cell has `field`, in position order.
struct ByPosition<'a> {
    cells: &'a [Cell],
    placed: &'a [(usize, u32)],
    field: fn(&Cell) -> Option<&str>,
}

/// The qualifier of a value that is not exact.
fn qualifier_of(cell: &Cell) -> Option<&str> {
    (cell.qualifier != Qualifier::Exact).then(|| cell.qualifier.as_str())
}

fn note_of(cell: &Cell) -> Option<&str> {
    cell.note.as_deref()
}

impl Serialize for ByPosition<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (at, i) in self.placed {
            if let Some(text) = (self.field)(&self.cells[*i as usize]) {
                map.serialize_entry(&at.to_string(), text)?;
            }
        }
        map.end()
    }
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
