//! The representations the service writes besides JSON, and choosing among them.

pub mod atom;
pub mod csv;
pub mod datapackage;
pub mod dcat;
pub mod jsonstat;
pub mod sdmx;
pub mod stream;
pub mod suffix;

use actix_web::http::header::{self, Header};
use actix_web::HttpRequest;

use crate::error::ApiError;

/// A representation of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    JsonStat,
    SdmxCsv,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Json, Format::Csv, Format::JsonStat, Format::SdmxCsv];

    /// The value of `format=`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::JsonStat => "jsonstat",
            Format::SdmxCsv => "sdmx-csv",
        }
    }

    /// The `Content-Type` of a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::JsonStat => "application/vnd.json-stat+json; charset=utf-8",
            Format::SdmxCsv => "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8",
        }
    }

    /// The media type an `Accept` header names this format by.
    fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv",
            Format::JsonStat => "application/vnd.json-stat+json",
            Format::SdmxCsv => "application/vnd.sdmx.data+csv",
        }
    }
}

/// The list formats of endpoints that only have rows (places, indicators, sources).
pub const TABLE_FORMATS: &[Format] = &[Format::Json, Format::Csv];

/// Chooses the format: `format=` wins over `Accept`; without either, JSON. A format the endpoint
/// cannot produce is 406, naming those it can.
pub fn negotiate(
    req: &HttpRequest,
    param: Option<&str>,
    allowed: &[Format],
) -> Result<Format, ApiError> {
    let supported = || {
        allowed
            .iter()
            .map(|f| format!("{} ({})", f.name(), f.media_type()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // `format=` with no value is no format; `CSV` is `csv`.
    let param = param.filter(|p| !p.is_empty());
    if let Some(name) = param {
        return allowed
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| ApiError::NotAcceptable {
                detail: format!(
                    "format `{name}` is not available here; supported: {}",
                    supported()
                ),
                parameter: Some("format".to_owned()),
            });
    }
    let Some(raw) = req.headers().get(header::ACCEPT) else {
        return Ok(Format::Json);
    };
    let Ok(accept) = header::Accept::parse(req) else {
        return Err(ApiError::NotAcceptable {
            detail: format!(
                "the Accept header {:?} could not be read; supported: {}",
                raw.to_str().unwrap_or("(not text)"),
                supported()
            ),
            parameter: None,
        });
    };
    for range in acceptable(accept) {
        let essence = range.essence_str();
        if essence == "*/*" || essence == "application/*" {
            return Ok(allowed[0]);
        }
        if essence == "text/*" && allowed.contains(&Format::Csv) {
            return Ok(Format::Csv);
        }
        if let Some(format) = allowed.iter().find(|f| f.media_type() == essence) {
            return Ok(*format);
        }
    }
    Err(ApiError::NotAcceptable {
        detail: format!(
            "none of the media types in Accept ({}) can be produced; supported: {}",
            raw.to_str().unwrap_or("(not text)"),
            supported()
        ),
        parameter: None,
    })
}

/// The media ranges of an Accept header, most wanted first, without those it refuses: `q=0`
/// means "not acceptable" (RFC 9110 §12.4.2), never "least wanted".
pub fn acceptable(accept: header::Accept) -> Vec<actix_web::mime::Mime> {
    header::Accept(
        accept
            .0
            .into_iter()
            .filter(|item| item.quality > header::Quality::ZERO)
            .collect(),
    )
    .ranked()
}

/// A `Content-Disposition: attachment` value with the given file name.
pub fn attachment(filename: &str) -> String {
    format!("attachment; filename=\"{filename}\"")
}

/// An extractor for endpoints that answer JSON alone: a request whose `Accept` admits no JSON
/// (`Accept: application/xml`) is 406, as on the list endpoints, rather than JSON it did not
/// ask for.
pub struct JsonOnly;

impl actix_web::FromRequest for JsonOnly {
    type Error = ApiError;
    type Future = std::future::Ready<Result<JsonOnly, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(negotiate(req, None, &[Format::Json]).map(|_| JsonOnly))
    }
}

/// The values `format=` takes on an operation, as its OpenAPI schema: an enum, so that a
/// generated client offers a choice (the service also reads them in any case).
fn format_schema(names: impl IntoIterator<Item = &'static str>) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .build()
}

/// `format=` of the lists that only have rows: places, indicators, sources.
pub fn table_format_schema() -> utoipa::openapi::Object {
    format_schema(TABLE_FORMATS.iter().map(|f| f.name()))
}

/// `format=` of the observation list.
pub fn observation_format_schema() -> utoipa::openapi::Object {
    format_schema(Format::ALL.iter().map(|f| f.name()))
}

/// `format=` of the catalog.
pub fn catalog_format_schema() -> utoipa::openapi::Object {
    format_schema(["jsonld", "turtle"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn pick(accept: Option<&str>, param: Option<&str>) -> Result<Format, ApiError> {
        let mut req = TestRequest::default();
        if let Some(accept) = accept {
            req = req.insert_header((header::ACCEPT, accept));
        }
        negotiate(&req.to_http_request(), param, &Format::ALL)
    }

    #[test]
    fn format_parameter_wins_and_accept_is_ranked() {
        assert_eq!(pick(None, None).unwrap(), Format::Json);
        assert_eq!(pick(Some("text/csv"), None).unwrap(), Format::Csv);
        assert_eq!(pick(Some("text/csv"), Some("json")).unwrap(), Format::Json);
        assert_eq!(
            pick(Some("application/json;q=0.5, text/csv"), None).unwrap(),
            Format::Csv
        );
        assert_eq!(
            pick(Some("application/vnd.sdmx.data+csv; version=2.0.0"), None).unwrap(),
            Format::SdmxCsv
        );
        assert_eq!(pick(Some("*/*"), None).unwrap(), Format::Json);
    }

    #[test]
    fn unknown_formats_are_not_acceptable_and_list_the_supported() {
        let err = pick(None, Some("xml")).unwrap_err();
        assert!(err.to_string().contains("sdmx-csv"), "{err}");
        assert!(pick(Some("application/xml"), None).is_err());
        let req = TestRequest::default().to_http_request();
        assert!(negotiate(&req, Some("jsonstat"), TABLE_FORMATS).is_err());
    }
}
