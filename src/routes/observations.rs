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
    /// One or more place codes, comma-separated (or the parameter repeated). Without
    /// `descendants=true` only figures recorded on these places themselves are listed, not
    /// those recorded on places below them (a town report's figures on its villages).
    #[param(example = "511903114")]
    pub place: Option<String>,
    /// With `place`: also every place below the given ones.
    #[param(default = false)]
    pub descendants: Option<bool>,
    /// One or more indicator codes, comma-separated (or the parameter repeated), in any case.
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
    /// Only observations changed after the position this token marks, retracted ones
    /// included, in the order of change: pass the `meta.sync_token` of the last page read.
    /// Unlike a time, it never skips rows that share one (every row of a release does).
    pub sync_token: Option<String>,
    /// Only observations quoting this source (see `/v1/sources`).
    #[param(example = "shuangsheng-2021-government-work-report")]
    pub source: Option<String>,
    /// Only observations last changed by this release (see `/v1/releases`), tombstones included.
    #[param(minimum = 1, example = 1)]
    pub release: Option<i64>,
    /// The data as published at this RFC 3339 time: observations added later are left out,
    /// later corrections and retractions undone. Not with `updated_since`, `sync_token`,
    /// `release` or `sort=updated`, which list changes, not a state.
    #[param(value_type = Option<String>, format = DateTime, example = "2026-01-01T00:00:00Z")]
    pub as_of: Option<String>,
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
    /// Generated clients: call `/v1/observations.csv`, `.jsonstat` or `.sdmx-csv` instead, whose answer has one media type.
    #[param(schema_with = crate::formats::observation_format_schema, example = "csv")]
    pub format: Option<String>,
    /// CSV and SDMX-CSV only: start with a UTF-8 byte order mark, for Excel.
    #[param(default = false)]
    pub bom: Option<bool>,
}

/// The RFC 3339 time in parameter `name`, if given.
fn time(name: &str, raw: Option<&str>) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| Some(t.with_timezone(&chrono::Utc)))
        .map_err(|e| {
            ApiError::invalid(
                name,
                format!(
                    "`{name}` must be an RFC 3339 time such as 2026-01-01T00:00:00Z, got \
                     {raw:?} ({e})"
                ),
            )
        })
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
        let updated_since = time("updated_since", self.updated_since.as_deref())?;
        let as_of = time("as_of", self.as_of.as_deref())?;
        if as_of.is_some() {
            let changes = [
                ("updated_since", self.updated_since.is_some()),
                ("sync_token", self.sync_token().is_some()),
                ("release", self.release.is_some()),
                ("sort", self.sort == Some(Sort::Updated)),
            ];
            if let Some((name, _)) = changes.iter().find(|(_, given)| *given) {
                return Err(ApiError::invalid(
                    *name,
                    format!(
                        "`as_of` asks for the data as published at a moment; `{name}` lists \
                         changes: give one or the other"
                    ),
                ));
            }
        }
        if updated_since.is_some() && self.sync_token().is_some() {
            return Err(ApiError::invalid(
                "sync_token",
                "give `sync_token` or `updated_since`, not both: the token already says where \
                 the last sync ended",
            ));
        }
        let changed_after = match self.sync_token() {
            None => None,
            Some(token) => match pagination::decode_cursor::<CursorKey>(token) {
                Ok((Sort::Updated, After::Updated(at, id))) => Some((at, id)),
                _ => {
                    return Err(ApiError::invalid(
                        "sync_token",
                        "`sync_token` must be the `meta.sync_token` of an earlier answer",
                    ))
                }
            },
        };
        Ok(ObservationFilter {
            updated_since,
            changed_after,
            release: self.release,
            places,
            descendants,
            // Indicator codes are lower case; SDMX-CSV writes them in capitals (its convention
            // for codes), so a code copied from there is taken in any case.
            indicators: codes("indicator", self.indicator.as_deref())?
                .into_iter()
                .map(|code| code.to_ascii_lowercase())
                .collect(),
            category: self.category.clone(),
            kind: self.kind,
            from: self.from,
            to: self.to,
            source: self.source.clone(),
            as_of,
        })
    }

    /// A `sync_token`, unless empty.
    fn sync_token(&self) -> Option<&str> {
        self.sync_token.as_deref().filter(|t| !t.is_empty())
    }

    /// Whether this lists changes: `updated_since` or `sync_token`.
    fn is_sync(&self) -> bool {
        self.updated_since.is_some() || self.sync_token().is_some()
    }

    /// The sort: `updated` by default with `updated_since` or `sync_token`, which allow no
    /// other.
    fn sort(&self) -> Result<Sort, ApiError> {
        match (self.is_sync(), self.sort) {
            (true, None | Some(Sort::Updated)) => Ok(Sort::Updated),
            (true, Some(_)) => Err(ApiError::invalid(
                "sort",
                "with `updated_since` or `sync_token` the order is `updated` (oldest change \
                 first), which a cursor needs to never skip or repeat a change",
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

    /// A file name that says what the download holds, from its filters:
    /// `observations-511903114-descendants-poverty_alleviation-2016-2020.csv`;
    /// `observations-all.csv` without any.
    fn filename(&self, format: Format) -> String {
        let years = match (self.from, self.to) {
            (Some(from), Some(to)) => Some(format!("{from}-{to}")),
            (Some(from), None) => Some(format!("from{from}")),
            (None, Some(to)) => Some(format!("to{to}")),
            (None, None) => None,
        };
        let parts = [
            self.place.as_ref().map(|p| p.replace(',', "_")),
            self.descendants
                .filter(|d| *d)
                .map(|_| "descendants".to_owned()),
            self.indicator.as_ref().map(|i| i.replace(',', "_")),
            self.category.clone(),
            self.kind.map(|k| k.as_str().to_owned()),
            years,
            self.release.map(|r| format!("release{r}")),
            self.is_sync().then(|| "changes".to_owned()),
        ];
        let scope: Vec<String> = parts.into_iter().flatten().collect();
        let scope = if scope.is_empty() {
            "all".to_owned()
        } else {
            scope.join("-")
        };
        let scope: String = scope
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .take(120)
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
        ), headers(
            ("Link" = String, description = "RFC 8288 link to the next page, rel=\"next\""),
            ("X-Total-Count" = i64, description = "CSV and SDMX-CSV: how many rows the whole result holds"),
        )),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A place or indicator code, a category or a release names nothing", body = Problem, content_type = "application/problem+json"),
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
    // Where a change listing starts: after the cursor, the token, or the time given.
    let sync_start = match (&after, filter.changed_after, filter.updated_since) {
        _ if !query.is_sync() => None,
        (Some(After::Updated(at, id)), _, _) => Some((*at, *id)),
        (_, Some(position), _) => Some(position),
        (_, None, Some(since)) => Some((since, i64::MAX)),
        _ => None,
    };
    let lang = query.lang.unwrap_or_default();
    let version = super::data_version(&req);
    // A change listing that starts past what the replica serving reads has replayed is read
    // from the primary: the replica would answer a short page, and say nothing.
    let db = match (sync_start, db.replica_version()) {
        (Some((at, _)), Some(replica)) if at > replica.changed_at => db.on_primary(),
        _ => db.get_ref().clone(),
    };

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
        )
        .with_cursor(move |after| pagination::encode_cursor(&(sort, after.clone())));
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
    // A change listing says where it ended, on every page, the last included: the position
    // of its last row, or where it started when it has none.
    let shown = page.rows.len().min(limit as usize);
    let sync_token = match (shown.checked_sub(1).map(|i| &page.rows[i]), sync_start) {
        (Some(last), Some(_)) => Some(After::of(Sort::Updated, last)),
        (None, Some((at, id))) => Some(After::Updated(at, id)),
        (_, None) => None,
    }
    .map(|position| pagination::encode_cursor(&(Sort::Updated, position)));
    let citer = Citer::new(&base_url, page.sources.to_vec());
    let view = |row| ObservationView::new(row, lang, &citer);
    let (rows, next) = pagination::next_page(page.rows, limit, |row| (sort, After::of(sort, row)));
    let data = rows.into_iter().map(view).collect();
    Ok(pagination::sync_list_response(
        &req, data, page.total, limit, next, sync_token,
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
    _: crate::formats::JsonOnly,
    req: HttpRequest,
    db: web::Data<Database>,
    public_url: web::Data<PublicUrl>,
    id: web::Path<String>,
    ApiQuery(query): ApiQuery<LangQuery>,
) -> Result<HttpResponse, ApiError> {
    let raw = id.into_inner();
    let id = observation_id(&raw)?;
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

/// One value an observation has had: the current one last, with no end.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RevisionView {
    /// The exact value in the indicator's unit.
    #[schema(schema_with = crate::views::exact_number, example = 278650000)]
    pub value: serde_json::Number,
    #[schema(example = "278650000")]
    pub value_decimal: String,
    pub qualifier: crate::domain::Qualifier,
    pub value_as_written: String,
    pub unit_as_written: String,
    pub quote: String,
    pub quote_start: i32,
    pub note: Option<String>,
    /// Set when this revision was a retraction (a tombstone).
    pub retracted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When this value was published.
    pub published_from: chrono::DateTime<chrono::Utc>,
    /// When it was replaced; none for the current value.
    pub published_until: Option<chrono::DateTime<chrono::Utc>>,
    /// The release that published this value.
    pub release: Option<i64>,
    /// The release that replaced it; none for the current value.
    pub superseded_by: Option<i64>,
}

/// Every value an observation has had, oldest first, each with the span of time it was
/// published and the releases that published and replaced it. The last is the current one.
#[utoipa::path(
    tag = "observations",
    params(("id" = i64, Path, description = "Observation id", example = 17)),
    responses(
        (status = 200, body = ListResponse<RevisionView>),
        (status = 400, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/observations/{id}/revisions")]
pub async fn get_revisions(
    _: crate::formats::JsonOnly,
    req: HttpRequest,
    db: web::Data<Database>,
    id: web::Path<String>,
    ApiQuery(_none): ApiQuery<crate::routes::releases::NoQuery>,
) -> Result<HttpResponse, ApiError> {
    use crate::views::{json_number, plain_decimal};
    let raw = id.into_inner();
    let id = observation_id(&raw)?;
    let (current, past, release, made) = db
        .run(async |conn| {
            let current = db::observations::find(conn, id).await?;
            let past = db::observations::revisions(conn, id).await?;
            let release = db::observations::release_of(conn, id).await.ok().flatten();
            let times: Vec<_> = past.iter().map(|r| r.published_from).collect();
            let made = db::releases::made_at(conn, &times).await?;
            Ok((current, past, release, made))
        })
        .await?;
    let Some((current, _, _)) = current else {
        return Err(ApiError::NotFound(format!(
            "no observation has the id {id}"
        )));
    };
    // A release stamps what it writes with its own time.
    let made: std::collections::HashMap<_, _> = made.into_iter().collect();
    let mut data: Vec<RevisionView> = Vec::with_capacity(past.len() + 1);
    for r in past {
        let published_by = made.get(&r.published_from).copied();
        data.push(RevisionView {
            value: json_number(&r.value),
            value_decimal: plain_decimal(&r.value),
            qualifier: r.qualifier,
            value_as_written: r.value_as_written,
            unit_as_written: r.unit_as_written,
            quote: r.quote,
            quote_start: r.quote_start,
            note: r.note,
            retracted_at: r.retracted_at,
            published_from: r.published_from,
            published_until: Some(r.published_until),
            release: published_by,
            superseded_by: r.superseded_by,
        });
    }
    data.push(RevisionView {
        value: json_number(&current.value),
        value_decimal: plain_decimal(&current.value),
        qualifier: current.qualifier,
        value_as_written: current.value_as_written,
        unit_as_written: current.unit_as_written,
        quote: current.quote,
        quote_start: current.quote_start,
        note: current.note,
        retracted_at: current.retracted_at,
        published_from: current.updated_at,
        published_until: None,
        release,
        superseded_by: None,
    });
    let total = data.len() as i64;
    Ok(pagination::list_response(
        &req,
        data,
        total,
        pagination::MAX_LIMIT,
        None,
    ))
}

/// The id of an observation's path, or 400.
fn observation_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::invalid(
            "id",
            format!("observation ids are whole numbers, got {raw:?}"),
        )
    })
}
