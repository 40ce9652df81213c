//! The route table: every endpoint of the service, on one screen.

pub mod catalog;
pub mod downloads;
pub mod health;
pub mod indicators;
pub mod observations;
pub mod places;
pub mod releases;
pub mod sources;

use actix_web::dev::ResourceDef;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::PgConnection;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::observations::ObservationFilter;
use crate::db::Database;
use crate::error::ApiError;
use crate::exports::CsvExport;
use crate::formats::{attachment, stream::stream_chunks};

/// The public address of the API (`PUBLIC_URL`), when configured.
#[derive(Clone, Default)]
pub struct PublicUrl(pub Option<String>);

impl PublicUrl {
    /// Scheme and host for links: the configured one, or the one this request came to.
    pub fn for_request(&self, req: &HttpRequest) -> String {
        match &self.0 {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let info = req.connection_info();
                format!("{}://{}", info.scheme(), info.host())
            }
        }
    }
}

/// The data version the caching middleware read for this request, if it did.
pub fn data_version(req: &HttpRequest) -> Option<crate::db::releases::DataVersion> {
    actix_web::HttpMessage::extensions(req)
        .get::<crate::db::releases::DataVersion>()
        .copied()
}

/// A streamed CSV attachment, written batch by batch from the database.
pub fn csv_response<R, K>(
    pool: &Database,
    mut export: CsvExport<R, K>,
    content_type: &str,
    filename: &str,
) -> HttpResponse
where
    R: 'static,
    K: Send + 'static,
{
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, attachment(filename)))
        .streaming(stream_chunks(pool.pool().clone(), move |conn| {
            export.next_chunk(conn)
        }))
}

/// Registers every documented endpoint. Handlers are added with `.service` so that each one is
/// also in the OpenAPI document.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(
            scope::scope("/v1")
                .service(places::list_places)
                .service(places::get_place)
                .service(indicators::list_indicators)
                .service(indicators::get_indicator)
                .service(sources::list_sources)
                .service(sources::get_source)
                .service(sources::get_source_text)
                .service(observations::list_observations)
                .service(observations::get_observation)
                .service(downloads::download_observations)
                .service(downloads::download_places)
                .service(downloads::download_indicators)
                .service(downloads::download_sources)
                .service(downloads::datapackage)
                .service(releases::list_releases)
                .service(releases::get_release)
                .service(releases::releases_feed)
                .service(catalog::get_catalog),
        );
}

/// Registers the route table on a plain actix `ServiceConfig` (the OpenAPI document is built
/// once, by `openapi::document`, from the same table).
pub fn configure_app(cfg: &mut web::ServiceConfig) {
    let mut table = ServiceConfig::new(cfg);
    configure(&mut table);
}

/// The path patterns the service answers, for telling 405 from 404.
#[derive(Clone)]
pub struct KnownRoutes(pub std::sync::Arc<Vec<ResourceDef>>);

impl KnownRoutes {
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> KnownRoutes {
        KnownRoutes(std::sync::Arc::new(
            patterns.into_iter().map(ResourceDef::new).collect(),
        ))
    }
}

/// Answers requests no route took: 405 when the path exists under another method, else 404.
pub async fn fallback(
    req: HttpRequest,
    known: web::Data<KnownRoutes>,
) -> Result<HttpResponse, ApiError> {
    let path = req.path().to_owned();
    if known.0.iter().any(|def| def.is_match(&path)) {
        Err(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            path,
            allow: "GET, HEAD".to_owned(),
        })
    } else {
        Err(ApiError::RouteNotFound(path))
    }
}

/// 404 for place or indicator codes in a filter that name nothing. The codes are checked
/// against the set of known codes remembered for the data version (no query per request).
pub fn check_codes(
    conn: &mut PgConnection,
    memo: &crate::db::memo::Memo,
    version: i64,
    filter: &ObservationFilter,
) -> Result<(), ApiError> {
    if filter.places.is_empty() && filter.indicators.is_empty() {
        return Ok(());
    }
    let known = memo.codes(version, || crate::db::known_codes(conn))?;
    let unknown = |codes: &[String], set: &std::collections::HashSet<String>| -> Vec<String> {
        codes
            .iter()
            .filter(|c| !set.contains(*c))
            .cloned()
            .collect()
    };
    let places = unknown(&filter.places, &known.places);
    if !places.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no place has the code(s): {}",
            places.join(", ")
        )));
    }
    let indicators = unknown(&filter.indicators, &known.indicators);
    if !indicators.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no indicator has the code(s): {}",
            indicators.join(", ")
        )));
    }
    Ok(())
}

/// A category filter spelled out as its indicator codes (intersected with any given), so that
/// PostgreSQL plans with the statistics of those codes instead of guessing through the join.
pub fn narrow_by_category(
    conn: &mut PgConnection,
    memo: &crate::db::memo::Memo,
    version: i64,
    mut filter: ObservationFilter,
) -> Result<ObservationFilter, ApiError> {
    let Some(category) = filter.category.clone() else {
        return Ok(filter);
    };
    let known = memo.codes(version, || crate::db::known_codes(conn))?;
    let Some(codes) = known.categories.get(&category) else {
        return Err(check_category(conn, &category).err().unwrap_or_else(|| {
            ApiError::invalid("category", format!("unknown category `{category}`"))
        }));
    };
    let narrowed: Vec<String> = if filter.indicators.is_empty() {
        codes.clone()
    } else {
        filter
            .indicators
            .iter()
            .filter(|c| codes.contains(c))
            .cloned()
            .collect()
    };
    // An empty intersection keeps the given codes; the category condition then matches nothing.
    if !narrowed.is_empty() {
        filter.indicators = narrowed;
    }
    Ok(filter)
}

/// 400 for a category no indicator has, listing the ones that exist.
pub fn check_category(conn: &mut PgConnection, category: &str) -> Result<(), ApiError> {
    let categories = crate::db::indicators::categories(conn)?;
    if categories.iter().any(|c| c == category) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "category",
            format!(
                "unknown category `{category}`, expected one of: {}",
                categories.join(", ")
            ),
        ))
    }
}
