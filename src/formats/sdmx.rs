//! SDMX-CSV 2.0 of observations. The structure is documented in docs/SDMX.md.

use crate::views::ObservationView;

pub const STRUCTURE_ID: &str = "TOWNSHIP_STATS:DF_TOWNSHIP_OBS(1.0.0)";

pub const COLUMNS: [&str; 12] = [
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "INDICATOR",
    "REF_AREA",
    "TIME_PERIOD",
    "OBS_KIND",
    "OBS_VALUE",
    "UNIT_MEASURE",
    "VALUE_QUALIFIER",
    "OBS_COMMENT",
    "SOURCE",
];

/// The SDMX time period: `2018` for one year, an ISO 8601 interval `2016-01-01/P5Y` for several.
pub fn time_period(start: i32, end: i32) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start}-01-01/P{}Y", end - start + 1)
    }
}

pub fn record(o: &ObservationView) -> [String; 12] {
    [
        "dataflow".to_owned(),
        STRUCTURE_ID.to_owned(),
        "I".to_owned(),
        o.indicator.code.to_uppercase(),
        o.place.code.clone(),
        time_period(o.period_start, o.period_end),
        o.kind.as_str().to_uppercase(),
        o.value.to_string(),
        o.unit.to_uppercase(),
        o.qualifier.as_str().to_uppercase(),
        o.note.clone().unwrap_or_default(),
        o.source.clone(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_periods() {
        assert_eq!(time_period(2018, 2018), "2018");
        assert_eq!(time_period(2016, 2020), "2016-01-01/P5Y");
        assert_eq!(time_period(2021, 2025), "2021-01-01/P5Y");
    }
}
