//! Checking one row of an import against its source: the codes exist, the period is sound, the
//! quote occurs in the text (where, if more than once), and the figure is read from the quote's
//! own words in the indicator's unit (`normalize`).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use bigdecimal::BigDecimal;

use super::{Row, MAX_FIGURE_CHARS, REQUIRED};
use crate::db::indicators::Indicator;
use crate::db::observations::NewObservation;
use crate::domain::Kind;
use crate::error::FieldError;
use crate::normalize;

/// What the rows are checked against.
pub(super) struct Context<'a> {
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

impl<'a> Context<'a> {
    pub(super) fn new(
        source: &'a str,
        text: &'a str,
        indicators: HashMap<String, Indicator>,
        places: HashSet<String>,
    ) -> Context<'a> {
        Context {
            source,
            text,
            indicators,
            places,
            quotes: RefCell::default(),
        }
    }

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

/// The observation a row states, or everything wrong with it.
pub(super) fn check(row: &Row, ctx: &Context) -> Result<NewObservation, Vec<FieldError>> {
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
