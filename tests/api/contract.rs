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
