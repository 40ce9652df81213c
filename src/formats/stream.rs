//! Streaming a response whose rows come from PostgreSQL in batches. The body is pulled: a batch
//! is read only when the socket has taken the previous one, on a connection checked out for that
//! batch alone, so a slow client holds no connection while it reads, memory holds one batch
//! however many rows there are, and a client that goes away (or a HEAD request, whose body is
//! never read) stops the export.

use actix_web::web::Bytes;
use futures_util::Stream;
use tokio::sync::OwnedSemaphorePermit;

use crate::db::Database;
use crate::error::ApiError;
use crate::exports::CsvExport;

/// The chunks of `export`, each read with its own pooled connection. `permit` (one of the
/// export slots) is held until the stream ends or is dropped.
pub fn export_stream<R: 'static, K: 'static>(
    db: Database,
    permit: OwnedSemaphorePermit,
    export: CsvExport<R, K>,
) -> impl Stream<Item = Result<Bytes, ApiError>> {
    futures_util::stream::unfold(Some((db, export, permit)), |state| async move {
        let (db, mut export, permit) = state?;
        if export.is_done() {
            return None;
        }
        match db.run(async |conn| export.next_chunk(conn).await).await {
            Ok(Some(bytes)) => Some((Ok(Bytes::from(bytes)), Some((db, export, permit)))),
            Ok(None) => None,
            Err(e) => {
                log::error!("stream stopped after {} rows: {e:?}", export.rows());
                Some((Err(e), None))
            }
        }
    })
}
