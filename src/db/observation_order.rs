//! The orders an observation listing can take, and the keyset key that continues each.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::observations::ObservationWithRefs;

/// The orders a listing can take; each ends in `id`, so every order is total and keyset-safe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Sort {
    /// Load order (`id`).
    #[default]
    #[serde(rename = "id")]
    Id,
    /// Oldest period first: `period_start`, `period_end`, `id`.
    #[serde(rename = "period")]
    Period,
    /// Newest period first.
    #[serde(rename = "-period")]
    PeriodDesc,
    /// By indicator code, then `id`.
    #[serde(rename = "indicator")]
    Indicator,
    /// By place code, then `id`.
    #[serde(rename = "place")]
    Place,
    /// Oldest change first: `updated_at`, `id` (the order of incremental sync).
    #[serde(rename = "updated")]
    Updated,
}

/// Where the previous page ended, in the terms of its sort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum After {
    Id(i64),
    Period(i32, i32, i64),
    Code(String, i64),
    Updated(DateTime<Utc>, i64),
}

impl After {
    /// The key of `row` under `sort`.
    pub fn of(sort: Sort, row: &ObservationWithRefs) -> After {
        let (obs, indicator, place) = row;
        match sort {
            Sort::Id => After::Id(obs.id),
            Sort::Period | Sort::PeriodDesc => {
                After::Period(obs.period_start, obs.period_end, obs.id)
            }
            Sort::Indicator => After::Code(indicator.code.clone(), obs.id),
            Sort::Place => After::Code(place.code.clone(), obs.id),
            Sort::Updated => After::Updated(obs.updated_at, obs.id),
        }
    }

    /// Whether this key can continue a listing in `sort`.
    /// Whether the key belongs to `sort` and holds values the service could have written (a
    /// time PostgreSQL cannot hold, such as year -4714, never was).
    pub fn fits(&self, sort: Sort) -> bool {
        match (self, sort) {
            (After::Id(_), Sort::Id)
            | (After::Period(..), Sort::Period | Sort::PeriodDesc)
            | (After::Code(..), Sort::Indicator | Sort::Place) => true,
            (After::Updated(at, _), Sort::Updated) => {
                (1..=9999).contains(&chrono::Datelike::year(at))
            }
            _ => false,
        }
    }
}
