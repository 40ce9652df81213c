//! Whole-table and whole-query CSV, written a batch at a time. The same exports serve the list
//! endpoints (`format=csv`), the bulk downloads and the `export` command.

use crate::citation::Citer;
use crate::db::memo::KnownCodes;
use crate::db::observations::{After, ObservationFilter, ObservationWithRefs, Sort};
use crate::db::places::{Place, PlaceFilter};
use crate::domain::Lang;
use crate::error::ApiError;
use crate::formats::csv::{self, CsvBatch};
use crate::formats::{sdmx, Format};
use crate::views::ObservationView;
use diesel_async::AsyncPgConnection;
use futures_util::future::LocalBoxFuture;
use std::sync::Arc;

/// Rows fetched from PostgreSQL per batch when no `limit` is given.
pub const BATCH_ROWS: i64 = 1_000;

/// Reads up to `size` rows after a key, on the connection it is lent.
type Fetch<R, K> = Box<
    dyn for<'a> FnMut(
        &'a mut AsyncPgConnection,
        Option<&'a K>,
        i64,
    ) -> LocalBoxFuture<'a, Result<Vec<R>, ApiError>>,
>;

/// Writes the cursor of a key.
type Cursor<K> = Box<dyn Fn(&K) -> String>;

/// A CSV export that pages through a keyset-ordered query.
pub struct CsvExport<R, K> {
    columns: &'static [&'static str],
    bom: bool,
    started: bool,
    done: bool,
    after: Option<K>,
    limit: Option<i64>,
    fetch: Fetch<R, K>,
    key: Box<dyn Fn(&R) -> K>,
    record: Box<dyn Fn(R) -> Vec<String>>,
    rows: u64,
    /// With a `limit`: whether rows follow the page.
    more: bool,
    /// The list's cursor for a key, to link a page to the next.
    cursor: Option<Cursor<K>>,
}

impl<R, K> CsvExport<R, K> {
    /// An export of `columns`, starting after `after`, one page of `limit` rows if given.
    fn new(
        columns: &'static [&'static str],
        bom: bool,
        after: Option<K>,
        limit: Option<i64>,
        fetch: Fetch<R, K>,
        key: impl Fn(&R) -> K + 'static,
        record: impl Fn(R) -> Vec<String> + 'static,
    ) -> Self {
        CsvExport {
            columns,
            bom,
            started: false,
            done: false,
            after,
            limit,
            fetch,
            key: Box::new(key),
            record: Box::new(record),
            rows: 0,
            more: false,
            cursor: None,
        }
    }

    /// Pages of this export link to the next with `cursor` of the key of their last row: the
    /// cursor the JSON list writes for it.
    pub fn with_cursor(mut self, cursor: impl Fn(&K) -> String + 'static) -> Self {
        self.cursor = Some(Box::new(cursor));
        self
    }

    /// Whether this export is one page (`limit` given), answered whole.
    pub fn is_page(&self) -> bool {
        self.limit.is_some()
    }

    /// After a page is written: the cursor of the next page, if rows follow.
    pub fn next_cursor(&self) -> Option<String> {
        match (&self.cursor, &self.after) {
            (Some(cursor), Some(after)) if self.more => Some(cursor(after)),
            _ => None,
        }
    }

    /// The next chunk of CSV (the first one starts with the BOM, if asked, and the header), or
    /// `None` when everything has been written. With a `limit`, one page is written.
    pub async fn next_chunk(
        &mut self,
        conn: &mut AsyncPgConnection,
    ) -> Result<Option<Vec<u8>>, ApiError> {
        if self.done {
            return Ok(None);
        }
        let mut batch = if self.started {
            CsvBatch::next()
        } else {
            self.started = true;
            CsvBatch::first(self.columns, self.bom)?
        };
        let size = self.limit.unwrap_or(BATCH_ROWS);
        // A page reads one row more, to know whether another page follows.
        let fetch = if self.limit.is_some() { size + 1 } else { size };
        let mut rows = (self.fetch)(conn, self.after.as_ref(), fetch).await?;
        if self.limit.is_some() {
            self.more = rows.len() as i64 > size;
            rows.truncate(size as usize);
            self.done = true;
        } else if (rows.len() as i64) < size {
            self.done = true;
        }
        if let Some(last) = rows.last() {
            self.after = Some((self.key)(last));
        }
        self.rows += rows.len() as u64;
        for row in rows {
            batch.record((self.record)(row))?;
        }
        batch.into_bytes().map(Some)
    }

    /// Whether everything has been written: the next chunk needs no query.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes the whole export to `out`, calling `progress` with the rows written after each batch.
    pub async fn write_all(
        &mut self,
        conn: &mut AsyncPgConnection,
        out: &mut impl std::io::Write,
        progress: impl Fn(u64),
    ) -> anyhow::Result<()> {
        while let Some(chunk) = self.next_chunk(conn).await? {
            out.write_all(&chunk)?;
            progress(self.rows);
        }
        Ok(())
    }
}

/// Observations matching `filter` in `sort` order, as CSV or SDMX-CSV, named from `names`.
#[allow(clippy::too_many_arguments)]
pub fn observations(
    names: Arc<KnownCodes>,
    filter: ObservationFilter,
    sort: Sort,
    after: Option<After>,
    limit: Option<i64>,
    format: Format,
    bom: bool,
    lang: Lang,
    citer: Citer,
) -> CsvExport<ObservationWithRefs, After> {
    let sdmx = format == Format::SdmxCsv;
    let columns: &'static [&'static str] = if sdmx {
        &sdmx::COLUMNS
    } else {
        &csv::OBSERVATION_COLUMNS
    };
    CsvExport::new(
        columns,
        bom,
        after,
        limit,
        Box::new(move |conn, after, size| {
            let (names, filter) = (names.clone(), filter.clone());
            Box::pin(async move {
                Ok(crate::db::observations::page(conn, &names, &filter, sort, after, size).await?)
            })
        }),
        move |row| After::of(sort, row),
        move |row| {
            let view = ObservationView::new(row, lang, &citer);
            if sdmx {
                sdmx::record(&view).to_vec()
            } else {
                csv::record(&csv::OBSERVATION_FIELDS, &view).to_vec()
            }
        },
    )
}

/// Places matching `filter` in code order.
pub fn places(
    filter: PlaceFilter,
    after: Option<String>,
    limit: Option<i64>,
    bom: bool,
) -> CsvExport<Place, String> {
    CsvExport::new(
        &csv::PLACE_COLUMNS,
        bom,
        after,
        limit,
        Box::new(move |conn, after, size| {
            let filter = filter.clone();
            Box::pin(async move {
                Ok(crate::db::places::page(conn, &filter, after.map(String::as_str), size).await?)
            })
        }),
        |p| p.code.clone(),
        |p| csv::record(&csv::PLACE_FIELDS, &p).to_vec(),
    )
}

/// Indicators (of one category, if given) in code order.
pub fn indicators(
    filter: crate::db::indicators::IndicatorFilter,
    after: Option<String>,
    limit: Option<i64>,
    bom: bool,
) -> CsvExport<crate::db::indicators::Indicator, String> {
    CsvExport::new(
        &csv::INDICATOR_COLUMNS,
        bom,
        after,
        limit,
        Box::new(move |conn, after, size| {
            let filter = filter.clone();
            Box::pin(async move {
                Ok(
                    crate::db::indicators::page(conn, &filter, after.map(String::as_str), size)
                        .await?,
                )
            })
        }),
        |i| i.code.clone(),
        |i| csv::record(&csv::INDICATOR_FIELDS, &i).to_vec(),
    )
}

/// Sources (without their text) in id order.
pub fn sources(
    after: Option<String>,
    limit: Option<i64>,
    bom: bool,
) -> CsvExport<crate::db::sources::SourceMeta, String> {
    CsvExport::new(
        &csv::SOURCE_COLUMNS,
        bom,
        after,
        limit,
        Box::new(move |conn, after, size| {
            Box::pin(async move {
                Ok(crate::db::sources::page(conn, after.map(String::as_str), size).await?)
            })
        }),
        |s| s.id.clone(),
        |s| csv::record(&csv::SOURCE_FIELDS, &s).to_vec(),
    )
}

/// Releases, newest first: `after` is the id the previous page ended on.
pub fn releases(
    after: Option<i64>,
    limit: Option<i64>,
    bom: bool,
) -> CsvExport<crate::db::releases::Release, i64> {
    CsvExport::new(
        &csv::RELEASE_COLUMNS,
        bom,
        after,
        limit,
        Box::new(move |conn, before, size| {
            Box::pin(
                async move { Ok(crate::db::releases::page(conn, before.copied(), size).await?) },
            )
        }),
        |r| r.id,
        |r| csv::record(&csv::RELEASE_FIELDS, &r).to_vec(),
    )
}
