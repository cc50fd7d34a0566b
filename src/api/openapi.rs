//! `GET /api/v1/openapi.json`: the API description, generated from the handlers' annotations
//! (utoipa), so it cannot drift from the code. Public: it describes, it does not disclose.
use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::api::error::{PROBLEM_JSON, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pulse data API",
        description = "Client feedback and NPS scores of the organisation that owns the bearer token. \
                       Errors are application/problem+json (RFC 9457)."
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
    modifiers(&BearerAuth, &Refusals)
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
        let operations = openapi
            .paths
            .paths
            .values_mut()
            .filter_map(|item| item.get.as_mut());
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

/// This description of the API (OpenAPI 3.1).
///
/// Needs no token.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")),
    security(())
)]
pub async fn show() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
