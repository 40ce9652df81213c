//! Answers that only change with the data version, remembered per process: the totals of
//! large listings (counting millions of rows on every page would be the slowest part of
//! paging), the list of sources (read by every citation) and the known codes (which filters are
//! checked against). Keyed by data version, so a change to the data is never answered from
//! memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::catalog::CategoryCoverage;
use super::observations::{IndicatorRef, ObservationFilter, PlaceRef};
use super::sources::SourceMeta;

/// Totals remembered at most; past it the memory starts over.
const MAX_TOTALS: usize = 10_000;

/// What a remembered total counts: the observations matching `filter` under data `version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TotalKey {
    pub version: i64,
    pub filter: ObservationFilter,
}

#[derive(Default)]
pub struct Memo {
    totals: Mutex<HashMap<TotalKey, i64>>,
    sources: tokio::sync::Mutex<Option<(i64, Arc<Vec<SourceMeta>>)>>,
    codes: tokio::sync::Mutex<Option<(i64, Arc<KnownCodes>)>>,
    coverage: tokio::sync::Mutex<Option<(i64, Arc<Vec<CategoryCoverage>>)>>,
}

/// Every place and indicator with the names an observation carries: a filter's codes are
/// checked, and listings named, without a query or a join (about 45,000 places, some 8 MB).
#[derive(Debug, Default)]
pub struct KnownCodes {
    pub places: HashMap<String, PlaceRef>,
    pub indicators: HashMap<String, IndicatorRef>,
    /// The indicator codes of each category.
    pub categories: HashMap<String, Vec<String>>,
}

impl Memo {
    /// The total remembered for `key`, if any.
    pub fn total(&self, key: &TotalKey) -> Option<i64> {
        self.totals.lock().ok().and_then(|m| m.get(key).copied())
    }

    /// Remembers the total for `key`.
    pub fn keep_total(&self, key: TotalKey, total: i64) {
        if let Ok(mut totals) = self.totals.lock() {
            if totals.len() >= MAX_TOTALS {
                totals.clear();
            }
            totals.insert(key, total);
        }
    }

    /// Every source under data version `version`, read by `load` when not known.
    pub async fn sources<E>(
        &self,
        version: i64,
        load: impl AsyncFnOnce() -> Result<Vec<SourceMeta>, E>,
    ) -> Result<Arc<Vec<SourceMeta>>, E> {
        latest(&self.sources, version, load).await
    }

    /// What the catalog says of each category under data version `version` (an aggregate over
    /// every observation, so it is computed once per version), read by `load` when not known.
    pub async fn coverage<E>(
        &self,
        version: i64,
        load: impl AsyncFnOnce() -> Result<Vec<CategoryCoverage>, E>,
    ) -> Result<Arc<Vec<CategoryCoverage>>, E> {
        latest(&self.coverage, version, load).await
    }

    /// Every place and indicator with their names under data version `version`, read by `load`
    /// when not known.
    pub async fn codes<E>(
        &self,
        version: i64,
        load: impl AsyncFnOnce() -> Result<KnownCodes, E>,
    ) -> Result<Arc<KnownCodes>, E> {
        latest(&self.codes, version, load).await
    }
}

/// The value remembered in `slot` for `version`, loaded by `load` when it holds another version.
/// The load runs under the lock, so requests that arrive together after a change wait for one
/// load instead of each making their own. Callers take a database connection inside `load`,
/// not before: waiting here must not hold one.
async fn latest<T, E>(
    slot: &tokio::sync::Mutex<Option<(i64, Arc<T>)>>,
    version: i64,
    load: impl AsyncFnOnce() -> Result<T, E>,
) -> Result<Arc<T>, E> {
    let mut slot = slot.lock().await;
    if let Some((v, value)) = &*slot {
        if *v == version {
            return Ok(value.clone());
        }
    }
    let value = Arc::new(load().await?);
    *slot = Some((version, value.clone()));
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_total_is_remembered_for_its_version_and_filter_only() {
        let memo = Memo::default();
        let key = |version| TotalKey {
            version,
            filter: ObservationFilter::default(),
        };
        memo.keep_total(key(1), 10);
        assert_eq!(memo.total(&key(1)), Some(10));
        assert_eq!(memo.total(&key(2)), None);
        let other = TotalKey {
            version: 1,
            filter: ObservationFilter {
                kind: Some(crate::domain::Kind::Target),
                ..Default::default()
            },
        };
        assert_eq!(memo.total(&other), None);
    }

    #[tokio::test]
    async fn a_new_version_is_never_answered_from_memory() {
        let memo = Memo::default();
        let load = |n: usize| {
            async move || {
                Ok::<_, ()>(KnownCodes {
                    places: (0..n)
                        .map(|i| {
                            let place = PlaceRef {
                                code: i.to_string(),
                                name_zh: String::new(),
                                name_en: String::new(),
                                level: crate::domain::Level::Township,
                            };
                            (i.to_string(), place)
                        })
                        .collect(),
                    ..Default::default()
                })
            }
        };
        assert_eq!(memo.codes(1, load(1)).await.unwrap().places.len(), 1);
        assert_eq!(memo.codes(1, load(2)).await.unwrap().places.len(), 1);
        assert_eq!(memo.codes(2, load(3)).await.unwrap().places.len(), 3);
    }
}
