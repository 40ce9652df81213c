//! The write path: tokens from the command line, and what a publisher writes with one.

use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

/// Runs `township-stats token …` against the test database; returns stdout.
fn token_command(app: &TestApp, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_township-stats"))
        .arg("token")
        .args(args)
        .env("DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "token {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A new token named `name`, from the command line: its last line of stdout.
fn new_token(app: &TestApp, name: &str) -> String {
    let out = token_command(app, &["create", "--name", name]);
    out.lines().last().unwrap().to_owned()
}

async fn put(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app.client.put(format!("{}{path}", app.address)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn source_body(text: &str) -> Value {
    json!({
        "title_zh": "巴中市恩阳区双胜镇2022年政府工作报告",
        "publisher_zh": "巴中市恩阳区双胜镇人民政府",
        "published_on": "2022-12-01",
        "place_code": "511903114",
        "text": text,
    })
}

fn writes() -> [(&'static str, Value); 3] {
    [
        (
            "/v1/sources/shuangsheng-2022",
            source_body("全镇实现地区生产总值3亿元。"),
        ),
        (
            "/v1/indicators/village_roads_km",
            json!({"name_zh": "村道里程", "name_en": "Village roads", "category": "infrastructure",
                   "unit": "km", "value_type": "count"}),
        ),
        ("/v1/places/511903114299", json!({"name_zh": "新村"})),
    ]
}

#[tokio::test]
async fn tokens_are_shown_once_stored_as_hashes_and_listed_without_the_secret() {
    let app = spawn_app().await;
    let token = new_token(&app, "town-office");
    assert!(
        token.starts_with("tsk_") && token.len() >= 4 + 43,
        "{token}"
    );
    let listed = token_command(&app, &["list"]);
    assert!(listed.contains("town-office"), "{listed}");
    assert!(!listed.contains(&token), "the list never shows a token");
    // The database holds the digest, not the token.
    let mut conn = app.db.connect();
    use diesel::RunQueryDsl;
    let stored: Vec<Digest> = diesel::sql_query(
        "SELECT encode(sha256, 'hex') AS digest FROM api_tokens WHERE name = 'town-office'",
    )
    .load(&mut conn)
    .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].digest,
        hex::encode(township_stats::auth::digest(&token))
    );
    // Names are never reused.
    let again = Command::new(env!("CARGO_BIN_EXE_township-stats"))
        .args(["token", "create", "--name", "town-office"])
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(!again.status.success());
}

#[derive(diesel::QueryableByName)]
struct Digest {
    #[diesel(sql_type = diesel::sql_types::Text)]
    digest: String,
}

#[tokio::test]
async fn every_write_needs_a_valid_token() {
    let app = spawn_app().await;
    let revoked = new_token(&app, "revoked");
    token_command(&app, &["revoke", "revoked"]);
    let expired = new_token_expiring_now(&app, "expired");
    let forged = format!("tsk_{}", "A".repeat(43));
    // Fewer failures than the throttle allows (auth::MAX_FAILURES): each kind on the first
    // path, a missing and a forged token on the others.
    for (n, (path, body)) in writes().into_iter().enumerate() {
        // Without a token: the scheme is named, no error code.
        let response = put(&app, path, None, &body).await;
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer realm="township-stats""#
        );
        let problem = assert_problem(response, 401).await;
        assert!(problem["detail"].as_str().unwrap().contains("Bearer"));
        let tokens = [
            (forged.as_str(), "not valid"),
            (revoked.as_str(), "revoked"),
            (expired.as_str(), "expired"),
        ];
        for (token, why) in tokens.into_iter().take(if n == 0 { 3 } else { 1 }) {
            let response = put(&app, path, Some(token), &body).await;
            assert_eq!(
                response.headers()["www-authenticate"],
                r#"Bearer realm="township-stats", error="invalid_token""#
            );
            let problem = assert_problem(response, 401).await;
            assert!(
                problem["detail"].as_str().unwrap().contains(why),
                "{problem}"
            );
        }
        if n == 0 {
            let basic = app
                .client
                .put(format!("{}{path}", app.address))
                .basic_auth("publisher", Some("secret"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_problem(basic, 401).await;
        }
    }
    // Nothing was written.
    app.problem("/v1/sources/shuangsheng-2022", 404).await;
    app.problem("/v1/indicators/village_roads_km", 404).await;
    app.problem("/v1/places/511903114299", 404).await;
    // Each failure is counted by its reason.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for reason in ["missing", "malformed", "unknown", "revoked", "expired"] {
        let line = format!("township_stats_auth_failures_total{{reason=\"{reason}\"}}");
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
}

fn new_token_expiring_now(app: &TestApp, name: &str) -> String {
    let out = token_command(app, &["create", "--name", name, "--expires-in-days", "0"]);
    out.lines().last().unwrap().to_owned()
}

#[tokio::test]
async fn a_client_that_keeps_failing_is_refused_for_a_while() {
    let app = spawn_app().await;
    let token = new_token(&app, "desk");
    let forged = format!("tsk_{}", "B".repeat(43));
    let (path, body) = writes()[0].clone();
    for _ in 0..township_stats::auth::MAX_FAILURES {
        assert_eq!(put(&app, path, Some(&forged), &body).await.status(), 401);
    }
    // Now a wrong token waits: guessing cannot go on at speed.
    let response = put(&app, path, Some(&forged), &body).await;
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 429).await;
    // The right token still gets in: a publisher behind the guesser's address is not locked out.
    assert_eq!(put(&app, path, Some(&token), &body).await.status(), 201);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("township_stats_auth_failures_total{reason=\"throttled\"} 1"));
    // Reads are not affected.
    assert_eq!(app.get("/v1/sources").await.status(), 200);
}

#[tokio::test]
async fn a_source_is_created_then_identical_then_refused_a_new_text_under_quotes() {
    let app = spawn_app().await;
    let token = new_token(&app, "town-office");
    let text = "全镇实现地区生产总值3亿元。";
    let created = put(
        &app,
        "/v1/sources/shuangsheng-2022",
        Some(&token),
        &source_body(text),
    )
    .await;
    assert_eq!(created.status(), 201);
    assert_eq!(
        created.headers()["location"],
        "/v1/sources/shuangsheng-2022"
    );
    let created: Value = created.json().await.unwrap();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
    assert_eq!(created["data"]["sha256"], sha);
    assert_eq!(created["data"]["place_code"], "511903114");
    assert_eq!(created["data"]["title_en"], created["data"]["title_zh"]);

    // Readable at once, with a new data version (a new ETag).
    let listed = app.get("/v1/sources/shuangsheng-2022").await;
    let etag = listed.headers()["etag"].to_str().unwrap().to_owned();
    let text_url = "/v1/sources/shuangsheng-2022/text";
    assert_eq!(app.get(text_url).await.text().await.unwrap(), text);

    // The same again: 200, nothing written, the same ETag.
    let same = put(
        &app,
        "/v1/sources/shuangsheng-2022",
        Some(&token),
        &source_body(text),
    )
    .await;
    assert_eq!(same.status(), 200);
    let again = app.get("/v1/sources/shuangsheng-2022").await;
    assert_eq!(again.headers()["etag"], etag.as_str());

    // Metadata may change; the ETag follows.
    let mut retitled = source_body(text);
    retitled["title_en"] = json!("Shuangsheng Town: 2022 Government Work Report");
    let changed = put(
        &app,
        "/v1/sources/shuangsheng-2022",
        Some(&token),
        &retitled,
    )
    .await;
    assert_eq!(changed.status(), 200);
    let after = app.get("/v1/sources/shuangsheng-2022").await;
    assert_ne!(after.headers()["etag"], etag.as_str());
    let after: Value = after.json().await.unwrap();
    assert_eq!(
        after["data"]["title_en"],
        "Shuangsheng Town: 2022 Government Work Report"
    );

    // The report's text is quoted by 62 observations: a different text is a new source.
    let seed = "/v1/sources/shuangsheng-2021-government-work-report";
    let before = app.get(&format!("{seed}/text")).await.text().await.unwrap();
    let mut body = source_body("另一份文本");
    body["published_on"] = json!("2021-11-24");
    let problem = assert_problem(put(&app, seed, Some(&token), &body).await, 409).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("observations"),
        "{problem}"
    );
    assert_eq!(
        app.get(&format!("{seed}/text")).await.text().await.unwrap(),
        before
    );
}

#[tokio::test]
async fn a_bad_body_names_every_fault_and_writes_nothing() {
    let app = spawn_app().await;
    let token = new_token(&app, "desk");
    let path = "/v1/sources/shuangsheng-2022";
    let version = app.get("/v1/sources").await.headers()["etag"].clone();

    let mut body = source_body("文本");
    body["title_zh"] = json!(" ");
    body["url"] = json!("ftp://example.org/report");
    body["place_code"] = json!("999999999");
    body["title_en"] = json!("Report\u{0}");
    let problem = assert_problem(put(&app, path, Some(&token), &body).await, 422).await;
    let columns: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["column"].as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        ["title_zh", "title_en", "url", "place_code"],
        "{problem}"
    );

    // What PostgreSQL could not store is refused before it is sent: a NUL, a day out of range.
    let mut unstorable = source_body("文本");
    unstorable["url"] = json!("http://example.org/a\u{0}");
    unstorable["place_code"] = json!("5119\u{0}");
    unstorable["published_on"] = json!("-5000-01-01");
    let problem = assert_problem(put(&app, path, Some(&token), &unstorable).await, 422).await;
    let columns: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["column"].as_str().unwrap())
        .collect();
    for column in ["url", "place_code", "published_on"] {
        assert!(columns.contains(&column), "{column} in {problem}");
    }

    // Not JSON of this shape: 400 naming the field.
    let mut unknown = source_body("文本");
    unknown["author"] = json!("someone");
    let problem = assert_problem(put(&app, path, Some(&token), &unknown).await, 400).await;
    assert_eq!(problem["errors"][0]["column"], "author", "{problem}");
    let problem = assert_problem(
        put(&app, path, Some(&token), &json!({"title_zh": "x"})).await,
        400,
    )
    .await;
    assert!(problem["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("publisher_zh"));
    let mut wrong_date = source_body("文本");
    wrong_date["published_on"] = json!("2022-13-01");
    let problem = assert_problem(put(&app, path, Some(&token), &wrong_date).await, 400).await;
    assert_eq!(problem["errors"][0]["column"], "published_on", "{problem}");
    // Not JSON at all.
    let plain = app
        .client
        .put(format!("{}{path}", app.address))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("全文")
        .send()
        .await
        .unwrap();
    assert_problem(plain, 415).await;

    app.problem(path, 404).await;
    assert_eq!(app.get("/v1/sources").await.headers()["etag"], version);
}

#[tokio::test]
async fn an_indicator_keeps_its_unit_once_observed() {
    let app = spawn_app().await;
    let token = new_token(&app, "bureau");
    let (path, body) = writes()[1].clone();
    assert_eq!(put(&app, path, Some(&token), &body).await.status(), 201);
    // A new category is data like any other.
    let listed = app.json("/v1/indicators?category=infrastructure").await;
    assert_eq!(listed["meta"]["total"], 1);
    // No observations yet: the unit may change.
    let mut metres = body.clone();
    metres["unit"] = json!("m");
    assert_eq!(put(&app, path, Some(&token), &metres).await.status(), 200);
    assert_eq!(app.json(path).await["data"]["unit"], "m");

    // The report's GDP has observations in yuan.
    let gdp = app.json("/v1/indicators/gdp").await["data"].clone();
    let mut body = json!({
        "name_zh": gdp["name_zh"], "name_en": gdp["name_en"],
        "description_zh": gdp["description_zh"], "description_en": gdp["description_en"],
        "category": gdp["category"], "unit": "ten_thousand_yuan", "value_type": gdp["value_type"],
    });
    let problem = assert_problem(
        put(&app, "/v1/indicators/gdp", Some(&token), &body).await,
        409,
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("yuan"),
        "{problem}"
    );
    assert_eq!(
        app.json("/v1/indicators/gdp").await["data"]["unit"],
        gdp["unit"]
    );
    // The same indicator with its unit kept: identical, 200.
    body["unit"] = gdp["unit"].clone();
    assert_eq!(
        put(&app, "/v1/indicators/gdp", Some(&token), &body)
            .await
            .status(),
        200
    );

    let mut bad = writes()[1].1.clone();
    bad["category"] = json!("Roads and Bridges");
    bad["name_en"] = json!("");
    let problem = assert_problem(
        put(&app, "/v1/indicators/Roads", Some(&token), &bad).await,
        422,
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 3, "{problem}");
}

#[tokio::test]
async fn only_villages_under_a_township_can_be_written() {
    let app = spawn_app().await;
    let token = new_token(&app, "town-office");
    let (path, body) = writes()[2].clone();
    let created = put(&app, path, Some(&token), &body).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["data"]["parent_code"], "511903114");
    assert_eq!(created["data"]["level"], "village");
    let name_en = created["data"]["name_en"].as_str().unwrap();
    assert!(
        name_en.is_ascii() && name_en.ends_with("Village"),
        "{name_en}"
    );
    let children = app.json("/v1/places?parent=511903114&limit=1000").await;
    assert!(children["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["code"] == "511903114299"));

    for (code, why) in [
        ("511903114", "12-digit"),
        ("51", "12-digit"),
        ("999999999201", "no township"),
    ] {
        let problem = assert_problem(
            put(&app, &format!("/v1/places/{code}"), Some(&token), &body).await,
            422,
        )
        .await;
        assert!(
            problem["detail"].as_str().unwrap().contains(why),
            "{code}: {problem}"
        );
    }
    let mut county = body.clone();
    county["level"] = json!("county");
    assert_problem(put(&app, path, Some(&token), &county).await, 422).await;
    // The gazetteer is as it was.
    assert_eq!(
        app.json("/v1/places/511903114").await["data"]["level"],
        "township"
    );
}

#[tokio::test]
async fn a_path_that_takes_writes_says_so_in_allow() {
    let app = spawn_app().await;
    let response = app
        .client
        .delete(format!("{}/v1/sources/anything", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD, PUT");
    assert_problem(response, 405).await;
    let response = app
        .client
        .put(format!("{}/v1/observations/1", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    assert_problem(response, 405).await;
}
