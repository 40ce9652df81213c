//! Building the running service: database preparation, the app, and the bound server.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{from_fn, Compress, ErrorHandlers, Logger};
use actix_web::{web, App, HttpResponse, HttpServer};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::caching::{self, CachePolicy};
use crate::config::Config;
use crate::db::{self, PgPool};
use crate::openapi::ApiDoc;
use crate::routes::{self, KnownRoutes, PublicUrl};

/// Creates the database if missing, applies migrations and loads the seed (a no-op when the
/// seed files are unchanged).
pub fn prepare_database(config: &Config) -> anyhow::Result<()> {
    db::ensure_database(&config.database_url)?;
    let mut conn = db::connect(&config.database_url)?;
    db::migrate(&mut conn)?;
    let started = std::time::Instant::now();
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

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds the listener and builds the server over an already prepared database.
    pub fn build(config: &Config) -> anyhow::Result<Application> {
        let pool = db::pool(&config.database_url, config.pool_size, config.pool_timeout);
        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
        let port = listener.local_addr()?.port();
        let server = run(listener, pool, config)?;
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn run(listener: TcpListener, pool: PgPool, config: &Config) -> anyhow::Result<Server> {
    let pool = web::Data::new(pool);
    let public_url = web::Data::new(PublicUrl(config.public_url.clone()));
    let cache_policy = web::Data::new(CachePolicy {
        max_age_secs: config.cache_max_age_secs,
    });
    let api = crate::openapi::document();
    let known = web::Data::new(KnownRoutes::new(
        api.paths.paths.keys().map(String::as_str).chain([
            "/openapi.json",
            "/docs",
            "/docs/{tail}*",
        ]),
    ));
    let mut server = HttpServer::new(move || {
        let (app, api) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .app_data(pool.clone())
            .app_data(known.clone())
            .app_data(public_url.clone())
            .app_data(cache_policy.clone())
            .configure(routes::configure)
            .split_for_parts();
        app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
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
            .wrap(Compress::default())
            .wrap(cors())
            .wrap(from_fn(caching::head_as_get))
            .wrap(Logger::new(r#"%a "%r" %s %b %Dms"#))
    })
    .listen(listener)?;
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    Ok(server.run())
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
        ])
        .max_age(86_400)
}
