//! What keeps a public API standing: request ids, size limits, a per-request timeout, security
//! headers, and per-client rate limiting.

use std::net::IpAddr;
use std::time::Duration;

use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::NotUntil;
use actix_governor::{KeyExtractor, SimpleKeyExtractionError};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{web, HttpResponse, HttpResponseBuilder, ResponseError};

use crate::config::RateLimitKey;
use crate::error::ApiError;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives every request an id: the client's `X-Request-Id` when it is a sane token, else a new
/// UUID. It is set on the request (so the access log shows it) and echoed on the response. An
/// HTTP/1.0 client gets its streamed answers without chunked coding.
pub async fn request_id(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let given = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned);
    let id = given.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    req.headers_mut().insert(REQUEST_ID, value.clone());
    let http_10 = req.version() == actix_web::http::Version::HTTP_10;
    let escaped = req.app_data::<web::Data<EscapedErrors>>().cloned();
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let mut res = match next.call(req).await {
        Ok(res) => res,
        Err(err) => {
            // An error no middleware turned into a response (a request that outlived its
            // timeout): the server answers it itself, so it gets here what the middleware
            // would have added, and is logged and counted here.
            let mut response = err.error_response();
            let status = response.status();
            let headers = response.headers_mut();
            for (name, value) in SECURITY_HEADERS {
                headers.insert(name, HeaderValue::from_static(value));
            }
            headers.insert(REQUEST_ID, value);
            log::warn!("{method} {uri} {} id={id}: {err}", status.as_u16());
            if let Some(escaped) = escaped {
                escaped.0.with_label_values(&[status.as_str()]).inc();
            }
            return Err(actix_web::error::InternalError::from_response(err, response).into());
        }
    };
    res.headers_mut().insert(REQUEST_ID, value);
    if http_10 {
        // HTTP/1.0 has no chunked coding: a streamed body ends where the connection closes.
        let head = res.response_mut().head_mut();
        head.no_chunking(true);
        head.set_connection_type(actix_web::http::ConnectionType::Close);
    }
    Ok(res)
}

/// The limits of one request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub query_max_bytes: usize,
    pub body_max_bytes: u64,
    pub timeout: Duration,
}

/// 414 for an overlong query string, 413 for an oversized body, 503 for a request that takes
/// longer than the timeout to produce its answer.
pub async fn enforce_limits(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(limits) = req.app_data::<web::Data<Limits>>().map(|l| *l.get_ref()) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let refuse = |req: ServiceRequest, err: ApiError| {
        Ok(req
            .into_response(err.error_response())
            .map_into_right_body())
    };
    if let Some(parameter) = with_nul(&req) {
        let detail = format!(
            "`{parameter}` holds a NUL character (%00), which no code, name or text here can \
             contain"
        );
        return refuse(req, ApiError::invalid(parameter, detail));
    }
    let query = req.query_string().len();
    if query > limits.query_max_bytes {
        let detail = format!(
            "the query string is {query} bytes; at most {} are accepted",
            limits.query_max_bytes
        );
        return refuse(
            req,
            ApiError::limit(
                StatusCode::URI_TOO_LONG,
                "uri-too-long",
                "URI too long",
                detail,
                None,
            ),
        );
    }
    let body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    // Writes read their bodies with limits of their own (`extract::json_body`, imports).
    let write = matches!(*req.method(), Method::PUT | Method::POST)
        && req
            .app_data::<web::Data<crate::routes::KnownRoutes>>()
            .is_some_and(|known| known.allows(req.path(), req.method().as_str()));
    if body > limits.body_max_bytes && !write {
        let detail = format!(
            "the request body is {body} bytes; at most {} are accepted",
            limits.body_max_bytes
        );
        return refuse(
            req,
            ApiError::limit(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                detail,
                None,
            ),
        );
    }
    // An import runs to its end once its file is read: cut short by a timeout, its client would
    // hear 503 for a release that is then committed.
    if write && *req.method() == Method::POST {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    match actix_web::rt::time::timeout(limits.timeout, next.call(req)).await {
        Ok(res) => Ok(res?.map_into_left_body()),
        Err(_) => {
            let err = ApiError::timeout();
            log::warn!("request timed out after {:?}", limits.timeout);
            Err(actix_web::Error::from(err))
        }
    }
}

/// The query parameter (or `path`) whose decoded value holds a NUL character, which PostgreSQL
/// text cannot hold.
fn with_nul(req: &ServiceRequest) -> Option<String> {
    // The path is matched as it is sent; only `%00` decodes to a NUL.
    if req
        .uri()
        .path()
        .as_bytes()
        .windows(3)
        .any(|w| w.eq_ignore_ascii_case(b"%00"))
    {
        return Some("path".to_owned());
    }
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, value)| key.contains('\0') || value.contains('\0'))
        .map(|(key, _)| key.replace('\0', "\\0"))
}

/// Security headers on every answer. The content security policy allows only this origin's
/// scripts, styles and images, which is all the Swagger UI at /docs/ loads.
pub const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
];

/// The middleware that adds [`SECURITY_HEADERS`].
pub fn security_headers() -> DefaultHeaders {
    SECURITY_HEADERS
        .into_iter()
        .fold(DefaultHeaders::new(), |headers, header| headers.add(header))
}

/// Answers the server gave past the middleware, by status (`request_id` counts them; the
/// request metrics never see them).
#[derive(Clone)]
pub struct EscapedErrors(pub prometheus::IntCounterVec);

impl EscapedErrors {
    pub fn register(registry: &prometheus::Registry) -> anyhow::Result<Self> {
        let counter = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "township_stats_http_escaped_errors_total",
                "Answers not seen by the request metrics (requests that outlived the request \
                 timeout), by status",
            ),
            &["status"],
        )?;
        registry.register(Box::new(counter.clone()))?;
        Ok(EscapedErrors(counter))
    }
}

/// Who a request counts against: its client address, or nobody for health checks and metrics
/// (a load balancer probing must never be throttled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    Exempt,
    Client(IpAddr),
    /// No address at all (no peer address either): all such requests share one bucket.
    Unidentified,
}

#[derive(Debug, Clone, Copy)]
pub struct ClientKeyExtractor(pub RateLimitKey);

impl KeyExtractor for ClientKeyExtractor {
    type Key = ClientKey;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<ClientKey, Self::KeyExtractionError> {
        if matches!(req.path(), "/healthz" | "/readyz" | "/metrics") {
            return Ok(ClientKey::Exempt);
        }
        let ip = match self.0 {
            RateLimitKey::Peer => req.peer_addr().map(|a| a.ip()),
            // realip_remote_addr reads Forwarded / X-Forwarded-For: only trustworthy behind a
            // proxy that sets them, which is why this mode is opt-in.
            RateLimitKey::Forwarded => req.connection_info().realip_remote_addr().and_then(|a| {
                a.parse::<std::net::SocketAddr>()
                    .map(|s| s.ip())
                    .ok()
                    .or_else(|| a.parse().ok())
            }),
        };
        // A forwarded address that is no address (`unknown`, an obfuscated RFC 7239 node,
        // garbage) counts against the peer that sent it: never an error, never a free pass.
        Ok(ip
            .or_else(|| req.peer_addr().map(|a| a.ip()))
            .map_or(ClientKey::Unidentified, ClientKey::Client))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            .max(1);
        let problem = ApiError::limit(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            format!("this client sent more requests than it may; retry in {wait} s"),
            Some(wait),
        )
        .problem();
        response
            .insert_header((header::CONTENT_TYPE, crate::error::PROBLEM_JSON))
            .insert_header((header::RETRY_AFTER, wait.to_string()))
            .body(serde_json::to_string(&problem).unwrap_or_default())
    }

    fn whitelisted_keys(&self) -> Vec<ClientKey> {
        vec![ClientKey::Exempt]
    }
}
