//! A list in one format at its own address: `/v1/observations.csv?…` is
//! `/v1/observations?…&format=csv`. Each such address is its own operation in the OpenAPI
//! document, with one media type, so that a generated client knows what it gets back (a client
//! generator reads an answer as the first media type an operation lists, whatever `format=` it
//! sent).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::middleware::Next;

/// The lists with more than one format, and the suffixes they answer: (path, format, media type).
pub const SUFFIXED: [(&str, &str, &str); 8] = [
    ("/v1/observations", "csv", "text/csv"),
    (
        "/v1/observations",
        "jsonstat",
        "application/vnd.json-stat+json",
    ),
    (
        "/v1/observations",
        "sdmx-csv",
        "application/vnd.sdmx.data+csv",
    ),
    ("/v1/places", "csv", "text/csv"),
    ("/v1/indicators", "csv", "text/csv"),
    ("/v1/sources", "csv", "text/csv"),
    ("/v1/releases", "csv", "text/csv"),
    ("/v1/catalog", "turtle", "text/turtle"),
];

/// The list and format a suffixed path names, if it is one.
fn split(path: &str) -> Option<(&'static str, &'static str)> {
    let (list, format) = path.rsplit_once('.')?;
    SUFFIXED
        .iter()
        .find(|(l, f, _)| *l == list && *f == format)
        .map(|(l, f, _)| (*l, *f))
}

/// Routes a suffixed path to its list with `format=` added. Given `format=` as well, the
/// request has it twice and is refused like any repeated parameter.
pub async fn suffix_as_format(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some((list, format)) = split(req.path()) {
        let query = match req.query_string() {
            "" => format!("format={format}"),
            query => format!("{query}&format={format}"),
        };
        let mut parts = req.head().uri.clone().into_parts();
        if let Ok(path_and_query) = format!("{list}?{query}").parse() {
            parts.path_and_query = Some(path_and_query);
            if let Ok(uri) = Uri::from_parts(parts) {
                req.match_info_mut().get_mut().update(&uri);
                req.head_mut().uri = uri;
            }
        }
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_suffixes_are_formats() {
        assert_eq!(
            split("/v1/observations.sdmx-csv"),
            Some(("/v1/observations", "sdmx-csv"))
        );
        assert_eq!(split("/v1/catalog.turtle"), Some(("/v1/catalog", "turtle")));
        assert_eq!(split("/v1/places.jsonstat"), None);
        assert_eq!(split("/v1/downloads/observations.csv"), None);
        assert_eq!(split("/v1/places/511903.csv"), None);
    }
}
