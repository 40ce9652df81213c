//! The route table: every endpoint of the service, on one screen.

pub mod catalog;
pub mod downloads;
pub mod health;
pub mod indicators;
pub mod observations;
pub mod places;
pub mod releases;
pub mod sources;
pub mod writes;

use actix_web::dev::ResourceDef;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::budget;
use crate::db::Database;
use crate::error::ApiError;
use crate::exports::CsvExport;
use crate::formats::{attachment, stream::export_stream};

pub use crate::public_url::PublicUrl;

/// The data version the caching middleware read for this request, if it did.
pub fn data_version(req: &HttpRequest) -> Option<crate::db::releases::DataVersion> {
    actix_web::HttpMessage::extensions(req)
        .get::<crate::db::releases::DataVersion>()
        .copied()
}

/// A streamed CSV attachment, written batch by batch from the database. It takes one of the
/// export slots and reserves from the memory budget what a stream and the compressor the client
/// will get hold; when either is spent it waits as long as for a connection, then answers 503.
/// `total`, when known, is sent as `X-Total-Count`: the rows of the whole result, so that a
/// script can tell a complete file from a cut one.
pub async fn csv_response<R: 'static, K: 'static>(
    req: &HttpRequest,
    db: &Database,
    export: CsvExport<R, K>,
    content_type: &str,
    filename: &str,
    total: Option<i64>,
) -> Result<HttpResponse, ApiError> {
    if export.is_page() {
        return csv_page(req, db, export, content_type, filename, total).await;
    }
    let slot = db.export_permit().await?;
    let memory = db
        .reserve(budget::STREAM_BYTES + budget::encoder_bytes(req))
        .await?;
    let mut response = csv_head(content_type, filename, total);
    let request_id = req
        .headers()
        .get(crate::protect::REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let stream = export_stream(db.pinned(), (slot, memory), export, request_id);
    Ok(response.streaming(stream))
}

/// One page of a CSV list (`limit` given, at most 1,000 rows): read whole, then answered with
/// its `Link: rel="next"` when rows follow, like the JSON page.
async fn csv_page<R: 'static, K: 'static>(
    req: &HttpRequest,
    db: &Database,
    mut export: CsvExport<R, K>,
    content_type: &str,
    filename: &str,
    total: Option<i64>,
) -> Result<HttpResponse, ApiError> {
    let body = db
        .run(async |conn| export.next_chunk(conn).await)
        .await?
        .unwrap_or_default();
    let mut response = csv_head(content_type, filename, total);
    if let Some(cursor) = export.next_cursor() {
        response.insert_header((header::LINK, crate::pagination::next_link(req, &cursor)));
    }
    Ok(response.body(body))
}

/// What every CSV answer says before its body: its type, its file name, and the rows of the
/// whole result when known.
fn csv_head(content_type: &str, filename: &str, total: Option<i64>) -> HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, attachment(filename)));
    if let Some(total) = total {
        response.insert_header((TOTAL_COUNT, total.to_string()));
    }
    response
}

/// The header that gives the rows of a whole CSV result.
pub const TOTAL_COUNT: &str = "x-total-count";

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
                .service(observations::get_revisions)
                .service(downloads::download_observations)
                .service(downloads::download_places)
                .service(downloads::download_indicators)
                .service(downloads::download_sources)
                .service(downloads::datapackage)
                .service(releases::list_releases)
                .service(releases::get_release)
                .service(releases::releases_feed)
                .service(catalog::get_catalog)
                .service(writes::put_source)
                .service(writes::put_indicator)
                .service(writes::put_place)
                .service(writes::post_import),
        );
}

/// Registers the route table on a plain actix `ServiceConfig` (the OpenAPI document is built
/// once, by `openapi::document`, from the same table).
pub fn configure_app(cfg: &mut web::ServiceConfig) {
    let mut table = ServiceConfig::new(cfg);
    configure(&mut table);
}

/// The path patterns the service answers and the methods each takes (its `Allow`), for
/// telling 405 from 404.
#[derive(Clone)]
pub struct KnownRoutes(pub std::sync::Arc<Vec<(ResourceDef, String)>>);

impl KnownRoutes {
    /// Every path of the OpenAPI document with its methods, and `extra` paths that take GET.
    pub fn new<'a>(
        api: &utoipa::openapi::OpenApi,
        extra: impl IntoIterator<Item = &'a str>,
    ) -> KnownRoutes {
        let documented = api.paths.paths.iter().map(|(path, item)| {
            let mut allow = Vec::new();
            if item.get.is_some() {
                allow.extend(["GET", "HEAD"]);
            }
            if item.put.is_some() {
                allow.push("PUT");
            }
            if item.post.is_some() {
                allow.push("POST");
            }
            (ResourceDef::new(path.as_str()), allow.join(", "))
        });
        let extra = extra
            .into_iter()
            .map(|path| (ResourceDef::new(path), "GET, HEAD".to_owned()));
        KnownRoutes(std::sync::Arc::new(documented.chain(extra).collect()))
    }

    /// Whether a route answers `method` at `path`.
    pub fn allows(&self, path: &str, method: &str) -> bool {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .is_some_and(|(_, allow)| allow.split(", ").any(|m| m == method))
    }
}

/// Answers requests no route took: 405 when the path exists under another method, else 404.
pub async fn fallback(
    req: HttpRequest,
    known: web::Data<KnownRoutes>,
) -> Result<HttpResponse, ApiError> {
    let path = req.path().to_owned();
    if let Some((_, allow)) = known.0.iter().find(|(def, _)| def.is_match(&path)) {
        Err(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            path,
            allow: allow.clone(),
        })
    } else {
        Err(ApiError::RouteNotFound(path))
    }
}
