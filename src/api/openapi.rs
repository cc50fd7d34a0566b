//! `GET /api/v1/openapi.json`: the API description, generated from the handlers' annotations
//! (utoipa), so it cannot drift from the code. Public: it describes, it does not disclose.
use std::sync::LazyLock;

use actix_web::{HttpRequest, HttpResponse};
use utoipa::openapi::header::Header;
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::api::error::{ApiError, PROBLEM_JSON, Problem};
use crate::api::output;
use crate::auth::origin::public_origin;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pulse data API",
        description = "Client feedback and NPS scores of the organisation that owns the bearer token. \
                       Errors are application/problem+json (RFC 9457).",
        license(name = "Proprietary", identifier = "LicenseRef-Pulse"),
        contact(name = "Pulse support", url = "https://pulse.example/support")
    ),
    tags(
        (name = "data", description = "Feedback, scores and clients, as JSON or CSV"),
        (name = "auth", description = "Checking a token, and reporting tokens found in public"),
        (name = "meta", description = "This description"),
    ),
    paths(
        crate::api::feedback::list,
        crate::api::scores::show,
        crate::api::clients::list,
        crate::api::whoami::show,
        crate::api::token_leaks::report,
        show,
    ),
    components(schemas(Problem)),
    security(("bearer" = [])),
    modifiers(&BearerAuth, &Refusals, &Revalidation)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Stands for the public address in the prepared document.
const ORIGIN_PLACEHOLDER: &str = "https://origin.placeholder.invalid";

/// The document as served, serialised once around its one varying part: its only server is
/// this server's public address, so that generated clients and tools such as Swagger UI call the
/// right place. A request costs a copy, not a rebuild, so a flood of them is cheap.
struct Prepared {
    before: Vec<u8>,
    after: Vec<u8>,
}

static PREPARED: LazyLock<Prepared> = LazyLock::new(|| {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![Server::new(ORIGIN_PLACEHOLDER)]);
    let json = serde_json::to_vec(&doc).expect("the OpenAPI document serialises");
    let placeholder = format!("\"{ORIGIN_PLACEHOLDER}\"");
    let at = json
        .windows(placeholder.len())
        .position(|w| w == placeholder.as_bytes())
        .expect("the placeholder is in the document");
    Prepared {
        before: json[..at].to_vec(),
        after: json[at + placeholder.len()..].to_vec(),
    }
});

/// Builds the served document now (at start-up) rather than on the first request.
pub fn prepare() {
    LazyLock::force(&PREPARED);
}

/// The document as served for `origin`.
pub fn document(origin: &str) -> Result<Vec<u8>, ApiError> {
    let origin = output::json(&origin)?;
    Ok([&PREPARED.before[..], &origin, &PREPARED.after[..]].concat())
}

/// What every endpoint that needs a token can refuse with, described once.
const REFUSALS: [(&str, &str); 4] = [
    ("400", "A parameter is invalid"),
    ("401", "Missing or invalid token"),
    ("403", "API access disabled"),
    ("429", "Rate limit exceeded; see Retry-After"),
];

/// Adds `REFUSALS` to every operation that keeps the document's bearer security (all but the
/// public ones, which declare `security(())`); the 400 only where there are parameters.
struct Refusals;

impl Modify for Refusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let operations = openapi.paths.paths.values_mut().flat_map(|item| {
            [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ]
            .into_iter()
            .flatten()
        });
        for operation in operations.filter(|op| op.security.is_none()) {
            let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            for (status, description) in REFUSALS {
                if status == "400" && !has_parameters {
                    continue;
                }
                let problem = ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build();
                let response = ResponseBuilder::new()
                    .description(description)
                    .content(PROBLEM_JSON, problem)
                    .build();
                operation
                    .responses
                    .responses
                    .insert(status.to_owned(), response.into());
            }
        }
    }
}

/// The data endpoints' validators (`api::conditional`), described once: `ETag` and
/// `Last-Modified` on their 200, and their 304.
struct Revalidation;

impl Modify for Revalidation {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let data = openapi
            .paths
            .paths
            .values_mut()
            .filter_map(|item| item.get.as_mut())
            .filter(|op| {
                op.tags
                    .as_ref()
                    .is_some_and(|t| t.iter().any(|t| t == "data"))
            });
        for operation in data {
            let responses = &mut operation.responses.responses;
            if let Some(RefOr::T(ok)) = responses.get_mut("200") {
                let string = || Object::with_type(Type::String);
                let etag = Header::builder()
                    .schema(string())
                    .description(Some("Strong validator: send it back as `If-None-Match`"))
                    .build();
                let modified = Header::builder()
                    .schema(string())
                    .description(Some(
                        "When the data last changed: send it back as `If-Modified-Since`",
                    ))
                    .build();
                ok.headers.insert("ETag".into(), etag);
                ok.headers.insert("Last-Modified".into(), modified);
            }
            let not_modified = ResponseBuilder::new()
                .description("The copy named by `If-None-Match` or `If-Modified-Since` is current")
                .build();
            responses.insert("304".into(), not_modified.into());
        }
    }
}

/// This description of the API (OpenAPI 3.1).
///
/// Needs no token.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "getOpenApiDocument",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI document", body = Object, content_type = "application/json")),
    security(())
)]
pub async fn show(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Ok(output::json_response().body(document(&public_origin(&req))?))
}
