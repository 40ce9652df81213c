//! The report's figures, read back through the API exactly as the report states them.

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn figures_of_the_report_come_back_exactly() {
    let app = spawn_app().await;
    // indicator, place, period, kind, value, unit, qualifier, value as written, unit as written
    let figures = [
        (
            "poverty_exit_persons",
            "511903114",
            (2016, 2020),
            "actual",
            "4459",
            "persons",
            "exact",
            "4459",
            "人",
        ),
        (
            "poverty_exit_households",
            "511903114",
            (2016, 2020),
            "actual",
            "1121",
            "households",
            "exact",
            "1121",
            "户",
        ),
        (
            "poverty_fiscal_investment",
            "511903114",
            (2016, 2020),
            "actual",
            "278650000",
            "yuan",
            "exact",
            "27865",
            "万元",
        ),
        (
            "gdp",
            "511903114",
            (2016, 2020),
            "actual",
            "1690000000",
            "yuan",
            "exact",
            "16.9",
            "亿元",
        ),
        (
            "budget_revenue",
            "511903114",
            (2016, 2020),
            "actual",
            "427000000",
            "yuan",
            "exact",
            "4.27",
            "亿元",
        ),
        (
            "gdp_increase_multiple",
            "511903114",
            (2016, 2020),
            "actual",
            "1.8",
            "times",
            "exact",
            "1.8",
            "倍",
        ),
        (
            "sorting_bin_sets_installed",
            "511903114",
            (2016, 2020),
            "actual",
            "300",
            "sets",
            "more_than",
            "300",
            "组",
        ),
        (
            "sanitary_toilet_coverage_rate",
            "511903114",
            (2020, 2020),
            "actual",
            "95",
            "percent",
            "at_least",
            "95",
            "%",
        ),
        (
            "abandoned_land_reclaimed_area",
            "511903114",
            (2016, 2020),
            "actual",
            "4500",
            "mu",
            "more_than",
            "4500",
            "亩",
        ),
        (
            "temporary_assistance_disbursed",
            "511903114",
            (2016, 2020),
            "actual",
            "600000",
            "yuan",
            "more_than",
            "60",
            "万元",
        ),
        (
            "hotline_12345_cases_resolved",
            "511903114",
            (2016, 2020),
            "actual",
            "424",
            "cases",
            "exact",
            "424",
            "件",
        ),
        (
            "disputes_mediated",
            "511903114",
            (2016, 2020),
            "actual",
            "70",
            "disputes",
            "more_than",
            "70",
            "起",
        ),
        (
            "annual_assessment_tier",
            "511903114",
            (2018, 2018),
            "actual",
            "1",
            "tier",
            "exact",
            "第一",
            "等次",
        ),
        (
            "asparagus_festivals_held",
            "511903114",
            (2016, 2020),
            "actual",
            "2",
            "events",
            "exact",
            "两",
            "届",
        ),
        (
            "covid_cases",
            "511903114",
            (2020, 2021),
            "actual",
            "0",
            "cases",
            "exact",
            "无一",
            "例",
        ),
        (
            "sewage_harmless_treatment_rate",
            "511903114",
            (2021, 2025),
            "target",
            "55",
            "percent",
            "at_least",
            "55",
            "%",
        ),
        (
            "grain_oil_park_area",
            "511903114",
            (2021, 2025),
            "target",
            "10000",
            "mu",
            "at_least",
            "10000",
            "亩",
        ),
        (
            "asparagus_core_park_area",
            "511903114L005",
            (2021, 2025),
            "target",
            "400",
            "mu",
            "exact",
            "400",
            "亩",
        ),
        (
            "livelihood_spending_share",
            "511903114",
            (2021, 2025),
            "target",
            "65",
            "percent",
            "at_least",
            "65",
            "%",
        ),
    ];
    for (indicator, place, (start, end), kind, value, unit, qualifier, written, unit_written) in
        figures
    {
        let body = app
            .json(&format!(
                "/v1/observations?indicator={indicator}&place={place}&kind={kind}&from={start}&to={end}"
            ))
            .await;
        let matching: Vec<&Value> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["period_start"] == start && o["period_end"] == end)
            .collect();
        assert_eq!(matching.len(), 1, "{indicator} {start}-{end}");
        let o = matching[0];
        assert_eq!(o["value"].to_string(), value, "{indicator}: value");
        assert_eq!(o["unit"], unit, "{indicator}: unit");
        assert_eq!(o["indicator"]["unit"], unit, "{indicator}: indicator unit");
        assert_eq!(o["qualifier"], qualifier, "{indicator}: qualifier");
        assert_eq!(o["value_as_written"], written, "{indicator}: as written");
        assert_eq!(
            o["unit_as_written"], unit_written,
            "{indicator}: unit as written"
        );
        assert_eq!(o["place"]["code"], place);
        assert!(o["quote"].as_str().unwrap().contains(written));
    }
}
