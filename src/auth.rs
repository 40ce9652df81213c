//! Publishers' tokens: 256 random bits behind a recognisable prefix, shown once when created,
//! stored only as their SHA-256 and checked by looking that digest up. A write endpoint takes a
//! [`Publisher`], which only a request with a valid `Authorization: Bearer` token yields.
//! Failed attempts are counted by reason and limited per client, so tokens cannot be guessed
//! at speed.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};

use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use anyhow::{bail, Context};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use sha2::{Digest, Sha256};

use crate::config::RateLimitKey;
use crate::db::{self, Database};
use crate::error::ApiError;

/// Every token starts with this, so that a leaked one is recognised (by secret scanners too).
pub const PREFIX: &str = "tsk_";

/// Failed authentications a client may make in [`FAILURE_WINDOW`] before it is refused 429, by
/// default (`AUTH_FAILURES_PER_MINUTE`).
pub const MAX_FAILURES: u32 = 10;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Clients whose failures are remembered; beyond, the least recently seen are forgotten.
const CLIENTS_REMEMBERED: usize = 10_000;

/// A new token: the prefix and 32 bytes from the operating system's CSPRNG, base64url.
fn generate() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes).context("no random bytes")?;
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// What is stored of a token.
pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Creates a token named `name` and returns it: the only time it is ever seen.
pub fn create(
    conn: &mut PgConnection,
    name: &str,
    expires_in_days: Option<u32>,
) -> anyhow::Result<String> {
    let valid = name.len() <= 64
        && name
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_alphanumeric() || (i > 0 && matches!(c, '.' | '_' | '-')))
        && !name.is_empty();
    if !valid {
        bail!("a token name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    let exists = db::tokens::list(conn)?.iter().any(|t| t.name == name);
    if exists {
        bail!("a token named {name:?} exists (names are never reused, revoked or not)");
    }
    let expires_at = expires_in_days.map(|days| Utc::now() + chrono::Duration::days(days.into()));
    let token = generate()?;
    db::tokens::insert(conn, name, &digest(&token), expires_at)?;
    Ok(token)
}

/// The token a write acts under: its name is recorded on what it publishes.
#[derive(Debug, Clone)]
pub struct Publisher {
    pub name: String,
}

/// Why an authentication failed: the label of `township_stats_auth_failures_total`.
#[derive(Debug, Clone, Copy)]
enum Failure {
    Missing,
    Malformed,
    Unknown,
    Revoked,
    Expired,
}

impl Failure {
    fn label(self) -> &'static str {
        match self {
            Failure::Missing => "missing",
            Failure::Malformed => "malformed",
            Failure::Unknown => "unknown",
            Failure::Revoked => "revoked",
            Failure::Expired => "expired",
        }
    }

    fn error(self) -> ApiError {
        let (detail, presented) = match self {
            Failure::Missing => (
                "this endpoint writes data: send `Authorization: Bearer <token>` (tokens come \
                 from `township-stats token create`)",
                false,
            ),
            Failure::Malformed => (
                "the Authorization header is not `Bearer <token>` with a township-stats token",
                false,
            ),
            Failure::Unknown => ("the token is not valid", true),
            Failure::Revoked => ("the token has been revoked", true),
            Failure::Expired => ("the token has expired", true),
        };
        ApiError::Unauthorized {
            detail: detail.to_owned(),
            presented,
        }
    }
}

/// Counts failed authentications and refuses a client that fails too often.
pub struct AuthGuard {
    failures: prometheus::IntCounterVec,
    recent: quick_cache::sync::Cache<IpAddr, (Instant, u32)>,
    key: RateLimitKey,
    /// Failures allowed in a window; 0: no throttle.
    allowed: u32,
}

impl AuthGuard {
    pub fn new(
        registry: &prometheus::Registry,
        key: RateLimitKey,
        allowed: u32,
    ) -> anyhow::Result<AuthGuard> {
        let failures = prometheus::IntCounterVec::new(
            prometheus::Opts::new(
                "township_stats_auth_failures_total",
                "Write requests refused for their token, by reason (missing, malformed, unknown, \
                 revoked, expired, throttled)",
            ),
            &["reason"],
        )?;
        registry.register(Box::new(failures.clone()))?;
        Ok(AuthGuard {
            failures,
            recent: quick_cache::sync::Cache::new(CLIENTS_REMEMBERED),
            key,
            allowed,
        })
    }

    fn client(&self, req: &HttpRequest) -> Option<IpAddr> {
        let forwarded = match self.key {
            RateLimitKey::Peer => None,
            RateLimitKey::Forwarded => req
                .connection_info()
                .realip_remote_addr()
                .and_then(|a| a.parse::<IpAddr>().ok()),
        };
        forwarded.or_else(|| req.peer_addr().map(|a| a.ip()))
    }

    /// 429 while `client` has used up its failures.
    fn check(&self, client: Option<IpAddr>) -> Result<(), ApiError> {
        let Some((since, count)) = client.and_then(|c| self.recent.get(&c)) else {
            return Ok(());
        };
        let elapsed = since.elapsed();
        if self.allowed == 0 || count < self.allowed || elapsed >= FAILURE_WINDOW {
            return Ok(());
        }
        let wait = (FAILURE_WINDOW - elapsed).as_secs().max(1);
        Err(ApiError::limit(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many failed authentications",
            format!(
                "this client failed to authenticate {count} times within {} s; retry in {wait} s",
                FAILURE_WINDOW.as_secs()
            ),
            Some(wait),
        ))
    }

    fn fail(&self, client: Option<IpAddr>, failure: Failure) -> ApiError {
        self.failures.with_label_values(&[failure.label()]).inc();
        if let Some(client) = client {
            let now = Instant::now();
            let entry = match self.recent.get(&client) {
                Some((since, count)) if since.elapsed() < FAILURE_WINDOW => (since, count + 1),
                _ => (now, 1),
            };
            self.recent.insert(client, entry);
        }
        failure.error()
    }
}

/// The token of an `Authorization: Bearer` header, if the header is one.
fn bearer(req: &HttpRequest) -> Result<&str, Failure> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(Failure::Missing)?;
    let value = value.to_str().map_err(|_| Failure::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(Failure::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || !token.starts_with(PREFIX) {
        return Err(Failure::Malformed);
    }
    Ok(token)
}

async fn authenticate(req: HttpRequest) -> Result<Publisher, ApiError> {
    let guard = req
        .app_data::<web::Data<AuthGuard>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no AuthGuard configured")))?;
    let db = req
        .app_data::<web::Data<Database>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no Database configured")))?;
    let client = guard.client(&req);
    // A client over its failures is refused whatever its token says, unless the token is
    // valid: a publisher behind the same address as a guesser still gets in.
    let throttled = guard.check(client).err();
    let refuse = |failure: Failure| match &throttled {
        Some(_) => {
            guard.failures.with_label_values(&["throttled"]).inc();
            guard.check(client).err().unwrap_or_else(|| failure.error())
        }
        None => guard.fail(client, failure),
    };
    let token = bearer(&req).map_err(refuse)?;
    let digest = digest(token);
    // Tokens are checked on the primary: a token revoked there is refused at once, whatever a
    // replica has replayed.
    let db = db.on_primary();
    let found = db
        .run(async |conn| Ok(db::tokens::find(conn, &digest).await?))
        .await?;
    let now: DateTime<Utc> = Utc::now();
    let token = match found {
        None => return Err(refuse(Failure::Unknown)),
        Some(t) if t.revoked_at.is_some() => return Err(refuse(Failure::Revoked)),
        Some(t) if t.expires_at.is_some_and(|at| at <= now) => {
            return Err(refuse(Failure::Expired))
        }
        Some(t) => t,
    };
    // Best effort: a token that checks out is not refused for its bookkeeping.
    let _ = db
        .run(async |conn| Ok(db::tokens::touch(conn, &token.name).await?))
        .await;
    Ok(Publisher { name: token.name })
}

impl FromRequest for Publisher {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Publisher, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_recognisable() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX));
        // 32 bytes in base64url without padding: 43 characters.
        assert_eq!(a.len(), PREFIX.len() + 43);
        assert_ne!(digest(&a), digest(&b));
    }
}
