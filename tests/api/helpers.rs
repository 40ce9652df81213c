//! Each test gets its own database, cloned from a template that is migrated and seeded once per
//! test process, and the real application on a free port.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::Value;
use township_stats::config::Config;
use township_stats::db;
use township_stats::startup::{prepare_database, Application};

/// The server tests create their databases on; `TEST_DATABASE_URL` overrides it.
fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres:///postgres".to_owned())
}

/// The URL of database `name` on the test server.
pub fn database_url(name: &str) -> String {
    let mut url = url::Url::parse(&admin_url()).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

fn admin() -> PgConnection {
    db::connect(&admin_url()).expect("the test PostgreSQL server is reachable")
}

static TEMPLATE: OnceLock<String> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

#[derive(QueryableByName)]
struct Datname {
    #[diesel(sql_type = Text)]
    datname: String,
}

/// Drops databases left behind by test processes that no longer run.
fn drop_stale_databases(conn: &mut PgConnection) {
    let names: Vec<Datname> = diesel::sql_query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'ts\\_tpl\\_%' OR datname LIKE 'ts\\_test\\_%'",
    )
    .load(conn)
    .expect("listing databases");
    for Datname { datname } in names {
        let pid = datname.split('_').nth(2).unwrap_or_default();
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            drop_database(conn, &datname);
        }
    }
}

fn drop_database(conn: &mut PgConnection, name: &str) {
    diesel::sql_query(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        db::quote_ident(name)
    ))
    .execute(conn)
    .expect("dropping a test database");
}

/// The migrated and seeded template of this test process.
fn template() -> &'static str {
    TEMPLATE.get_or_init(|| {
        let mut conn = admin();
        drop_stale_databases(&mut conn);
        let name = format!("ts_tpl_{}", std::process::id());
        drop_database(&mut conn, &name);
        prepare_database(&Config::for_database(&database_url(&name)))
            .expect("migrating and seeding the template database");
        name
    })
}

/// A database of its own for one test: empty, or a copy of the seeded template.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub fn empty() -> TestDatabase {
        Self::create(None)
    }

    pub fn seeded() -> TestDatabase {
        Self::create(Some(template()))
    }

    fn create(template: Option<&str>) -> TestDatabase {
        let name = format!(
            "ts_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let from = template
            .map(|t| format!(" TEMPLATE {}", db::quote_ident(t)))
            .unwrap_or_default();
        diesel::sql_query(format!("CREATE DATABASE {}{from}", db::quote_ident(&name)))
            .execute(&mut admin())
            .expect("creating a test database");
        TestDatabase {
            url: database_url(&name),
            name,
        }
    }

    pub fn connect(&self) -> PgConnection {
        db::connect(&self.url).expect("connecting to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        drop_database(&mut admin(), &self.name);
    }
}

pub struct TestApp {
    pub address: String,
    /// The private metrics address, when `metrics_bind` was set.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub db: TestDatabase,
}

/// Starts the real application over a fresh copy of the seeded database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with the configuration adjusted by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let db = tokio::task::spawn_blocking(TestDatabase::seeded)
        .await
        .expect("creating the test database");
    let mut config = Config {
        bind: "127.0.0.1:0".to_owned(),
        pool_size: 2,
        pool_timeout: Duration::from_secs(1),
        workers: Some(1),
        ..Config::for_database(&db.url)
    };
    adjust(&mut config);
    let app = Application::build(&config).expect("building the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        metrics_address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client"),
        db,
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("the request is sent")
    }

    /// GET expecting 200 with JSON.
    pub async fn json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("a JSON body")
    }

    /// GET expecting a problem document with the given status; returns the problem.
    pub async fn problem(&self, path: &str, status: u16) -> Value {
        let response = self.get(path).await;
        assert_problem(response, status).await
    }

    /// Follows `Link: rel="next"` from `path` to the last page; returns every item, which must
    /// add up to `meta.total`.
    pub async fn all_pages(&self, path: &str) -> Vec<Value> {
        let (items, total) = self.follow_pages(path).await;
        assert_eq!(Some(items.len() as i64), total, "pages add up to the total");
        items
    }

    /// Follows `Link: rel="next"` from `path` to the last page; returns the items and the total.
    pub async fn follow_pages(&self, path: &str) -> (Vec<Value>, Option<i64>) {
        let mut items = Vec::new();
        let mut url = format!("{}{}", self.address, path);
        let mut total = None;
        loop {
            let response = self.client.get(&url).send().await.expect("sent");
            assert_eq!(response.status(), 200, "GET {url}");
            let next = response
                .headers()
                .get("link")
                .map(|v| v.to_str().expect("ascii Link").to_owned());
            let body: Value = response.json().await.expect("JSON");
            let page = body["data"].as_array().expect("data is a list");
            items.extend(page.iter().cloned());
            let page_total = body["meta"]["total"].as_i64().expect("meta.total");
            assert_eq!(
                *total.get_or_insert(page_total),
                page_total,
                "total is stable"
            );
            match next {
                Some(link) => {
                    assert!(link.ends_with(">; rel=\"next\""), "{link}");
                    assert!(body["meta"]["next_cursor"].is_string());
                    url = link[1..link.find('>').expect("<url>")].to_owned();
                }
                None => {
                    assert!(body["meta"]["next_cursor"].is_null());
                    break;
                }
            }
        }
        (items, total)
    }
}

pub async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status, "{}", response.url());
    let content_type = response
        .headers()
        .get("content-type")
        .expect("a content type")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    // Every answer, a problem too, carries the security headers and the request id.
    for header in [
        "x-content-type-options",
        "content-security-policy",
        "x-request-id",
    ] {
        assert!(
            response.headers().contains_key(header),
            "{} lacks {header}",
            response.url()
        );
    }
    let problem: Value = response.json().await.expect("a JSON problem");
    assert_eq!(problem["status"], status);
    assert!(problem["title"].is_string());
    assert!(problem["type"].is_string());
    assert!(
        !problem["detail"].as_str().unwrap_or_default().is_empty(),
        "detail says what was wrong"
    );
    problem
}

/// A CSV answer read with the csv crate: the header and every record.
pub fn parse_csv(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}
