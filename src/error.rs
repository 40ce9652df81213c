//! The one error type of the service and its RFC 9457 `application/problem+json` body.

use actix_web::body::BoxBody;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:township-stats:problem:invalid-parameter",
    "title": "Invalid parameter",
    "status": 400,
    "detail": "`limit` must be between 1 and 1000, got 100000",
    "parameter": "limit"
}))]
pub struct Problem {
    /// A URN naming the kind of problem; stable, for programs to branch on.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What was wrong with this request, in words meant for a person.
    pub detail: String,
    /// The query or path parameter at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// Everything wrong with a request body, each naming its field (and, in an import, its row).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// One thing wrong with a request body.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({"row": 3, "column": "quote", "value": "全年实现GDP", "detail": "the quote does not occur in the source's text"}))]
pub struct FieldError {
    /// The row of an imported file, numbered as in the file (its header is row 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// The field of the JSON body, or the column of the imported row.
    pub column: String,
    /// The value found there, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub detail: String,
}

impl FieldError {
    pub fn new(column: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            row: None,
            column: column.into(),
            value: None,
            detail: detail.into(),
        }
    }

    pub fn value(mut self, value: impl Into<String>) -> FieldError {
        self.value = Some(value.into());
        self
    }

    pub fn row(mut self, row: u64) -> FieldError {
        self.row = Some(row);
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    InvalidParameter { parameter: String, detail: String },
    #[error("{0}")]
    NotFound(String),
    #[error("no route matches {0}")]
    RouteNotFound(String),
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed {
        method: String,
        path: String,
        allow: String,
    },
    #[error("{detail}")]
    NotAcceptable {
        detail: String,
        parameter: Option<String>,
    },
    /// A limit of the service was reached (413, 414, 429, a timeout's 503).
    #[error("{detail}")]
    Limit {
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: String,
        retry_after: Option<u64>,
    },
    /// 401: no token, or one that opens nothing. `presented` when a token was sent.
    #[error("{detail}")]
    Unauthorized { detail: String, presented: bool },
    /// 409: the write contradicts what is stored.
    #[error("{0}")]
    Conflict(String),
    /// 400 (a body that cannot be read) or 422 (one that breaks a rule), listing every fault.
    #[error("{detail}")]
    InvalidBody {
        status: StatusCode,
        detail: String,
        errors: Vec<FieldError>,
    },
    /// 415: a body in a media type the endpoint does not read.
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the database is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn invalid(parameter: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError::InvalidParameter {
            parameter: parameter.into(),
            detail: detail.into(),
        }
    }

    pub fn unavailable(cause: impl Into<anyhow::Error>) -> ApiError {
        ApiError::Unavailable(cause.into())
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> ApiError {
        ApiError::Internal(cause.into())
    }

    /// The answer took longer than the request timeout.
    pub fn timeout() -> ApiError {
        ApiError::limit(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "Request timed out",
            "the answer took longer than the request timeout; narrow the query or try again later"
                .to_owned(),
            Some(5),
        )
    }

    pub fn limit(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: String,
        retry_after: Option<u64>,
    ) -> ApiError {
        ApiError::Limit {
            status,
            slug,
            title,
            detail,
            retry_after,
        }
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::InvalidParameter { .. } => ("invalid-parameter", "Invalid parameter"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::RouteNotFound(_) => ("no-such-route", "No such route"),
            ApiError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            ApiError::NotAcceptable { .. } => ("not-acceptable", "Not acceptable"),
            ApiError::Limit { slug, title, .. } => (slug, title),
            ApiError::Unauthorized { .. } => ("unauthorized", "Unauthorized"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::InvalidBody { status, .. } if *status == StatusCode::BAD_REQUEST => {
                ("invalid-body", "Invalid request body")
            }
            ApiError::InvalidBody { .. } => ("failed-checks", "The data failed their checks"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal server error"),
        }
    }

    /// 400 or 422 with the faults of a body.
    pub fn body(status: StatusCode, errors: Vec<FieldError>) -> ApiError {
        let detail = match errors.as_slice() {
            [one] => one.detail.clone(),
            many => format!("{} problems; each is in `errors`", many.len()),
        };
        ApiError::InvalidBody {
            status,
            detail,
            errors,
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.kind();
        Problem {
            type_: format!("urn:township-stats:problem:{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail: match self {
                ApiError::Unavailable(_) => {
                    "The database is unavailable; try again shortly.".to_owned()
                }
                ApiError::Internal(_) => {
                    "The server failed to answer this request; the cause has been logged."
                        .to_owned()
                }
                other => other.to_string(),
            },
            parameter: match self {
                ApiError::InvalidParameter { parameter, .. } => Some(parameter.clone()),
                ApiError::NotAcceptable { parameter, .. } => parameter.clone(),
                _ => None,
            },
            errors: match self {
                ApiError::InvalidBody { errors, .. } => Some(errors.clone()),
                _ => None,
            },
        }
    }
}

/// Database errors by kind, never by message text (which follows the server's `lc_messages`).
/// A request that outlives its timeout is ended by the service, which cancels its query; the
/// server's `statement_timeout` is only a backstop behind that.
impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            // The server went away (or the connection to it did).
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => ApiError::unavailable(e),
            // SQLSTATE 40001. The service runs nothing SERIALIZABLE, so this is a replica
            // cancelling a read that conflicts with the replay of a change: try again.
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                ApiError::unavailable(e)
            }
            other => ApiError::internal(other),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidParameter { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) | ApiError::RouteNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAcceptable { .. } => StatusCode::NOT_ACCEPTABLE,
            ApiError::Limit { status, .. } => *status,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::InvalidBody { status, .. } => *status,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        match self {
            ApiError::Internal(cause) => log::error!("internal error: {cause:#}"),
            ApiError::Unavailable(cause) => log::warn!("database unavailable: {cause:#}"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            ApiError::MethodNotAllowed { allow, .. } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            // RFC 6750 §3: a request without a token learns the scheme; one with a bad token
            // also learns that the token was the fault.
            ApiError::Unauthorized { presented, .. } => {
                let challenge = if *presented {
                    r#"Bearer realm="township-stats", error="invalid_token""#
                } else {
                    r#"Bearer realm="township-stats""#
                };
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            ApiError::Limit {
                retry_after: Some(secs),
                ..
            } => {
                response.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

/// Turns any error response that is not yet a problem document (actix's own 4xx and 5xx) into
/// one, keeping its status.
pub fn as_problem<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    use actix_web::middleware::ErrorHandlerResponse;
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = res
        .response()
        .error()
        .filter(|_| status.is_client_error())
        .map(|e| e.to_string())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned());
    if status.is_server_error() {
        log::error!(
            "{} {}: {detail}",
            res.request().method(),
            res.request().path()
        );
    }
    let problem = Problem {
        type_: "about:blank".to_owned(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        parameter: None,
        errors: None,
    };
    let (req, res) = res.into_parts();
    let mut builder = HttpResponse::build(res.status());
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && name != header::CONTENT_ENCODING
        {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    let new = builder
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .body(serde_json::to_string(&problem).unwrap_or_default());
    Ok(ErrorHandlerResponse::Response(
        actix_web::dev::ServiceResponse::new(req, new).map_into_right_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let err = ApiError::internal(anyhow::anyhow!("password authentication failed for root"));
        let problem = err.problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("password"));
    }

    #[test]
    fn invalid_parameter_names_the_parameter() {
        let problem = ApiError::invalid("limit", "`limit` must be at most 1000").problem();
        assert_eq!(problem.status, 400);
        assert_eq!(problem.parameter.as_deref(), Some("limit"));
        assert_eq!(
            problem.type_,
            "urn:township-stats:problem:invalid-parameter"
        );
    }
}
