//! Streaming a response whose rows come from PostgreSQL in batches: a blocking task fetches and
//! writes one batch at a time into a small channel, so memory holds a few batches at most however
//! many rows there are, and a client that goes away stops the query loop.

use actix_web::web::Bytes;
use tokio_stream::wrappers::ReceiverStream;

use crate::db::PgPool;
use crate::error::ApiError;
use diesel::PgConnection;

/// Batches in flight between the database task and the socket.
const CHANNEL_DEPTH: usize = 4;

/// Runs `next_chunk` on the blocking pool until it returns `None`, streaming what it writes.
pub fn stream_chunks<F>(pool: PgPool, mut next_chunk: F) -> ReceiverStream<Result<Bytes, ApiError>>
where
    F: FnMut(&mut PgConnection) -> Result<Option<Vec<u8>>, ApiError> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(CHANNEL_DEPTH);
    actix_web::rt::task::spawn_blocking(move || {
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(e) => {
                let _ = tx.blocking_send(Err(ApiError::unavailable(e)));
                return;
            }
        };
        loop {
            match next_chunk(&mut conn) {
                Ok(Some(bytes)) => {
                    if tx.blocking_send(Ok(Bytes::from(bytes))).is_err() {
                        return; // the client went away
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    conn.note_error(&e);
                    log::error!("stream stopped: {e:?}");
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    ReceiverStream::new(rx)
}
