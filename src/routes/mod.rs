//! The route table: every endpoint of the service, on one screen.

pub mod health;
pub mod indicators;
pub mod observations;
pub mod places;
pub mod sources;

use actix_web::dev::ResourceDef;
use actix_web::{web, HttpRequest};
use diesel::PgConnection;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::observations::ObservationFilter;
use crate::error::ApiError;

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
                .service(observations::list_observations),
        );
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
) -> Result<actix_web::HttpResponse, ApiError> {
    let path = req.path().to_owned();
    if known.0.iter().any(|def| def.is_match(&path)) {
        Err(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            path,
            allow: "GET".to_owned(),
        })
    } else {
        Err(ApiError::RouteNotFound(path))
    }
}

/// 404 for place or indicator codes in a filter that name nothing.
fn check_codes(conn: &mut PgConnection, filter: &ObservationFilter) -> Result<(), ApiError> {
    let places = crate::db::places::missing(conn, &filter.places)?;
    if !places.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no place has the code(s): {}",
            places.join(", ")
        )));
    }
    let indicators = crate::db::indicators::missing(conn, &filter.indicators)?;
    if !indicators.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no indicator has the code(s): {}",
            indicators.join(", ")
        )));
    }
    Ok(())
}

/// 400 for a category no indicator has, listing the ones that exist.
fn check_category(conn: &mut PgConnection, category: &str) -> Result<(), ApiError> {
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
