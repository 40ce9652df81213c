//! The OpenAPI document: the paths come from the route table, the rest is declared here.

use actix_web::App;
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
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
    tags(
        (name = "places", description = "The administrative tree of China (NBS 2023 codes)"),
        (name = "indicators", description = "What is measured, in which unit"),
        (name = "sources", description = "Published documents and their full text"),
        (name = "observations", description = "The numbers, with their provenance"),
        (name = "downloads", description = "Whole tables as CSV, and their Data Package"),
        (name = "releases", description = "Loads that changed observations; the Atom feed"),
        (name = "catalog", description = "DCAT-AP catalog for harvesting portals"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

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
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.get, &mut item.head].into_iter().flatten() {
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description).into());
                }
            }
        }
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
    CommonResponses.modify(&mut api);
    api
}

/// The document as pretty JSON with a final newline, the form committed to the repository.
pub fn to_pretty_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
