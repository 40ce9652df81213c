//! `/v1/sources`: the documents observations quote, with their full text.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::places::LangQuery;
use crate::db::{self, Database};
use crate::domain::Lang;
use crate::error::{ApiError, Problem};
use crate::exports;
use crate::extract::ApiQuery;
use crate::formats::{negotiate, Format, TABLE_FORMATS};
use crate::pagination::{self, ItemResponse, ListResponse};
use crate::views::SourceView;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SourceListQuery {
    /// Language of the `title` field.
    pub lang: Option<Lang>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 1000. In CSV, without `limit` the whole result is written.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
    /// `json` (default) or `csv`; overrides `Accept`.
    /// Generated clients: call `/v1/sources.csv` instead, whose answer has one media type.
    #[param(schema_with = crate::formats::table_format_schema, example = "csv")]
    pub format: Option<String>,
    /// CSV only: start with a UTF-8 byte order mark, for Excel.
    #[param(default = false)]
    pub bom: Option<bool>,
}

/// List sources in id order, as JSON or CSV.
#[utoipa::path(
    tag = "sources",
    params(SourceListQuery),
    responses(
        (status = 200, description = "Sources", content(
            (ListResponse<SourceView> = "application/json"),
            (String = "text/csv"),
        ), headers(("Link" = String, description = "RFC 8288 link to the next page, rel=\"next\""))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 406, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sources")]
pub async fn list_sources(
    req: HttpRequest,
    db: web::Data<Database>,
    ApiQuery(query): ApiQuery<SourceListQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = negotiate(&req, query.format.as_deref(), TABLE_FORMATS)?;
    let limit = pagination::limit(query.limit)?;
    let after: Option<String> = pagination::after(query.cursor.as_deref())?;
    let lang = query.lang.unwrap_or_default();
    if format == Format::Csv {
        let limit = query.limit.map(|_| limit);
        let export = exports::sources(after, limit, query.bom.unwrap_or(false))
            .with_cursor(pagination::encode_cursor);
        return super::csv_response(
            &req,
            &db,
            export,
            format.content_type(),
            "sources.csv",
            None,
        )
        .await;
    }
    let (rows, total) = db
        .run(async |conn| {
            let total = db::sources::count(conn).await?;
            let rows = db::sources::page(conn, after.as_deref(), limit + 1).await?;
            Ok((rows, total))
        })
        .await?;
    Ok(pagination::page_response(
        &req,
        rows,
        total,
        limit,
        |s| s.id.clone(),
        |s| SourceView::new(s, lang),
    ))
}

/// One source's metadata, with the SHA-256 of its text.
#[utoipa::path(
    tag = "sources",
    params(("id" = String, Path, description = "Source id", example = "shuangsheng-2021-government-work-report"), LangQuery),
    responses(
        (status = 200, body = ItemResponse<SourceView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sources/{id}")]
pub async fn get_source(
    _: crate::formats::JsonOnly,
    db: web::Data<Database>,
    id: web::Path<String>,
    ApiQuery(query): ApiQuery<LangQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let lang = query.lang.unwrap_or_default();
    let source = db
        .run(async |conn| Ok(db::sources::find(conn, &id).await?))
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(HttpResponse::Ok().json(ItemResponse {
        data: SourceView::new(source, lang),
    }))
}

/// The full text of a source, byte for byte the text whose SHA-256 the metadata gives.
#[utoipa::path(
    tag = "sources",
    params(("id" = String, Path, description = "Source id", example = "shuangsheng-2021-government-work-report")),
    responses(
        (status = 200, body = String, content_type = "text/plain; charset=utf-8"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sources/{id}/text")]
pub async fn get_source_text(
    db: web::Data<Database>,
    id: web::Path<String>,
    _: ApiQuery<super::releases::NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let text = db
        .run(async |conn| Ok(db::sources::content(conn, &id).await?))
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(text))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no source has the id `{id}`"))
}
