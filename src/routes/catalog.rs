//! `/v1/catalog`: the DCAT-AP catalog that portals harvest.

use actix_web::http::header::{self, Header};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::PublicUrl;
use crate::db::{self, Database};
use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;
use crate::formats::dcat;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    /// `jsonld` (default) or `turtle`; overrides `Accept`.
    /// Generated clients: call `/v1/catalog.turtle` instead, whose answer has one media type.
    #[param(schema_with = crate::formats::catalog_format_schema, example = "turtle")]
    pub format: Option<String>,
}

const JSONLD: &str = "application/ld+json";
const TURTLE: &str = "text/turtle";

/// The DCAT-AP 3.0 catalog: one dataset per indicator category (and one for the bulk files),
/// with a distribution for each format, publisher, licence, spatial and temporal coverage. JSON-LD,
/// or Turtle with `Accept: text/turtle`.
#[utoipa::path(
    tag = "catalog",
    params(CatalogQuery),
    responses(
        (status = 200, description = "The catalog", content(
            (Object = "application/ld+json"),
            (String = "text/turtle"),
        )),
        (status = 406, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/catalog")]
pub async fn get_catalog(
    req: HttpRequest,
    db: web::Data<Database>,
    public_url: web::Data<PublicUrl>,
    ApiQuery(query): ApiQuery<CatalogQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = query.format.filter(|f| !f.is_empty());
    let turtle = match format.map(|f| f.to_ascii_lowercase()).as_deref() {
        Some("turtle") => true,
        Some("jsonld") => false,
        Some(other) => {
            return Err(ApiError::NotAcceptable {
                detail: format!("format `{other}` is not available here; supported: jsonld ({JSONLD}), turtle ({TURTLE})"),
                parameter: Some("format".to_owned()),
            })
        }
        None => wants_turtle(&req)?,
    };
    let version = match super::data_version(&req) {
        Some(version) => version,
        None => {
            db.run(async |conn| Ok(db::releases::data_version(conn).await?))
                .await?
        }
    };
    let coverage = db
        .memo()
        .coverage(version.version, async || {
            db.run(async |conn| Ok(db::catalog::coverage(conn).await?))
                .await
        })
        .await?;
    let sources = crate::query::sources(&db, version.version).await?;
    let graph = dcat::catalog(
        &public_url.for_request(&req),
        &coverage,
        &sources,
        version.changed_at,
        super::observations::JSONSTAT_MAX_ROWS,
    );
    let (body, content_type) = if turtle {
        (dcat::to_turtle(&graph), "text/turtle; charset=utf-8")
    } else {
        (dcat::to_jsonld(&graph), JSONLD)
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .body(body.map_err(ApiError::internal)?))
}

/// Turtle when `Accept` ranks it first among what the catalog has; JSON-LD otherwise.
fn wants_turtle(req: &HttpRequest) -> Result<bool, ApiError> {
    let Some(raw) = req.headers().get(header::ACCEPT) else {
        return Ok(false);
    };
    let accept = header::Accept::parse(req).map_err(|_| ApiError::NotAcceptable {
        detail: format!("the Accept header could not be read; supported: {JSONLD}, {TURTLE}"),
        parameter: None,
    })?;
    for range in crate::formats::acceptable(accept) {
        match range.essence_str() {
            TURTLE => return Ok(true),
            JSONLD | "application/json" | "*/*" | "application/*" => return Ok(false),
            _ => {}
        }
    }
    Err(ApiError::NotAcceptable {
        detail: format!(
            "none of {:?} can be produced; supported: {JSONLD}, {TURTLE}",
            raw.to_str().unwrap_or("(not text)")
        ),
        parameter: None,
    })
}
