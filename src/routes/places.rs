//! `/v1/places`: the administrative tree.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::{self, places::PlaceFilter, PgPool};
use crate::domain::{Lang, Level};
use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;
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
    /// Page size, 1 to 1000.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// Language of the `name` fields.
    pub lang: Option<Lang>,
}

/// List places in code order.
#[utoipa::path(
    tag = "places",
    params(PlaceListQuery),
    responses(
        (status = 200, body = ListResponse<PlaceView>,
         headers(("Link" = String, description = "RFC 8288 link to the next page, rel=\"next\""))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/places")]
pub async fn list_places(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    ApiQuery(query): ApiQuery<PlaceListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let after: Option<String> = query
        .cursor
        .as_deref()
        .map(pagination::decode_cursor)
        .transpose()?;
    let lang = query.lang.unwrap_or_default();
    let filter = PlaceFilter {
        level: query.level,
        parent: query.parent,
        q: query.q.filter(|q| !q.trim().is_empty()),
    };
    let (rows, total) = db::run(&pool, move |conn| {
        Ok(db::places::list(conn, &filter, after.as_deref(), limit)?)
    })
    .await?;
    let (rows, more) = pagination::split_page(rows, limit);
    let next = more
        .then(|| rows.last().map(|p| pagination::encode_cursor(&p.code)))
        .flatten();
    let data = rows.into_iter().map(|p| PlaceView::new(p, lang)).collect();
    Ok(pagination::list_response(&req, data, total, limit, next))
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
    pool: web::Data<PgPool>,
    code: web::Path<String>,
    ApiQuery(query): ApiQuery<LangQuery>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let lang = query.lang.unwrap_or_default();
    let detail = db::run(&pool, move |conn| {
        let place = db::places::find(conn, &code)?
            .ok_or_else(|| ApiError::NotFound(format!("no place has the code `{code}`")))?;
        let ancestors = db::places::ancestors(conn, &place)?;
        let children = db::places::children(conn, &place.code)?;
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
