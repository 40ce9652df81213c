//! Keyset pagination: opaque cursors, the list envelope and RFC 8288 `Link` headers.

use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

/// The envelope of every list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T: ToSchema> {
    pub data: Vec<T>,
    pub meta: ListMeta,
}

/// The envelope of every single item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResponse<T: ToSchema> {
    pub data: T,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ListMeta {
    /// How many items match the filters, over all pages.
    pub total: i64,
    /// The page size used.
    pub limit: i64,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Change listings only (`updated_since` or `sync_token`), on every page, the last
    /// included: where this page ended. Keep it and pass it as `sync_token` to get only what
    /// changed after it (an empty page and the same token when nothing did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
}

/// Checks `limit` against the allowed range, defaulting when absent.
pub fn limit(requested: Option<i64>) -> Result<i64, ApiError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid(
            "limit",
            format!("`limit` must be between 1 and {MAX_LIMIT}, got {n}"),
        )),
    }
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// The key of a `cursor` parameter; none when absent or empty (what a form or a client library
/// sends for "none").
pub fn after<K: DeserializeOwned>(cursor: Option<&str>) -> Result<Option<K>, ApiError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()
}

pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        // A key PostgreSQL cannot hold (a NUL in text) was never written by this service.
        .filter(|bytes| !bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")))
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            ApiError::invalid(
                "cursor",
                "`cursor` is not valid: pass the `next_cursor` of the previous page unchanged, \
                 with the same filters and sort",
            )
        })
}

/// One page of rows fetched with `limit + 1`: trims the extra row and says whether there is more.
pub fn split_page<T>(mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    (rows, more)
}

/// The URL of the next page: this request's URL with `cursor` replaced.
pub fn next_url(req: &HttpRequest, cursor: &str) -> String {
    let base = req
        .app_data::<actix_web::web::Data<crate::public_url::PublicUrl>>()
        .map(|public| public.for_request(req))
        .unwrap_or_default();
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if key != "cursor" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("cursor", cursor);
    format!("{base}{}?{}", req.path(), query.finish())
}

/// One page of rows fetched with `limit + 1`: the page, and the cursor of the next page (made
/// from the last row's key) when there is one.
pub fn next_page<R, K: Serialize>(
    rows: Vec<R>,
    limit: i64,
    key: impl Fn(&R) -> K,
) -> (Vec<R>, Option<String>) {
    let (rows, more) = split_page(rows, limit);
    let next = more
        .then(|| rows.last().map(|row| encode_cursor(&key(row))))
        .flatten();
    (rows, next)
}

/// The `Link` header value pointing at the next page.
pub fn next_link(req: &HttpRequest, cursor: &str) -> String {
    format!("<{}>; rel=\"next\"", next_url(req, cursor))
}

/// The JSON answer of every list endpoint: one page of rows fetched with `limit + 1`, each row
/// turned into its view, the next cursor made from the last row's key.
pub fn page_response<R, V: ToSchema + Serialize, K: Serialize>(
    req: &HttpRequest,
    rows: Vec<R>,
    total: i64,
    limit: i64,
    key: impl Fn(&R) -> K,
    view: impl FnMut(R) -> V,
) -> actix_web::HttpResponse {
    let (rows, next) = next_page(rows, limit, key);
    list_response(
        req,
        rows.into_iter().map(view).collect(),
        total,
        limit,
        next,
    )
}

/// Builds a list response with its `Link: <…>; rel="next"` header when there is a next page.
pub fn list_response<T: ToSchema + Serialize>(
    req: &HttpRequest,
    data: Vec<T>,
    total: i64,
    limit: i64,
    next_cursor: Option<String>,
) -> actix_web::HttpResponse {
    sync_list_response(req, data, total, limit, next_cursor, None)
}

/// [`list_response`] of a change listing, which says where it ended in `sync_token`.
pub fn sync_list_response<T: ToSchema + Serialize>(
    req: &HttpRequest,
    data: Vec<T>,
    total: i64,
    limit: i64,
    next_cursor: Option<String>,
    sync_token: Option<String>,
) -> actix_web::HttpResponse {
    let mut response = actix_web::HttpResponse::Ok();
    if let Some(cursor) = &next_cursor {
        response.insert_header((actix_web::http::header::LINK, next_link(req, cursor)));
    }
    response.json(ListResponse {
        data,
        meta: ListMeta {
            total,
            limit,
            next_cursor,
            sync_token,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_rejected() {
        let cursor = encode_cursor(&("period", 2016, 42));
        let back: (String, i32, i64) = decode_cursor(&cursor).unwrap();
        assert_eq!(back, ("period".to_owned(), 2016, 42));
        assert!(decode_cursor::<(String, i32, i64)>("not-a-cursor!").is_err());
    }

    #[test]
    fn limit_defaults_and_bounds() {
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit(Some(1000)).unwrap(), 1000);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(100_000)).is_err());
    }

    #[test]
    fn split_page_detects_more() {
        assert_eq!(split_page(vec![1, 2, 3], 2), (vec![1, 2], true));
        assert_eq!(split_page(vec![1, 2], 2), (vec![1, 2], false));
    }
}
