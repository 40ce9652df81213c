use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn bad_parameters_are_400_problems_naming_the_parameter() {
    let app = spawn_app().await;
    let cases = [
        ("/v1/observations?limit=abc", "limit", "limit"),
        ("/v1/observations?limit=100000", "limit", "1000"),
        ("/v1/observations?limit=0", "limit", "1000"),
        ("/v1/places?limit=-5", "limit", "limit"),
        ("/v1/observations?kind=guess", "kind", "actual"),
        ("/v1/observations?from=2025&to=2016", "from", "2016"),
        ("/v1/observations?from=abc", "from", "from"),
        ("/v1/observations?to=3000", "to", "2100"),
        ("/v1/observations?descendants=true", "descendants", "place"),
        (
            "/v1/observations?descendants=maybe&place=51",
            "descendants",
            "descendants",
        ),
        ("/v1/observations?sort=value", "sort", "period"),
        ("/v1/observations?place=51,,52", "place", "empty"),
        ("/v1/observations?cursor=garbage", "cursor", "next_cursor"),
        ("/v1/observations?limt=5", "limt", "unknown query parameter"),
        ("/v1/places?level=planet", "level", "township"),
        ("/v1/places?lang=fr", "lang", "zh"),
    ];
    for (path, parameter, mentions) in cases {
        let problem = app.problem(path, 400).await;
        assert_eq!(problem["parameter"], parameter, "{path}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(mentions), "{path}: {detail}");
    }
}

#[tokio::test]
async fn a_cursor_only_continues_the_sort_it_came_from() {
    let app = spawn_app().await;
    let body = app.json("/v1/observations?sort=period&limit=2").await;
    let cursor = body["meta"]["next_cursor"].as_str().unwrap();
    app.json(&format!(
        "/v1/observations?sort=period&limit=2&cursor={cursor}"
    ))
    .await;
    let problem = app
        .problem(&format!("/v1/observations?sort=id&cursor={cursor}"), 400)
        .await;
    assert_eq!(problem["parameter"], "cursor");
}

#[tokio::test]
async fn unknown_codes_in_filters_are_404_and_name_the_codes() {
    let app = spawn_app().await;
    let problem = app
        .problem("/v1/observations?place=511903114,999999", 404)
        .await;
    assert!(problem["detail"].as_str().unwrap().contains("999999"));
    let problem = app
        .problem("/v1/observations?indicator=gdp,snowfall", 404)
        .await;
    assert!(problem["detail"].as_str().unwrap().contains("snowfall"));
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let app = spawn_app().await;
    for path in ["/v2/observations", "/v1/places/51/extra", "/nope"] {
        let problem = app.problem(path, 404).await;
        assert!(problem["detail"].as_str().unwrap().contains(path));
    }
    for (path, allow) in [
        ("/v1/observations", "GET, HEAD"),
        ("/v1/places/51", "GET, HEAD, PUT"),
        ("/healthz", "GET, HEAD"),
    ] {
        let response = app
            .client
            .post(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], allow, "{path}");
        assert_problem(response, 405).await;
    }
    let response = app
        .client
        .delete(format!("{}/v1/sources/x/text", app.address))
        .send()
        .await
        .unwrap();
    assert_problem(response, 405).await;
}
