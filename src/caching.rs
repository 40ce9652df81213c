//! HTTP caching of every GET under /v1 and of /openapi.json: a strong ETag from the data version
//! and the request, Last-Modified from the time the data last changed, and 304 Not Modified for
//! a matching If-None-Match before the handler runs (or, for `*` and If-Modified-Since, after
//! it, and only when it answers 2xx).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::db::releases::{self, DataVersion};
use crate::db::Database;
use crate::public_url::PublicUrl;
use crate::response_cache::ResponseCache;

/// `Cache-Control: public, max-age=…` for cacheable answers.
#[derive(Debug, Clone, Copy)]
pub struct CachePolicy {
    pub max_age_secs: u32,
}

fn cacheable(req: &ServiceRequest) -> bool {
    matches!(*req.method(), Method::GET | Method::HEAD)
        && (req.path().starts_with("/v1/")
            || req.path() == "/openapi.json"
            || crate::pages::is_page(req.path()))
}

/// The strong validator of this request's answer under data version `version`: everything the
/// answer depends on goes in, so it changes exactly when the answer can change.
pub fn etag(version: &DataVersion, req: &ServiceRequest) -> String {
    // The links an answer holds depend on the public URL, never on an untrusted header.
    let base = req
        .app_data::<web::Data<PublicUrl>>()
        .map(|public| public.for_request(req.request()))
        .unwrap_or_default();
    let mut hasher = Sha256::new();
    for part in [
        env!("CARGO_PKG_VERSION"),
        &base,
        req.path(),
        req.query_string(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    for name in [header::ACCEPT, header::ACCEPT_ENCODING] {
        if let Some(value) = req.headers().get(&name) {
            hasher.update(value.as_bytes());
        }
        hasher.update([0]);
    }
    let digest = hex::encode(&hasher.finalize()[..12]);
    format!("\"{}-{digest}\"", version.version)
}

/// Whether an If-None-Match list names `etag` (weak comparison, RFC 9110 §13.1.2). `*` is
/// not a tag: it is handled where the answer is known to exist.
pub fn none_match(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || newer_of_same(tag, etag))
}

/// Whether `held` is the tag of this same answer (same request, same digest) under a newer
/// data version than `etag`'s. A client or a shared cache that got it from an instance reading
/// a more advanced database keeps it: an instance on a lagging replica answers 304 rather than
/// hand it older data.
fn newer_of_same(held: &str, etag: &str) -> bool {
    let parse = |tag: &str| {
        let (version, digest) = tag.trim_matches('"').split_once('-')?;
        Some((version.parse::<i64>().ok()?, digest.to_owned()))
    };
    matches!((parse(held), parse(etag)), (Some((h, hd)), Some((e, ed))) if hd == ed && h > e)
}

fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

thread_local! {
    /// The Last-Modified of the latest data version this worker has answered under.
    static LAST_MODIFIED: std::cell::RefCell<(i64, String)> = const {
        std::cell::RefCell::new((i64::MIN, String::new()))
    };
}

/// `Last-Modified` for `version`, formatted once per version and worker.
fn last_modified(version: &DataVersion) -> String {
    LAST_MODIFIED.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.0 != version.version {
            *cell = (version.version, http_date(version.changed_at));
        }
        cell.1.clone()
    })
}

fn not_modified_since(req: &ServiceRequest, changed_at: DateTime<Utc>) -> bool {
    req.headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| changed_at.timestamp() <= since.timestamp())
}

/// What a request's conditional headers ask (RFC 9110 §13.2.2: If-None-Match wins over
/// If-Modified-Since).
enum Condition {
    /// None, or none that holds.
    Unconditional,
    /// If-None-Match names this answer's tag. Only successful answers carry a tag, so the
    /// handler would answer 2xx: 304 without running it.
    TagMatches,
    /// `If-None-Match: *` or an If-Modified-Since not before the last change: 304 only if the
    /// handler answers 2xx (a 404 or 400 stays what it is).
    IfSuccessful,
}

fn condition(req: &ServiceRequest, etag: &str, changed_at: DateTime<Utc>) -> Condition {
    match req.headers().get(header::IF_NONE_MATCH) {
        Some(value) => match value.to_str() {
            Ok(v) if v.trim() == "*" => Condition::IfSuccessful,
            Ok(v) if none_match(v, etag) => Condition::TagMatches,
            _ => Condition::Unconditional,
        },
        None if not_modified_since(req, changed_at) => Condition::IfSuccessful,
        None => Condition::Unconditional,
    }
}

pub async fn conditional_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !cacheable(&req) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let (Some(db), Some(policy)) = (
        req.app_data::<web::Data<Database>>().cloned(),
        req.app_data::<web::Data<CachePolicy>>()
            .map(|p| *p.get_ref()),
    ) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    // Where this request reads, fixed now for all its queries (`db::read_from`). Answers read
    // from a replica are labelled with the version that replica holds, never with the
    // primary's: a label must not promise rows the replica has not replayed.
    let (target, replica_version) = db.read_target();
    let watched = replica_version.or_else(|| {
        req.app_data::<web::Data<std::sync::Arc<crate::db::watch::VersionWatch>>>()
            .and_then(|w| w.get())
    });
    let version = match watched {
        Some(version) => Ok(version),
        None => {
            let read = db.run(async |conn| Ok(releases::data_version(conn).await?));
            crate::db::read_from(target, read).await
        }
    };
    let version = match version {
        Ok(version) => version,
        // The document does not depend on the data: served without validators, not refused.
        Err(_) if req.path() == "/openapi.json" => {
            return Ok(next.call(req).await?.map_into_left_body());
        }
        Err(e) => {
            let response = e.error_response();
            return Ok(req.into_response(response).map_into_right_body());
        }
    };
    // Handlers key what they remember by this version; reading it once per request is enough.
    actix_web::HttpMessage::extensions_mut(&req).insert(version);
    let etag = etag(&version, &req);
    let last_modified = last_modified(&version);
    // A shared cache may answer from a stale copy while it revalidates (a minute), and while
    // the service or its database is down (a day): open data are better a little old than gone.
    let cache_control = format!(
        "public, max-age={}, stale-while-revalidate=60, stale-if-error=86400",
        policy.max_age_secs
    );
    let validators = [
        (header::ETAG, etag.clone()),
        (header::LAST_MODIFIED, last_modified),
        (header::CACHE_CONTROL, cache_control),
    ];
    let condition = condition(&req, &etag, version.changed_at);
    if let Condition::TagMatches = condition {
        answered_here(&mut req);
        return Ok(not_modified(req.into_parts().0, validators));
    }
    let cache = req
        .app_data::<web::Data<ResponseCache>>()
        .map(|cache| cache.clone().into_inner());
    if let Some(response) = cache.as_ref().and_then(|c| c.get(version.version, &etag)) {
        answered_here(&mut req);
        // Only successful answers are kept.
        if let Condition::IfSuccessful = condition {
            return Ok(not_modified(req.into_parts().0, validators));
        }
        let mut res = req.into_response(response);
        add_headers(&mut res, validators);
        return Ok(res.map_into_right_body());
    }
    let mut res = crate::db::read_from(target, next.call(req)).await?;
    if !res.status().is_success() {
        return Ok(res.map_into_left_body());
    }
    if let Condition::IfSuccessful = condition {
        return Ok(not_modified(res.into_parts().0, validators));
    }
    add_headers(&mut res, validators);
    Ok(match cache {
        Some(cache) => cache.keep(version.version, etag, res),
        None => res.map_into_left_body(),
    })
}

/// For an answer given here, before the router: the path's parameters as the router would have
/// read them, so that the request metrics label it with its route (`/v1/places/{code}`) as
/// they label an answer from the handler. Without them the metrics middleware cannot fill in
/// the route's pattern, and it says so in a warning on every such answer.
fn answered_here(req: &mut ServiceRequest) {
    let Some(known) = req
        .app_data::<web::Data<crate::routes::KnownRoutes>>()
        .cloned()
    else {
        return;
    };
    let path = req.path().to_owned();
    if let Some((def, _)) = known.0.iter().find(|(def, _)| def.is_match(&path)) {
        def.capture_match_info(req.match_info_mut());
    }
}

/// 304 Not Modified with the answer's validators.
fn not_modified<B>(
    req: actix_web::HttpRequest,
    validators: [(header::HeaderName, String); 3],
) -> ServiceResponse<EitherBody<B>> {
    let mut response = HttpResponse::NotModified();
    for (name, value) in validators {
        response.insert_header((name, value));
    }
    response.insert_header((header::VARY, "Accept"));
    ServiceResponse::new(req, response.finish()).map_into_right_body()
}

fn add_headers<B>(res: &mut ServiceResponse<B>, headers: [(header::HeaderName, String); 3]) {
    let map = res.headers_mut();
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            map.insert(name, value);
        }
    }
    // The answer depends on Accept (JSON, CSV, JSON-stat, Turtle …): a shared cache must key
    // on it. (Compression adds Accept-Encoding.)
    map.append(header::VARY, HeaderValue::from_static("Accept"));
}

/// Answers HEAD wherever GET is answered: the method is read as GET for routing, and the HTTP
/// layer sends the headers without the body. A method outside RFC 9110's and PATCH is read as
/// `OTHER`, so that no client can make up metric labels (each new method name would otherwise
/// be a new series in /metrics); it is answered 405 like any method a route does not take.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let method = req.method().clone();
    if method == Method::HEAD {
        req.head_mut().method = Method::GET;
    } else if !KNOWN_METHODS.contains(&method) {
        req.head_mut().method = other_method();
    }
    next.call(req).await
}

const KNOWN_METHODS: [Method; 8] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::OPTIONS,
    Method::CONNECT,
    Method::PATCH,
    Method::TRACE,
];

/// The one method every unknown method is counted as.
fn other_method() -> Method {
    Method::from_bytes(b"OTHER").unwrap_or(Method::TRACE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let tag = "\"7-abc\"";
        assert!(none_match("\"7-abc\"", tag));
        assert!(none_match("\"1-x\", W/\"7-abc\"", tag));
        assert!(!none_match("*", tag));
        assert!(!none_match("\"6-abc\"", tag));
    }

    #[test]
    fn a_tag_of_the_same_answer_under_a_newer_version_is_kept() {
        // Held from an instance that read a more advanced database: this one, on a lagging
        // replica, must not replace it with older data.
        assert!(none_match("\"8-abc\"", "\"7-abc\""));
        assert!(!none_match("\"8-abd\"", "\"7-abc\""), "another answer");
        assert!(!none_match("\"x-abc\"", "\"7-abc\""));
        assert!(!none_match("\"abc\"", "\"7-abc\""));
    }

    #[test]
    fn http_dates_are_imf_fixdate() {
        let at = DateTime::parse_from_rfc3339("2026-11-29T06:08:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(http_date(at), "Sun, 29 Nov 2026 06:08:00 GMT");
    }
}
