//! HTTP caching: conditional GETs (ETag, Last-Modified, 304) and the response cache.

use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use crate::portals::{correct_gdp_and_drop_covid, republish};

#[tokio::test]
async fn conditional_gets_answer_304_until_the_data_changes() {
    let app = spawn_app().await;
    let path = "/v1/observations?indicator=gdp";
    let response = app.get(path).await;
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let last_modified = response.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong: {etag}"
    );
    let cache_control = response.headers()["cache-control"].to_str().unwrap();
    assert!(
        cache_control.starts_with("public, max-age="),
        "{cache_control}"
    );
    assert!(
        cache_control.contains("stale-while-revalidate=60"),
        "{cache_control}"
    );
    assert!(
        cache_control.contains("stale-if-error=86400"),
        "{cache_control}"
    );

    let conditional = |header: &'static str, value: String| {
        app.client
            .get(format!("{}{path}", app.address))
            .header(header, value)
            .send()
    };
    let repeat = conditional("if-none-match", etag.clone()).await.unwrap();
    assert_eq!(repeat.status(), 304);
    assert_eq!(repeat.headers()["etag"], etag.as_str());
    assert!(repeat.bytes().await.unwrap().is_empty());
    assert_eq!(
        conditional("if-modified-since", last_modified.clone())
            .await
            .unwrap()
            .status(),
        304
    );

    // Another request (other query, other format) has another tag.
    let other = app.get("/v1/observations?indicator=gdp&format=csv").await;
    assert_ne!(other.headers()["etag"], etag.as_str());

    republish(&app, correct_gdp_and_drop_covid);
    // The change reaches conditional GETs through the version listener within its poll interval.
    let committed = std::time::Instant::now();
    let changed = loop {
        let answer = conditional("if-none-match", etag.clone()).await.unwrap();
        if answer.status() != 304 {
            break answer;
        }
        assert!(
            committed.elapsed() < std::time::Duration::from_secs(1),
            "seen within a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    assert_eq!(changed.status(), 200, "the data changed in between");
    assert_ne!(changed.headers()["etag"], etag.as_str());
    let body: Value = changed.json().await.unwrap();
    assert_eq!(body["data"][0]["value"].to_string(), "427000000");
}

/// The response cache's lookups with this result so far, from /metrics.
async fn cache_lookups(app: &TestApp, result: &str) -> u64 {
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let series = format!("township_stats_response_cache_lookups_total{{result=\"{result}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&series))
        .unwrap_or_else(|| panic!("no {series} in {metrics}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn kept_answers_are_served_until_the_data_changes_and_never_after() {
    let app = spawn_app().await;
    let paged = "/v1/observations?category=economy&limit=2";
    let first = app.get(paged).await;
    let (hits, misses) = (
        cache_lookups(&app, "hit").await,
        cache_lookups(&app, "miss").await,
    );
    assert_eq!((hits, misses), (0, 1));
    let again = app.get(paged).await;
    assert_eq!(cache_lookups(&app, "hit").await, 1, "the repeat is kept");
    for name in [
        "content-type",
        "link",
        "etag",
        "last-modified",
        "x-content-type-options",
    ] {
        assert_eq!(
            first.headers().get(name),
            again.headers().get(name),
            "{name}"
        );
    }
    assert!(again.headers().contains_key("x-request-id"));
    assert_eq!(first.bytes().await.unwrap(), again.bytes().await.unwrap());

    // Streamed downloads are not kept.
    for _ in 0..2 {
        let csv = app
            .get("/v1/observations?category=economy&format=csv")
            .await;
        assert_eq!(csv.status(), 200);
        csv.bytes().await.unwrap();
    }
    assert_eq!(cache_lookups(&app, "hit").await, 1);

    let path = "/v1/observations?indicator=gdp";
    let before = app.get(path).await;
    let old_tag = before.headers()["etag"].to_str().unwrap().to_owned();
    let old_body = before.bytes().await.unwrap();
    assert_eq!(app.get(path).await.bytes().await.unwrap(), old_body);

    republish(&app, correct_gdp_and_drop_covid);
    // Every answer is the one its tag names: the old body only under the old tag.
    let committed = std::time::Instant::now();
    loop {
        let answer = app.get(path).await;
        let tag = answer.headers()["etag"].to_str().unwrap().to_owned();
        let body = answer.bytes().await.unwrap();
        if tag == old_tag {
            assert_eq!(body, old_body);
        } else {
            let json: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(json["data"][0]["value"].to_string(), "427000000");
            break;
        }
        assert!(committed.elapsed() < std::time::Duration::from_secs(1));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let json: Value = app.json(path).await;
    assert_eq!(json["data"][0]["value"].to_string(), "427000000");
}

#[tokio::test]
async fn with_no_memory_for_it_nothing_is_kept() {
    let app = spawn_app_with(|config| config.response_cache_mb = 0).await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/v1/observations?indicator=gdp").await.status(),
            200
        );
    }
    assert_eq!(cache_lookups(&app, "hit").await, 0);
}
