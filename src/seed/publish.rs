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
    let by_key: HashMap<NaturalKey, &observations::Stored> =
        stored.iter().map(|s| (s.observation.key(), s)).collect();
    let mut added = Vec::new();
    let mut changed = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for observation in observations {
        let key = observation.key();
        match by_key.get(&key) {
            None => added.push(observation.clone()),
            Some(stored) if stored.retracted_at.is_some() || stored.observation != *observation => {
                changed.push(observation.clone())
            }
            Some(_) => {}
        }
        seen.insert(key);
    }
    let retracted: Vec<i64> = stored
        .iter()
        .filter(|s| s.retracted_at.is_none() && !seen.contains(&s.observation.key()))
        .map(|s| s.id)
        .collect();
    if added.is_empty() && changed.is_empty() && retracted.is_empty() {
        return Ok(Publication::default());
    }
    let summary = format!(
        "{} observations added, {} changed, {} retracted (sources: {}).",
        added.len(),
        changed.len(),
        retracted.len(),
        source_ids.join(", ")
    );
    let release_id = releases::insert(
        conn,
        &NewRelease {
            released_at: at,
            title,
            summary: &summary,
            observations_added: count(added.len()),
            observations_changed: count(changed.len()),
            observations_retracted: count(retracted.len()),
        },
    )?;
    let mut writes = added.clone();
    writes.extend(changed.iter().cloned());
    observations::publish(conn, &writes, at, release_id)?;
    observations::retract(conn, &retracted, at, release_id)?;
    Ok(Publication {
        release_id: Some(release_id),
        added: added.len(),
        changed: changed.len(),
        retracted: retracted.len(),
    })
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
