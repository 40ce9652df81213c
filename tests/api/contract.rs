//! The contract as clients speak it: empty values, capitals, and codes that name nothing.

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn empty_and_differently_cased_values_mean_what_clients_meant() {
    let app = spawn_app().await;
    // An empty cursor or format is none; a format in capitals is the format.
    for path in [
        "/v1/observations?cursor=&limit=1",
        "/v1/places?cursor=&limit=1",
        "/v1/indicators?cursor=",
        "/v1/sources?cursor=",
        "/v1/observations?format=&limit=1",
        "/v1/catalog?format=",
    ] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    for (path, kind) in [
        ("/v1/observations?format=CSV&limit=1", "text/csv"),
        ("/v1/catalog?format=Turtle", "text/turtle"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
    }
    // A release that does not exist is 404, like any code that names nothing.
    assert_eq!(app.get("/v1/observations?release=1").await.status(), 200);
    for path in [
        "/v1/observations?release=99",
        "/v1/observations?release=99&format=csv",
    ] {
        assert_problem(app.get(path).await, 404).await;
    }
}

/// One round of the README's polling loop: every change after `token`, page by page, applied
/// to `copy` (upsert by id, delete tombstones). Returns how many changes it applied.
async fn sync_round(
    app: &crate::helpers::TestApp,
    token: &mut Option<String>,
    copy: &mut std::collections::HashMap<i64, serde_json::Value>,
) -> usize {
    const LIMIT: usize = 10;
    let mut applied = 0;
    loop {
        let path = match token.as_deref() {
            Some(t) => format!("/v1/observations?limit={LIMIT}&sync_token={t}"),
            None => format!("/v1/observations?limit={LIMIT}&updated_since=2000-01-01T00:00:00Z"),
        };
        let page = app.json(&path).await;
        let rows = page["data"].as_array().unwrap();
        for row in rows {
            let id = row["id"].as_i64().unwrap();
            if row["retracted_at"].is_null() {
                copy.insert(id, row.clone());
            } else {
                copy.remove(&id);
            }
        }
        applied += rows.len();
        let next = page["meta"]["sync_token"]
            .as_str()
            .expect("a sync token on every page");
        *token = Some(next.to_owned());
        if rows.len() < LIMIT {
            return applied;
        }
    }
}

#[tokio::test]
async fn a_sync_that_keeps_its_token_never_loses_a_change() {
    let app = spawn_app().await;
    let mut copy = std::collections::HashMap::new();
    let mut token = None;
    // The seed is one release of 62 rows sharing one updated_at: seven pages of ten.
    assert_eq!(sync_round(&app, &mut token, &mut copy).await, 62);
    assert_eq!(copy.len(), 62);
    // Nothing changed: an empty page, and the same token.
    let before = token.clone();
    assert_eq!(sync_round(&app, &mut token, &mut copy).await, 0);
    assert_eq!(token, before);
    // A release lands between rounds: more rows than a page, again all with one updated_at.
    let options = township_stats::synth::SynthOptions {
        townships: 2,
        indicators: 40,
        years: 1,
        progress: false,
    };
    let added = township_stats::synth::run(&mut app.db.connect(), options)
        .unwrap()
        .observations_added;
    assert!(added > 10, "{added}");
    assert_eq!(
        sync_round(&app, &mut token, &mut copy).await,
        added as usize
    );
    let total = app.json("/v1/observations?limit=1").await["meta"]["total"]
        .as_i64()
        .unwrap();
    assert_eq!(copy.len() as i64, total);
    // A token is opaque but checked.
    let problem = app.problem("/v1/observations?sync_token=bm9wZQ", 400).await;
    assert_eq!(problem["parameter"], "sync_token");
    let problem = app
        .problem(
            &format!(
                "/v1/observations?sync_token={}&updated_since=2020-01-01T00:00:00Z",
                token.unwrap()
            ),
            400,
        )
        .await;
    assert_eq!(problem["parameter"], "sync_token");
}

#[tokio::test]
async fn lists_as_clients_send_them_and_values_as_they_are() {
    let app = spawn_app().await;
    // A repeated list parameter is the list of its values, as `requests` sends a list.
    let repeated = app
        .json("/v1/observations?indicator=poverty_exit_persons&indicator=poverty_exit_households")
        .await;
    let joined = app
        .json("/v1/observations?indicator=poverty_exit_persons,poverty_exit_households")
        .await;
    assert_eq!(repeated["meta"]["total"], joined["meta"]["total"]);
    assert!(joined["meta"]["total"].as_i64().unwrap() >= 2);
    // Another parameter given twice is still an error that names it.
    let problem = app.problem("/v1/observations?limit=1&limit=2", 400).await;
    assert_eq!(problem["parameter"], "limit");
    // Codes as SDMX-CSV writes them (capitals) find the same rows.
    let upper = app
        .json("/v1/observations?indicator=POVERTY_EXIT_PERSONS,POVERTY_EXIT_HOUSEHOLDS")
        .await;
    assert_eq!(upper["meta"]["total"], joined["meta"]["total"]);
    // Exact values come as a decimal string too.
    let row = &joined["data"][0];
    assert_eq!(
        row["value_decimal"].as_str().unwrap(),
        row["value"].to_string()
    );
    // An item asked for in a format it does not have is 406, not JSON.
    let response = app
        .client
        .get(format!("{}/v1/places/51", app.address))
        .header("Accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_problem(response, 406).await;
    // A download's name says what it holds.
    let response = app
        .get("/v1/observations?category=poverty_alleviation&kind=actual&from=2016&to=2020&format=csv")
        .await;
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"observations-poverty_alleviation-actual-2016-2020.csv\""
    );
}

#[tokio::test]
async fn indicators_can_be_searched_across_categories() {
    let app = spawn_app().await;
    let found = app.json("/v1/indicators?q=POVERTY&limit=1000").await;
    let rows = found["data"].as_array().unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let text = format!(
            "{} {} {}",
            row["code"], row["name_en"], row["description_en"]
        )
        .to_lowercase();
        assert!(text.contains("poverty"), "{text}");
    }
    // Across categories: the poverty-exit sentences' relocation figure is found too.
    assert!(rows.iter().any(|r| r["category"] == "poverty_alleviation"));
    assert!(rows.iter().any(|r| r["category"] != "poverty_alleviation"));
    // In Chinese too; and a wildcard is a character, not a pattern.
    let chinese = app.json("/v1/indicators?q=%E8%84%B1%E8%B4%AB").await;
    assert!(chinese["meta"]["total"].as_i64().unwrap() > 0);
    let literal = app.json("/v1/indicators?q=%25").await;
    assert_eq!(literal["meta"]["total"], 0);
}

#[tokio::test]
async fn the_catalog_says_whose_data_under_which_terms_in_which_media_types() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/v1/catalog", app.address))
        .header("Accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let turtle = response.text().await.unwrap();
    // The places under the gazetteer's licence, the figures under their source's own terms,
    // published by the government that wrote the report.
    assert!(turtle.contains("<http://www.wtfpl.net/>"), "{turtle}");
    assert!(turtle.contains("not subject to copyright"), "{turtle}");
    assert!(
        turtle.contains("People's Government of Shuangsheng Town"),
        "{turtle}"
    );
    // The media types the service sends.
    assert!(turtle.contains("media-types/application/vnd.json-stat+json>"));
    assert!(turtle.contains("media-types/application/vnd.sdmx.data+csv>"));
    assert!(!turtle.contains(" 1 observations"), "{turtle}");
    // Keywords are what the indicators are called, in both languages, not their codes.
    assert!(turtle.contains("\"地区生产总值\"@zh"), "{turtle}");
    assert!(!turtle.contains("\"gdp\"@en"), "{turtle}");
    // The bulk files have a coverage and every format the observations come in.
    let mut graph = oxrdf::Graph::default();
    for triple in oxttl::TurtleParser::new().for_slice(turtle.as_bytes()) {
        graph.insert(&triple.unwrap());
    }
    let base = format!("{}/v1", app.address);
    let node = |iri: String| oxrdf::NamedNode::new(iri).unwrap();
    let bulk = node(format!("{base}/catalog/datasets/all"));
    for (predicate, object) in [
        (
            "http://purl.org/dc/terms/spatial",
            format!("{base}/places/51"),
        ),
        (
            "http://purl.org/dc/terms/temporal",
            format!("{base}/catalog/datasets/all#period"),
        ),
        (
            "http://www.w3.org/ns/dcat#distribution",
            format!("{base}/catalog/datasets/all/distributions/jsonstat"),
        ),
        (
            "http://www.w3.org/ns/dcat#distribution",
            format!("{base}/catalog/datasets/all/distributions/sdmx-csv"),
        ),
    ] {
        let triple = oxrdf::Triple::new(bulk.clone(), node(predicate.into()), node(object));
        assert!(graph.contains(&triple), "{triple} missing from {turtle}");
    }
}

#[tokio::test]
async fn releases_are_a_list_like_every_other() {
    let app = spawn_app().await;
    for townships in [1, 2] {
        let options = township_stats::synth::SynthOptions {
            townships,
            indicators: 1,
            years: 1,
            progress: false,
        };
        township_stats::synth::run(&mut app.db.connect(), options).unwrap();
    }
    // The seed and two synthetic loads: three releases, two pages of two.
    let first = app.get("/v1/releases?limit=2").await;
    let link = first.headers()["link"].to_str().unwrap().to_owned();
    let first: serde_json::Value = first.json().await.unwrap();
    assert_eq!(first["meta"]["total"], 3);
    assert_eq!(first["meta"]["limit"], 2);
    let ids: Vec<i64> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert!(ids[0] > ids[1], "newest first: {ids:?}");
    let cursor = first["meta"]["next_cursor"].as_str().unwrap();
    assert!(link.contains(cursor), "{link}");
    let second = app
        .json(&format!("/v1/releases?limit=2&cursor={cursor}"))
        .await;
    let rest = second["data"].as_array().unwrap();
    assert_eq!(rest.len(), 1);
    assert!(rest[0]["id"].as_i64().unwrap() < ids[1]);
    assert!(second["meta"]["next_cursor"].is_null());
    assert_problem(app.get("/v1/releases?limit=0").await, 400).await;

    // The same list in CSV, newest first, by format= or by Accept; a page links to the next.
    let csv = app.get("/v1/releases?format=csv").await;
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("releases.csv"));
    let (header, rows) = crate::helpers::parse_csv(&csv.bytes().await.unwrap());
    assert_eq!(header[0], "id");
    assert_eq!(header[1], "released_at");
    let csv_ids: Vec<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(csv_ids.len(), 3);
    assert_eq!(csv_ids[..2], ids[..]);
    let accepted = app
        .client
        .get(format!("{}/v1/releases", app.address))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(accepted.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let page = app.get("/v1/releases?format=csv&limit=2").await;
    assert!(page.headers()["link"].to_str().unwrap().contains(cursor));
}

#[tokio::test]
async fn a_csv_page_links_to_the_next_like_a_json_page() {
    let app = spawn_app().await;
    for (first, whole) in [
        (
            "/v1/observations?place=511903114&descendants=true&format=csv&limit=25",
            "/v1/observations?place=511903114&descendants=true&format=csv",
        ),
        (
            "/v1/places?parent=511903114&format=csv&limit=4",
            "/v1/places?parent=511903114&format=csv",
        ),
        (
            "/v1/indicators?format=csv&limit=10",
            "/v1/indicators?format=csv",
        ),
    ] {
        let (_, expected) = crate::helpers::parse_csv(&app.get(whole).await.bytes().await.unwrap());
        let mut rows = Vec::new();
        let mut next = Some(format!("{}{first}", app.address));
        while let Some(url) = next.take() {
            let response = app.client.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 200, "{url}");
            next = response.headers().get("link").map(|link| {
                let link = link.to_str().unwrap();
                assert!(link.ends_with("rel=\"next\""), "{link}");
                link.trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap()
                    .to_owned()
            });
            let (_, page) = crate::helpers::parse_csv(&response.bytes().await.unwrap());
            assert!(!page.is_empty(), "{url}");
            rows.extend(page);
        }
        assert_eq!(rows, expected, "{first}");
    }
}

#[tokio::test]
async fn each_list_format_has_its_own_address() {
    let app = spawn_app().await;
    for (suffixed, query, media_type) in [
        (
            "/v1/observations.csv?place=511903114",
            "/v1/observations?place=511903114&format=csv",
            "text/csv",
        ),
        (
            "/v1/observations.jsonstat?place=511903114",
            "/v1/observations?place=511903114&format=jsonstat",
            "application/vnd.json-stat+json",
        ),
        (
            "/v1/observations.sdmx-csv",
            "/v1/observations?format=sdmx-csv",
            "application/vnd.sdmx.data+csv",
        ),
        (
            "/v1/places.csv?parent=511903",
            "/v1/places?parent=511903&format=csv",
            "text/csv",
        ),
        ("/v1/releases.csv", "/v1/releases?format=csv", "text/csv"),
        (
            "/v1/catalog.turtle",
            "/v1/catalog?format=turtle",
            "text/turtle",
        ),
    ] {
        let a = app.get(suffixed).await;
        assert_eq!(a.status(), 200, "{suffixed}");
        let content_type = a.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            content_type.starts_with(media_type),
            "{suffixed}: {content_type}"
        );
        let b = app.get(query).await;
        assert_eq!(
            a.bytes().await.unwrap(),
            b.bytes().await.unwrap(),
            "{suffixed}"
        );
    }
    // The format is in the address: giving it again is a repeated parameter.
    let problem = app.problem("/v1/observations.csv?format=json", 400).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("format"),
        "{problem}"
    );
    // Only the formats a list has.
    app.problem("/v1/places.jsonstat", 404).await;
    app.problem("/v1/places/511903.csv", 404).await;
}
