//! Publishing observations as a release: compare what a load brings with what is stored, and
//! write only the difference (added, changed, retracted) under one release.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::observations::{self, NaturalKey, NewObservation};
use crate::db::releases::{self, NewRelease};

/// What a publication did; `release_id` is `None` when nothing changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Publication {
    pub release_id: Option<i64>,
    pub added: usize,
    pub changed: usize,
    pub retracted: usize,
}

/// Serializes loads, so that release times increase in commit order and a client syncing by
/// `updated_since` never passes a time that a later commit could still write.
pub fn lock_for_load(conn: &mut PgConnection) -> QueryResult<DateTime<Utc>> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(7204116253)").execute(conn)?;
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Timestamptz>(
        "clock_timestamp()",
    ))
    .get_result(conn)
}

/// [`lock_for_load`] on an async connection, for writes through the API.
pub async fn lock_for_load_async(
    conn: &mut diesel_async::AsyncPgConnection,
) -> QueryResult<DateTime<Utc>> {
    let lock = diesel::sql_query("SELECT pg_advisory_xact_lock(7204116253)");
    diesel_async::RunQueryDsl::execute(lock, conn).await?;
    let now = diesel::select(diesel::dsl::sql::<diesel::sql_types::Timestamptz>(
        "clock_timestamp()",
    ));
    diesel_async::RunQueryDsl::get_result(now, conn).await
}

/// What publishing `incoming` would change in what `stored` holds.
#[derive(Debug, Default)]
pub struct Diff {
    pub added: Vec<NewObservation>,
    /// Each with what is stored now.
    pub changed: Vec<(observations::Stored, NewObservation)>,
    pub retracted: Vec<observations::Stored>,
    pub unchanged: Vec<observations::Stored>,
}

impl Diff {
    /// Compares by natural key. A stored observation that `incoming` lacks is retracted only
    /// with `retract_missing`; a retracted one that comes back is changed.
    pub fn of(
        stored: Vec<observations::Stored>,
        incoming: &[NewObservation],
        retract_missing: bool,
    ) -> Diff {
        let mut by_key: HashMap<NaturalKey, observations::Stored> = stored
            .into_iter()
            .map(|s| (s.observation.key(), s))
            .collect();
        let mut diff = Diff::default();
        for observation in incoming {
            match by_key.remove(&observation.key()) {
                None => diff.added.push(observation.clone()),
                Some(stored)
                    if stored.retracted_at.is_some() || stored.observation != *observation =>
                {
                    diff.changed.push((stored, observation.clone()))
                }
                Some(stored) => diff.unchanged.push(stored),
            }
        }
        if retract_missing {
            let mut gone: Vec<observations::Stored> = by_key
                .into_values()
                .filter(|s| s.retracted_at.is_none())
                .collect();
            gone.sort_by_key(|s| s.id);
            diff.retracted = gone;
        }
        diff
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.retracted.is_empty()
    }
}

/// Makes `observations` the published data of `source_ids`: new ones are added, differing ones
/// changed, and stored ones of those sources that the load no longer has are retracted. Call
/// inside a transaction, after [`lock_for_load`], which gives `at`.
pub fn publish(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    title: &str,
    source_ids: &[String],
    observations: &[NewObservation],
) -> QueryResult<Publication> {
    let stored = observations::stored_for_sources(conn, source_ids)?;
    let diff = Diff::of(stored, observations, true);
    apply(conn, at, title, None, source_ids, &diff)
}

/// Writes `diff` as one release (none when it is empty), published by the token `by`.
pub fn apply(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    title: &str,
    by: Option<&str>,
    source_ids: &[String],
    diff: &Diff,
) -> QueryResult<Publication> {
    if diff.is_empty() {
        return Ok(Publication::default());
    }
    let summary = format!(
        "{} observations added, {} changed, {} retracted (sources: {}).",
        diff.added.len(),
        diff.changed.len(),
        diff.retracted.len(),
        source_ids.join(", ")
    );
    let release_id = releases::insert(
        conn,
        &NewRelease {
            released_at: at,
            title,
            summary: &summary,
            observations_added: count(diff.added.len()),
            observations_changed: count(diff.changed.len()),
            observations_retracted: count(diff.retracted.len()),
            published_by: by,
        },
    )?;
    let mut writes = diff.added.clone();
    writes.extend(diff.changed.iter().map(|(_, new)| new.clone()));
    observations::publish(conn, &writes, at, release_id)?;
    let retracted: Vec<i64> = diff.retracted.iter().map(|s| s.id).collect();
    observations::retract(conn, &retracted, at, release_id)?;
    Ok(Publication {
        release_id: Some(release_id),
        added: diff.added.len(),
        changed: diff.changed.len(),
        retracted: diff.retracted.len(),
    })
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
