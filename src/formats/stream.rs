//! Streaming a response whose rows come from PostgreSQL in batches. The body is pulled: a batch
//! is read only when the socket has taken the previous one, on a connection checked out for that
//! batch alone, so a slow client holds no connection while it reads, memory holds one batch
//! however many rows there are, and a client that goes away (or a HEAD request, whose body is
//! never read) stops the export.
//!
//! How each stream ended is counted (`township_stats_downloads_total{outcome}`) and logged with
//! the request id: `complete`, `failed` (the database failed mid-stream: the chunked body is
//! left unterminated, so the client sees a cut transfer, never a short file that looks whole),
//! or `abandoned` (the client stopped reading).

use actix_web::web::Bytes;
use futures_util::Stream;

use crate::db::Database;
use crate::error::ApiError;
use crate::exports::CsvExport;

/// How a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    Failed,
    Abandoned,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Failed => "failed",
            Outcome::Abandoned => "abandoned",
        }
    }
}

/// Records how a stream ended when it is dropped; a stream dropped before it ended was
/// abandoned by its client.
struct Ending {
    db: Database,
    request_id: String,
    outcome: Option<Outcome>,
    rows: u64,
}

impl Drop for Ending {
    fn drop(&mut self) {
        let outcome = self.outcome.unwrap_or(Outcome::Abandoned);
        self.db.count_download(outcome);
        let (rows, id) = (self.rows, &self.request_id);
        match outcome {
            Outcome::Complete => log::debug!("download complete: {rows} rows, id={id}"),
            Outcome::Failed => log::error!("download failed after {rows} rows, id={id}"),
            Outcome::Abandoned => log::info!("download abandoned after {rows} rows, id={id}"),
        }
    }
}

/// The chunks of `export`, each read with its own pooled connection. `permit` (an export slot
/// and a memory reservation) is held until the stream ends or is dropped.
pub fn export_stream<R: 'static, K: 'static, P: 'static>(
    db: Database,
    permit: P,
    export: CsvExport<R, K>,
    request_id: String,
) -> impl Stream<Item = Result<Bytes, ApiError>> {
    let ending = Ending {
        db: db.clone(),
        request_id,
        outcome: None,
        rows: 0,
    };
    futures_util::stream::unfold(Some((db, export, permit, ending)), |state| async move {
        let (db, mut export, permit, mut ending) = state?;
        if export.is_done() {
            ending.outcome = Some(Outcome::Complete);
            return None;
        }
        let chunk = db.run(async |conn| export.next_chunk(conn).await).await;
        ending.rows = export.rows();
        match chunk {
            Ok(Some(bytes)) => Some((Ok(Bytes::from(bytes)), Some((db, export, permit, ending)))),
            Ok(None) => {
                ending.outcome = Some(Outcome::Complete);
                None
            }
            Err(e) => {
                log::error!("stream stopped after {} rows: {e:?}", export.rows());
                ending.outcome = Some(Outcome::Failed);
                Some((Err(e), None))
            }
        }
    })
}
