//! `/v1/places`: the administrative tree.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::{self, places::PlaceFilter, Database};
use crate::domain::{Lang, Level};
use crate::error::{ApiError, Problem};
use crate::exports;
use crate::extract::ApiQuery;
use crate::formats::{negotiate, Format, TABLE_FORMATS};
use crate::pagination::{self, ItemResponse, ListResponse};
use crate::views::{PlaceDetail, PlaceView};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlaceListQuery {
    /// Only places of this level.
    pub level: Option<Level>,
    /// Only the places directly below this code.
    #[param(example = "511903")]
    pub parent: Option<String>,
    /// Text in the Chinese name, the English name or the toneless pinyin (`shuangsheng`).
    #[param(example = "双胜")]
    pub q: Option<String>,
    /// Language of the `name` fields.
    pub lang: Option<Lang>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 1000. In CSV, without `limit` the whole result is written.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
    /// `json` (default) or `csv`; overrides `Accept`.
    /// Generated clients: call `/v1/places.csv` instead, whose answer has one media type.
    #[param(schema_with = crate::formats::table_format_schema, example = "csv")]
    pub format: Option<String>,
    /// CSV only: start with a UTF-8 byte order mark, for Excel.
    #[param(default = false)]
    pub bom: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// Language of the `name` fields.
    pub lang: Option<Lang>,
}

/// List places in code order, as JSON or CSV.
#[utoipa::path(
    tag = "places",
    params(PlaceListQuery),
    responses(
        (status = 200, description = "Places", content(
            (ListResponse<PlaceView> = "application/json"),
            (String = "text/csv", example = "code,parent_code,level,name_zh,name_en\n511903114,511903,township,双胜镇,Shuangsheng Town\n"),
        ), headers(("Link" = String, description = "RFC 8288 link to the next page, rel=\"next\""))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 406, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/places")]
pub async fn list_places(
    req: HttpRequest,
    db: web::Data<Database>,
    ApiQuery(query): ApiQuery<PlaceListQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = negotiate(&req, query.format.as_deref(), TABLE_FORMATS)?;
    let limit = pagination::limit(query.limit)?;
    let after: Option<String> = pagination::after(query.cursor.as_deref())?;
    let lang = query.lang.unwrap_or_default();
    let filter = PlaceFilter {
        level: query.level,
        parent: query.parent,
        q: query.q.filter(|q| !q.trim().is_empty()),
    };
    if format == Format::Csv {
        let limit = query.limit.map(|_| limit);
        let export = exports::places(filter, after, limit, query.bom.unwrap_or(false))
            .with_cursor(pagination::encode_cursor);
        return super::csv_response(&req, &db, export, format.content_type(), "places.csv", None)
            .await;
    }
    let (rows, total) = db
        .run(async |conn| {
            let total = db::places::count(conn, &filter).await?;
            let rows = db::places::page(conn, &filter, after.as_deref(), limit + 1).await?;
            Ok((rows, total))
        })
        .await?;
    Ok(pagination::page_response(
        &req,
        rows,
        total,
        limit,
        |p| p.code.clone(),
        |p| PlaceView::new(p, lang),
    ))
}

/// One place, with its ancestors up to the province and its children.
#[utoipa::path(
    tag = "places",
    params(("code" = String, Path, description = "Place code", example = "511903114"), LangQuery),
    responses(
        (status = 200, body = ItemResponse<PlaceDetail>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/places/{code}")]
pub async fn get_place(
    _: crate::formats::JsonOnly,
    db: web::Data<Database>,
    code: web::Path<String>,
    ApiQuery(query): ApiQuery<LangQuery>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let lang = query.lang.unwrap_or_default();
    let detail = db
        .run(async |conn| {
            let place = db::places::find(conn, &code)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no place has the code `{code}`")))?;
            let ancestors = db::places::ancestors(conn, &place).await?;
            let children = db::places::children(conn, &place.code).await?;
            Ok(PlaceDetail {
                place: PlaceView::new(place, lang),
                ancestors: ancestors
                    .into_iter()
                    .map(|p| PlaceView::new(p, lang))
                    .collect(),
                children: children
                    .into_iter()
                    .map(|p| PlaceView::new(p, lang))
                    .collect(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(ItemResponse { data: detail }))
}
