use serde_json::Value;

use crate::helpers::spawn_app;

const COMMITTED: &str = "openapi/openapi.json";

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = township_stats::openapi::to_pretty_json();
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        generated == committed,
        "{COMMITTED} is out of date: regenerate it with \
         `cargo run -- openapi > {COMMITTED}` and commit the result"
    );
}

#[tokio::test]
async fn the_served_document_is_the_committed_one_and_covers_every_route() {
    let app = spawn_app().await;
    let served = app.json("/openapi.json").await;
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(COMMITTED).unwrap()).unwrap();
    assert_eq!(served, committed);
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = served["paths"].as_object().unwrap();
    for path in [
        "/healthz",
        "/readyz",
        "/v1/places",
        "/v1/places/{code}",
        "/v1/indicators",
        "/v1/indicators/{code}",
        "/v1/sources",
        "/v1/sources/{id}",
        "/v1/sources/{id}/text",
        "/v1/observations",
        "/v1/observations/{id}",
        "/v1/downloads/observations.csv",
        "/v1/downloads/places.csv",
        "/v1/downloads/indicators.csv",
        "/v1/downloads/sources.csv",
        "/v1/downloads/datapackage.json",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
        let get = &paths[path]["get"];
        assert!(get["operationId"].is_string(), "{path} has an operation id");
    }
    let params: Vec<&str> = paths["/v1/observations"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "place",
        "descendants",
        "indicator",
        "category",
        "kind",
        "from",
        "to",
        "sort",
        "lang",
        "cursor",
        "limit",
    ] {
        assert!(params.contains(&name), "observations documents `{name}`");
    }
}

#[tokio::test]
async fn the_docs_page_is_served_offline_and_the_bare_path_redirects() {
    let app = spawn_app().await;
    let response = app.get("/docs").await;
    assert_eq!(response.status(), 308);
    assert_eq!(response.headers()["location"], "/docs/");
    let response = app.get("/docs/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("swagger"), "the Swagger UI page");
    let response = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(response.status(), 200, "the UI's JavaScript is vendored");
}

#[test]
fn observations_document_every_media_type() {
    let doc: Value = serde_json::from_str(&township_stats::openapi::to_pretty_json()).unwrap();
    let content = &doc["paths"]["/v1/observations"]["get"]["responses"]["200"]["content"];
    for media in [
        "application/json",
        "text/csv",
        "application/vnd.json-stat+json",
        "application/vnd.sdmx.data+csv",
    ] {
        assert!(content.get(media).is_some(), "{media} is documented");
    }
    let problem = &doc["paths"]["/v1/observations"]["get"]["responses"]["406"]["content"];
    assert!(problem.get("application/problem+json").is_some());
}
