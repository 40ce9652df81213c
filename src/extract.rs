//! Query-string extraction that names the offending parameter when it fails.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// Like `actix_web::web::Query`, but a failure becomes a 400 problem that names the parameter
/// and says what was wrong with it.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(ApiQuery))
    }
}

/// Parameters that take a comma-separated list. Given more than once (`place=a&place=b`, which
/// most client libraries send for a list) they mean the list of every value given.
const LIST_PARAMETERS: [&str; 2] = ["place", "indicator"];

/// The query with repeated list parameters joined into one comma-separated value, when any is
/// repeated.
fn join_repeated_lists(query: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let repeated = LIST_PARAMETERS
        .iter()
        .any(|name| pairs.iter().filter(|(k, _)| k == name).count() > 1);
    if !repeated {
        return None;
    }
    let mut joined: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    for (key, value) in pairs {
        match joined.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) if LIST_PARAMETERS.contains(&key.as_str()) => {
                list.push(',');
                list.push_str(&value);
            }
            _ => joined.push((key, value)),
        }
    }
    Some(
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(joined)
            .finish(),
    )
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let joined = if query.contains('&') {
        join_repeated_lists(query)
    } else {
        None
    };
    let query = joined.as_deref().unwrap_or(query);
    let pairs = form_urlencoded::parse(query.as_bytes());
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs)).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner().to_string();
        let parameter = if path == "." || path.is_empty() {
            // Unknown and duplicate parameters fail before any field is entered.
            inner.split('`').nth(1).unwrap_or("query").to_owned()
        } else {
            path
        };
        let detail = if inner.starts_with("unknown field") {
            format!(
                "unknown query parameter: {}",
                inner.trim_start_matches("unknown field ")
            )
        } else {
            format!("invalid value for `{parameter}`: {inner}")
        };
        ApiError::invalid(parameter, detail)
    })
}

/// Splits a comma-separated list parameter, rejecting empty items.
pub fn split_list(parameter: &str, raw: &str) -> Result<Vec<String>, ApiError> {
    let items: Vec<String> = raw.split(',').map(|s| s.trim().to_owned()).collect();
    if items.iter().any(String::is_empty) {
        return Err(ApiError::invalid(
            parameter,
            format!("`{parameter}` is a comma-separated list with no empty items, got {raw:?}"),
        ));
    }
    Ok(items)
}

/// The largest JSON body a write takes (a source travels whole, its full text included).
pub const JSON_BODY_MAX_BYTES: usize = 16 << 20;

/// The next chunk of a request body, or 413 once the chunks read (`read`, kept by the caller)
/// pass `max` bytes (`what` names the body in the message).
async fn next_chunk(
    payload: &mut actix_web::web::Payload,
    read: &mut u64,
    max: u64,
    what: &str,
) -> Result<Option<actix_web::web::Bytes>, ApiError> {
    use futures_util::StreamExt;
    let Some(chunk) = payload.next().await else {
        return Ok(None);
    };
    let chunk = chunk.map_err(|e| {
        ApiError::body(
            actix_web::http::StatusCode::BAD_REQUEST,
            vec![FieldError::new(
                "",
                format!("the body could not be read: {e}"),
            )],
        )
    })?;
    *read += chunk.len() as u64;
    if *read > max {
        return Err(ApiError::limit(
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            format!("{what} is at most {max} bytes"),
            None,
        ));
    }
    Ok(Some(chunk))
}

/// A request body, whole, or 413 past `max` bytes (`what` names it in the message).
pub async fn read_body(
    mut payload: actix_web::web::Payload,
    max: u64,
    what: &str,
) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    let mut read = 0;
    while let Some(chunk) = next_chunk(&mut payload, &mut read, max, what).await? {
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A body of at most `max` bytes written to an anonymous temporary file, rewound: for imports,
/// which may be far larger than memory should hold. Each chunk is written off the async threads
/// after up to 1 MiB has gathered.
pub async fn spool_body(
    mut payload: actix_web::web::Payload,
    max: u64,
    what: &str,
) -> Result<std::fs::File, ApiError> {
    use std::io::{Seek, Write};
    const GATHER: usize = 1024 * 1024;
    let io = |e: std::io::Error| ApiError::internal(anyhow::anyhow!("spooling {what}: {e}"));
    let write = async |file: std::fs::File, buf: Vec<u8>| {
        actix_web::web::block(move || {
            let mut file = file;
            file.write_all(&buf).map(|()| file)
        })
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("spooling {what}: {e}")))?
        .map_err(io)
    };
    let mut file = actix_web::web::block(tempfile::tempfile)
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("spooling {what}: {e}")))?
        .map_err(io)?;
    let mut buf = Vec::with_capacity(GATHER);
    let mut read = 0;
    while let Some(chunk) = next_chunk(&mut payload, &mut read, max, what).await? {
        buf.extend_from_slice(&chunk);
        if buf.len() >= GATHER {
            file = write(
                file,
                std::mem::replace(&mut buf, Vec::with_capacity(GATHER)),
            )
            .await?;
        }
    }
    file = write(file, buf).await?;
    file.rewind().map_err(io)?;
    Ok(file)
}

/// A write's JSON body, read whole (at most [`JSON_BODY_MAX_BYTES`]). Called by a handler after
/// its token is checked, so no body is read for a request that may not write, and no database
/// work waits on a slow client. A body in another media type is 415; one that is not JSON,
/// lacks a field or has one it does not know is 400 naming the field.
pub async fn json_body<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: actix_web::web::Payload,
) -> Result<T, ApiError> {
    let json = actix_web::HttpMessage::mime_type(req)
        .ok()
        .flatten()
        .is_some_and(|m| {
            m.essence_str() == "application/json" || m.suffix().is_some_and(|s| s == "json")
        });
    if !json {
        return Err(ApiError::UnsupportedMediaType(
            "the body must be JSON, sent as `Content-Type: application/json`".to_owned(),
        ));
    }
    // The body and what it is parsed into are held at once: reserved from the memory budget
    // first, so concurrent writes wait (then 503) rather than multiply it.
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .unwrap_or(JSON_BODY_MAX_BYTES as u64)
        .min(JSON_BODY_MAX_BYTES as u64);
    let _memory = match req.app_data::<actix_web::web::Data<crate::db::Database>>() {
        Some(db) => Some(db.reserve(2 * declared).await?),
        None => None,
    };
    let body = read_body(payload, JSON_BODY_MAX_BYTES as u64, "a JSON body").await?;
    let mut deserializer = serde_json::Deserializer::from_slice(&body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner().to_string();
        // A missing or unknown field fails at the level above it: named in the message.
        let field = match path.as_str() {
            "." | "" => inner.split('`').nth(1).unwrap_or("").to_owned(),
            path => path.to_owned(),
        };
        ApiError::body(
            actix_web::http::StatusCode::BAD_REQUEST,
            vec![FieldError::new(field, inner)],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Q {
        limit: Option<u32>,
        kind: Option<crate::domain::Kind>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Lists {
        place: Option<String>,
        limit: Option<u32>,
    }

    #[test]
    fn a_repeated_list_parameter_is_the_list_of_its_values() {
        let q: Lists = parse_query("place=51&limit=5&place=52,53").unwrap();
        assert_eq!(q.place.as_deref(), Some("51,52,53"));
        assert_eq!(q.limit, Some(5));
        // Other parameters given twice still say so.
        let ApiError::InvalidParameter { parameter, .. } =
            parse_query::<Lists>("limit=1&limit=2").unwrap_err()
        else {
            panic!("expected an invalid-parameter error");
        };
        assert_eq!(parameter, "limit");
    }

    #[test]
    fn errors_name_the_parameter() {
        let ApiError::InvalidParameter { parameter, detail } =
            parse_query::<Q>("limit=abc").unwrap_err()
        else {
            panic!("expected an invalid-parameter error");
        };
        assert_eq!(parameter, "limit");
        assert!(detail.contains("limit"), "{detail}");

        let ApiError::InvalidParameter { parameter, detail } =
            parse_query::<Q>("kind=guess").unwrap_err()
        else {
            panic!("expected an invalid-parameter error");
        };
        assert_eq!(parameter, "kind");
        assert!(detail.contains("actual"), "{detail}");

        let ApiError::InvalidParameter { parameter, detail } =
            parse_query::<Q>("limt=5").unwrap_err()
        else {
            panic!("expected an invalid-parameter error");
        };
        assert_eq!(parameter, "limt");
        assert!(detail.contains("unknown query parameter"), "{detail}");
    }

    #[test]
    fn lists_reject_empty_items() {
        assert_eq!(split_list("place", "51, 5119").unwrap(), vec!["51", "5119"]);
        assert!(split_list("place", "51,,5119").is_err());
    }
}
