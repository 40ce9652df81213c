//! Observations: the filtered, keyset-paginated listing. The orders and their keyset keys are
//! in `observation_order`, what loads write in `observation_writes`, both re-exported here.

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::memo::KnownCodes;
pub use super::observation_order::{After, Sort};
pub use super::observation_writes::{copy_in, places_with_source, NewObservation};
use super::schema::{indicators, observations, places};
use crate::domain::{Kind, Level, Qualifier};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = observations, check_for_backend(Pg))]
pub struct ObservationRow {
    pub id: i64,
    pub indicator_code: String,
    pub place_code: String,
    pub period_start: i32,
    pub period_end: i32,
    pub kind: Kind,
    pub value: BigDecimal,
    pub qualifier: Qualifier,
    pub value_as_written: String,
    pub unit_as_written: String,
    pub source_id: String,
    pub quote: String,
    pub quote_start: i32,
    pub quote_end: i32,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub retracted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = indicators, check_for_backend(Pg))]
pub struct IndicatorRef {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = places, check_for_backend(Pg))]
pub struct PlaceRef {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub level: Level,
}

/// An observation with the names of its indicator and place.
pub type ObservationWithRefs = (ObservationRow, IndicatorRef, PlaceRef);

#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct ObservationFilter {
    /// Place codes; empty means every place.
    pub places: Vec<String>,
    /// Also match every place below the given ones.
    pub descendants: bool,
    /// Indicator codes; empty means every indicator.
    pub indicators: Vec<String>,
    pub category: Option<String>,
    pub kind: Option<Kind>,
    /// Periods overlapping [from, to] match.
    pub from: Option<i32>,
    pub to: Option<i32>,
    /// Only rows changed after this time, retracted ones included (incremental sync).
    pub updated_since: Option<DateTime<Utc>>,
    /// Only rows changed after this position in the order of change, (updated_at, id):
    /// incremental sync from a `sync_token`, retracted ones included.
    pub changed_after: Option<(DateTime<Utc>, i64)>,
    /// Only rows last changed by this release, retracted ones included.
    pub release: Option<i64>,
    /// Only observations quoting this source.
    pub source: Option<String>,
    /// The data as published at this moment: rows added later left out, later corrections and
    /// retractions undone (their revisions give the values then).
    pub as_of: Option<DateTime<Utc>>,
}

impl ObservationFilter {
    /// Whether the filter keeps every published observation.
    fn is_everything(&self) -> bool {
        let ObservationFilter {
            places,
            descendants: _,
            indicators,
            category,
            kind,
            from,
            to,
            updated_since,
            changed_after,
            release,
            source,
            as_of,
        } = self;
        places.is_empty()
            && indicators.is_empty()
            && category.is_none()
            && kind.is_none()
            && from.is_none()
            && to.is_none()
            && updated_since.is_none()
            && changed_after.is_none()
            && release.is_none()
            && source.is_none()
            && as_of.is_none()
    }

    /// Tombstones belong in change feeds, not in the published data.
    fn include_retracted(&self) -> bool {
        self.updated_since.is_some() || self.changed_after.is_some() || self.release.is_some()
    }
}

/// The least string above every string that begins with `prefix`, in code point order (collation
/// "C"), for an ASCII prefix: the prefix with its last character incremented.
fn prefix_end(prefix: &str) -> Option<String> {
    let last = *prefix.as_bytes().last()?;
    if !prefix.is_ascii() || last == 0x7f {
        return None;
    }
    let mut end = prefix[..prefix.len() - 1].to_owned();
    end.push(char::from(last + 1));
    Some(end)
}

/// A query of `observations` alone, boxed so filters can be added one by one.
type Filtered<'a> = observations::BoxedQuery<'a, Pg>;

/// The rows matching `filter`, from `observations` alone: no join for the planner to misjudge,
/// whatever the filters (a category is matched through a subquery of its indicator codes).
fn filtered(filter: &ObservationFilter) -> Filtered<'static> {
    let mut query = observations::table.into_boxed();
    if !filter.places.is_empty() {
        if let (true, [prefix]) = (filter.descendants, filter.places.as_slice()) {
            // One prefix: a range of the place index (codes have collation "C"). Written as a
            // range, not LIKE, so that a prepared statement's generic plan still uses it.
            query = match prefix_end(prefix) {
                Some(end) => query
                    .filter(observations::place_code.ge(prefix.clone()))
                    .filter(observations::place_code.lt(end)),
                None => query.filter(
                    observations::place_code
                        .like(format!("{}%", super::places::escape_like(prefix))),
                ),
            };
        } else if filter.descendants {
            // Codes nest (a place's code begins with its parent's), so "this place and all
            // below it" is a prefix match that the text_pattern_ops index answers.
            let patterns: Vec<String> = filter
                .places
                .iter()
                .map(|code| format!("{}%", super::places::escape_like(code)))
                .collect();
            query = query.filter(
                sql::<Bool>("observations.place_code LIKE ANY(")
                    .bind::<Array<Text>, _>(patterns)
                    .sql(")"),
            );
        } else if let [code] = filter.places.as_slice() {
            // `=` rather than `= ANY`: the planner then knows the (place_code, id) index returns
            // the rows in id order too.
            query = query.filter(observations::place_code.eq(code.clone()));
        } else {
            query = query.filter(observations::place_code.eq_any(filter.places.clone()));
        }
    }
    if let [code] = filter.indicators.as_slice() {
        query = query.filter(observations::indicator_code.eq(code.clone()));
    } else if !filter.indicators.is_empty() {
        query = query.filter(observations::indicator_code.eq_any(filter.indicators.clone()));
    }
    if let Some(category) = &filter.category {
        query = query.filter(
            observations::indicator_code.eq_any(
                indicators::table
                    .filter(indicators::category.eq(category.clone()))
                    .select(indicators::code),
            ),
        );
    }
    if let Some(kind) = filter.kind {
        query = query.filter(observations::kind.eq(kind));
    }
    if let Some(from) = filter.from {
        query = query.filter(observations::period_end.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(observations::period_start.le(to));
    }
    if let Some((at, id)) = filter.changed_after {
        query = query.filter(
            sql::<Bool>("(observations.updated_at, observations.id) > (")
                .bind::<Timestamptz, _>(at)
                .sql(", ")
                .bind::<BigInt, _>(id)
                .sql(")"),
        );
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(observations::updated_at.gt(since));
    }
    if let Some(release) = filter.release {
        query = query.filter(observations::release_id.eq(release));
    }
    if let Some(source) = &filter.source {
        query = query.filter(observations::source_id.eq(source.clone()));
    }
    if let Some(at) = filter.as_of {
        // Published at `at`: created by then, and not retracted then. A row changed since
        // holds its state at `at` in the revision whose span covers it.
        query = query.filter(
            sql::<Bool>("observations.created_at <= ")
                .bind::<Timestamptz, _>(at)
                .sql(" AND CASE WHEN observations.updated_at <= ")
                .bind::<Timestamptz, _>(at)
                .sql(
                    " THEN observations.retracted_at IS NULL ELSE EXISTS (SELECT 1 FROM \
                     observation_revisions r WHERE r.observation_id = observations.id \
                     AND r.retracted_at IS NULL AND r.published_from <= ",
                )
                .bind::<Timestamptz, _>(at)
                .sql(" AND r.published_until > ")
                .bind::<Timestamptz, _>(at)
                .sql(") END"),
        );
    } else if !filter.include_retracted() {
        query = query.filter(observations::retracted_at.is_null());
    }
    query
}

/// Puts back, in rows changed after `at`, the values they had at `at` (from the revision
/// whose span covers it): what [`ObservationFilter::as_of`] answers.
async fn as_it_was(
    conn: &mut AsyncPgConnection,
    rows: &mut [ObservationRow],
    at: DateTime<Utc>,
) -> QueryResult<()> {
    use super::schema::observation_revisions as r;
    let changed: Vec<i64> = rows
        .iter()
        .filter(|row| row.updated_at > at)
        .map(|row| row.id)
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let then: Vec<(i64, Revision, i32)> = r::table
        .filter(r::observation_id.eq_any(&changed))
        .filter(r::published_from.le(at))
        .filter(r::published_until.gt(at))
        .select((r::observation_id, Revision::as_select(), r::quote_end))
        .load(conn)
        .await?;
    let then: std::collections::HashMap<i64, (Revision, i32)> = then
        .into_iter()
        .map(|(id, revision, quote_end)| (id, (revision, quote_end)))
        .collect();
    for row in rows.iter_mut() {
        if let Some((revision, quote_end)) = then.get(&row.id) {
            row.value = revision.value.clone();
            row.qualifier = revision.qualifier;
            row.value_as_written = revision.value_as_written.clone();
            row.unit_as_written = revision.unit_as_written.clone();
            row.quote = revision.quote.clone();
            row.quote_start = revision.quote_start;
            row.quote_end = *quote_end;
            row.note = revision.note.clone();
            row.updated_at = revision.published_from;
            row.retracted_at = revision.retracted_at;
        }
    }
    Ok(())
}

/// Observations joined to the names of their indicators and places, boxed for filters.
type WithRefs<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Select<
        diesel::dsl::InnerJoin<
            diesel::dsl::InnerJoin<observations::table, indicators::table>,
            places::table,
        >,
        (
            diesel::dsl::AsSelect<ObservationRow, Pg>,
            diesel::dsl::AsSelect<IndicatorRef, Pg>,
            diesel::dsl::AsSelect<PlaceRef, Pg>,
        ),
    >,
    Pg,
>;

fn with_refs() -> WithRefs<'static> {
    observations::table
        .inner_join(indicators::table)
        .inner_join(places::table)
        .select((
            ObservationRow::as_select(),
            IndicatorRef::as_select(),
            PlaceRef::as_select(),
        ))
        .into_boxed()
}

/// One observation by id.
pub async fn find(
    conn: &mut AsyncPgConnection,
    id: i64,
) -> QueryResult<Option<ObservationWithRefs>> {
    with_refs()
        .filter(observations::id.eq(id))
        .first(conn)
        .await
        .optional()
}

/// How many observations match the filter, if at most `cap` do; `None` when more do. Reads at
/// most `cap + 1` index entries, so it is cheap whatever the table's size.
pub async fn count_up_to(
    conn: &mut AsyncPgConnection,
    filter: &ObservationFilter,
    cap: i64,
) -> QueryResult<Option<i64>> {
    let ids: Vec<i64> = filtered(filter)
        .select(observations::id)
        .limit(cap + 1)
        .load(conn)
        .await?;
    let n = ids.len() as i64;
    Ok((n <= cap).then_some(n))
}

/// How many observations match the filter.
pub async fn count(conn: &mut AsyncPgConnection, filter: &ObservationFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn).await
}

/// The published observations in id order (the bulk download): a range of the primary key.
async fn everything_page(
    conn: &mut AsyncPgConnection,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<ObservationRow>> {
    observations::table
        .filter(observations::id.gt(after.unwrap_or(i64::MIN)))
        .filter(observations::retracted_at.is_null())
        .select(ObservationRow::as_select())
        .order(observations::id)
        .limit(limit)
        .load(conn)
        .await
}

/// The rows with the names of their indicators and places, from `names`; a code missing there
/// (added since `names` was read) is looked up.
async fn named(
    conn: &mut AsyncPgConnection,
    names: &KnownCodes,
    rows: Vec<ObservationRow>,
) -> QueryResult<Vec<ObservationWithRefs>> {
    let late = missing_names(
        conn,
        names,
        rows.iter().map(|r| r.place_code.as_str()),
        rows.iter().map(|r| r.indicator_code.as_str()),
    )
    .await?;
    rows.into_iter()
        .map(|row| {
            let place = names.places.get(&row.place_code);
            let place = place.or_else(|| late.places.get(&row.place_code));
            let indicator = names.indicators.get(&row.indicator_code);
            let indicator = indicator.or_else(|| late.indicators.get(&row.indicator_code));
            match (indicator, place) {
                (Some(i), Some(p)) => Ok((row, i.clone(), p.clone())),
                // A foreign key makes this impossible; say so rather than invent a name.
                _ => Err(diesel::result::Error::NotFound),
            }
        })
        .collect()
}

/// The names of the places and indicators among the codes given that `names` lacks (codes
/// added since `names` was read), read from the database.
pub async fn missing_names<'a>(
    conn: &mut AsyncPgConnection,
    names: &KnownCodes,
    place_codes: impl Iterator<Item = &'a str>,
    indicator_codes: impl Iterator<Item = &'a str>,
) -> QueryResult<KnownCodes> {
    let mut places: Vec<String> = place_codes
        .filter(|code| !names.places.contains_key(*code))
        .map(str::to_owned)
        .collect();
    let mut indicators: Vec<String> = indicator_codes
        .filter(|code| !names.indicators.contains_key(*code))
        .map(str::to_owned)
        .collect();
    let mut late = KnownCodes::default();
    if !places.is_empty() {
        places.sort_unstable();
        places.dedup();
        late.places = places::table
            .filter(places::code.eq_any(places))
            .select(PlaceRef::as_select())
            .load::<PlaceRef>(conn)
            .await?
            .into_iter()
            .map(|p| (p.code.clone(), p))
            .collect();
    }
    if !indicators.is_empty() {
        indicators.sort_unstable();
        indicators.dedup();
        late.indicators = indicators::table
            .filter(indicators::code.eq_any(indicators))
            .select(IndicatorRef::as_select())
            .load::<IndicatorRef>(conn)
            .await?
            .into_iter()
            .map(|i| (i.code.clone(), i))
            .collect();
    }
    Ok(late)
}

/// Orders a query of observations by `sort`.
macro_rules! order_by {
    ($query:expr, $sort:expr) => {
        match $sort {
            Sort::Id => $query.order(observations::id),
            Sort::Period => $query.order((
                observations::period_start,
                observations::period_end,
                observations::id,
            )),
            Sort::PeriodDesc => $query.order((
                observations::period_start.desc(),
                observations::period_end.desc(),
                observations::id.desc(),
            )),
            Sort::Indicator => $query.order((observations::indicator_code, observations::id)),
            Sort::Place => $query.order((observations::place_code, observations::id)),
            Sort::Updated => $query.order((observations::updated_at, observations::id)),
        }
    };
}

/// Up to `limit` observations after `after` in the order `sort`, with the names of their
/// indicators and places. The page is read from `observations` alone, with no join for the
/// planner to misjudge, from the index of its order; the names come from `names`, which the
/// process keeps per data version.
pub async fn page(
    conn: &mut AsyncPgConnection,
    names: &KnownCodes,
    filter: &ObservationFilter,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> QueryResult<Vec<ObservationWithRefs>> {
    if sort == Sort::Id && filter.is_everything() {
        let after = match after {
            Some(After::Id(id)) => Some(*id),
            Some(_) => return Ok(Vec::new()), // a key of another sort matches nothing
            None => None,
        };
        let rows = everything_page(conn, after, limit).await?;
        return named(conn, names, rows).await;
    }
    let mut rows = ordered(filter, sort, after, limit).load(conn).await?;
    if let Some(at) = filter.as_of {
        as_it_was(conn, &mut rows, at).await?;
    }
    named(conn, names, rows).await
}

/// Hands each of up to `limit` observations after `after` in the order `sort` to `f` as it
/// arrives from PostgreSQL, without holding them all: for answers built from every row at once
/// (JSON-stat), which keep only what they need of each.
pub async fn each(
    conn: &mut AsyncPgConnection,
    filter: &ObservationFilter,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
    mut f: impl FnMut(ObservationRow),
) -> QueryResult<()> {
    use futures_util::TryStreamExt;
    if let Some(at) = filter.as_of {
        // The rows are patched from their revisions, which needs the connection: read them
        // first (`limit` bounds them, as it bounds what `f` builds).
        let mut rows = ordered(filter, sort, after, limit).load(conn).await?;
        as_it_was(conn, &mut rows, at).await?;
        rows.into_iter().for_each(f);
        return Ok(());
    }
    let mut rows = std::pin::pin!(
        ordered(filter, sort, after, limit)
            .load_stream::<ObservationRow>(conn)
            .await?
    );
    while let Some(row) = rows.try_next().await? {
        f(row);
    }
    Ok(())
}

/// The query of up to `limit` rows matching `filter` after `after`, in the order `sort`.
fn ordered(
    filter: &ObservationFilter,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> observations::BoxedQuery<
    'static,
    Pg,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<ObservationRow, Pg>>,
> {
    let mut query = filtered(filter)
        .select(ObservationRow::as_select())
        .limit(limit);
    // Keep the rows after `after` in `sort`, as a row comparison PostgreSQL can index.
    if let Some(after) = after {
        query = match (sort, after) {
            (Sort::Id, After::Id(id)) => query.filter(observations::id.gt(*id)),
            (Sort::Period | Sort::PeriodDesc, After::Period(start, end, id)) => {
                let op = if sort == Sort::Period { ">" } else { "<" };
                query.filter(
                    sql::<Bool>(
                        "(observations.period_start, observations.period_end, observations.id) ",
                    )
                    .sql(op)
                    .sql(" (")
                    .bind::<Integer, _>(*start)
                    .sql(", ")
                    .bind::<Integer, _>(*end)
                    .sql(", ")
                    .bind::<BigInt, _>(*id)
                    .sql(")"),
                )
            }
            (Sort::Indicator | Sort::Place, After::Code(code, id)) => {
                let column = if sort == Sort::Indicator {
                    "observations.indicator_code"
                } else {
                    "observations.place_code"
                };
                query.filter(
                    sql::<Bool>(&format!("({column}, observations.id) > ("))
                        .bind::<Text, _>(code.clone())
                        .sql(", ")
                        .bind::<BigInt, _>(*id)
                        .sql(")"),
                )
            }
            (Sort::Updated, After::Updated(at, id)) => query.filter(
                sql::<Bool>("(observations.updated_at, observations.id) > (")
                    .bind::<Timestamptz, _>(*at)
                    .sql(", ")
                    .bind::<BigInt, _>(*id)
                    .sql(")"),
            ),
            // Handlers check `After::fits` first; a key of another sort matches nothing.
            _ => query.filter(sql::<Bool>("false")),
        };
    }
    order_by!(query, sort)
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn a_prefix_ends_where_its_last_character_is_incremented() {
        assert_eq!(prefix_end("511903").as_deref(), Some("511904"));
        assert_eq!(prefix_end("51").as_deref(), Some("52"));
        assert_eq!(prefix_end("511903114L00").as_deref(), Some("511903114L01"));
        assert_eq!(prefix_end("5119039").as_deref(), Some("511903:"));
        assert!("511903:" > "5119039999" && "511903:" < "511904");
        assert_eq!(prefix_end(""), None);
        assert_eq!(prefix_end("双胜"), None);
    }
}

/// One value an observation had, and when it was published.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::observation_revisions, check_for_backend(Pg))]
pub struct Revision {
    pub value: bigdecimal::BigDecimal,
    pub qualifier: crate::domain::Qualifier,
    pub value_as_written: String,
    pub unit_as_written: String,
    pub quote: String,
    pub quote_start: i32,
    pub note: Option<String>,
    pub retracted_at: Option<DateTime<Utc>>,
    pub published_from: DateTime<Utc>,
    pub published_until: DateTime<Utc>,
    pub superseded_by: Option<i64>,
}

/// The values observation `id` had before its current one, oldest first.
pub async fn revisions(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Vec<Revision>> {
    use super::schema::observation_revisions as r;
    r::table
        .filter(r::observation_id.eq(id))
        .order(r::id)
        .select(Revision::as_select())
        .load(conn)
        .await
}

/// The release that wrote the current value of observation `id`.
pub async fn release_of(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<i64>> {
    observations::table
        .find(id)
        .select(observations::release_id)
        .first(conn)
        .await
}
