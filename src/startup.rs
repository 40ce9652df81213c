//! Building the running service: database preparation, the app, and the bound server.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_cors::Cors;
use actix_governor::{Governor, GovernorConfigBuilder};
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{from_fn, Compress, Condition, ErrorHandlers, Logger};
use actix_web::{web, App, HttpResponse, HttpServer};
use actix_web_prom::PrometheusMetricsBuilder;
use utoipa_swagger_ui::SwaggerUi;

use crate::caching::{self, CachePolicy};
use crate::config::Config;
use crate::db::{self, Database};
use crate::error::ApiError;
use crate::protect::{self, ClientKeyExtractor, Limits};
use crate::response_cache::ResponseCache;
use crate::routes::{self, KnownRoutes, PublicUrl};

/// Creates the database if missing, applies migrations and loads the seed (a no-op when the
/// seed files are unchanged). While PostgreSQL cannot be reached it retries with backoff for up
/// to `DATABASE_WAIT_SECS`, saying so each time.
pub fn prepare_database(config: &Config) -> anyhow::Result<()> {
    let deadline = Instant::now() + config.database_wait;
    let mut pause = Duration::from_millis(500);
    loop {
        match db::ensure_database(&config.database_url) {
            Ok(()) => break,
            Err(e) if Instant::now() + pause <= deadline => {
                log::warn!("{e:#}; retrying in {pause:.1?}");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(8));
            }
            Err(e) => return Err(e),
        }
    }
    let mut conn = db::connect(&config.database_url)?;
    db::migrate(&mut conn)?;
    let started = Instant::now();
    let summary = crate::seed::load(&mut conn, false)?;
    if summary.ran {
        let p = &summary.publication;
        log::info!(
            "seed loaded in {:.1?}: {} places and {} indicators written; observations {} added, \
             {} changed, {} retracted",
            started.elapsed(),
            summary.places_written,
            summary.indicators_written,
            p.added,
            p.changed,
            p.retracted
        );
    } else {
        log::info!("seed unchanged, checked in {:.1?}", started.elapsed());
    }
    Ok(())
}

/// How much longer than the request timeout PostgreSQL lets a statement run.
const STATEMENT_TIMEOUT_MARGIN: Duration = Duration::from_secs(5);

pub struct Application {
    port: u16,
    server: Server,
    /// The private metrics server (`METRICS_BIND`) and its port.
    metrics: Option<(u16, Server)>,
}

impl Application {
    /// Binds the listener and builds the server over an already prepared database.
    pub fn build(config: &Config) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
        let port = listener.local_addr()?.port();
        let registry = prometheus::Registry::new();
        let metrics = match &config.metrics_bind {
            Some(bind) => {
                let listener = TcpListener::bind(bind)
                    .map_err(|e| anyhow::anyhow!("cannot listen on {bind} (METRICS_BIND): {e}"))?;
                Some((
                    listener.local_addr()?.port(),
                    metrics_server(listener, &registry)?,
                ))
            }
            None => None,
        };
        let server = run(listener, config, registry)?;
        Ok(Application {
            port,
            server,
            metrics,
        })
    }

    /// The port of the private metrics server, when `METRICS_BIND` gave one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish
    /// within `SHUTDOWN_GRACE_SECS`, and returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Some((_, metrics)) = self.metrics else {
            return self.server.await;
        };
        let handle = metrics.handle();
        let service = async {
            let served = self.server.await;
            handle.stop(true).await;
            served
        };
        let (served, _) = futures_util::future::join(service, metrics).await;
        served
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C); both mean a graceful stop.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => log::info!("SIGTERM received; finishing in-flight requests"),
                    _ = int.recv() => log::info!("SIGINT received; finishing in-flight requests"),
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `/metrics` alone on its own address, for private scraping; it stops with the service.
fn metrics_server(
    listener: TcpListener,
    registry: &prometheus::Registry,
) -> anyhow::Result<Server> {
    let registry = web::Data::new(registry.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(registry.clone())
            .route("/metrics", web::get().to(metrics_text))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::NotFound(
                    "this address serves /metrics alone".to_owned(),
                ))
            }))
            .wrap(protect::security_headers())
            .wrap(from_fn(protect::request_id))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?;
    Ok(server.run())
}

async fn metrics_text(registry: web::Data<prometheus::Registry>) -> Result<HttpResponse, ApiError> {
    use prometheus::Encoder;
    let encoder = prometheus::TextEncoder::new();
    let mut text = Vec::new();
    encoder
        .encode(&registry.gather(), &mut text)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type(encoder.format_type())
        .body(text))
}

fn run(
    listener: TcpListener,
    config: &Config,
    registry: prometheus::Registry,
) -> anyhow::Result<Server> {
    let workers = config.workers();
    let watch = web::Data::new(db::watch::VersionWatch::spawn(config.database_url.clone()));
    let primary = watch.clone();
    let route = if config.replica_urls.is_empty() {
        db::replicas::ReadRoute::primary_only()
    } else {
        db::replicas::ReadRoute::spawn(&config.replica_urls, config.replica_max_lag, move || {
            primary.get()
        })
    };
    let databases = Database::per_worker(
        &db::PoolSettings {
            database_url: config.database_url.clone(),
            size: config.pool_size as usize,
            pools: workers,
            wait: config.pool_timeout,
            // The service cancels the query of a request that ends; this only bounds a query
            // whose cancellation never arrived.
            statement_timeout: config.request_timeout + STATEMENT_TIMEOUT_MARGIN,
            exports: config.export_concurrency,
            memory_budget_mb: config.memory_budget_mb,
            replica_urls: config.replica_urls.clone(),
        },
        route,
        &registry,
    )?;
    let next_database = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let response_cache = web::Data::new(ResponseCache::new(
        config.response_cache_mb << 20,
        &registry,
    )?);
    let escaped = web::Data::new(protect::EscapedErrors::register(&registry)?);
    let imports = web::Data::new(crate::import::Imports::new(
        config.database_url.clone(),
        config.import_max_bytes,
    ));
    let auth_guard = web::Data::new(crate::auth::AuthGuard::new(
        &registry,
        config.rate_limit_key,
        config.auth_failures_per_minute,
    )?);
    let mut metrics = PrometheusMetricsBuilder::new("township_stats").registry(registry);
    if config.metrics_bind.is_none() {
        metrics = metrics.endpoint("/metrics");
    }
    let metrics = metrics
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|e| anyhow::anyhow!("building metrics: {e}"))?;
    let public_url = web::Data::new(PublicUrl::new(
        config.public_url.as_deref(),
        &config.allowed_hosts,
        &config.trusted_proxies,
        &listener.local_addr()?.to_string(),
    ));
    let cache_policy = web::Data::new(CachePolicy {
        max_age_secs: config.cache_max_age_secs,
    });
    let limits = web::Data::new(Limits {
        query_max_bytes: config.query_max_bytes,
        body_max_bytes: config.body_max_bytes,
        timeout: config.request_timeout,
    });
    let api = crate::openapi::document();
    let known = web::Data::new(KnownRoutes::new(
        &api,
        ["/openapi.json", "/docs", "/docs/{tail}*"]
            .into_iter()
            .chain(crate::pages::PATHS)
            .chain(config.metrics_bind.is_none().then_some("/metrics")),
    ));
    let rate_limited = config.rate_limit_rps > 0;
    let governor = GovernorConfigBuilder::default()
        .requests_per_second(u64::from(config.rate_limit_rps.max(1)))
        .burst_size(config.rate_limit_burst.max(1))
        .key_extractor(ClientKeyExtractor(config.rate_limit_key))
        .finish()
        .ok_or_else(|| anyhow::anyhow!("RATE_LIMIT_RPS and RATE_LIMIT_BURST must be positive"))?;

    let access_log = log::log_enabled!(target: "actix_web::middleware::logger", log::Level::Info);
    let server = HttpServer::new(move || {
        // Each worker takes its own pool: its connections are opened, and driven, by the
        // worker's runtime.
        let turn = next_database.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let database = databases[turn % databases.len()].clone();
        let warm = database.clone();
        actix_web::rt::spawn(async move { warm.warm_up().await });
        let app = App::new()
            .app_data(web::Data::new(database))
            .app_data(watch.clone())
            .app_data(known.clone())
            .app_data(public_url.clone())
            .app_data(cache_policy.clone())
            .app_data(limits.clone())
            .app_data(escaped.clone())
            .app_data(auth_guard.clone())
            .app_data(imports.clone())
            .app_data(response_cache.clone())
            .configure(routes::configure_app)
            .configure(crate::pages::configure);
        // Middleware listed first runs last: the request passes request_id, Logger, HEAD→GET,
        // list suffixes (`.csv`), security headers, the problem rewriter, CORS, metrics, compression, the rate limiter,
        // limits, caching and the problem rewriter again, in that order, before it reaches the
        // router.
        app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api.clone()))
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header(("Location", "/docs/"))
                        .finish()
                }),
            )
            .default_service(web::to(routes::fallback))
            .wrap(ErrorHandlers::new().default_handler(crate::error::as_problem))
            .wrap(from_fn(caching::conditional_get))
            .wrap(from_fn(protect::enforce_limits))
            .wrap(Condition::new(rate_limited, Governor::new(&governor)))
            .wrap(Compress::default())
            .wrap(metrics.clone())
            .wrap(cors())
            // CORS (a refused preflight) and Compress (`Accept-Encoding: identity;q=0`) answer
            // some errors themselves: rewritten into problems here, outside both.
            .wrap(ErrorHandlers::new().default_handler(crate::error::as_problem))
            .wrap(protect::security_headers())
            .wrap(from_fn(crate::formats::suffix::suffix_as_format))
            .wrap(from_fn(caching::head_as_get))
            // The access log costs work per request even when its lines are filtered out.
            .wrap(Condition::new(
                access_log,
                Logger::new(r#"%a "%r" %s %b %Dms id=%{x-request-id}i"#),
            ))
            .wrap(from_fn(protect::request_id))
    })
    // Small answers (a 304 has no body) must not wait for Nagle's algorithm and a client's
    // delayed ACK.
    .on_connect(|conn, _| {
        if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
        }
    })
    .shutdown_signal(shutdown_signal())
    .shutdown_timeout(config.shutdown_grace.as_secs())
    .listen(listener)?;
    Ok(server.workers(workers).run())
}

/// Any origin may read (GET, HEAD); preflights are cached for a day.
fn cors() -> Cors {
    Cors::default()
        .allow_any_origin()
        .allowed_methods(["GET", "HEAD"])
        .allow_any_header()
        .expose_headers([
            header::LINK,
            header::ETAG,
            header::LAST_MODIFIED,
            header::CONTENT_DISPOSITION,
            protect::REQUEST_ID,
            header::HeaderName::from_static(routes::TOTAL_COUNT),
        ])
        .max_age(86_400)
}
