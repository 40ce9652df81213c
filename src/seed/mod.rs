//! Loading the files under seed/: the national gazetteer, the villages the report names, the
//! indicator catalogue, the source document and every figure of the report.
//!
//! The files are embedded in the binary. Loading is declarative and idempotent: rows are upserted
//! by their natural keys, identical rows are not rewritten, and the digest of the files is kept in
//! `loads` so that a start-up with unchanged files skips the work after one lookup.

pub mod gazetteer;
pub mod names;
pub mod publish;
pub mod report;

use anyhow::Context;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::loads;

/// Bump when the loading code changes what it writes for the same files.
const LOADER_VERSION: &str = "1";
const LOAD_NAME: &str = "seed";

/// What a load did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// False when the digest matched and nothing was read.
    pub ran: bool,
    pub places_written: usize,
    pub indicators_written: usize,
    pub sources_written: usize,
    /// The release of the observations that changed, if any did.
    pub publication: publish::Publication,
}

/// The digest of every embedded seed file and the loader version.
pub fn digest() -> String {
    let mut hasher = Sha256::new();
    hasher.update(LOADER_VERSION);
    for (name, content) in gazetteer::FILES.iter().chain(report::FILES.iter()) {
        hasher.update(name.as_bytes());
        hasher.update((content.len() as u64).to_le_bytes());
        hasher.update(content.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Loads the seed in one transaction, unless the same files were loaded already and `force` is off.
pub fn load(conn: &mut PgConnection, force: bool) -> anyhow::Result<LoadSummary> {
    let digest = digest();
    if !force {
        let loaded: Option<String> = loads::table
            .find(LOAD_NAME)
            .select(loads::sha256)
            .first(conn)
            .optional()?;
        if loaded.as_deref() == Some(digest.as_str()) {
            return Ok(LoadSummary::default());
        }
    }
    let places = gazetteer::places().context("reading the gazetteer")?;
    let report = report::Report::parse().context("reading the report seed")?;
    conn.transaction(|conn| {
        let at = publish::lock_for_load(conn)?;
        let mut summary = LoadSummary {
            ran: true,
            ..LoadSummary::default()
        };
        summary.places_written += crate::db::places::upsert(conn, &places)?;
        summary.places_written += crate::db::places::upsert(conn, &report.places)?;
        summary.indicators_written = crate::db::indicators::upsert(conn, &report.indicators)?;
        for source in &report.sources {
            summary.sources_written += crate::db::sources::upsert(conn, source)?;
        }
        let title = format!(
            "Seed: {}",
            report
                .sources
                .iter()
                .map(|s| s.title_en.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
        // The report's figures are checked and published as any import's are: each against
        // its sentence, and what the seed no longer states retracted.
        let rows: Vec<crate::import::Row> = report
            .observations
            .iter()
            .enumerate()
            .map(|(i, o)| crate::import::row_of(i as u64 + 1, o))
            .collect();
        let options = crate::import::Options {
            source: report::REPORT_SOURCE_ID.to_owned(),
            mode: crate::import::Mode::Replace,
            dry_run: false,
            title: Some(title),
            published_by: None,
        };
        let published = crate::import::import(conn, at, &options, crate::import::Input::Rows(rows))
            .map_err(|e| match e {
                crate::error::ApiError::InvalidBody { errors, .. } => anyhow::anyhow!(
                    "seed/observations.toml: {}",
                    errors
                        .iter()
                        .map(|f| format!(
                            "observation {}, {}: {}",
                            f.row.unwrap_or(0),
                            f.column,
                            f.detail
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                other => anyhow::anyhow!("{other}"),
            })?;
        summary.publication = publish::Publication {
            release_id: published.release,
            added: published.added,
            changed: published.changed,
            retracted: published.retracted,
        };
        diesel::insert_into(loads::table)
            .values((loads::name.eq(LOAD_NAME), loads::sha256.eq(&digest)))
            .on_conflict(loads::name)
            .do_update()
            .set((
                loads::sha256.eq(&digest),
                loads::loaded_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        Ok::<_, anyhow::Error>(summary)
    })
    .and_then(|summary| {
        // Fresh statistics for the planner, whether or not autovacuum runs.
        crate::db::analyze(conn)?;
        Ok(summary)
    })
}
