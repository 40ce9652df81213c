//! Query-string extraction that names the offending parameter when it fails.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

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

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
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
