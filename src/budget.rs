//! The memory budget: what the answers that cost most memory (JSON-stat datasets, streamed
//! downloads and their compressors) may hold at once, all requests together. Each reserves its
//! cost before it allocates; past the budget a request waits, as long as it would wait for a
//! database connection, then gets a 503 with Retry-After. Small answers (a page of at most 1,000
//! rows) reserve nothing: their cost is bounded by the page size and the number of workers.
//! docs/RELIABILITY.md gives the costs and the bound.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{AcceptEncoding, Encoding};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

/// The budget is counted in KiB.
const UNIT: u64 = 1024;

/// What a streamed download holds besides its compressor: one batch of rows as they arrive and
/// as CSV (bench/memory.sh).
pub const STREAM_BYTES: u64 = 2 << 20;

/// What the compressor of the answer to `req` holds while a streamed answer is encoded: its
/// window and tables at the settings actix-web's `Compress` uses (bench/memory.sh measures
/// them). The encoding is negotiated as `Compress` negotiates it.
pub fn encoder_bytes(req: &HttpRequest) -> u64 {
    let encoding = req
        .get_header::<AcceptEncoding>()
        .and_then(|accepted| accepted.negotiate(COMPRESSED.iter()));
    match encoding.as_ref().map(Encoding::to_string).as_deref() {
        Some("br") => 12 << 20,
        Some("zstd") => 8 << 20,
        Some("gzip" | "deflate") => 1 << 20,
        _ => 0,
    }
}

/// The encodings `Compress` offers, in its order.
const COMPRESSED: [Encoding; 5] = [
    Encoding::identity(),
    Encoding::brotli(),
    Encoding::gzip(),
    Encoding::deflate(),
    Encoding::zstd(),
];

/// The memory large answers may take at once (`MEMORY_BUDGET_MB`).
#[derive(Clone)]
pub struct MemoryBudget {
    units: Arc<Semaphore>,
    total: u64,
    wait: Duration,
    reserved: prometheus::IntGauge,
}

/// Memory reserved until dropped.
pub struct Reservation {
    _units: OwnedSemaphorePermit,
    reserved: prometheus::IntGauge,
    bytes: i64,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.reserved.sub(self.bytes);
    }
}

impl MemoryBudget {
    /// A budget of `megabytes`; a request waits up to `wait` for its share. The bytes reserved
    /// are shown in `reserved`.
    pub fn new(megabytes: u32, wait: Duration, reserved: prometheus::IntGauge) -> Self {
        let total = u64::from(megabytes) << 20;
        MemoryBudget {
            units: Arc::new(Semaphore::new((total / UNIT) as usize)),
            total,
            wait,
            reserved,
        }
    }

    /// Reserves `bytes` (at most the whole budget) for as long as the reservation lives.
    pub async fn reserve(&self, bytes: u64) -> Result<Reservation, ApiError> {
        let bytes = bytes.min(self.total);
        let units = bytes.div_ceil(UNIT) as u32;
        let permit = tokio::time::timeout(self.wait, self.units.clone().acquire_many_owned(units))
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| {
                ApiError::limit(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "Too busy",
                    "the answers being written at this moment use all the memory the service \
                     gives them; try again shortly"
                        .to_owned(),
                    Some(5),
                )
            })?;
        let bytes = (u64::from(units) * UNIT) as i64;
        self.reserved.add(bytes);
        Ok(Reservation {
            _units: permit,
            reserved: self.reserved.clone(),
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;

    fn budget(megabytes: u32) -> MemoryBudget {
        let gauge = prometheus::IntGauge::new("reserved", "reserved").unwrap();
        MemoryBudget::new(megabytes, Duration::from_millis(50), gauge)
    }

    #[tokio::test]
    async fn past_the_budget_a_request_waits_then_is_refused() {
        let budget = budget(10);
        let first = budget.reserve(6 << 20).await.unwrap();
        assert_eq!(budget.reserved.get(), 6 << 20);
        let refused = budget.reserve(6 << 20).await.err().unwrap();
        assert_eq!(refused.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        drop(first);
        assert_eq!(budget.reserved.get(), 0);
        let _second = budget.reserve(6 << 20).await.unwrap();
    }

    #[tokio::test]
    async fn a_cost_larger_than_the_budget_takes_all_of_it() {
        let budget = budget(1);
        let all = budget.reserve(5 << 20).await.unwrap();
        assert_eq!(budget.reserved.get(), 1 << 20);
        assert!(budget.reserve(1).await.is_err());
        drop(all);
    }
}
