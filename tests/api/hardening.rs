use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::helpers::{assert_problem, database_url, spawn_app, spawn_app_with, TestDatabase};

fn admin_sql(sql: String) {
    let mut admin = township_stats::db::connect(&database_url("postgres")).unwrap();
    diesel::sql_query(sql).execute(&mut admin).unwrap();
}

#[tokio::test]
async fn an_outage_is_503_within_seconds_and_the_service_recovers_by_itself() {
    // No answer kept in memory: until the version listener notices the outage (within its
    // 10 ms poll) a kept answer would still be served, and this test is about the database.
    let app = spawn_app_with(|c| c.response_cache_mb = 0).await;
    assert_eq!(app.get("/v1/places/51").await.status(), 200);
    let name = app.db.name.clone();
    let dropped = name.clone();
    tokio::task::spawn_blocking(move || {
        admin_sql(format!("DROP DATABASE \"{dropped}\" WITH (FORCE)"))
    })
    .await
    .unwrap();

    let started = Instant::now();
    let response = app.get("/v1/places/51").await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "503 within 3 s: {:?}",
        started.elapsed()
    );
    assert!(response.headers().contains_key("retry-after"));
    assert_problem(response, 503).await;
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "the process stays up"
    );
    assert_eq!(app.get("/readyz").await.status(), 503);

    // The database comes back (a copy of the seeded template under the same name).
    let template = TestDatabase::seeded();
    let source = template.name.clone();
    tokio::task::spawn_blocking(move || {
        admin_sql(format!("CREATE DATABASE \"{name}\" TEMPLATE \"{source}\""))
    })
    .await
    .unwrap();
    let back = Instant::now();
    loop {
        if app.get("/v1/places/51").await.status() == 200 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "recovered within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/readyz").await.status(), 200);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("township_stats_db_errors_total{kind=\"unavailable\"}"),
        "{metrics}"
    );
}

#[tokio::test]
async fn oversized_requests_are_refused_with_problems() {
    let app = spawn_app().await;
    let long = "x".repeat(5_000);
    let response = app.get(&format!("/v1/places?q={long}")).await;
    assert_problem(response, 414).await;

    let response = app
        .client
        .post(format!("{}/v1/observations", app.address))
        .body(vec![b'a'; 20_000])
        .send()
        .await
        .unwrap();
    assert_problem(response, 413).await;

    let many: Vec<String> = (0..101).map(|i| format!("51{i:02}")).collect();
    let problem = app
        .problem(&format!("/v1/observations?place={}", many.join(",")), 400)
        .await;
    assert_eq!(problem["parameter"], "place");
}

#[tokio::test]
async fn a_request_that_outlives_its_timeout_is_503() {
    let app = spawn_app_with(|c| c.request_timeout = Duration::from_secs(1)).await;
    // Hold a lock every data answer needs, for longer than the timeout.
    let mut conn = app.db.connect();
    conn.begin_test_transaction().unwrap();
    diesel::sql_query("LOCK TABLE indicators IN ACCESS EXCLUSIVE MODE")
        .execute(&mut conn)
        .unwrap();
    let started = Instant::now();
    let response = app
        .client
        .get(format!("{}/v1/indicators", app.address))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("answered before the lock is released");
    // Without the timeout the request would wait for the lock until the client gave up.
    assert!(started.elapsed() >= Duration::from_secs(1));
    // The server answers a timeout past the middleware; it still has the security headers and
    // the request id (assert_problem checks them) and is counted.
    let problem = assert_problem(response, 503).await;
    assert_eq!(problem["type"], "urn:township-stats:problem:timeout");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"township_stats_http_escaped_errors_total{status="503"} 1"#),
        "{metrics}"
    );
    // The query of the abandoned request is cancelled on the server at once, long before the
    // statement timeout (the request timeout plus 5 s) would end it.
    let mut watcher = app.db.connect();
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let waiting: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock')",
        ))
        .get_result(&mut watcher)
        .unwrap();
        if waiting == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the abandoned query still waits");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(conn);
}

#[tokio::test]
async fn each_client_is_rate_limited_but_health_checks_never_are() {
    let app = spawn_app_with(|c| {
        c.rate_limit_rps = 1;
        c.rate_limit_burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.get("/v1/sources").await.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let response = app.get("/v1/sources").await;
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let problem = assert_problem(response, 429).await;
    assert_eq!(problem["type"], "urn:township-stats:problem:rate-limited");
    for _ in 0..10 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
}

#[tokio::test]
async fn answers_carry_security_headers_request_ids_and_metrics() {
    let app = spawn_app().await;
    let response = app.get("/v1/places/51").await;
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert!(!headers.contains_key("server"), "no server banner");
    let generated = headers["x-request-id"].to_str().unwrap();
    assert_eq!(
        uuid::Uuid::parse_str(generated).unwrap().get_version_num(),
        4
    );

    let echoed = app
        .client
        .get(format!("{}/v1/places/51", app.address))
        .header("x-request-id", "portal-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "portal-42");
    assert!(app
        .get("/docs/")
        .await
        .headers()
        .contains_key("content-security-policy"));

    app.get("/v1/places/5119").await;
    app.get("/v1/nothing-here").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("township_stats_http_requests_total")
                && l.contains("endpoint=\"/v1/places/{code}\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("per-route counter in {metrics}"));
    assert!(line.ends_with(" 2") || line.ends_with(" 3"), "{line}");
    assert!(metrics.contains("township_stats_http_requests_duration_seconds_bucket"));
    for gauge in [
        "township_stats_db_pool_connections",
        "township_stats_db_pool_idle",
        "township_stats_db_pool_waiting",
        "township_stats_db_pool_max 2",
    ] {
        assert!(metrics.contains(gauge), "{gauge}");
    }
    assert!(
        !metrics.contains("/v1/nothing-here"),
        "unmatched paths are masked"
    );
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_then_exits_0() {
    let db = TestDatabase::seeded();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_township-stats"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("RATE_LIMIT_RPS", "0")
        .env("SHUTDOWN_GRACE_SECS", "10")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let ready = Instant::now();
    while reqwest_blocking_status(&format!("{base}/readyz")) != Some(200) {
        assert!(
            ready.elapsed() < Duration::from_secs(20),
            "the service starts"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // A slow request: it waits on a lock that this test holds.
    let mut conn = db.connect();
    conn.begin_test_transaction().unwrap();
    diesel::sql_query("LOCK TABLE indicators IN ACCESS EXCLUSIVE MODE")
        .execute(&mut conn)
        .unwrap();
    let url = format!("{base}/v1/indicators");
    let in_flight = std::thread::spawn(move || reqwest_blocking_status(&url));
    std::thread::sleep(Duration::from_millis(500));

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "still finishing the request in flight"
    );
    drop(conn); // the lock goes, the slow request completes

    assert_eq!(in_flight.join().unwrap(), Some(200));
    let exited = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            exited.elapsed() < Duration::from_secs(10),
            "exits after the grace"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn start_up_retries_an_unreachable_database_then_says_what_to_do() {
    let output = Command::new(env!("CARGO_BIN_EXE_township-stats"))
        .arg("serve")
        .env(
            "DATABASE_URL",
            "postgres://nobody:secret@127.0.0.1:1/township_stats",
        )
        .env("DATABASE_WAIT_SECS", "2")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.matches("retrying in").count() >= 2, "{stderr}");
    let last = stderr.lines().last().unwrap();
    assert!(
        last.contains("postgres://nobody:***@127.0.0.1:1/"),
        "{last}"
    );
    assert!(
        last.contains("Start PostgreSQL or set DATABASE_URL"),
        "{last}"
    );
    assert!(!stderr.contains("secret"));
}

/// GET on a plain thread, for tests that run without an async runtime.
fn reqwest_blocking_status(url: &str) -> Option<u16> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(async {
            reqwest::Client::new()
                .get(&url)
                .timeout(Duration::from_secs(30))
                .send()
                .await
                .ok()
                .map(|r| r.status().as_u16())
        })
    })
    .join()
    .ok()
    .flatten()
}

#[tokio::test]
async fn connections_the_server_closed_are_replaced_after_at_most_one_failed_request() {
    // Every request must reach the pool, so no answer is kept.
    let app = spawn_app_with(|config| config.response_cache_mb = 0).await;
    // Use both pooled connections.
    let (a, b) = tokio::join!(app.get("/v1/places/51"), app.get("/v1/places/5119"));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));

    let name = app.db.name.clone();
    tokio::task::spawn_blocking(move || {
        let mut admin = township_stats::db::connect(&database_url("postgres")).unwrap();
        #[derive(QueryableByName)]
        struct Pid {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            pid: i32,
        }
        let backends: Vec<i32> = diesel::sql_query(format!(
            "SELECT pid FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .load::<Pid>(&mut admin)
        .unwrap()
        .into_iter()
        .map(|p| p.pid)
        .collect();
        assert!(backends.len() >= 2, "{backends:?}");
        let pids = backends
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        admin_sql(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid IN ({pids})"
        ));
        let started = Instant::now();
        while !diesel::sql_query(format!(
            "SELECT pid FROM pg_stat_activity WHERE pid IN ({pids})"
        ))
        .load::<Pid>(&mut admin)
        .unwrap()
        .is_empty()
        {
            assert!(started.elapsed() < Duration::from_secs(5), "backends gone");
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await
    .unwrap();

    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.get("/v1/places/51").await.status().as_u16());
    }
    let failed = statuses.iter().filter(|&&s| s == 503).count();
    assert!(
        failed <= 1,
        "one dead connection found, the other pinged: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 503),
        "{statuses:?}"
    );
    assert_eq!(
        statuses[statuses.len() - 3..],
        [200, 200, 200],
        "{statuses:?}"
    );
}
