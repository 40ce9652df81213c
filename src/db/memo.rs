//! Answers that only change with the data version, remembered per process: the totals of
//! large listings (counting millions of rows on every page would be the slowest part of
//! paging) and the list of sources (read by every citation). Keyed by data version, so a change
//! to the data is never answered from memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::sources::SourceMeta;

/// Totals remembered at most; past it the memory starts over.
const MAX_TOTALS: usize = 10_000;

#[derive(Default)]
pub struct Memo {
    totals: Mutex<HashMap<(i64, String), i64>>,
    sources: Mutex<Option<(i64, Arc<Vec<SourceMeta>>)>>,
    codes: Mutex<Option<(i64, Arc<KnownCodes>)>>,
}

/// Every place code and indicator code, to check a filter's codes without a query.
#[derive(Debug, Default)]
pub struct KnownCodes {
    pub places: std::collections::HashSet<String>,
    pub indicators: std::collections::HashSet<String>,
    /// The indicator codes of each category.
    pub categories: HashMap<String, Vec<String>>,
}

impl Memo {
    /// The total for `key` under data version `version`, computed by `count` when not known.
    pub fn total<E>(
        &self,
        version: i64,
        key: String,
        count: impl FnOnce() -> Result<i64, E>,
    ) -> Result<i64, E> {
        let key = (version, key);
        if let Some(total) = self.totals.lock().ok().and_then(|m| m.get(&key).copied()) {
            return Ok(total);
        }
        let total = count()?;
        if let Ok(mut totals) = self.totals.lock() {
            if totals.len() >= MAX_TOTALS {
                totals.clear();
            }
            totals.insert(key, total);
        }
        Ok(total)
    }

    /// Every source under data version `version`, read by `load` when not known.
    pub fn sources<E>(
        &self,
        version: i64,
        load: impl FnOnce() -> Result<Vec<SourceMeta>, E>,
    ) -> Result<Arc<Vec<SourceMeta>>, E> {
        latest(&self.sources, version, load)
    }
}

impl Memo {
    /// Every place and indicator code under data version `version`, read by `load` when not
    /// known (about 45,000 short strings).
    pub fn codes<E>(
        &self,
        version: i64,
        load: impl FnOnce() -> Result<KnownCodes, E>,
    ) -> Result<Arc<KnownCodes>, E> {
        latest(&self.codes, version, load)
    }
}

/// The value remembered in `slot` for `version`, loaded by `load` when it holds another version.
/// The load runs under the lock, so requests that arrive together after a change wait for one
/// load instead of each making their own.
fn latest<T, E>(
    slot: &Mutex<Option<(i64, Arc<T>)>>,
    version: i64,
    load: impl FnOnce() -> Result<T, E>,
) -> Result<Arc<T>, E> {
    let Ok(mut slot) = slot.lock() else {
        return load().map(Arc::new); // a panic while loading poisoned it: load without memory
    };
    if let Some((v, value)) = &*slot {
        if *v == version {
            return Ok(value.clone());
        }
    }
    let value = Arc::new(load()?);
    *slot = Some((version, value.clone()));
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_version_is_never_answered_from_memory() {
        let memo = Memo::default();
        assert_eq!(memo.total(1, "all".into(), || Ok::<_, ()>(10)), Ok(10));
        assert_eq!(memo.total(1, "all".into(), || Ok::<_, ()>(99)), Ok(10));
        assert_eq!(memo.total(2, "all".into(), || Ok::<_, ()>(11)), Ok(11));
    }
}
