//! Whole answers kept in memory, keyed by their strong ETag. The tag is made from the data
//! version and everything the answer depends on (see [`crate::caching::etag`]), so an entry is
//! only ever served for the data version it was made under: once the version moves, no request
//! computes its tag again. Entries of older versions are dropped when a newer one is first seen.
//!
//! Only complete `200 OK` answers whose body is in memory and at most `max_entry_bytes` long are
//! kept; streamed downloads pass through.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use quick_cache::sync::Cache;
use quick_cache::Weighter;

/// The largest answer kept.
pub const MAX_ENTRY_BYTES: usize = 1 << 20;

pub struct ResponseCache {
    /// `None` when the cache is off (capacity 0).
    entries: Option<Cache<String, Arc<Cached>, ByBytes>>,
    /// The newest data version seen; entries of older ones are gone.
    version: AtomicI64,
    hits: IntCounter,
    misses: IntCounter,
}

/// One kept answer: what the handler returned, before compression.
struct Cached {
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<String, Arc<Cached>> for ByBytes {
    fn weight(&self, key: &String, cached: &Arc<Cached>) -> u64 {
        let headers: usize = cached
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        (key.len() + headers + cached.body.len()) as u64
    }
}

impl ResponseCache {
    /// A cache holding up to `capacity_bytes` of answers; with 0 it keeps nothing.
    pub fn new(capacity_bytes: u64, registry: &Registry) -> prometheus::Result<Self> {
        let lookups = IntCounterVec::new(
            Opts::new(
                "township_stats_response_cache_lookups_total",
                "Answers looked up in the response cache, by result (hit, miss)",
            ),
            &["result"],
        )?;
        registry.register(Box::new(lookups.clone()))?;
        // A typical kept answer (one page of JSON) is a few kilobytes.
        let estimated_items = (capacity_bytes / 4096).clamp(16, 1 << 20) as usize;
        Ok(ResponseCache {
            entries: (capacity_bytes > 0)
                .then(|| Cache::with_weighter(estimated_items, capacity_bytes, ByBytes)),
            version: AtomicI64::new(i64::MIN),
            hits: lookups.with_label_values(&["hit"]),
            misses: lookups.with_label_values(&["miss"]),
        })
    }

    /// Forgets every entry made under a version older than `version`.
    fn observe(&self, entries: &Cache<String, Arc<Cached>, ByBytes>, version: i64) {
        if self.version.fetch_max(version, Ordering::AcqRel) < version {
            entries.clear();
        }
    }

    /// The kept answer tagged `etag` under data version `version`.
    pub fn get(&self, version: i64, etag: &str) -> Option<HttpResponse> {
        let entries = self.entries.as_ref()?;
        self.observe(entries, version);
        let Some(cached) = entries.get(etag) else {
            self.misses.inc();
            return None;
        };
        self.hits.inc();
        let mut response = HttpResponse::Ok();
        for (name, value) in &cached.headers {
            response.append_header((name.clone(), value.clone()));
        }
        Some(response.body(cached.body.clone()))
    }

    /// Keeps `res` under `etag` if it can be kept, and passes it on either way.
    pub fn keep<B: MessageBody>(
        &self,
        version: i64,
        etag: String,
        res: ServiceResponse<B>,
    ) -> ServiceResponse<EitherBody<B>> {
        let small = matches!(res.response().body().size(),
            BodySize::Sized(n) if n <= MAX_ENTRY_BYTES as u64);
        let Some(entries) = &self.entries else {
            return res.map_into_left_body();
        };
        if res.status() != StatusCode::OK || !small {
            return res.map_into_left_body();
        }
        let (req, response) = res.into_parts();
        let (head, body) = response.into_parts();
        match body.try_into_bytes() {
            Ok(bytes) => {
                self.observe(entries, version);
                if self.version.load(Ordering::Acquire) == version {
                    let headers = head
                        .headers()
                        .iter()
                        .map(|(name, value)| (name.clone(), value.clone()))
                        .collect();
                    let cached = Cached {
                        headers,
                        body: bytes.clone(),
                    };
                    entries.insert(etag, Arc::new(cached));
                }
                ServiceResponse::new(
                    req,
                    head.set_body(bytes)
                        .map_into_boxed_body()
                        .map_into_right_body(),
                )
            }
            Err(body) => ServiceResponse::new(req, head.set_body(body).map_into_left_body()),
        }
    }
}
