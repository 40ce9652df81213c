use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn healthz_and_readyz_answer_while_the_database_is_up() {
    let app = spawn_app().await;
    assert_eq!(app.json("/healthz").await["status"], "ok");
    assert_eq!(app.json("/readyz").await["status"], "ready");
}

#[tokio::test]
async fn without_its_database_the_service_is_alive_but_not_ready() {
    let app = spawn_app().await;
    let name = app.db.name.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::RunQueryDsl;
        let mut admin = township_stats::db::connect(&crate::helpers::database_url("postgres"))
            .expect("admin connection");
        diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
            .execute(&mut admin)
            .expect("dropping the app's database");
    })
    .await
    .unwrap();

    assert_eq!(app.get("/healthz").await.status(), 200);
    let response = app.get("/readyz").await;
    assert!(response.headers().contains_key("retry-after"));
    let problem = assert_problem(response, 503).await;
    assert!(
        !problem["detail"].as_str().unwrap().contains("ts_test"),
        "no internals"
    );
    let response = app.get("/v1/observations").await;
    assert_problem(response, 503).await;
    // The API's description does not depend on the data.
    assert_eq!(app.get("/openapi.json").await.status(), 200);
}
