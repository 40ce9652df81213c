//! `/v1/releases` and `/v1/feeds/releases.atom`: each load that changed observations.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::PublicUrl;
use crate::db::releases::Release;
use crate::db::{self, Database};
use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;
use crate::formats::{atom, negotiate, Format, TABLE_FORMATS};
use crate::pagination::{self, ItemResponse, ListResponse};

/// How many releases the feed shows.
const RELEASES_SHOWN: i64 = 100;

/// A load that added, changed or retracted observations.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseView {
    pub id: i64,
    pub released_at: DateTime<Utc>,
    pub title: String,
    pub summary: String,
    pub observations_added: i32,
    pub observations_changed: i32,
    pub observations_retracted: i32,
    /// The name of the publisher's token that made it; none for loads run on the server.
    #[schema(example = "town-office")]
    pub published_by: Option<String>,
    /// The observations this release changed, tombstones included.
    #[schema(example = "http://127.0.0.1:8080/v1/observations?release=1")]
    pub observations_url: String,
}

impl ReleaseView {
    fn new(r: Release, base_url: &str) -> ReleaseView {
        ReleaseView {
            observations_url: format!("{base_url}/v1/observations?release={}", r.id),
            id: r.id,
            released_at: r.released_at,
            title: r.title,
            summary: r.summary,
            observations_added: r.observations_added,
            observations_changed: r.observations_changed,
            observations_retracted: r.observations_retracted,
            published_by: r.published_by,
        }
    }
}

/// The query of the release list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReleaseListQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 1000. In CSV, without `limit` every release is written.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
    /// `json` (default) or `csv`; overrides `Accept`.
    /// Generated clients: call `/v1/releases.csv` instead, whose answer has one media type.
    #[param(schema_with = crate::formats::table_format_schema, example = "csv")]
    pub format: Option<String>,
    /// CSV only: start with a UTF-8 byte order mark, for Excel.
    #[param(default = false)]
    pub bom: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoQuery {}

/// Every release, newest first, a page at a time (the same `meta`, cursor and `Link` as every
/// list).
#[utoipa::path(
    tag = "releases",
    params(ReleaseListQuery),
    responses(
        (status = 200, description = "Releases", content(
            (ListResponse<ReleaseView> = "application/json"),
            (String = "text/csv"),
        ), headers(("Link" = String, description = "RFC 8288 link to the next page, rel=\"next\""))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/releases")]
pub async fn list_releases(
    req: HttpRequest,
    db: web::Data<Database>,
    public_url: web::Data<PublicUrl>,
    ApiQuery(query): ApiQuery<ReleaseListQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = negotiate(&req, query.format.as_deref(), TABLE_FORMATS)?;
    let base = public_url.for_request(&req);
    let limit = pagination::limit(query.limit)?;
    let before: Option<i64> = pagination::after(query.cursor.as_deref())?;
    if format == Format::Csv {
        let limit = query.limit.map(|_| limit);
        let export = crate::exports::releases(before, limit, query.bom.unwrap_or(false))
            .with_cursor(pagination::encode_cursor);
        let content_type = format.content_type();
        return super::csv_response(&req, &db, export, content_type, "releases.csv", None).await;
    }
    let (releases, total) = db
        .run(async |conn| {
            let total = db::releases::count(conn).await?;
            Ok((db::releases::page(conn, before, limit + 1).await?, total))
        })
        .await?;
    Ok(pagination::page_response(
        &req,
        releases,
        total,
        limit,
        |r| r.id,
        |r| ReleaseView::new(r, &base),
    ))
}

/// One release.
#[utoipa::path(
    tag = "releases",
    params(("id" = i64, Path, description = "Release id", example = 1)),
    responses(
        (status = 200, body = ItemResponse<ReleaseView>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/releases/{id}")]
pub async fn get_release(
    _: crate::formats::JsonOnly,
    req: HttpRequest,
    db: web::Data<Database>,
    public_url: web::Data<PublicUrl>,
    id: web::Path<String>,
    _: ApiQuery<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let raw = id.into_inner();
    let id: i64 = raw.parse().map_err(|_| {
        ApiError::invalid("id", format!("release ids are whole numbers, got {raw:?}"))
    })?;
    let release = db
        .run(async |conn| Ok(db::releases::find(conn, id).await?))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no release has the id {id}")))?;
    Ok(HttpResponse::Ok().json(ItemResponse {
        data: ReleaseView::new(release, &public_url.for_request(&req)),
    }))
}

/// The Atom feed of releases and corrections, newest first; each entry links to the
/// observations it changed.
#[utoipa::path(
    tag = "releases",
    responses((status = 200, body = String, content_type = "application/atom+xml"))
)]
#[get("/feeds/releases.atom")]
pub async fn releases_feed(
    req: HttpRequest,
    db: web::Data<Database>,
    public_url: web::Data<PublicUrl>,
    _: ApiQuery<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let (releases, version) = db
        .run(async |conn| {
            let releases = db::releases::newest(conn, RELEASES_SHOWN).await?;
            Ok((releases, db::releases::data_version(conn).await?))
        })
        .await?;
    let feed = atom::releases_feed(&public_url.for_request(&req), &releases, version.changed_at);
    Ok(HttpResponse::Ok()
        .content_type(atom::CONTENT_TYPE)
        .body(feed))
}
