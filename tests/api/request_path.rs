//! The request path under slow clients: downloads hold no database connection while a client
//! reads, concurrent downloads are capped, and conditional requests never hide an error.

use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use township_stats::synth::{self, SynthOptions};

use crate::helpers::{assert_problem, spawn_app_with, TestApp};

/// Enough synthetic observations that a download is far larger than the sockets' buffers.
fn add_synthetic_rows(app: &TestApp) {
    let options = SynthOptions {
        townships: 200,
        indicators: 40,
        years: 10,
        progress: false,
    };
    synth::run(&mut app.db.connect(), options).unwrap();
}

/// A client that asks for `path`, reads the first bytes of the answer, then stops reading
/// (with a small receive buffer, so the server soon cannot send more).
async fn slow_reader(app: &TestApp, path: &str) -> (TcpStream, String) {
    slow_reader_with(app, path, "").await
}

/// [`slow_reader`] sending `headers` too (each line ending in CRLF).
async fn slow_reader_with(app: &TestApp, path: &str, headers: &str) -> (TcpStream, String) {
    let addr: std::net::SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}\r\n").as_bytes())
        .await
        .unwrap();
    let mut head = vec![0; 2048];
    let n = stream.read(&mut head).await.unwrap();
    let head = String::from_utf8_lossy(&head[..n]).into_owned();
    (stream, head)
}

#[tokio::test]
async fn slow_downloads_hold_no_connection_while_the_api_keeps_answering() {
    // Two connections in all, and three clients that stall in the middle of a large download.
    let app = spawn_app_with(|c| {
        c.pool_size = 2;
        c.export_concurrency = 8;
    })
    .await;
    add_synthetic_rows(&app);
    let mut stalled = Vec::new();
    for _ in 0..3 {
        let (stream, head) = slow_reader(&app, "/v1/downloads/observations.csv").await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        stalled.push(stream);
    }
    // Each download has sent what the sockets hold and waits for its client; were it holding
    // a connection meanwhile, these would wait for one and answer 503.
    for path in [
        "/readyz",
        "/v1/places/51",
        "/v1/observations?place=110101001&limit=5",
    ] {
        let started = Instant::now();
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(started.elapsed() < Duration::from_secs(1), "{path} waited");
    }
    drop(stalled);
}

#[tokio::test]
async fn downloads_beyond_the_cap_are_503_with_retry_after_until_one_ends() {
    let app = spawn_app_with(|c| c.export_concurrency = 1).await;
    add_synthetic_rows(&app);
    let (first, head) = slow_reader(&app, "/v1/downloads/observations.csv").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    let response = app.get("/v1/observations?format=csv").await;
    assert_eq!(response.headers()["retry-after"], "10");
    let problem = assert_problem(response, 503).await;
    assert_eq!(problem["type"], "urn:township-stats:problem:busy");
    // JSON answers are not downloads: they keep working.
    assert_eq!(app.get("/v1/observations?limit=1").await.status(), 200);

    // The permit goes with the first client.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = app.get("/v1/downloads/sources.csv").await.status();
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slot was never freed: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn conditional_requests_answer_304_only_where_the_answer_is_2xx() {
    let app = spawn_app_with(|_| {}).await;
    let get = |path: &'static str, name: &'static str, value: &'static str| {
        app.client
            .get(format!("{}{path}", app.address))
            .header(name, value)
            .send()
    };
    let late = "Fri, 01 Jan 2100 00:00:00 GMT";
    // An error stays an error, whatever the conditional headers say.
    for (path, status) in [("/v1/places/99", 404), ("/v1/observations?limit=0", 400)] {
        for (name, value) in [("if-none-match", "*"), ("if-modified-since", late)] {
            let response = get(path, name, value).await.unwrap();
            assert_eq!(response.status(), status, "{path} with {name}: {value}");
            assert!(response.headers().get("etag").is_none());
        }
    }
    // An answer that exists is not modified.
    for (name, value) in [("if-none-match", "*"), ("if-modified-since", late)] {
        let response = get("/v1/places/51", name, value).await.unwrap();
        assert_eq!(response.status(), 304, "{name}: {value}");
        assert!(response.headers().get("etag").is_some());
    }
}

#[tokio::test]
async fn answers_past_the_memory_budget_wait_then_are_503() {
    // 48 MiB: three brotli streams (a batch and a compressor, 14 MiB each) and no fourth.
    let app = spawn_app_with(|c| {
        c.memory_budget_mb = 48;
        c.export_concurrency = 8;
    })
    .await;
    add_synthetic_rows(&app);
    let br = "Accept-Encoding: br\r\n";
    let mut held = Vec::new();
    for _ in 0..3 {
        let (stream, head) = slow_reader_with(&app, "/v1/downloads/observations.csv", br).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        held.push(stream);
    }
    let (_, head) = slow_reader_with(&app, "/v1/downloads/observations.csv", br).await;
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert!(head.contains("retry-after: 5"), "{head}");
    // A JSON-stat dataset reserves its rows before it reads them: refused too.
    let response = app
        .get("/v1/observations?place=511903114&descendants=true&format=jsonstat")
        .await;
    assert_eq!(response.headers()["retry-after"], "5");
    let problem = assert_problem(response, 503).await;
    assert_eq!(problem["type"], "urn:township-stats:problem:busy");
    // Uncompressed, a stream costs one batch: it still fits.
    let (plain, head) = slow_reader(&app, "/v1/downloads/observations.csv").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    drop(plain);
    // The memory goes with the streams.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = app
            .get("/v1/observations?place=511903114&descendants=true&format=jsonstat")
            .await;
        if response.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the memory was never given back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_download_the_database_cuts_short_is_left_unterminated_and_counted() {
    let app = spawn_app_with(|c| c.export_concurrency = 8).await;
    add_synthetic_rows(&app);
    let expected: i64 = app.json("/v1/observations?limit=1").await["meta"]["total"]
        .as_i64()
        .unwrap();
    let (mut stream, head) = slow_reader(&app, "/v1/downloads/observations.csv").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // The whole download's rows, up front, for a script to check the file against.
    assert!(
        head.contains(&format!("x-total-count: {expected}\r\n")),
        "{head}"
    );
    // The database drops every connection while the client is mid-download.
    let mut admin = app.db.connect();
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut admin)
    .unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut rest))
        .await
        .expect("the server closes the connection")
        .expect("reading the rest");
    // The chunked body never gets its last, empty chunk: every HTTP client reports the
    // transfer as cut, none takes the file for whole.
    assert!(!rest.ends_with(b"\r\n0\r\n\r\n"), "the body was terminated");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"township_stats_downloads_total{outcome="failed"} 1"#),
        "{metrics}"
    );
}
