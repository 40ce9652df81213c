//! The scheme and host written into the URLs of answers (citations, `url`, `Link`, the catalog,
//! the feed, CSV). A request's headers reach those bodies, which shared caches keep, only when
//! they are trusted: the `Host` only when `ALLOWED_HOSTS` names it, `X-Forwarded-Host`,
//! `X-Forwarded-Proto` and `Forwarded` only from a peer in `TRUSTED_PROXIES` (and their host only
//! when allowed too). Otherwise the URL is `PUBLIC_URL`, or, without it, the address the service
//! listens on.

use std::net::IpAddr;

use actix_web::http::header;
use actix_web::HttpRequest;

#[derive(Debug, Clone)]
pub struct PublicUrl {
    /// `PUBLIC_URL`, without a trailing slash.
    configured: Option<String>,
    /// `ALLOWED_HOSTS`: host or host:port, lower case.
    allowed_hosts: Vec<String>,
    /// `TRUSTED_PROXIES`: peers whose forwarded headers count.
    trusted_proxies: Vec<IpAddr>,
    /// What is written when no trusted header says otherwise.
    fallback: String,
}

impl PublicUrl {
    pub fn new(
        configured: Option<&str>,
        allowed_hosts: &[String],
        trusted_proxies: &[IpAddr],
        bind: &str,
    ) -> PublicUrl {
        let fallback = match configured {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", listen_host(bind)),
        };
        PublicUrl {
            configured: configured.map(|u| u.trim_end_matches('/').to_owned()),
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            trusted_proxies: trusted_proxies.to_vec(),
            fallback,
        }
    }

    /// Scheme and host for the links of an answer to `req`.
    pub fn for_request(&self, req: &HttpRequest) -> String {
        if let Some(url) = &self.configured {
            if self.allowed_hosts.is_empty() {
                return url.clone();
            }
        }
        let trusted = req
            .peer_addr()
            .is_some_and(|peer| self.trusted_proxies.contains(&peer.ip()));
        let forwarded = if trusted {
            forwarded(req)
        } else {
            Forwarded::default()
        };
        let host = forwarded.host.or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        match host.filter(|h| self.allows(h)) {
            Some(host) => {
                let scheme = match forwarded.proto.as_deref() {
                    Some("https") => "https",
                    Some("http") => "http",
                    _ if req.connection_info().scheme() == "https" && !trusted => "https",
                    _ => "http",
                };
                format!("{scheme}://{}", host.to_ascii_lowercase())
            }
            None => self.fallback.clone(),
        }
    }

    fn allows(&self, host: &str) -> bool {
        self.allowed_hosts.contains(&host.to_ascii_lowercase())
    }
}

/// What a trusted proxy says the client asked for.
#[derive(Default)]
struct Forwarded {
    host: Option<String>,
    proto: Option<String>,
}

fn forwarded(req: &HttpRequest) -> Forwarded {
    let text = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut found = Forwarded {
        host: text("x-forwarded-host"),
        proto: text("x-forwarded-proto").map(|p| p.to_ascii_lowercase()),
    };
    // RFC 7239: the first element's host= and proto= win over the X- headers.
    if let Some(first) = text("forwarded") {
        for pair in first.split(';') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = value.trim().trim_matches('"').to_owned();
            match key.trim().to_ascii_lowercase().as_str() {
                "host" if !value.is_empty() => found.host = Some(value),
                "proto" if !value.is_empty() => found.proto = Some(value.to_ascii_lowercase()),
                _ => {}
            }
        }
    }
    found
}

/// The host a client reaches the service at, from the listen address: `localhost` for an
/// unspecified address (0.0.0.0, [::]).
fn listen_host(bind: &str) -> String {
    match bind.parse::<std::net::SocketAddr>() {
        Ok(addr) if addr.ip().is_unspecified() => format!("localhost:{}", addr.port()),
        Ok(addr) => addr.to_string(),
        Err(_) => bind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn url(public: &PublicUrl, req: TestRequest) -> String {
        public.for_request(&req.to_http_request())
    }

    #[test]
    fn headers_are_written_only_when_trusted() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let public = PublicUrl::new(
            None,
            &["stats.example.org".to_owned()],
            &[proxy],
            "0.0.0.0:8080",
        );
        let from = |peer: &str| TestRequest::default().peer_addr(peer.parse().unwrap());
        // An allowed Host is written; any other is not.
        let allowed = from("1.2.3.4:5").insert_header(("host", "stats.example.org"));
        assert_eq!(url(&public, allowed), "http://stats.example.org");
        let forged = from("1.2.3.4:5").insert_header(("host", "evil.example"));
        assert_eq!(url(&public, forged), "http://localhost:8080");
        // Forwarded headers count from the proxy only, and only for an allowed host.
        let spoofed = from("1.2.3.4:5")
            .insert_header(("host", "stats.example.org"))
            .insert_header(("x-forwarded-host", "evil.example"))
            .insert_header(("x-forwarded-proto", "javascript"));
        assert_eq!(url(&public, spoofed), "http://stats.example.org");
        let proxied = from("10.0.0.1:5")
            .insert_header(("host", "internal:8080"))
            .insert_header((
                "forwarded",
                "for=1.2.3.4;host=stats.example.org;proto=https",
            ));
        assert_eq!(url(&public, proxied), "https://stats.example.org");
        let proxied_evil = from("10.0.0.1:5")
            .insert_header(("x-forwarded-host", "a<script>b"))
            .insert_header(("x-forwarded-proto", "javascript"));
        assert_eq!(url(&public, proxied_evil), "http://localhost:8080");
    }

    #[test]
    fn public_url_wins_when_no_host_is_allowed() {
        let public = PublicUrl::new(
            Some("https://stats.example.org/"),
            &[],
            &[],
            "127.0.0.1:8080",
        );
        let req = TestRequest::default().insert_header(("host", "evil.example"));
        assert_eq!(url(&public, req), "https://stats.example.org");
    }
}
