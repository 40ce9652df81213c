//! `/v1/downloads`: whole tables as CSV, streamed, and the Data Package that describes them.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::PublicUrl;
use crate::citation::Citer;
use crate::db::observations::{ObservationFilter, Sort};
use crate::db::places::PlaceFilter;
use crate::db::Database;
use crate::domain::Lang;
use crate::error::{ApiError, Problem};
use crate::exports;
use crate::extract::ApiQuery;
use crate::formats::Format;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// Start with a UTF-8 byte order mark, for Excel.
    #[param(default = false)]
    pub bom: Option<bool>,
}

async fn csv<R: 'static, K: 'static>(
    req: &HttpRequest,
    db: &Database,
    export: exports::CsvExport<R, K>,
    name: &str,
    total: Option<i64>,
) -> Result<HttpResponse, ApiError> {
    super::csv_response(req, db, export, Format::Csv.content_type(), name, total).await
}

/// Every observation, one a row, in id order (the columns of `format=csv`). Streamed; gzip when
/// the client accepts it.
#[utoipa::path(
    tag = "downloads",
    params(DownloadQuery),
    responses(
        (status = 200, body = String, content_type = "text/csv", headers(
            ("X-Total-Count" = i64, description = "How many rows the file holds: a shorter file was cut off"),
        )),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/downloads/observations.csv")]
pub async fn download_observations(
    req: HttpRequest,
    db: web::Data<Database>,
    public_url: web::Data<PublicUrl>,
    ApiQuery(query): ApiQuery<DownloadQuery>,
) -> Result<HttpResponse, ApiError> {
    let plan = crate::query::observation_export(
        &db,
        super::data_version(&req),
        ObservationFilter::default(),
    )
    .await?;
    let export = exports::observations(
        plan.names,
        plan.filter,
        Sort::Id,
        None,
        None,
        Format::Csv,
        query.bom.unwrap_or(false),
        Lang::Zh,
        Citer::new(&public_url.for_request(&req), plan.sources.to_vec()),
    );
    csv(&req, &db, export, "observations.csv", Some(plan.total)).await
}

/// Every place of the tree, in code order.
#[utoipa::path(
    tag = "downloads",
    params(DownloadQuery),
    responses(
        (status = 200, body = String, content_type = "text/csv"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/downloads/places.csv")]
pub async fn download_places(
    req: HttpRequest,
    db: web::Data<Database>,
    ApiQuery(query): ApiQuery<DownloadQuery>,
) -> Result<HttpResponse, ApiError> {
    let export = exports::places(
        PlaceFilter::default(),
        None,
        None,
        query.bom.unwrap_or(false),
    );
    csv(&req, &db, export, "places.csv", None).await
}

/// Every indicator, in code order.
#[utoipa::path(
    tag = "downloads",
    params(DownloadQuery),
    responses(
        (status = 200, body = String, content_type = "text/csv"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/downloads/indicators.csv")]
pub async fn download_indicators(
    req: HttpRequest,
    db: web::Data<Database>,
    ApiQuery(query): ApiQuery<DownloadQuery>,
) -> Result<HttpResponse, ApiError> {
    let export = exports::indicators(Default::default(), None, None, query.bom.unwrap_or(false));
    csv(&req, &db, export, "indicators.csv", None).await
}

/// Every source's metadata (the texts are at `/v1/sources/{id}/text`).
#[utoipa::path(
    tag = "downloads",
    params(DownloadQuery),
    responses(
        (status = 200, body = String, content_type = "text/csv"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/downloads/sources.csv")]
pub async fn download_sources(
    req: HttpRequest,
    db: web::Data<Database>,
    ApiQuery(query): ApiQuery<DownloadQuery>,
) -> Result<HttpResponse, ApiError> {
    let export = exports::sources(None, None, query.bom.unwrap_or(false));
    csv(&req, &db, export, "sources.csv", None).await
}

/// A Frictionless Data Package describing the four CSV downloads: Table Schema of each, primary
/// and foreign keys, licence and sources. Resource paths are relative to `/v1/downloads/`.
#[utoipa::path(
    tag = "downloads",
    responses((status = 200, body = Object, content_type = "application/json"))
)]
#[get("/downloads/datapackage.json")]
pub async fn datapackage(
    req: HttpRequest,
    db: web::Data<Database>,
    _: ApiQuery<super::releases::NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let sources = crate::query::all_sources(&db, super::data_version(&req)).await?;
    Ok(HttpResponse::Ok().json(crate::formats::datapackage::descriptor(&sources)))
}
