//! `GET /api/v1/openapi.json`: the API description, generated from the handlers' annotations
//! (utoipa), so it cannot drift from the code. Public: it describes, it does not disclose.
use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
        show,
    ),
    modifiers(&BearerAuth)
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
