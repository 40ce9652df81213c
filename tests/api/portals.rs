use std::collections::HashSet;
use std::str::FromStr;

use bigdecimal::BigDecimal;
use diesel::Connection;
use serde_json::Value;
use township_stats::import;
use township_stats::seed::publish::{lock_for_load, Publication};
use township_stats::seed::report::{Report, REPORT_SOURCE_ID};

use crate::helpers::{assert_problem, spawn_app, TestApp};

/// Publishes the report's observations as changed by `edit`, as a corrected seed would: through
/// the import path, each figure checked against its sentence.
pub fn republish(
    app: &TestApp,
    edit: impl FnOnce(&mut Vec<township_stats::db::observations::NewObservation>),
) -> Publication {
    let mut observations = Report::parse().unwrap().observations;
    edit(&mut observations);
    let rows = observations
        .iter()
        .enumerate()
        .map(|(i, o)| import::row_of(i as u64 + 1, o))
        .collect();
    let options = import::Options {
        source: REPORT_SOURCE_ID.to_owned(),
        mode: import::Mode::Replace,
        dry_run: false,
        title: Some("Correction".to_owned()),
        published_by: None,
    };
    let mut conn = app.db.connect();
    let report = conn
        .transaction(|conn| {
            let at = lock_for_load(conn)?;
            import::import(conn, at, &options, import::Input::Rows(rows))
        })
        .unwrap();
    Publication {
        release_id: report.release,
        added: report.added,
        changed: report.changed,
        retracted: report.retracted,
    }
}

/// Reads the GDP from another sentence (the budget's 4.27亿元), and drops the COVID figure.
pub fn correct_gdp_and_drop_covid(
    observations: &mut Vec<township_stats::db::observations::NewObservation>,
) {
    let budget = observations
        .iter()
        .find(|o| o.indicator_code == "budget_revenue")
        .unwrap()
        .clone();
    let gdp = observations
        .iter_mut()
        .find(|o| o.indicator_code == "gdp")
        .unwrap();
    gdp.value = BigDecimal::from_str("427000000").unwrap();
    gdp.value_as_written = "4.27".to_owned();
    gdp.quote = budget.quote;
    gdp.quote_start = budget.quote_start;
    gdp.quote_end = budget.quote_end;
    observations.retain(|o| o.indicator_code != "covid_cases");
}

#[tokio::test]
async fn a_changed_seed_is_a_release_with_tombstones_and_history() {
    let app = spawn_app().await;
    let releases = app.json("/v1/releases").await;
    assert_eq!(
        releases["data"].as_array().unwrap().len(),
        1,
        "the seed's own release"
    );
    assert_eq!(releases["data"][0]["observations_added"], 62);
    let first_release_at = releases["data"][0]["released_at"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(
        republish(&app, |_| {}),
        Publication::default(),
        "identical data: no release"
    );
    assert_eq!(
        app.json("/v1/releases").await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let publication = republish(&app, correct_gdp_and_drop_covid);
    assert_eq!(
        (
            publication.added,
            publication.changed,
            publication.retracted
        ),
        (0, 1, 1)
    );
    let release = publication.release_id.unwrap();
    let body = app.json(&format!("/v1/releases/{release}")).await;
    assert_eq!(body["data"]["observations_changed"], 1);
    assert_eq!(body["data"]["observations_retracted"], 1);

    // The published data drops the retracted one; the change feeds keep it as a tombstone.
    assert_eq!(app.json("/v1/observations").await["meta"]["total"], 61);
    let since = first_release_at.replace('+', "%2B");
    let changes = app
        .all_pages(&format!("/v1/observations?updated_since={since}"))
        .await;
    let by_release = app
        .all_pages(&format!("/v1/observations?release={release}"))
        .await;
    for list in [&changes, &by_release] {
        assert_eq!(list.len(), 2);
        let gdp = list
            .iter()
            .find(|o| o["indicator"]["code"] == "gdp")
            .unwrap();
        assert_eq!(gdp["value"].to_string(), "427000000");
        assert!(gdp["retracted_at"].is_null());
        let covid = list
            .iter()
            .find(|o| o["indicator"]["code"] == "covid_cases")
            .unwrap();
        assert_eq!(covid["retracted_at"], covid["updated_at"]);
        assert!(covid["retracted_at"].is_string());
    }

    // Nothing published is lost: the old value is in the revision history.
    use diesel::prelude::*;
    use township_stats::db::schema::observation_revisions as r;
    let mut conn = app.db.connect();
    let old: Vec<(BigDecimal, Option<i64>)> = r::table
        .select((r::value, r::superseded_by))
        .load(&mut conn)
        .unwrap();
    assert!(old.contains(&(BigDecimal::from_str("1690000000").unwrap(), Some(release))));
    assert_eq!(
        old.len(),
        2,
        "one revision for the correction, one for the retraction"
    );
    let deleted = diesel::sql_query("DELETE FROM observations").execute(&mut conn);
    assert!(deleted.is_err(), "observations are never deleted");

    // Restoring the seed un-retracts the tombstone and reverts the value: one more release.
    let restored = republish(&app, |_| {});
    assert_eq!(
        (restored.added, restored.changed, restored.retracted),
        (0, 2, 0)
    );
    // Answers follow the data version, which reaches the service within the listener's poll.
    let committed = std::time::Instant::now();
    while app.json("/v1/observations").await["meta"]["total"] != 62 {
        assert!(
            committed.elapsed() < std::time::Duration::from_secs(1),
            "62 within a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn the_sync_cursor_neither_skips_nor_repeats_while_data_arrives() {
    let app = spawn_app().await;
    let url = format!(
        "{}/v1/observations?updated_since=2000-01-01T00:00:00Z&limit=10",
        app.address
    );
    let first: Value = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut seen: Vec<i64> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    let cursor = first["meta"]["next_cursor"].as_str().unwrap().to_owned();

    // New data arrives between pages: one change to a row already seen, one to a row not yet seen.
    let seen_gdp = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["indicator"]["code"] == "gdp");
    assert!(seen_gdp, "gdp is among the first rows");
    republish(&app, |obs| {
        for o in obs.iter_mut() {
            if o.indicator_code == "gdp" || o.indicator_code == "risk_domains_with_prevention_plans"
            {
                o.note = Some("corrected".to_owned());
            }
        }
    });

    let (rest, _) = app
        .follow_pages(&format!(
            "/v1/observations?updated_since=2000-01-01T00:00:00Z&limit=10&cursor={cursor}"
        ))
        .await;
    let mut last = (String::new(), 0);
    for o in &rest {
        let key = (
            o["updated_at"].as_str().unwrap().to_owned(),
            o["id"].as_i64().unwrap(),
        );
        assert!(key > last, "in (updated_at, id) order");
        last = key;
    }
    let rest_ids: Vec<i64> = rest.iter().map(|o| o["id"].as_i64().unwrap()).collect();
    let unique: HashSet<i64> = rest_ids.iter().copied().collect();
    assert_eq!(
        unique.len(),
        rest_ids.len(),
        "no row twice within the continued listing"
    );
    seen.extend(&rest_ids);
    let all: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(all.len(), 62, "nothing skipped");
    // Only the change to an already-seen row comes again, at the end, as the new change it is.
    assert_eq!(seen.len(), 63);
    let again = rest.last().unwrap();
    assert!(
        again["indicator"]["code"] == "gdp" || rest[rest.len() - 2]["indicator"]["code"] == "gdp"
    );
    assert!(again["note"] == "corrected");
}

#[tokio::test]
async fn updated_since_must_be_rfc3339_and_fixes_the_order() {
    let app = spawn_app().await;
    for bad in ["yesterday", "2026-13-01T00:00:00Z", "2026-01-01"] {
        let problem = app
            .problem(&format!("/v1/observations?updated_since={bad}"), 400)
            .await;
        assert_eq!(problem["parameter"], "updated_since");
    }
    let problem = app
        .problem(
            "/v1/observations?updated_since=2026-01-01T00:00:00Z&sort=place",
            400,
        )
        .await;
    assert_eq!(problem["parameter"], "sort");
    let future = app
        .json("/v1/observations?updated_since=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(future["meta"]["total"], 0);
}

#[tokio::test]
async fn cors_lets_any_origin_read_and_see_the_paging_headers() {
    let app = spawn_app().await;
    let preflight = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/observations", app.address),
        )
        .header("origin", "https://data.city.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    let headers = preflight.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://data.city.example"
    );
    assert!(headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("GET"));
    assert_eq!(headers["access-control-max-age"], "86400");

    let response = app
        .client
        .get(format!("{}/v1/observations?limit=1", app.address))
        .header("origin", "https://data.city.example")
        .send()
        .await
        .unwrap();
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for name in ["link", "etag", "last-modified", "content-disposition"] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
}

#[tokio::test]
async fn head_and_compression_work_on_every_data_answer() {
    let app = spawn_app().await;
    let head = app
        .client
        .head(format!("{}/v1/observations", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.headers().contains_key("etag"));
    assert!(head.bytes().await.unwrap().is_empty());
    let gzipped = app
        .client
        .get(format!("{}/v1/observations?limit=50", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let response = app
        .client
        .post(format!("{}/v1/observations", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    assert_problem(response, 405).await;
}
