//! `/v1/observations`: the numbers, filtered by place, indicator, category, kind and period.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::observations::{After, ObservationFilter, Sort};
use crate::db::{self, PgPool};
use crate::domain::{Kind, Lang};
use crate::error::{ApiError, Problem};
use crate::extract::{split_list, ApiQuery};
use crate::pagination::{self, ListResponse};
use crate::views::ObservationView;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ObservationQuery {
    /// One or more place codes, comma-separated.
    #[param(example = "511903114")]
    pub place: Option<String>,
    /// With `place`: also every place below the given ones.
    #[param(default = false)]
    pub descendants: Option<bool>,
    /// One or more indicator codes, comma-separated.
    #[param(example = "poverty_exit_persons,poverty_exit_households")]
    pub indicator: Option<String>,
    /// Only indicators of this category.
    #[param(example = "sanitation")]
    pub category: Option<String>,
    /// `actual` or `target`.
    pub kind: Option<Kind>,
    /// Periods ending in or after this year.
    #[param(minimum = 1949, maximum = 2100, example = 2016)]
    pub from: Option<i32>,
    /// Periods starting in or before this year.
    #[param(minimum = 1949, maximum = 2100, example = 2025)]
    pub to: Option<i32>,
    /// Order of the list.
    #[param(inline)]
    pub sort: Option<Sort>,
    /// Language of the `name` fields.
    pub lang: Option<Lang>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 1000.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
}

/// What the cursor of an observation listing carries.
type CursorKey = (Sort, After);

const MAX_CODES: usize = 100;

impl ObservationQuery {
    fn filter(&self) -> Result<ObservationFilter, ApiError> {
        let places = codes("place", self.place.as_deref())?;
        let descendants = self.descendants.unwrap_or(false);
        if descendants && places.is_empty() {
            return Err(ApiError::invalid(
                "descendants",
                "`descendants=true` needs `place`: say whose descendants",
            ));
        }
        for (name, year) in [("from", self.from), ("to", self.to)] {
            if let Some(year) = year {
                if !(1949..=2100).contains(&year) {
                    return Err(ApiError::invalid(
                        name,
                        format!("`{name}` must be a year from 1949 to 2100, got {year}"),
                    ));
                }
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(ApiError::invalid(
                    "from",
                    format!("`from` ({from}) must not be after `to` ({to})"),
                ));
            }
        }
        Ok(ObservationFilter {
            places,
            descendants,
            indicators: codes("indicator", self.indicator.as_deref())?,
            category: self.category.clone(),
            kind: self.kind,
            from: self.from,
            to: self.to,
        })
    }
}

fn codes(parameter: &str, raw: Option<&str>) -> Result<Vec<String>, ApiError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let codes = split_list(parameter, raw)?;
    if codes.len() > MAX_CODES {
        return Err(ApiError::invalid(
            parameter,
            format!(
                "`{parameter}` takes at most {MAX_CODES} codes, got {}",
                codes.len()
            ),
        ));
    }
    Ok(codes)
}

/// List observations. Every filter narrows the list; periods match when they overlap
/// `from`..`to`.
#[utoipa::path(
    tag = "observations",
    params(ObservationQuery),
    responses(
        (status = 200, body = ListResponse<ObservationView>,
         headers(("Link" = String, description = "RFC 8288 link to the next page, rel=\"next\""))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A place or indicator code names nothing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/observations")]
pub async fn list_observations(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    ApiQuery(query): ApiQuery<ObservationQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let filter = query.filter()?;
    let sort = query.sort.unwrap_or_default();
    let after = match query.cursor.as_deref() {
        None => None,
        Some(cursor) => {
            let (cursor_sort, after): CursorKey = pagination::decode_cursor(cursor)?;
            if cursor_sort != sort || !after.fits(sort) {
                return Err(ApiError::invalid(
                    "cursor",
                    "`cursor` belongs to another `sort`: keep the sort of the first page",
                ));
            }
            Some(after)
        }
    };
    let lang = query.lang.unwrap_or_default();
    let (rows, total) = db::run(&pool, move |conn| {
        super::check_codes(conn, &filter)?;
        if let Some(category) = &filter.category {
            super::check_category(conn, category)?;
        }
        let total = db::observations::count(conn, &filter)?;
        let rows = db::observations::page(conn, &filter, sort, after.as_ref(), limit + 1)?;
        Ok((rows, total))
    })
    .await?;
    let (rows, more) = pagination::split_page(rows, limit);
    let next = more
        .then(|| {
            rows.last()
                .map(|row| pagination::encode_cursor(&(sort, After::of(sort, row))))
        })
        .flatten();
    let data = rows
        .into_iter()
        .map(|row| ObservationView::new(row, lang))
        .collect();
    Ok(pagination::list_response(&req, data, total, limit, next))
}
