//! `/v1/indicators`: the catalogue of what is measured.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::places::LangQuery;
use crate::db::indicators::IndicatorFilter;
use crate::db::{self, Database};
use crate::domain::Lang;
use crate::error::{ApiError, Problem};
use crate::exports;
use crate::extract::ApiQuery;
use crate::formats::{negotiate, Format, TABLE_FORMATS};
use crate::pagination::{self, ItemResponse, ListResponse};
use crate::views::IndicatorView;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IndicatorListQuery {
    /// Only indicators of this category.
    #[param(example = "poverty_alleviation")]
    pub category: Option<String>,
    /// Only indicators whose code, name (Chinese or English) or description contains this,
    /// ignoring case: `q=poverty` or `q=脱贫` finds every poverty figure, whatever its category.
    #[param(example = "poverty")]
    pub q: Option<String>,
    /// Language of the `name` and `description` fields.
    pub lang: Option<Lang>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 1000. In CSV, without `limit` the whole result is written.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
    /// `json` (default) or `csv`; overrides `Accept`.
    /// Generated clients: call `/v1/indicators.csv` instead, whose answer has one media type.
    #[param(schema_with = crate::formats::table_format_schema, example = "csv")]
    pub format: Option<String>,
    /// CSV only: start with a UTF-8 byte order mark, for Excel.
    #[param(default = false)]
    pub bom: Option<bool>,
}

/// List indicators in code order, as JSON or CSV.
#[utoipa::path(
    tag = "indicators",
    params(IndicatorListQuery),
    responses(
        (status = 200, description = "Indicators", content(
            (ListResponse<IndicatorView> = "application/json"),
            (String = "text/csv"),
        ), headers(("Link" = String, description = "RFC 8288 link to the next page, rel=\"next\""))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No indicator has the category", body = Problem, content_type = "application/problem+json"),
        (status = 406, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/indicators")]
pub async fn list_indicators(
    req: HttpRequest,
    db: web::Data<Database>,
    ApiQuery(query): ApiQuery<IndicatorListQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = negotiate(&req, query.format.as_deref(), TABLE_FORMATS)?;
    let limit = pagination::limit(query.limit)?;
    let after: Option<String> = pagination::after(query.cursor.as_deref())?;
    let lang = query.lang.unwrap_or_default();
    let filter = IndicatorFilter {
        category: query.category,
        q: query
            .q
            .filter(|q| !q.trim().is_empty())
            .map(|q| q.trim().to_owned()),
    };
    if let Some(category) = &filter.category {
        db.run(async |conn| crate::query::check_category(conn, category).await)
            .await?;
    }
    if format == Format::Csv {
        let limit = query.limit.map(|_| limit);
        let export = exports::indicators(filter, after, limit, query.bom.unwrap_or(false))
            .with_cursor(pagination::encode_cursor);
        return super::csv_response(
            &req,
            &db,
            export,
            format.content_type(),
            "indicators.csv",
            None,
        )
        .await;
    }
    let (rows, total) = db
        .run(async |conn| {
            let total = db::indicators::count(conn, &filter).await?;
            let rows = db::indicators::page(conn, &filter, after.as_deref(), limit + 1).await?;
            Ok((rows, total))
        })
        .await?;
    Ok(pagination::page_response(
        &req,
        rows,
        total,
        limit,
        |i| i.code.clone(),
        |i| IndicatorView::new(i, lang),
    ))
}

/// One indicator.
#[utoipa::path(
    tag = "indicators",
    params(("code" = String, Path, description = "Indicator code", example = "poverty_exit_persons"), LangQuery),
    responses(
        (status = 200, body = ItemResponse<IndicatorView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/indicators/{code}")]
pub async fn get_indicator(
    _: crate::formats::JsonOnly,
    db: web::Data<Database>,
    code: web::Path<String>,
    ApiQuery(query): ApiQuery<LangQuery>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let lang = query.lang.unwrap_or_default();
    let indicator = db
        .run(async |conn| Ok(db::indicators::find(conn, &code).await?))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no indicator has the code `{code}`")))?;
    Ok(HttpResponse::Ok().json(ItemResponse {
        data: IndicatorView::new(indicator, lang),
    }))
}
