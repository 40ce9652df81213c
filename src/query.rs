//! The query layer: one place that turns a validated request into rows. It checks filter codes
//! against the codes known for the data version, spells a category out as its indicator codes,
//! applies the counting policy (a total counted once per filter and data version, remembered
//! under a typed key) and loads the sources citations need. Handlers parse, call one function
//! here, and render; web pages and writes go through the same functions.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use crate::db::memo::{KnownCodes, Memo, TotalKey};
use crate::db::observations::{After, ObservationFilter, ObservationWithRefs, Sort};
use crate::db::releases::DataVersion;
use crate::db::sources::SourceMeta;
use crate::db::{self, Database};
use crate::domain::Lang;
use crate::error::ApiError;
use crate::formats::jsonstat;

/// Totals up to this are counted by reading at most this many matching ids (which stops early
/// for large listings); larger ones are counted in full. Either way a total is counted once per
/// data version and filter, and remembered.
pub const EXACT_COUNT_CAP: i64 = 10_000;

/// A validated observation listing.
#[derive(Debug, Clone)]
pub struct ObservationRequest {
    pub filter: ObservationFilter,
    pub sort: Sort,
    pub after: Option<After>,
    /// The page size; one more row is read to know whether a next page exists.
    pub limit: i64,
}

/// What an observation listing found.
pub struct ObservationPage {
    /// Up to `limit` + 1 rows: the extra one says a next page exists.
    pub rows: Vec<ObservationWithRefs>,
    /// How many observations match the filter, on every page.
    pub total: i64,
    /// Every source, for citations.
    pub sources: Arc<Vec<SourceMeta>>,
    /// When the data last changed.
    pub changed_at: DateTime<Utc>,
}

/// The data version to answer under: the one the caching middleware read for this request, or
/// the database's.
pub async fn version(db: &Database, known: Option<DataVersion>) -> Result<DataVersion, ApiError> {
    match known {
        Some(version) => Ok(version),
        None => {
            db.run(async |conn| Ok(db::releases::data_version(conn).await?))
                .await
        }
    }
}

/// Every place and indicator with its names, remembered per data version. A request that finds
/// them loading waits without holding a connection.
pub async fn names(db: &Database, version: i64) -> Result<Arc<KnownCodes>, ApiError> {
    db.memo()
        .codes(version, async || {
            db.run(async |conn| Ok(db::known_codes(conn).await?)).await
        })
        .await
}

/// Every source, remembered per data version.
pub async fn sources(db: &Database, version: i64) -> Result<Arc<Vec<SourceMeta>>, ApiError> {
    db.memo()
        .sources(version, async || {
            db.run(async |conn| Ok(db::sources::all(conn).await?)).await
        })
        .await
}

/// Every source under the current data version.
pub async fn all_sources(
    db: &Database,
    known: Option<DataVersion>,
) -> Result<Arc<Vec<SourceMeta>>, ApiError> {
    let version = version(db, known).await?;
    sources(db, version.version).await
}

/// One listing of observations.
pub async fn observations(
    db: &Database,
    known: Option<DataVersion>,
    request: ObservationRequest,
) -> Result<ObservationPage, ApiError> {
    let version = version(db, known).await?;
    let names = names(db, version.version).await?;
    let sources = sources(db, version.version).await?;
    let key = TotalKey {
        version: version.version,
        filter: prepare(&names, &sources, request.filter)?,
    };
    let memo = db.memo();
    let (rows, total) = db
        .run(async |conn| {
            check_release(conn, &key.filter).await?;
            let limit = request.limit;
            let rows = db::observations::page(
                conn,
                &names,
                &key.filter,
                request.sort,
                request.after.as_ref(),
                limit + 1,
            )
            .await?;
            let total = if request.after.is_none() && rows.len() as i64 <= limit {
                // Everything fits on this page: nothing to count.
                rows.len() as i64
            } else {
                total(conn, &memo, key).await?
            };
            Ok((rows, total))
        })
        .await?;
    Ok(ObservationPage {
        rows,
        total,
        sources,
        changed_at: version.changed_at,
    })
}

fn too_many(cap: i64) -> ApiError {
    ApiError::invalid(
        "format",
        format!(
            "more than {cap} observations match, too many for one JSON-stat dataset: narrow the \
             filters, give `limit`, or use format=csv"
        ),
    )
}

/// What an export of observations needs: its filter checked and narrowed, the names of places
/// and indicators, and the sources its citations quote.
pub struct ExportPlan {
    pub filter: ObservationFilter,
    pub names: Arc<KnownCodes>,
    pub sources: Arc<Vec<SourceMeta>>,
    /// How many observations match (counted once per filter and data version).
    pub total: i64,
}

/// Prepares an export of the observations matching `filter`.
pub async fn observation_export(
    db: &Database,
    known: Option<DataVersion>,
    filter: ObservationFilter,
) -> Result<ExportPlan, ApiError> {
    let version = version(db, known).await?;
    let names = names(db, version.version).await?;
    let sources = sources(db, version.version).await?;
    let key = TotalKey {
        version: version.version,
        filter: prepare(&names, &sources, filter)?,
    };
    let memo = db.memo();
    let total = match memo.total(&key) {
        Some(total) => total,
        None => {
            db.run(async |conn| {
                check_release(conn, &key.filter).await?;
                total(conn, &memo, key.clone()).await
            })
            .await?
        }
    };
    Ok(ExportPlan {
        filter: key.filter,
        names,
        sources,
        total,
    })
}

/// A JSON-stat dataset of every observation `filter` matches (after `after`, if given), in the
/// order `sort`: refused (400) when more than `cap` match, which is counted before any row is
/// read. Its memory is
/// reserved from the budget before the rows are read, and each row is kept only as the
/// dataset needs it.
pub async fn observation_dataset(
    db: &Database,
    known: Option<DataVersion>,
    (filter, sort, after): (ObservationFilter, Sort, Option<After>),
    cap: i64,
    lang: Lang,
) -> Result<Vec<u8>, ApiError> {
    let version = version(db, known).await?;
    let names = names(db, version.version).await?;
    let sources = sources(db, version.version).await?;
    let filter = prepare(&names, &sources, filter)?;
    let rows = db
        .run(async |conn| {
            check_release(conn, &filter).await?;
            // Counting reads ids only; no row is loaded for a request that is refused.
            db::observations::count_up_to(conn, &filter, cap)
                .await?
                .ok_or_else(|| too_many(cap))
        })
        .await?;
    let _memory = db
        .reserve(rows as u64 * jsonstat::BYTES_PER_ROW + jsonstat::BYTES_FIXED)
        .await?;
    let (builder, late) = db
        .run(async |conn| {
            let mut builder = jsonstat::Builder::default();
            let after = after.as_ref();
            db::observations::each(conn, &filter, sort, after, cap, |row| builder.push(&row))
                .await?;
            let (places, indicators) = builder.codes();
            let late = db::observations::missing_names(conn, &names, places, indicators).await?;
            Ok((builder, late))
        })
        .await?;
    let about = jsonstat::About::of(lang, &sources, Some(version.changed_at));
    builder
        .write(&[&names, &late], &about)
        .map_err(|e| ApiError::Internal(e.into()))
}

/// The total of `key`, remembered; counted when not known.
async fn total(conn: &mut AsyncPgConnection, memo: &Memo, key: TotalKey) -> Result<i64, ApiError> {
    if let Some(total) = memo.total(&key) {
        return Ok(total);
    }
    let total = match db::observations::count_up_to(conn, &key.filter, EXACT_COUNT_CAP).await? {
        Some(n) => n,
        None => db::observations::count(conn, &key.filter).await?,
    };
    memo.keep_total(key, total);
    Ok(total)
}

/// A filter ready to run: its codes exist (404 otherwise) and its category is spelled out as
/// indicator codes.
fn prepare(
    known: &KnownCodes,
    sources: &[SourceMeta],
    filter: ObservationFilter,
) -> Result<ObservationFilter, ApiError> {
    check_codes(known, &filter)?;
    if let Some(source) = &filter.source {
        if !sources.iter().any(|s| &s.id == source) {
            return Err(ApiError::NotFound(format!(
                "no source has the id {source:?}"
            )));
        }
    }
    narrow_by_category(known, filter)
}

/// 404 for a `release` that names no release, as for any other code that names nothing.
async fn check_release(
    conn: &mut AsyncPgConnection,
    filter: &ObservationFilter,
) -> Result<(), ApiError> {
    match filter.release {
        Some(id) if db::releases::find(conn, id).await?.is_none() => {
            Err(ApiError::NotFound(format!("no release has the id {id}")))
        }
        _ => Ok(()),
    }
}

/// 404 for place or indicator codes in a filter that name nothing.
fn check_codes(known: &KnownCodes, filter: &ObservationFilter) -> Result<(), ApiError> {
    fn unknown<T>(codes: &[String], known: &std::collections::HashMap<String, T>) -> Vec<String> {
        codes
            .iter()
            .filter(|c| !known.contains_key(*c))
            .cloned()
            .collect()
    }
    let places = unknown(&filter.places, &known.places);
    if !places.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no place has the code(s): {}",
            places.join(", ")
        )));
    }
    let indicators = unknown(&filter.indicators, &known.indicators);
    if !indicators.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no indicator has the code(s): {}",
            indicators.join(", ")
        )));
    }
    Ok(())
}

/// A category filter spelled out as its indicator codes (intersected with any given), so that
/// PostgreSQL plans with the statistics of those codes instead of guessing through the join.
fn narrow_by_category(
    known: &KnownCodes,
    mut filter: ObservationFilter,
) -> Result<ObservationFilter, ApiError> {
    let Some(category) = filter.category.clone() else {
        return Ok(filter);
    };
    let Some(codes) = known.categories.get(&category) else {
        let mut categories: Vec<&str> = known.categories.keys().map(String::as_str).collect();
        categories.sort_unstable();
        return Err(unknown_category(&category, &categories));
    };
    let narrowed: Vec<String> = if filter.indicators.is_empty() {
        codes.clone()
    } else {
        filter
            .indicators
            .iter()
            .filter(|c| codes.contains(c))
            .cloned()
            .collect()
    };
    // An empty intersection keeps the given codes; the category condition then matches nothing.
    if !narrowed.is_empty() {
        filter.indicators = narrowed;
    }
    Ok(filter)
}

/// 404 for a category no indicator has, listing the ones that exist.
pub async fn check_category(conn: &mut AsyncPgConnection, category: &str) -> Result<(), ApiError> {
    let categories = db::indicators::categories(conn).await?;
    if categories.iter().any(|c| c == category) {
        Ok(())
    } else {
        Err(unknown_category(category, &categories))
    }
}

/// Categories are data, like codes (a publisher's indicator can bring a new one): one that no
/// indicator has names nothing, 404.
fn unknown_category(category: &str, categories: &[impl AsRef<str>]) -> ApiError {
    let categories: Vec<&str> = categories.iter().map(AsRef::as_ref).collect();
    ApiError::NotFound(format!(
        "no indicator has the category `{category}`; categories: {}",
        categories.join(", ")
    ))
}
