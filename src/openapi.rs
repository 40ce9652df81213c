//! The OpenAPI document: the paths come from the route table, the rest is declared here.

use actix_web::App;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::domain::Lang;
use crate::error::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "township-stats",
        description = "Normalized statistics about Chinese townships, by place and by period, \
            each number with the verbatim sentence of the source it came from.\n\n\
            Every error is `application/problem+json` (RFC 9457). Lists are paginated with an \
            opaque `cursor` and carry an RFC 8288 `Link` header to the next page.",
        license(name = "CC-BY-4.0", identifier = "CC-BY-4.0"),
    ),
    components(schemas(Problem, Lang)),
    modifiers(&BearerToken),
    tags(
        (name = "places", description = "The administrative tree of China (NBS 2023 codes)"),
        (name = "indicators", description = "What is measured, in which unit"),
        (name = "sources", description = "Published documents and their full text"),
        (name = "observations", description = "The numbers, with their provenance"),
        (name = "downloads", description = "Whole tables as CSV, and their Data Package"),
        (name = "releases", description = "Loads that changed observations; the Atom feed"),
        (name = "catalog", description = "DCAT-AP catalog for harvesting portals"),
        (name = "publishing", description = "Writes, with a publisher's token: sources, indicators, places"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// The security scheme of the write endpoints: a publisher's token (`township-stats token create`).
pub struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A publisher's token (`tsk_…`) from `township-stats token create`",
                    ))
                    .build(),
            ),
        );
    }
}

/// Answers any operation can give, added where an operation does not list them: 400 (an
/// unknown or malformed query parameter), 413/414 (limits), 429 (rate limit) and 503 (database
/// unavailable or request timeout), each a problem document.
pub struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        let common = [
            ("400", "A query parameter is unknown or malformed"),
            (
                "406",
                "No format (Accept) or encoding (Accept-Encoding) asked for can be produced",
            ),
            ("413", "The request body is too large"),
            ("414", "The query string is too long"),
            ("429", "Too many requests from this client; see Retry-After"),
            (
                "503",
                "The database is unavailable or the answer took too long; see Retry-After",
            ),
        ];
        for (path, item) in openapi.paths.paths.iter_mut() {
            // What `caching::conditional_get` answers: validators and 304, on reads.
            let cached = path.starts_with("/v1/") || path == "/openapi.json";
            let operations = [
                (&mut item.get, cached),
                (&mut item.head, cached),
                (&mut item.put, false),
                (&mut item.post, false),
            ];
            for (operation, conditional) in operations {
                let Some(operation) = operation else {
                    continue;
                };
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description).into());
                }
                if conditional {
                    conditional_get(operation);
                }
                for parameter in operation.parameters.iter_mut().flatten() {
                    if EMPTY_MEANS_ABSENT.contains(&parameter.name.as_str())
                        && parameter.parameter_in == ParameterIn::Query
                    {
                        let empty: Extensions =
                            [("allowEmptyValue", serde_json::Value::Bool(true))]
                                .into_iter()
                                .collect();
                        parameter.extensions.get_or_insert_default().merge(empty);
                    }
                }
                for (status, response) in operation.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    describe_headers(status, response, conditional);
                }
            }
        }
    }
}

/// Query parameters that, sent empty (`format=`, as an HTML form sends an unset field), are
/// read as absent: OpenAPI's `allowEmptyValue`.
const EMPTY_MEANS_ABSENT: [&str; 3] = ["format", "cursor", "sync_token"];

fn header(description: &str) -> Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(description))
        .build()
}

/// The request headers of a conditional GET, and its 304 answer.
fn conditional_get(operation: &mut Operation) {
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    for (name, description) in [
        (
            "If-None-Match",
            "ETags of answers already held: 304 when the answer's tag is among them",
        ),
        (
            "If-Modified-Since",
            "An HTTP date: 304 when the data have not changed since (ignored with If-None-Match)",
        ),
    ] {
        parameters.push(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        );
    }
    operation.responses.responses.insert(
        "304".to_owned(),
        ResponseBuilder::new()
            .description("Not Modified: the copy the client holds is still current")
            .build()
            .into(),
    );
}

/// The response headers the middleware adds, on every answer they appear on.
fn describe_headers(status: &str, response: &mut Response, conditional: bool) {
    let mut add = |name: &str, description: &str| {
        response
            .headers
            .entry(name.to_owned())
            .or_insert_with(|| header(description));
    };
    add(
        "X-Request-Id",
        "The id of this request, as in the service's log (the client's own when it sent a valid one)",
    );
    let fresh = status.starts_with('2') || status == "304";
    if conditional && fresh {
        add(
            "ETag",
            "Strong validator of this answer: changes with the data, the URL and Accept/Accept-Encoding",
        );
        add("Last-Modified", "When the data last changed");
        add(
            "Cache-Control",
            "How long shared and private caches may keep it",
        );
        add("Vary", "The request headers the answer depends on");
    }
    if status == "429" || status == "503" {
        add("Retry-After", "Seconds to wait before trying again");
    }
    let csv = response.content.keys().any(|media| media.contains("csv"));
    if status.starts_with('2') && csv {
        add(
            "Content-Disposition",
            "CSV answers are attachments named after what they hold",
        );
    }
}

/// The complete document, as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    // Paths arrive with the route table, after `ApiDoc::openapi()`: modify the whole document.
    suffixed_operations(&mut api);
    CommonResponses.modify(&mut api);
    api
}

/// `/v1/observations.csv` and the like (`formats::suffix`): the list's operation without
/// `format`, answering the one media type.
fn suffixed_operations(api: &mut utoipa::openapi::OpenApi) {
    for (list, format, media_type) in crate::formats::suffix::SUFFIXED {
        let Some(mut operation) = api.paths.paths.get(list).and_then(|item| item.get.clone())
        else {
            continue;
        };
        operation.operation_id = operation
            .operation_id
            .map(|id| format!("{id}_{}", format.replace('-', "_")));
        operation.summary = operation
            .summary
            .map(|summary| format!("{summary} ({media_type})"));
        operation.description = Some(format!(
            "`{list}?format={format}` at its own address, for clients generated from this \
             document: the answer is always {media_type}."
        ));
        let csv = media_type.ends_with("csv");
        if let Some(parameters) = operation.parameters.as_mut() {
            parameters.retain(|p| p.name != "format" && (csv || p.name != "bom"));
        }
        if let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200") {
            ok.content.retain(|media, _| media == media_type);
        }
        let mut item = utoipa::openapi::PathItem::default();
        item.get = Some(operation);
        api.paths.paths.insert(format!("{list}.{format}"), item);
    }
}

/// The document as pretty JSON with a final newline, the form committed to the repository.
pub fn to_pretty_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
