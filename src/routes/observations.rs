//! `/v1/observations`: the numbers, filtered by place, indicator, category, kind and period, as
//! JSON, CSV, JSON-stat 2.0 or SDMX-CSV.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::places::LangQuery;
use super::PublicUrl;
use crate::citation::Citer;
use crate::db::memo::KnownCodes;
use crate::db::observations::{After, ObservationFilter, Sort};
use crate::db::{self, Database};
use crate::domain::{Kind, Lang};
use crate::error::{ApiError, Problem};
use crate::exports;
use crate::extract::{split_list, ApiQuery};
use crate::formats::{jsonstat, negotiate, Format};
use crate::pagination::{self, ItemResponse, ListResponse};
use crate::query::{self, ObservationRequest};
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
    /// Only observations changed after this RFC 3339 time, retracted ones (tombstones)
    /// included, in the order of change (`sort=updated`). For incremental sync.
    #[param(value_type = Option<String>, format = DateTime, example = "2026-01-01T00:00:00Z")]
    pub updated_since: Option<String>,
    /// Only observations last changed by this release (see `/v1/releases`), tombstones included.
    #[param(minimum = 1, example = 1)]
    pub release: Option<i64>,
    /// Order of the list. Default: `place` when `place` is given, `updated` (oldest change
    /// first, the only order allowed) with `updated_since`, else `id`.
    #[param(inline)]
    pub sort: Option<Sort>,
    /// Language of the `name` fields (and of JSON-stat labels).
    pub lang: Option<Lang>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 1000. In CSV, SDMX-CSV and JSON-stat, without `limit` the whole result is
    /// written.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
    /// `json` (default), `csv`, `jsonstat` or `sdmx-csv`; overrides `Accept`.
    #[param(example = "csv")]
    pub format: Option<String>,
    /// CSV and SDMX-CSV only: start with a UTF-8 byte order mark, for Excel.
    #[param(default = false)]
    pub bom: Option<bool>,
}

/// What the cursor of an observation listing carries.
type CursorKey = (Sort, After);

const MAX_CODES: usize = 100;

/// The most observations one JSON-stat dataset holds; past it, narrow the query or use CSV.
pub const JSONSTAT_MAX_ROWS: i64 = 100_000;

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
        let updated_since = match self.updated_since.as_deref() {
            None => None,
            Some(raw) => Some(
                chrono::DateTime::parse_from_rfc3339(raw)
                    .map_err(|e| {
                        ApiError::invalid(
                            "updated_since",
                            format!(
                                "`updated_since` must be an RFC 3339 time such as \
                                 2026-01-01T00:00:00Z, got {raw:?} ({e})"
                            ),
                        )
                    })?
                    .with_timezone(&chrono::Utc),
            ),
        };
        Ok(ObservationFilter {
            updated_since,
            release: self.release,
            places,
            descendants,
            indicators: codes("indicator", self.indicator.as_deref())?,
            category: self.category.clone(),
            kind: self.kind,
            from: self.from,
            to: self.to,
        })
    }

    /// The sort: `updated` by default with `updated_since`, which allows no other.
    fn sort(&self) -> Result<Sort, ApiError> {
        match (self.updated_since.is_some(), self.sort) {
            (true, None | Some(Sort::Updated)) => Ok(Sort::Updated),
            (true, Some(_)) => Err(ApiError::invalid(
                "sort",
                "with `updated_since` the order is `updated` (oldest change first), which a \
                 cursor needs to never skip or repeat a change",
            )),
            // Filtered by place, the natural (and indexed) order is by place.
            (false, None) if self.place.is_some() => Ok(Sort::Place),
            (false, sort) => Ok(sort.unwrap_or_default()),
        }
    }

    fn after(&self, sort: Sort) -> Result<Option<After>, ApiError> {
        // An empty `cursor=` (what a form or a client library sends for "none") is no cursor.
        let Some(cursor) = self.cursor.as_deref().filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        let (cursor_sort, after): CursorKey = pagination::decode_cursor(cursor)?;
        if cursor_sort != sort || !after.fits(sort) {
            return Err(ApiError::invalid(
                "cursor",
                "`cursor` belongs to another `sort`: keep the sort of the first page",
            ));
        }
        Ok(Some(after))
    }

    /// A file name that says what the download holds: `observations-511903114.csv`.
    fn filename(&self, format: Format) -> String {
        let scope = match (&self.place, &self.indicator) {
            (Some(place), _) => place.replace(',', "_"),
            (None, Some(indicator)) => indicator.replace(',', "_"),
            (None, None) => "all".to_owned(),
        };
        let scope: String = scope
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(80)
            .collect();
        match format {
            Format::SdmxCsv => format!("observations-{scope}.sdmx.csv"),
            _ => format!("observations-{scope}.csv"),
        }
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
/// `from`..`to`. The same query answers as JSON (paginated), CSV (one observation a row, columns
/// in README.md), JSON-stat 2.0 (`format=jsonstat` or `Accept: application/vnd.json-stat+json`) or SDMX-CSV 2.0
/// (docs/SDMX.md), chosen by `format` or `Accept`.
#[utoipa::path(
    tag = "observations",
    params(ObservationQuery),
    responses(
        (status = 200, description = "Observations", content(
            (ListResponse<ObservationView> = "application/json"),
            (String = "text/csv"),
            (Object = "application/vnd.json-stat+json"),
            (String = "application/vnd.sdmx.data+csv"),
        ), headers(("Link" = String, description = "RFC 8288 link to the next page, rel=\"next\""))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A place or indicator code names nothing", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "No format asked for can be produced", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/observations")]
pub async fn list_observations(
    req: HttpRequest,
    db: web::Data<Database>,
    public_url: web::Data<PublicUrl>,
    ApiQuery(query): ApiQuery<ObservationQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = negotiate(&req, query.format.as_deref(), &Format::ALL)?;
    let limit = pagination::limit(query.limit)?;
    let sort = query.sort()?;
    let filter = query.filter()?;
    let after = query.after(sort)?;
    let lang = query.lang.unwrap_or_default();
    let version = super::data_version(&req);

    if format == Format::JsonStat && query.limit.is_none() {
        let rows = (filter, sort, after);
        let body = query::observation_dataset(&db, version, rows, JSONSTAT_MAX_ROWS, lang).await?;
        return Ok(HttpResponse::Ok()
            .content_type(format.content_type())
            .body(body));
    }
    let base_url = public_url.for_request(&req);
    if matches!(format, Format::Csv | Format::SdmxCsv) {
        let plan = query::observation_export(&db, version, filter).await?;
        let total = plan.total;
        let export = exports::observations(
            plan.names,
            plan.filter,
            sort,
            after,
            query.limit.map(|_| limit),
            format,
            query.bom.unwrap_or(false),
            lang,
            Citer::new(&base_url, plan.sources.to_vec()),
        );
        let filename = query.filename(format);
        let content_type = format.content_type();
        return super::csv_response(&req, &db, export, content_type, &filename, Some(total)).await;
    }

    let request = ObservationRequest {
        filter,
        sort,
        after,
        limit,
    };
    let page = query::observations(&db, version, request).await?;
    if format == Format::JsonStat {
        let (rows, next) =
            pagination::next_page(page.rows, limit, |row| (sort, After::of(sort, row)));
        let mut builder = jsonstat::Builder::default();
        let mut names = KnownCodes::default();
        for (row, indicator, place) in rows {
            builder.push(&row);
            names.indicators.insert(indicator.code.clone(), indicator);
            names.places.insert(place.code.clone(), place);
        }
        let about = jsonstat::About::of(lang, &page.sources, Some(page.changed_at));
        let body = builder
            .write(&[&names], &about)
            .map_err(|e| ApiError::Internal(e.into()))?;
        let mut response = HttpResponse::Ok();
        if let Some(cursor) = &next {
            response.insert_header((header::LINK, pagination::next_link(&req, cursor)));
        }
        return Ok(response.content_type(format.content_type()).body(body));
    }
    let citer = Citer::new(&base_url, page.sources.to_vec());
    let view = |row| ObservationView::new(row, lang, &citer);
    Ok(pagination::page_response(
        &req,
        page.rows,
        page.total,
        limit,
        |row| (sort, After::of(sort, row)),
        view,
    ))
}

/// One observation, with its citation.
#[utoipa::path(
    tag = "observations",
    params(("id" = i64, Path, description = "Observation id", example = 17), LangQuery),
    responses(
        (status = 200, body = ItemResponse<ObservationView>),
        (status = 400, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/observations/{id}")]
pub async fn get_observation(
    req: HttpRequest,
    db: web::Data<Database>,
    public_url: web::Data<PublicUrl>,
    id: web::Path<String>,
    ApiQuery(query): ApiQuery<LangQuery>,
) -> Result<HttpResponse, ApiError> {
    let raw = id.into_inner();
    let id: i64 = raw.parse().map_err(|_| {
        ApiError::invalid(
            "id",
            format!("observation ids are whole numbers, got {raw:?}"),
        )
    })?;
    let lang = query.lang.unwrap_or_default();
    let row = db
        .run(async |conn| Ok(db::observations::find(conn, id).await?))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no observation has the id {id}")))?;
    let sources = query::all_sources(&db, super::data_version(&req)).await?;
    let citer = Citer::new(&public_url.for_request(&req), sources.to_vec());
    Ok(HttpResponse::Ok().json(ItemResponse {
        data: ObservationView::new(row, lang, &citer),
    }))
}
