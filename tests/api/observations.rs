use std::collections::HashSet;

use serde_json::Value;

use crate::helpers::spawn_app;

/// The seed's own observations, read from the file rather than through the API.
fn seed() -> Vec<toml::Value> {
    let text = std::fs::read_to_string("seed/observations.toml").unwrap();
    let file: toml::Value = toml::from_str(&text).unwrap();
    file["observation"].as_array().unwrap().clone()
}

fn codes(items: &[Value], field: &str) -> Vec<String> {
    items
        .iter()
        .map(|o| o[field]["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_quote_is_the_source_text_at_its_span() {
    let app = spawn_app().await;
    let text = app
        .get("/v1/sources/shuangsheng-2021-government-work-report/text")
        .await
        .text()
        .await
        .unwrap();
    let chars: Vec<char> = text.chars().collect();
    let all = app
        .all_pages("/v1/observations?place=511903114&descendants=true&limit=1000")
        .await;
    assert_eq!(all.len(), seed().len());
    for o in &all {
        let (start, end) = (
            o["quote_start"].as_u64().unwrap() as usize,
            o["quote_end"].as_u64().unwrap() as usize,
        );
        let span: String = chars[start..end].iter().collect();
        assert_eq!(
            span,
            o["quote"].as_str().unwrap(),
            "observation {}",
            o["id"]
        );
    }
}

#[tokio::test]
async fn descendants_widen_a_place_filter_to_everything_below_it() {
    let app = spawn_app().await;
    let total = seed().len();
    let in_villages = seed()
        .iter()
        .filter(|o| o["place"].as_str().unwrap().contains('L'))
        .count();
    assert!(in_villages >= 2);
    let total_of = |body: Value| body["meta"]["total"].as_u64().unwrap() as usize;
    assert_eq!(
        total_of(app.json("/v1/observations?place=511903114").await),
        total - in_villages
    );
    for place in ["511903114", "511903", "5119", "51"] {
        let body = app
            .json(&format!("/v1/observations?place={place}&descendants=true"))
            .await;
        assert_eq!(total_of(body), total, "descendants of {place}");
    }
    assert_eq!(
        total_of(app.json("/v1/observations?place=511903114L005").await),
        1
    );
    assert_eq!(
        total_of(
            app.json("/v1/observations?place=511903114L005,511903114L006")
                .await
        ),
        2
    );
    assert_eq!(
        total_of(app.json("/v1/observations?place=11&descendants=true").await),
        0
    );
}

#[tokio::test]
async fn indicator_category_kind_and_period_filters_match_the_seed() {
    let app = spawn_app().await;
    let seed = seed();
    let count = |pred: &dyn Fn(&toml::Value) -> bool| seed.iter().filter(|o| pred(o)).count();

    let body = app
        .all_pages("/v1/observations?indicator=poverty_exit_persons,sanitary_toilet_coverage_rate")
        .await;
    let expected = count(&|o| {
        ["poverty_exit_persons", "sanitary_toilet_coverage_rate"]
            .contains(&o["indicator"].as_str().unwrap())
    });
    assert_eq!(body.len(), expected);
    assert!(expected >= 3);

    let targets = app.all_pages("/v1/observations?kind=target").await;
    assert_eq!(
        targets.len(),
        count(&|o| o["kind"].as_str() == Some("target"))
    );
    assert!(targets.iter().all(|o| o["kind"] == "target"));

    // A period matches when it overlaps from..to.
    for (from, to) in [
        (2021, 2025),
        (2016, 2016),
        (2018, 2018),
        (2020, 2021),
        (2026, 2030),
    ] {
        let body = app
            .all_pages(&format!("/v1/observations?from={from}&to={to}&limit=1000"))
            .await;
        let expected = count(&|o| {
            o["period_end"].as_integer().unwrap() >= from
                && o["period_start"].as_integer().unwrap() <= to
        });
        assert_eq!(body.len(), expected, "{from}..{to}");
    }

    let indicators = app.all_pages("/v1/indicators?category=sanitation").await;
    let sanitation: HashSet<String> = indicators
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_owned())
        .collect();
    let body = app.all_pages("/v1/observations?category=sanitation").await;
    assert_eq!(
        body.len(),
        count(&|o| sanitation.contains(o["indicator"].as_str().unwrap()))
    );
    assert!(codes(&body, "indicator")
        .iter()
        .all(|c| sanitation.contains(c)));
}

#[tokio::test]
async fn every_sort_pages_through_all_rows_once_in_order() {
    let app = spawn_app().await;
    let total = seed().len();
    for sort in ["id", "period", "-period", "indicator", "place"] {
        let all = app
            .all_pages(&format!("/v1/observations?sort={sort}&limit=7"))
            .await;
        assert_eq!(all.len(), total, "sort={sort}");
        let ids: HashSet<i64> = all.iter().map(|o| o["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), total, "no row twice with sort={sort}");
        let key = |o: &Value| -> (String, i64, i64) {
            let id = o["id"].as_i64().unwrap();
            let period = (
                o["period_start"].as_i64().unwrap(),
                o["period_end"].as_i64().unwrap(),
            );
            match sort {
                "period" | "-period" => (format!("{:04}-{:04}", period.0, period.1), id, 0),
                "indicator" => (o["indicator"]["code"].as_str().unwrap().to_owned(), id, 0),
                "place" => (o["place"]["code"].as_str().unwrap().to_owned(), id, 0),
                _ => (String::new(), id, 0),
            }
        };
        let keys: Vec<_> = all.iter().map(key).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        if sort == "-period" {
            sorted.reverse();
        }
        assert_eq!(keys, sorted, "order of sort={sort}");
    }
}

#[tokio::test]
async fn lang_chooses_the_name_fields() {
    let app = spawn_app().await;
    let body = app
        .json("/v1/observations?indicator=asparagus_core_park_area&lang=en")
        .await;
    let o = &body["data"][0];
    assert_eq!(o["place"]["name"], "Hongyan Community");
    assert_eq!(o["indicator"]["name"], o["indicator"]["name_en"]);
    let body = app
        .json("/v1/observations?indicator=asparagus_core_park_area")
        .await;
    assert_eq!(body["data"][0]["place"]["name"], "红岩社区");
}

#[tokio::test]
async fn a_source_filter_lists_the_figures_of_one_document() {
    let app = spawn_app().await;
    let all = app
        .json("/v1/observations?source=shuangsheng-2021-government-work-report&limit=1")
        .await;
    assert_eq!(all["meta"]["total"], 62);
    let problem = app
        .problem("/v1/observations?source=no-such-report", 404)
        .await;
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("no-such-report"));
}
