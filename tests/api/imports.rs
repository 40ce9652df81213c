//! Imports: every figure checked against its source before anything is published.

use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

const TEXT: &str = "2022年，全镇实现地区生产总值3.2亿元，同比增长8%。新改建卫生厕所300余户，\
                    垃圾无害化处理率达到95%以上。全年脱贫户巩固1121户。";
const SOURCE: &str = "shuangsheng-2022";

const HEADER: &str =
    "indicator_code,place_code,period_start,period_end,kind,value_as_written,unit_as_written,quote";

fn token(app: &TestApp) -> String {
    township_stats::auth::create(&mut app.db.connect(), "town-office", None).unwrap()
}

async fn register_source(app: &TestApp, token: &str) {
    let body = json!({
        "title_zh": "巴中市恩阳区双胜镇2022年政府工作报告",
        "publisher_zh": "巴中市恩阳区双胜镇人民政府",
        "published_on": "2022-12-01",
        "text": TEXT,
    });
    let response = app
        .client
        .put(format!("{}/v1/sources/{SOURCE}", app.address))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

async fn import(app: &TestApp, token: &str, query: &str, csv: String) -> reqwest::Response {
    app.client
        .post(format!("{}/v1/imports?{query}", app.address))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
}

fn rows(lines: &[&str]) -> String {
    let mut csv = format!("{HEADER}\n");
    for line in lines {
        csv.push_str(line);
        csv.push('\n');
    }
    csv
}

const GOOD: [&str; 3] = [
    "gdp,511903114,2022,2022,actual,3.2,亿元,全镇实现地区生产总值3.2亿元",
    "sanitary_toilets_renovated,511903114,2022,2022,actual,300,户,新改建卫生厕所300余户",
    "waste_harmless_treatment_rate,511903114,2022,2022,actual,95,%,垃圾无害化处理率达到95%以上",
];

fn version(app: &TestApp) -> i64 {
    township_stats::db::releases::data_version_sync(&mut app.db.connect())
        .unwrap()
        .version
}

#[tokio::test]
async fn an_import_normalizes_the_words_and_becomes_one_release() {
    let app = spawn_app().await;
    let token = token(&app);
    register_source(&app, &token).await;

    // A dry run reports and writes nothing.
    let before = version(&app);
    let dry = import(
        &app,
        &token,
        &format!("source={SOURCE}&dry_run=true"),
        rows(&GOOD),
    )
    .await;
    assert_eq!(dry.status(), 200);
    let dry: Value = dry.json().await.unwrap();
    assert_eq!(dry["added"], 3, "{dry}");
    assert!(dry["release"].is_null());
    assert_eq!(version(&app), before);

    let done = import(
        &app,
        &token,
        &format!("source={SOURCE}&title=2022+report"),
        rows(&GOOD),
    )
    .await;
    assert_eq!(done.status(), 200);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done["added"], 3, "{done}");
    let release = done["release"].as_i64().unwrap();
    let outcomes: Vec<(u64, &str)> = done["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(outcomes, [(2, "added"), (3, "added"), (4, "added")]);

    // Published: the value in the indicator's unit, the qualifier from the quote.
    let listed = app
        .json(&format!("/v1/observations?release={release}"))
        .await;
    let by_code = |code: &str| {
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["indicator"]["code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(by_code("gdp")["value_decimal"], "320000000");
    assert_eq!(
        by_code("sanitary_toilets_renovated")["qualifier"],
        "more_than"
    );
    assert_eq!(
        by_code("waste_harmless_treatment_rate")["qualifier"],
        "at_least"
    );
    let gdp = by_code("gdp");
    let start = gdp["quote_start"].as_u64().unwrap() as usize;
    let spanned: String = TEXT
        .chars()
        .skip(start)
        .take(gdp["quote"].as_str().unwrap().chars().count())
        .collect();
    assert_eq!(spanned, gdp["quote"].as_str().unwrap());
    // The release says who published it.
    let published = app.json(&format!("/v1/releases/{release}")).await;
    assert_eq!(published["data"]["published_by"], "town-office");
    assert_eq!(published["data"]["title"], "2022 report");

    // The same file again: nothing changes, no release.
    let after = version(&app);
    let again: Value = import(&app, &token, &format!("source={SOURCE}"), rows(&GOOD))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["unchanged"], 3, "{again}");
    assert!(again["release"].is_null());
    assert_eq!(version(&app), after);

    // A correction (here a note) is a release that keeps the revision it replaced.
    let corrected = format!("{HEADER},note\n{},read from the summary table\n", GOOD[0]);
    let correction: Value = import(&app, &token, &format!("source={SOURCE}"), corrected)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(correction["changed"], 1, "{correction}");
    let second = correction["release"].as_i64().unwrap();
    let row = &correction["rows"][0];
    assert_eq!(row["outcome"], "changed");
    assert_eq!(row["old_value"], "320000000");
    let id = row["id"].as_i64().unwrap();
    let history = app.json(&format!("/v1/observations/{id}/revisions")).await;
    let history = history["data"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0]["release"], release);
    assert_eq!(history[0]["superseded_by"], second);
    assert!(history[0]["note"].is_null());
    assert_eq!(history[0]["published_until"], history[1]["published_from"]);
    assert_eq!(history[1]["release"], second);
    assert!(history[1]["published_until"].is_null());
    assert_eq!(history[1]["note"], "read from the summary table");
    app.problem("/v1/observations/999999/revisions", 404).await;

    // `replace` retracts what the file no longer has; `upsert` never does.
    let upsert: Value = import(&app, &token, &format!("source={SOURCE}"), rows(&GOOD[..2]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(upsert["retracted"], 0);
    let replace: Value = import(
        &app,
        &token,
        &format!("source={SOURCE}&mode=replace"),
        rows(&GOOD[..2]),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(replace["retracted"], 1, "{replace}");
    let last = replace["rows"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["outcome"], "retracted");
    assert_eq!(last["old_value"], "95");
}

#[tokio::test]
async fn one_bad_row_refuses_the_file_naming_every_fault() {
    let app = spawn_app().await;
    let token = token(&app);
    register_source(&app, &token).await;
    let before = version(&app);
    let good = format!("{},320000000,exact", GOOD[0]);
    let csv = format!(
        "{HEADER},value,qualifier\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
        // Row 2: good.
        good,
        // Row 3: the quote is not in the text.
        "gdp,511903114,2021,2021,actual,3.2,亿元,全镇实现地区生产总值9.9亿元,,",
        // Row 4: a unit that does not measure money.
        "gdp,511903114,2020,2020,actual,3.2,吨,全镇实现地区生产总值3.2亿元,,",
        // Row 5: a value the words do not say.
        "gdp,511903114,2019,2019,actual,3.2,亿元,全镇实现地区生产总值3.2亿元,3200,",
        // Row 6: a qualifier the words do not say; an unknown place.
        "sanitary_toilets_renovated,999999999,2022,2022,actual,300,户,新改建卫生厕所300余户,,exact",
        // Row 7: unknown indicator, period backwards, bad kind.
        "rainfall,511903114,2022,2020,guess,8,%,同比增长8%,,",
        // Row 8: the figure is not in the quote.
        "gdp_growth_rate_annual_avg,511903114,2022,2022,actual,9,%,同比增长8%,,",
    );
    // Row 9: a NUL in a code, a value no number could be.
    let csv = format!(
        "{csv}gdp,5119\u{0}14,2022,2022,actual,3.2,亿元,全镇实现地区生产总值3.2亿元,10e9223372036854775808,\n"
    );
    let problem = assert_problem(
        import(&app, &token, &format!("source={SOURCE}"), csv).await,
        422,
    )
    .await;
    let faults: Vec<(u64, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap()))
        .collect();
    for expected in [
        (3, "quote"),
        (4, "unit_as_written"),
        (5, "value"),
        (6, "place_code"),
        (6, "qualifier"),
        (7, "indicator_code"),
        (7, "period_end"),
        (7, "kind"),
        (8, "value_as_written"),
        (9, "place_code"),
        (9, "value"),
    ] {
        assert!(faults.contains(&expected), "{expected:?} in {problem}");
    }
    assert!(!faults.iter().any(|(row, _)| *row == 2), "{problem}");
    let unit = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["row"] == 4)
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(unit.contains("吨"), "{unit}");
    // Nothing written: the same version, no observation of the source.
    assert_eq!(version(&app), before);
    let listed = app.json("/v1/observations?indicator=gdp&limit=1000").await;
    assert!(listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["source"] != SOURCE));

    // A source that names nothing is 404.
    let problem = assert_problem(
        import(&app, &token, "source=nobody", rows(&GOOD)).await,
        404,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("nobody"));
}

#[tokio::test]
async fn a_quote_that_occurs_twice_needs_its_start() {
    let app = spawn_app().await;
    let token = token(&app);
    let text = "脱贫户巩固1121户。另有脱贫户巩固1121户。";
    let body = json!({"title_zh": "测试", "publisher_zh": "测试", "published_on": "2022-01-01", "text": text});
    let put = app
        .client
        .put(format!("{}/v1/sources/twice", app.address))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    let line = "poverty_exit_households,511903114,2022,2022,actual,1121,户,脱贫户巩固1121户";
    let problem = assert_problem(
        import(&app, &token, "source=twice", rows(&[line])).await,
        422,
    )
    .await;
    assert_eq!(problem["errors"][0]["column"], "quote_start", "{problem}");
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("0, 13"),
        "{problem}"
    );
    let csv = format!("{HEADER},quote_start\n{line},13\n");
    let report: Value = import(&app, &token, "source=twice", csv)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["added"], 1, "{report}");
    let listed = app
        .json(&format!("/v1/observations?release={}", report["release"]))
        .await;
    assert_eq!(listed["data"][0]["quote_start"], 13);
}

#[tokio::test]
async fn the_report_exported_imports_back_unchanged() {
    let app = spawn_app().await;
    let token = token(&app);
    let source = "shuangsheng-2021-government-work-report";
    let exported = app
        .get("/v1/observations.csv?place=51&descendants=true")
        .await
        .text()
        .await
        .unwrap();
    let before = version(&app);
    let response = import(
        &app,
        &token,
        &format!("source={source}&mode=replace"),
        exported,
    )
    .await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["unchanged"], 62, "{report}");
    assert_eq!(report["added"], 0);
    assert_eq!(report["changed"], 0);
    assert_eq!(report["retracted"], 0);
    assert!(report["release"].is_null());
    assert_eq!(version(&app), before);

    // As JSON too.
    let json_rows = app
        .json("/v1/observations?place=51&descendants=true&limit=1000")
        .await;
    let rows: Vec<Value> = json_rows["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            json!({
                "indicator_code": o["indicator"]["code"], "place_code": o["place"]["code"],
                "period_start": o["period_start"], "period_end": o["period_end"], "kind": o["kind"],
                "value_as_written": o["value_as_written"], "unit_as_written": o["unit_as_written"],
                "quote": o["quote"], "quote_start": o["quote_start"], "note": o["note"],
            })
        })
        .collect();
    let response = app
        .client
        .post(format!(
            "{}/v1/imports?source={source}&dry_run=true",
            app.address
        ))
        .bearer_auth(&token)
        .json(&rows)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["unchanged"], 62, "{report}");
}

#[tokio::test]
async fn an_import_needs_a_token_and_a_known_media_type() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/v1/imports?source={SOURCE}", app.address))
        .header("content-type", "text/csv")
        .body(rows(&GOOD))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer realm="township-stats""#
    );
    assert_problem(response, 401).await;
    let token = token(&app);
    let response = app
        .client
        .post(format!("{}/v1/imports?source={SOURCE}", app.address))
        .bearer_auth(&token)
        .header("content-type", "application/vnd.ms-excel")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_problem(response, 415).await;
}

#[tokio::test]
async fn two_sources_for_the_same_figure_both_keep_their_value() {
    let app = spawn_app().await;
    let token = token(&app);
    register_source(&app, &token).await;
    let body = json!({"title_zh": "恩阳区统计公报", "publisher_zh": "恩阳区统计局",
                      "published_on": "2023-03-01", "text": "双胜镇全镇实现地区生产总值3.3亿元。"});
    let put = app
        .client
        .put(format!("{}/v1/sources/enyang-bulletin-2022", app.address))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    assert_eq!(
        import(&app, &token, &format!("source={SOURCE}"), rows(&GOOD[..1]))
            .await
            .status(),
        200
    );
    let other = rows(&["gdp,511903114,2022,2022,actual,3.3,亿元,全镇实现地区生产总值3.3亿元"]);
    assert_eq!(
        import(&app, &token, "source=enyang-bulletin-2022", other)
            .await
            .status(),
        200
    );

    let query = "/v1/observations?indicator=gdp&place=511903114&from=2022&to=2022";
    let ds = app.json(&format!("{query}&format=jsonstat")).await;
    assert_eq!(ds["size"], json!([1, 1, 1, 1, 2]), "{ds}");
    let mut values: Vec<String> = ds["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect();
    values.sort();
    assert_eq!(values, ["320000000", "330000000"]);
    assert_eq!(
        ds["dimension"]["source"]["category"]["label"]["enyang-bulletin-2022"],
        "恩阳区统计公报"
    );
    let sdmx = app
        .get(&format!("{query}&format=sdmx-csv"))
        .await
        .text()
        .await
        .unwrap();
    let (header, records) = crate::helpers::parse_csv(sdmx.as_bytes());
    let source = header.iter().position(|h| h == "SOURCE").unwrap();
    let mut sources: Vec<&str> = records.iter().map(|r| r[source].as_str()).collect();
    sources.sort();
    assert_eq!(sources, ["enyang-bulletin-2022", SOURCE]);
}

#[tokio::test]
async fn as_of_answers_what_was_published_then() {
    let app = spawn_app().await;
    let token = token(&app);
    let text =
        "全镇实现地区生产总值3.2亿元。新改建卫生厕所300余户。经核实，地区生产总值应为3.4亿元。";
    let body = json!({"title_zh": "双胜镇报告", "publisher_zh": "双胜镇人民政府",
                      "published_on": "2022-12-01", "text": text});
    let put = app
        .client
        .put(format!("{}/v1/sources/{SOURCE}", app.address))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    let release_time = |report: Value| {
        let app = &app;
        async move {
            let id = report["release"].as_i64().expect("a release");
            let release = app.json(&format!("/v1/releases/{id}")).await;
            release["data"]["released_at"]
                .as_str()
                .unwrap()
                .replace('+', "%2B")
        }
    };
    let publish = |query: &'static str, lines: &'static [&'static str]| {
        let app = &app;
        let token = &token;
        async move {
            let response = import(app, token, query, rows(lines)).await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    const GDP: &str = "gdp,511903100,2022,2022,actual,3.2,亿元,全镇实现地区生产总值3.2亿元";
    const TOILETS: &str =
        "sanitary_toilets_renovated,511903100,2022,2022,actual,300,户,新改建卫生厕所300余户";
    const CORRECTED: &str = "gdp,511903100,2022,2022,actual,3.4,亿元,地区生产总值应为3.4亿元";
    let first = release_time(publish("source=shuangsheng-2022", &[GDP, TOILETS]).await).await;
    let second = release_time(publish("source=shuangsheng-2022", &[CORRECTED]).await).await;
    let third = publish("source=shuangsheng-2022&mode=replace", &[TOILETS]).await;
    assert_eq!(third["retracted"], 1, "{third}");

    let values = |listing: Value| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = listing["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["indicator"]["code"].as_str().unwrap().to_owned(),
                    o["value_decimal"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let pair = |code: &str, value: &str| (code.to_owned(), value.to_owned());
    let at = |time: &str| format!("/v1/observations?place=511903100&as_of={time}");

    // Before anything was published: nothing.
    let listing = app.json(&at("2000-01-01T00:00:00Z")).await;
    assert!(values(listing).is_empty());
    // At the first release: its values, the correction and the retraction undone.
    let listing = app.json(&at(&first)).await;
    assert_eq!(
        values(listing.clone()),
        [
            pair("gdp", "320000000"),
            pair("sanitary_toilets_renovated", "300")
        ]
    );
    let gdp = listing["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["indicator"]["code"] == "gdp")
        .unwrap()
        .clone();
    assert_eq!(gdp["quote"], "全镇实现地区生产总值3.2亿元");
    assert_eq!(gdp["value_as_written"], "3.2");
    // At the correction: the corrected value, not yet retracted.
    assert_eq!(
        values(app.json(&at(&second)).await),
        [
            pair("gdp", "340000000"),
            pair("sanitary_toilets_renovated", "300")
        ]
    );
    // Now: the retraction holds.
    assert_eq!(
        values(app.json("/v1/observations?place=511903100").await),
        [pair("sanitary_toilets_renovated", "300")]
    );

    // Page by page with a cursor, the pages stay at that moment.
    let items = app.all_pages(&format!("{}&limit=1", at(&first))).await;
    let mut paged = values(json!({ "data": items }));
    paged.sort();
    assert_eq!(
        paged,
        [
            pair("gdp", "320000000"),
            pair("sanitary_toilets_renovated", "300")
        ]
    );

    // Every format answers the same moment.
    let csv = app
        .get(&format!("{}&format=csv", at(&first)))
        .await
        .text()
        .await
        .unwrap();
    let (header, records) = crate::helpers::parse_csv(csv.as_bytes());
    let value = header.iter().position(|h| h == "value").unwrap();
    let mut csv_values: Vec<&str> = records.iter().map(|r| r[value].as_str()).collect();
    csv_values.sort();
    assert_eq!(csv_values, ["300", "320000000"]);
    let ds = app.json(&format!("{}&format=jsonstat", at(&first))).await;
    let mut ds_values: Vec<String> = ds["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| v.to_string())
        .collect();
    ds_values.sort();
    assert_eq!(ds_values, ["300", "320000000"], "{ds}");

    // A moment is not a change feed.
    for other in [
        "updated_since=2000-01-01T00:00:00Z",
        "release=1",
        "sort=updated",
    ] {
        let problem = app.problem(&format!("{}&{other}", at(&first)), 400).await;
        assert!(
            problem["detail"].as_str().unwrap().contains("as_of"),
            "{problem}"
        );
    }
    app.problem(&at("yesterday"), 400).await;
}

#[tokio::test]
async fn a_large_import_is_staged_in_batches_and_its_report_bounded() {
    use diesel::prelude::*;
    use township_stats::db::schema::places;
    let app = spawn_app().await;
    let token = token(&app);
    register_source(&app, &token).await;
    // One figure for each of 13,000 townships: more than two batches, a body over 1 MiB.
    let codes: Vec<String> = places::table
        .filter(places::level.eq("township"))
        .select(places::code)
        .order(places::code)
        .limit(13_000)
        .load(&mut app.db.connect())
        .unwrap();
    assert_eq!(codes.len(), 13_000);
    let lines: Vec<String> = codes
        .iter()
        .map(|code| format!("gdp,{code},2022,2022,actual,3.2,亿元,全镇实现地区生产总值3.2亿元"))
        .collect();
    let csv = rows(&lines.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(csv.len() > 1024 * 1024);
    let report: Value = import(&app, &token, &format!("source={SOURCE}"), csv.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["added"], 13_000);
    let listed = report["rows"].as_array().unwrap();
    assert_eq!(listed.len(), 10_000);
    assert_eq!(report["omitted"], 3_000);
    assert_eq!(listed[0]["row"], 2);
    assert_eq!(listed[9_999]["row"], 10_001);
    let listing = app
        .json("/v1/observations?indicator=gdp&from=2022&limit=1")
        .await;
    assert_eq!(listing["meta"]["total"], 13_000);

    // A duplicate far into the file is found across batches; nothing is written.
    let before = version(&app);
    let mut twice = csv;
    twice.push_str(&lines[3]);
    twice.push('\n');
    let refused = import(&app, &token, &format!("source={SOURCE}"), twice).await;
    let problem = assert_problem(refused, 422).await;
    let errors = problem["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{problem}");
    assert_eq!(errors[0]["row"], 13_002);
    assert!(errors[0]["detail"].as_str().unwrap().contains("row 5"));
    assert_eq!(version(&app), before);
}

#[tokio::test]
async fn a_json_array_imports_like_csv() {
    let app = spawn_app().await;
    let token = token(&app);
    register_source(&app, &token).await;
    let post = |body: String| {
        app.client
            .post(format!("{}/v1/imports?source={SOURCE}", app.address))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let row = |value: &str, quote: &str| {
        json!({"indicator_code": "gdp", "place_code": "511903114", "period_start": 2022,
               "period_end": 2022, "kind": "actual", "value_as_written": value,
               "unit_as_written": "亿元", "quote": quote, "name_zh": "ignored", "note": null})
    };
    let before = version(&app);
    // A bad element is numbered from 1, as the array's first is.
    let bad = json!([
        row("3.2", "全镇实现地区生产总值3.2亿元"),
        row("3.3", "全镇实现地区生产总值3.3亿元")
    ]);
    let problem = assert_problem(post(bad.to_string()).await.unwrap(), 422).await;
    assert_eq!(problem["errors"][0]["row"], 2, "{problem}");
    assert_eq!(problem["errors"][0]["column"], "quote");

    for (body, why) in [
        (json!({"rows": []}).to_string(), "an object"),
        (
            format!("{} x", json!([row("3.2", "全镇实现地区生产总值3.2亿元")])),
            "trailing text",
        ),
        ("[{\"indicator_code\": ".to_owned(), "cut short"),
    ] {
        let problem = assert_problem(post(body).await.unwrap(), 400).await;
        assert!(
            problem["detail"].as_str().unwrap().contains("JSON array"),
            "{why}: {problem}"
        );
    }
    assert_eq!(version(&app), before, "nothing written by a refused file");

    let good = json!([row("3.2", "全镇实现地区生产总值3.2亿元")]);
    let report: Value = post(good.to_string()).await.unwrap().json().await.unwrap();
    assert_eq!(report["added"], 1, "{report}");
    assert_eq!(report["rows"][0]["value"], "320000000");
    assert_ne!(version(&app), before);
}
