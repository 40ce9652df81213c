//! Hostile clients: inputs no honest client sends, each answered with a clear 4xx problem and
//! nothing that outlives the request (no metric series, no 500).

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};
use township_stats::config::RateLimitKey;

#[tokio::test]
async fn made_up_methods_are_405_and_add_no_metric_series() {
    let app = spawn_app().await;
    for i in 0..40 {
        let method = reqwest::Method::from_bytes(format!("MXYZ{i}").as_bytes()).unwrap();
        let response = app
            .client
            .request(method, format!("{}/v1/places", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], "GET, HEAD");
        assert!(response.headers().contains_key("x-request-id"));
        assert_problem(response, 405).await;
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(!metrics.contains("MXYZ"), "a made-up method became a label");
    assert!(metrics.contains("method=\"OTHER\""));
}

#[tokio::test]
async fn a_nul_byte_anywhere_is_400_naming_where() {
    let app = spawn_app().await;
    for (path, parameter) in [
        ("/v1/places?q=%00", "q"),
        ("/v1/places?parent=51%00", "parent"),
        ("/v1/places?parent=51%00&format=csv", "parent"),
        ("/v1/observations?place=%00", "place"),
        ("/v1/observations?place=%00&format=csv", "place"),
        ("/v1/places/51%00", "path"),
        ("/v1/sources/a%00b", "path"),
        ("/v1/sources/a%00b/text", "path"),
    ] {
        let problem = assert_problem(app.get(path).await, 400).await;
        assert_eq!(problem["parameter"], parameter, "{path}");
    }
    // Cursors carry keys; one holding a NUL, or a time PostgreSQL cannot hold, was never issued.
    let cursor = |json: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    };
    for (filter, key) in [
        ("sort=place", r#"["place",{"Code":["51\u0000",1]}]"#),
        (
            "updated_since=2000-01-01T00:00:00Z",
            r#"["updated",{"Updated":["-4714-01-01T00:00:00Z",1]}]"#,
        ),
    ] {
        let path = format!("/v1/observations?{filter}&cursor={}", cursor(key));
        let problem = assert_problem(app.get(&path).await, 400).await;
        assert_eq!(problem["parameter"], "cursor", "{key}");
    }
}

#[tokio::test]
async fn a_forwarded_address_that_is_no_address_is_limited_as_its_peer() {
    let app = spawn_app_with(|c| {
        c.rate_limit_rps = 1;
        c.rate_limit_burst = 3;
        c.rate_limit_key = RateLimitKey::Forwarded;
    })
    .await;
    let mut statuses = Vec::new();
    for (name, value) in [
        ("x-forwarded-for", "unknown"),
        ("x-forwarded-for", "garbage"),
        ("x-forwarded-for", "1.2.3.4:99999"),
        ("forwarded", "for=unknown"),
        ("forwarded", "for=_hidden"),
        ("x-forwarded-for", "[::1]"),
    ] {
        let response = app
            .client
            .get(format!("{}/v1/places/51", app.address))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert!(response.headers().contains_key("x-request-id"));
        statuses.push(response.status().as_u16());
    }
    // All six count against the one peer: a burst of three, then 429s; never a 500.
    assert!(
        statuses.iter().all(|s| [200, 429].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn q_zero_means_not_acceptable() {
    let app = spawn_app().await;
    let get = |accept: &'static str| {
        app.client
            .get(format!("{}/v1/places?limit=1", app.address))
            .header("accept", accept)
            .send()
    };
    for accept in ["*/*;q=0", "text/csv;q=0, application/json;q=0"] {
        assert_problem(get(accept).await.unwrap(), 406).await;
    }
    let response = get("application/json;q=0, text/csv").await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let catalog = app
        .client
        .get(format!("{}/v1/catalog", app.address))
        .header("accept", "text/turtle;q=0, */*;q=0")
        .send()
        .await
        .unwrap();
    assert_problem(catalog, 406).await;
}

#[tokio::test]
async fn every_endpoint_refuses_parameters_it_does_not_know() {
    let app = spawn_app().await;
    for path in [
        "/v1/sources/shuangsheng-2021-government-work-report/text?x=1",
        "/v1/downloads/datapackage.json?x=1",
        "/v1/releases/1?x=1",
        "/v1/feeds/releases.atom?x=1",
    ] {
        assert_problem(app.get(path).await, 400).await;
    }
}

#[tokio::test]
async fn forged_hosts_never_reach_an_answer() {
    let app = spawn_app().await;
    let forged = [
        ("host", "evil.example"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "javascript"),
        ("forwarded", "host=\"a<script>b\";proto=javascript"),
    ];
    let plain = app.get("/v1/observations?place=511903114&limit=2").await;
    let plain_tag = plain.headers()["etag"].clone();
    for path in [
        "/v1/observations?place=511903114&limit=2",
        "/v1/observations?place=511903114&limit=2&format=csv",
        "/v1/catalog",
        "/v1/feeds/releases.atom",
        "/v1/releases",
    ] {
        let mut request = app.client.get(format!("{}{path}", app.address));
        for (name, value) in forged {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        if let Some(link) = response.headers().get("link") {
            assert!(
                link.to_str().unwrap().contains(&app.address),
                "{path}: {link:?}"
            );
        }
        let vary = response.headers().get_all("vary");
        assert!(
            vary.iter().any(|v| v.to_str().unwrap().contains("Accept")),
            "{path}"
        );
        let tag = response.headers().get("etag").cloned();
        let body = response.text().await.unwrap();
        for bad in ["evil.example", "javascript:", "<script>"] {
            assert!(!body.contains(bad), "{path} reflects {bad}");
        }
        if path == "/v1/observations?place=511903114&limit=2" {
            // Same answer, same tag: the forged headers changed nothing a cache keys on.
            assert_eq!(tag.as_ref(), Some(&plain_tag));
            assert!(body.contains(&format!("{}/v1/observations/", app.address)));
        }
    }
}

#[tokio::test]
async fn an_http_10_client_gets_no_chunked_coding() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let addr = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /v1/downloads/sources.csv HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    // HTTP/1.0: the body ends where the server closes the connection.
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("the server closes the connection")
    .unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("transfer-encoding"),
        "{head}"
    );
    assert!(body.starts_with("id,title_zh,"), "{body}");
    assert!(body.contains("shuangsheng-2021-government-work-report"));
}

#[tokio::test]
async fn refusing_every_encoding_is_a_406_problem() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/v1/places/51", app.address))
        .header("Accept-Encoding", "identity;q=0")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 406).await;
    assert!(problem["detail"].is_string());
}

#[tokio::test]
async fn metrics_can_be_served_on_a_private_address_alone() {
    let app = spawn_app_with(|c| c.metrics_bind = Some("127.0.0.1:0".to_owned())).await;
    assert_eq!(app.get("/v1/places/51").await.status(), 200);
    assert_problem(app.get("/metrics").await, 404).await;
    let private = app.metrics_address.as_deref().expect("a metrics address");
    let metrics = app
        .client
        .get(format!("{private}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(r#"township_stats_http_requests_total{endpoint="/v1/places/{code}",method="GET",status="200"} 1"#),
        "{text}"
    );
    let elsewhere = app
        .client
        .get(format!("{private}/v1/places/51"))
        .send()
        .await
        .unwrap();
    assert_problem(elsewhere, 404).await;
}

#[tokio::test]
async fn a_refused_preflight_is_a_problem_with_every_header() {
    let app = spawn_app().await;
    let response = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/places", app.address),
        )
        .header("Origin", "https://portal.example")
        .header("Access-Control-Request-Method", "DELETE")
        .send()
        .await
        .unwrap();
    assert_problem(response, 400).await;
    // An allowed one is answered as before.
    let response = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/places", app.address),
        )
        .header("Origin", "https://portal.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://portal.example"
    );
}

#[tokio::test]
async fn a_database_that_never_answers_costs_readyz_one_second() {
    // A "database" that accepts connections and never says a word: a hung server, not a
    // down one (a refused connection fails at once; this one would wait forever).
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = hung.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hung.accept().await {
            held.push(socket);
        }
    });
    let app = spawn_app_with(|c| {
        c.database_url = format!("postgres://root@127.0.0.1:{port}/hung?sslmode=disable");
    })
    .await;
    let started = std::time::Instant::now();
    assert_problem(app.get("/readyz").await, 503).await;
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1500),
        "/readyz took {:?}",
        started.elapsed()
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
    // A data request waits for a connection as long as it may (1 s here), then says so.
    let started = std::time::Instant::now();
    let problem = assert_problem(app.get("/v1/places/51").await, 503).await;
    assert_eq!(problem["type"], "urn:township-stats:problem:unavailable");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}
