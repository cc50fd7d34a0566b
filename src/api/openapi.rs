//! `GET /api/v1/openapi.json`: the API description, generated from the handlers' annotations
//! (utoipa), so it cannot drift from the code; `responses` adds the statuses and headers every
//! operation shares, `links` how answers lead to further requests. Public: it describes, it
//! does not disclose.
mod links;
mod responses;

use std::sync::LazyLock;

use actix_web::{HttpRequest, HttpResponse};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::{Modify, OpenApi};

use crate::api::error::{ApiError, Problem};
use crate::api::output;
use crate::auth::origin::public_origin;
use links::Links;
use responses::Responses;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pulse data API",
        description = "Client feedback and NPS scores of the organisation that owns the token. \
                       Send the token as bearer credentials, or as HTTP Basic credentials \
                       (the token as the password with any user name, or as the user name \
                       with an empty password) where a tool can only store a user name and \
                       password. Each data resource has a JSON operation and a CSV one \
                       (`/api/v1/feedback` and `/api/v1/feedback.csv`). \
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
        crate::api::feedback::export,
        crate::api::scores::show,
        crate::api::scores::export,
        crate::api::clients::list,
        crate::api::clients::export,
        crate::api::whoami::show,
        crate::api::token_leaks::report,
        show,
    ),
    // The enums of parameters, which generated clients type by name.
    components(schemas(
        Problem,
        crate::api::feedback::SortParam,
        crate::api::feedback::Field,
        crate::api::scores::Dimension
    )),
    security(("bearer" = []), ("basic" = [])),
    modifiers(&TokenAuth, &Responses, &Links)
)]
pub struct ApiDoc;

/// The two ways to send the token (either will do).
struct TokenAuth;

impl Modify for TokenAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        let mut basic = Http::new(HttpAuthScheme::Basic);
        basic.description = Some(
            "The token as the password (any user name), or as the user name with an empty \
             password: for credential stores such as Power BI's and Excel's."
                .into(),
        );
        components.add_security_scheme("basic", SecurityScheme::Http(basic));
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
