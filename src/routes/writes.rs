//! What a publisher writes: sources (with their full text), indicators, and places below a
//! township. Each write needs a token ([`Publisher`]), checks every field and reports every
//! fault at once (422), and runs in one transaction under the loads' lock, so it never
//! interleaves with a load. A write that changes nothing writes nothing: the data version, and
//! with it every ETag, moves only when data change.

use actix_web::http::{header, StatusCode};
use actix_web::{post, put, web, HttpRequest, HttpResponse};
use chrono::{Datelike, NaiveDate};
use diesel_async::AsyncPgConnection;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Publisher;
use crate::db::indicators::Indicator;
use crate::db::places::Place;
use crate::db::sources::NewSource;
use crate::db::{self, Database, Saved};
use crate::domain::{Lang, Level, ValueType};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{json_body, spool_body, ApiQuery};
use crate::pagination::ItemResponse;
use crate::seed::names::{english_name, search_key};
use crate::views::{IndicatorView, PlaceView, SourceView};

/// A licence for a source whose publisher stated none.
pub const LICENCE_NOT_STATED: &str = "Not stated by the publisher";

/// A source document: its metadata and its full text, which every quote is checked against.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceWrite {
    #[schema(example = "巴中市恩阳区双胜镇2022年政府工作报告", pattern = r"\S")]
    pub title_zh: String,
    /// Default: the Chinese title.
    pub title_en: Option<String>,
    #[schema(example = "巴中市恩阳区双胜镇人民政府", pattern = r"\S")]
    pub publisher_zh: String,
    /// Default: the Chinese name.
    pub publisher_en: Option<String>,
    pub published_on: NaiveDate,
    /// The day it was delivered (a report read to a congress), when not the day it was published.
    pub delivered_on: Option<NaiveDate>,
    /// The place the document is about.
    #[schema(example = "511903114")]
    pub place_code: Option<String>,
    /// Where the original was published (http or https).
    #[schema(pattern = "^https?://[^\\s]+$")]
    pub url: Option<String>,
    /// Terms of use. Default: "Not stated by the publisher".
    pub licence: Option<String>,
    /// The full text, as published.
    #[schema(pattern = r"\S")]
    pub text: String,
}

/// An indicator: what is measured, in which unit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorWrite {
    #[schema(example = "脱贫人数", pattern = r"\S")]
    pub name_zh: String,
    #[schema(
        example = "Registered poor people lifted out of poverty",
        pattern = r"\S"
    )]
    pub name_en: String,
    #[serde(default)]
    pub description_zh: String,
    #[serde(default)]
    pub description_en: String,
    /// Lower-case letters and `_`, such as `poverty_alleviation`; a new one makes a new category.
    #[schema(example = "poverty_alleviation", pattern = "^[a-z][a-z_]{0,63}$")]
    pub category: String,
    /// The canonical unit every value is normalized to (`yuan`, `mu`, `persons`, `percent` …).
    /// Fixed once the indicator has observations.
    #[schema(example = "persons", pattern = "^[a-z][a-z_]{0,63}$")]
    pub unit: String,
    pub value_type: ValueType,
}

/// A village or community below a township.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceWrite {
    #[schema(example = "新房村", pattern = r"\S")]
    pub name_zh: String,
    /// Default: made from the Chinese name (`Xinfang Village`).
    pub name_en: Option<String>,
    /// Only `village` (villages and communities).
    #[schema(schema_with = village_only)]
    pub level: Option<Level>,
}

/// `level` of a written place: `village`, or absent.
fn village_only() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([
            serde_json::json!("village"),
            serde_json::Value::Null,
        ]))
        .build()
}

/// Collects the faults of a body, to report them all at once.
#[derive(Default)]
struct Faults(Vec<FieldError>);

impl Faults {
    fn check(&mut self, ok: bool, field: &str, detail: impl FnOnce() -> String) {
        if !ok {
            self.0.push(FieldError::new(field, detail()));
        }
    }

    fn required(&mut self, field: &str, value: &str) {
        self.check(!value.trim().is_empty(), field, || {
            format!("`{field}` must not be empty")
        });
        self.text(field, Some(value));
    }

    /// No text here can hold a NUL character (PostgreSQL's text cannot).
    fn text(&mut self, field: &str, value: Option<&str>) {
        self.check(!value.is_some_and(|v| v.contains('\0')), field, || {
            format!("`{field}` holds a NUL character")
        });
    }

    fn done(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::body(StatusCode::UNPROCESSABLE_ENTITY, self.0))
        }
    }
}

/// A source id: `^[a-z0-9][a-z0-9-]{0,99}$`.
fn is_source_id(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && text.len() <= 100
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// An indicator code (`^[a-z][a-z0-9_]{0,63}$`), or with `digits` false a category or unit
/// (`^[a-z][a-z_]{0,63}$`).
fn is_word(text: &str, digits: bool) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && text.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c == '_' || (digits && c.is_ascii_digit()))
}

/// Runs `write` in a transaction holding the loads' lock: committed when it succeeds, rolled
/// back when it fails. A request abandoned midway closes its connection (`Database::run`),
/// which ends the transaction on the server.
async fn in_transaction<T>(
    req: &HttpRequest,
    db: &Database,
    write: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    use diesel_async::{AnsiTransactionManager, TransactionManager};
    let (value, version) = db
        .on_primary()
        .run(async |conn| {
            AnsiTransactionManager::begin_transaction(conn).await?;
            let result = match crate::seed::publish::lock_for_load_async(conn).await {
                Ok(_) => write(conn).await,
                Err(e) => Err(e.into()),
            };
            match result {
                Ok(value) => {
                    AnsiTransactionManager::commit_transaction(conn).await?;
                    // Best effort: the write is committed whatever this read does.
                    Ok((value, db::releases::data_version(conn).await.ok()))
                }
                Err(e) => {
                    AnsiTransactionManager::rollback_transaction(conn).await?;
                    Err(e)
                }
            }
        })
        .await?;
    if let Some(version) = version {
        advance(req, version);
    }
    Ok(value)
}

/// This instance's answers carry the version a write of its own committed, at once, and read
/// from the primary until the replica they would read has replayed it: a publisher reads what
/// it wrote.
fn advance(req: &HttpRequest, version: db::releases::DataVersion) {
    if let Some(watch) = req.app_data::<web::Data<std::sync::Arc<db::watch::VersionWatch>>>() {
        watch.advance(version);
    }
    if let Some(db) = req.app_data::<web::Data<Database>>() {
        db.read_route().wrote(version.version);
    }
}

/// 201 with `Location` when created, else 200.
fn saved<T: serde::Serialize + ToSchema>(saved: Saved, location: String, data: T) -> HttpResponse {
    match saved {
        Saved::Created => HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .json(ItemResponse { data }),
        Saved::Changed | Saved::Unchanged => HttpResponse::Ok().json(ItemResponse { data }),
    }
}

/// Registers or updates a source document. Its SHA-256 is computed here. A text that differs
/// from the stored one while observations quote it is 409: a changed text is a new source id.
#[utoipa::path(
    tag = "publishing",
    params(("id" = String, Path, description = "Source id: lower-case letters, digits and `-`", example = "shuangsheng-2022-government-work-report", pattern = "^[a-z0-9][a-z0-9-]{0,99}$")),
    request_body(content = SourceWrite, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated, or identical to what is stored", body = ItemResponse<SourceView>),
        (status = 201, description = "Created", body = ItemResponse<SourceView>),
        (status = 400, description = "The body is not JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The text differs while observations quote the stored one", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields that break a rule, each in `errors`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/sources/{id}")]
pub async fn put_source(
    _publisher: Publisher,
    req: HttpRequest,
    db: web::Data<Database>,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: SourceWrite = json_body(&req, payload).await?;
    let id = id.into_inner();
    let mut faults = Faults::default();
    faults.check(is_source_id(&id), "id", || {
        format!("a source id is lower-case letters, digits and `-`, at most 100, got {id:?}")
    });
    faults.required("title_zh", &body.title_zh);
    faults.required("publisher_zh", &body.publisher_zh);
    faults.required("text", &body.text);
    faults.text("title_en", body.title_en.as_deref());
    faults.text("publisher_en", body.publisher_en.as_deref());
    faults.text("licence", body.licence.as_deref());
    faults.text("url", body.url.as_deref());
    faults.text("place_code", body.place_code.as_deref());
    for (field, date) in [
        ("published_on", Some(body.published_on)),
        ("delivered_on", body.delivered_on),
    ] {
        if let Some(date) = date {
            faults.check((1900..=2100).contains(&date.year()), field, || {
                format!("`{field}` is a day from 1900 to 2100, got {date}")
            });
        }
    }
    if let Some(url) = &body.url {
        let ok = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        faults.check(ok, "url", || {
            format!("`url` must be an http or https URL, got {url:?}")
        });
    }
    if let Some(delivered) = body.delivered_on {
        faults.check(delivered <= body.published_on, "delivered_on", || {
            format!(
                "delivered on {delivered}, after it was published ({})",
                body.published_on
            )
        });
    }
    let source = NewSource {
        sha256: hex::encode(Sha256::digest(body.text.as_bytes())),
        title_en: body.title_en.unwrap_or_else(|| body.title_zh.clone()),
        publisher_en: body
            .publisher_en
            .unwrap_or_else(|| body.publisher_zh.clone()),
        title_zh: body.title_zh,
        publisher_zh: body.publisher_zh,
        published_on: body.published_on,
        delivered_on: body.delivered_on,
        place_code: body.place_code,
        url: body.url,
        licence: body
            .licence
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| LICENCE_NOT_STATED.to_owned()),
        content: body.text,
        id,
    };
    let outcome = in_transaction(&req, &db, async |conn| {
        if let Some(code) = source.place_code.as_ref().filter(|c| !c.contains('\0')) {
            let known = db::places::find(conn, code).await?.is_some();
            faults.check(known, "place_code", || {
                format!("no place has the code {code:?}")
            });
        }
        faults.done()?;
        if let Some(stored) = db::sources::find_whole(conn, &source.id).await? {
            let quoted = db::sources::quoted_by(conn, &source.id).await?;
            if stored.sha256 != source.sha256 && quoted > 0 {
                return Err(ApiError::Conflict(format!(
                    "the text differs from the stored text of {:?}, which {quoted} observations \
                     quote: a changed text is a new source; PUT it under a new id",
                    source.id
                )));
            }
        }
        Ok(db::sources::save(conn, &source).await?)
    })
    .await?;
    let location = format!("/v1/sources/{}", source.id);
    Ok(saved(
        outcome,
        location,
        SourceView::new(source.into(), Lang::default()),
    ))
}

/// Registers or updates an indicator. Changing the unit of an indicator that has observations
/// is 409.
#[utoipa::path(
    tag = "publishing",
    params(("code" = String, Path, description = "Indicator code: a lower-case letter, then letters, digits and `_`", example = "village_roads_km", pattern = "^[a-z][a-z0-9_]{0,63}$")),
    request_body(content = IndicatorWrite, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated, or identical to what is stored", body = ItemResponse<IndicatorView>),
        (status = 201, description = "Created", body = ItemResponse<IndicatorView>),
        (status = 400, description = "The body is not JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The unit would change under existing observations", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields that break a rule, each in `errors`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/indicators/{code}")]
pub async fn put_indicator(
    _publisher: Publisher,
    req: HttpRequest,
    db: web::Data<Database>,
    code: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: IndicatorWrite = json_body(&req, payload).await?;
    let code = code.into_inner();
    let mut faults = Faults::default();
    faults.check(is_word(&code, true), "code", || {
        format!(
            "an indicator code is a lower-case letter, then letters, digits and `_`, at most 64, \
             got {code:?}"
        )
    });
    faults.required("name_zh", &body.name_zh);
    faults.required("name_en", &body.name_en);
    faults.text("description_zh", Some(&body.description_zh));
    faults.text("description_en", Some(&body.description_en));
    faults.check(is_word(&body.category, false), "category", || {
        format!(
            "a category is lower-case letters and `_`, at most 64, got {:?}",
            body.category
        )
    });
    faults.check(is_word(&body.unit, false), "unit", || {
        format!(
            "a unit is lower-case letters and `_` (`yuan`, `ten_thousand_yuan`, `persons`), got {:?}",
            body.unit
        )
    });
    faults.done()?;
    let indicator = Indicator {
        code,
        name_zh: body.name_zh,
        name_en: body.name_en,
        description_zh: body.description_zh,
        description_en: body.description_en,
        category: body.category,
        unit: body.unit,
        value_type: body.value_type,
    };
    let outcome = in_transaction(&req, &db, async |conn| {
        if let Some(stored) = db::indicators::find(conn, &indicator.code).await? {
            let observed = db::indicators::observed(conn, &indicator.code).await?;
            if stored.unit != indicator.unit && observed > 0 {
                return Err(ApiError::Conflict(format!(
                    "{observed} observations of {:?} are in {}: its unit cannot become {}",
                    indicator.code, stored.unit, indicator.unit
                )));
            }
        }
        Ok(db::indicators::save(conn, &indicator).await?)
    })
    .await?;
    let location = format!("/v1/indicators/{}", indicator.code);
    Ok(saved(
        outcome,
        location,
        IndicatorView::new(indicator, Lang::default()),
    ))
}

/// Registers or renames a village or community below a township: a 12-digit code whose first
/// nine are the township's. The national gazetteer (provinces to townships) is read-only.
#[utoipa::path(
    tag = "publishing",
    params(("code" = String, Path, description = "12-digit village code under its township's 9", example = "511903114201", pattern = "^[0-9]{12}$")),
    request_body(content = PlaceWrite, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated, or identical to what is stored", body = ItemResponse<PlaceView>),
        (status = 201, description = "Created", body = ItemResponse<PlaceView>),
        (status = 400, description = "The body is not JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields that break a rule, each in `errors`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/places/{code}")]
pub async fn put_place(
    _publisher: Publisher,
    req: HttpRequest,
    db: web::Data<Database>,
    code: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: PlaceWrite = json_body(&req, payload).await?;
    let code = code.into_inner();
    let mut faults = Faults::default();
    let village = code.len() == 12 && code.bytes().all(|b| b.is_ascii_digit());
    faults.check(village, "code", || {
        format!(
            "only villages and communities can be written: a 12-digit code under a township's \
             9 digits, got {code:?} (the national gazetteer is read-only)"
        )
    });
    faults.required("name_zh", &body.name_zh);
    faults.text("name_en", body.name_en.as_deref());
    if let Some(level) = body.level {
        faults.check(level == Level::Village, "level", || {
            format!("only `village` places can be written, got `{level}`")
        });
    }
    let township = code.get(..9).unwrap_or_default().to_owned();
    let place = Place {
        parent_code: Some(township.clone()),
        level: Level::Village,
        name_en: body
            .name_en
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| english_name(&body.name_zh, Level::Village)),
        search_key: search_key(&body.name_zh),
        name_zh: body.name_zh,
        code,
    };
    let outcome = in_transaction(&req, &db, async |conn| {
        if village {
            let parent = db::places::find(conn, &township).await?;
            faults.check(
                parent.is_some_and(|p| p.level == Level::Township),
                "code",
                || {
                    format!(
                        "no township has the code {township:?} that {:?} starts with",
                        place.code
                    )
                },
            );
        }
        faults.done()?;
        Ok(db::places::save(conn, &place).await?)
    })
    .await?;
    let location = format!("/v1/places/{}", place.code);
    Ok(saved(
        outcome,
        location,
        PlaceView::new(place, Lang::default()),
    ))
}

/// The query of an import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The source every row quotes (registered first with `PUT /v1/sources/{id}`).
    #[param(example = "shuangsheng-2021-government-work-report")]
    pub source: String,
    /// `upsert` (default) adds and changes; `replace` also retracts what the file no longer has.
    #[param(inline)]
    pub mode: Option<crate::import::Mode>,
    /// Check and report, write nothing.
    #[param(default = false)]
    pub dry_run: Option<bool>,
    /// The release's title. Default: "Import: {source}".
    pub title: Option<String>,
}

/// Imports the figures of one source: CSV with the columns of the observation CSV export
/// (`indicator_code, place_code, period_start, period_end, kind, value_as_written,
/// unit_as_written, quote`, and optionally `qualifier, quote_start, value, unit, note`; other
/// columns are ignored) or a JSON array of objects with those fields. Every row is checked
/// against the source's text; one bad row refuses the file with 422 listing every fault, and
/// nothing is written. A good file is one release (none when nothing changes).
#[utoipa::path(
    tag = "publishing",
    params(ImportQuery),
    request_body(content(
        (String = "text/csv"),
        (Vec<Object> = "application/json"),
    ), description = "The rows"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What the import did (or, with dry_run, would do)", body = crate::import::ImportReport),
        (status = 400, description = "The body cannot be read as CSV or JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No source has the id", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than IMPORT_MAX_BYTES", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rows that fail their checks, each fault in `errors` with its row and column", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/imports")]
pub async fn post_import(
    publisher: Publisher,
    req: HttpRequest,
    imports: web::Data<crate::import::Imports>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let media = actix_web::HttpMessage::mime_type(&req)
        .ok()
        .flatten()
        .map(|m| m.essence_str().to_owned());
    let csv = match media.as_deref() {
        Some("text/csv") => true,
        Some("application/json") => false,
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "an import is `Content-Type: text/csv` or `application/json`".to_owned(),
            ))
        }
    };
    // The body is on disk before anything waits: no connection and no import permit is held
    // while a client sends it.
    let file = spool_body(payload, imports.max_bytes, "an import (IMPORT_MAX_BYTES)").await?;
    // Then one import at a time; the others wait, as for a connection (imports serialize on
    // the loads' lock anyway). Held until the import ends, even if its client leaves first.
    let permit = imports
        .permit
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("import permit: {e}")))?;
    let input = if csv {
        crate::import::Input::Csv(Box::new(file))
    } else {
        crate::import::Input::Json(Box::new(file))
    };
    let options = crate::import::Options {
        source: query.source,
        mode: query.mode.unwrap_or_default(),
        dry_run: query.dry_run.unwrap_or(false),
        title: query.title.filter(|t| !t.trim().is_empty()),
        published_by: Some(publisher.name),
    };
    let url = imports.database_url.clone();
    let report = web::block(move || {
        let _permit = permit;
        let mut conn = db::connect(&url).map_err(ApiError::unavailable)?;
        crate::import::run(&mut conn, &options, input)
    })
    .await
    .map_err(|e| ApiError::internal(anyhow::anyhow!("import task: {e}")))??;
    // Best effort: the release is committed whatever this read does.
    if report.release.is_some() {
        if let Some(db) = req.app_data::<web::Data<Database>>() {
            let version = db
                .on_primary()
                .run(async |conn| Ok(db::releases::data_version(conn).await?))
                .await;
            if let Ok(version) = version {
                advance(&req, version);
            }
        }
    }
    Ok(HttpResponse::Ok().json(report))
}
