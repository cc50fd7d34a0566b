//! Human-readable API documentation for an organisation's members: rendered from the same
//! generated OpenAPI description the API serves (its Markdown texts through `web::markdown`),
//! with `curl` examples that use this server's own base URL.
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use utoipa::OpenApi;
use utoipa::openapi::Required;
use utoipa::openapi::security::SecurityRequirement;

use crate::api::openapi::ApiDoc;
use crate::auth::extractors::OrgMember;
use crate::auth::origin::public_origin;
use crate::state::AppState;
use crate::web::error::{WebError, render};
use crate::web::layout::Nav;
use crate::web::markdown;

pub struct ParamView {
    pub name: String,
    /// Rendered Markdown.
    pub description: String,
    pub required: bool,
}

pub struct EndpointView {
    pub path: String,
    pub summary: String,
    /// Rendered Markdown.
    pub description: String,
    pub params: Vec<ParamView>,
    /// Whether the operation needs the token (its example sends it); the OpenAPI document's own
    /// operation opts out with an empty security requirement.
    pub needs_token: bool,
}

#[derive(Template)]
#[template(path = "orgs/api_docs.html")]
struct ApiDocsPage {
    nav: Option<Nav>,
    name: String,
    slug: String,
    /// Owners and admins: the page links to the token screen.
    can_manage: bool,
    base_url: String,
    endpoints: Vec<EndpointView>,
}

fn endpoints() -> Vec<EndpointView> {
    ApiDoc::openapi()
        .paths
        .paths
        .into_iter()
        .filter_map(|(path, item)| {
            let op = item.get?;
            let opts_out = op
                .security
                .as_ref()
                .is_some_and(|all| all.iter().any(|r| *r == SecurityRequirement::default()));
            Some(EndpointView {
                needs_token: !opts_out,
                path,
                summary: op.summary.unwrap_or_default(),
                description: markdown::to_html(&op.description.unwrap_or_default()),
                params: op
                    .parameters
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| ParamView {
                        name: p.name,
                        description: markdown::to_html(&p.description.unwrap_or_default()),
                        required: matches!(p.required, Required::True),
                    })
                    .collect(),
            })
        })
        .collect()
}

pub async fn show(
    member: OrgMember,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let base_url = public_origin(&req);
    render(&ApiDocsPage {
        nav: Some(Nav::for_member(&member, &state).await?),
        can_manage: member.role.can_manage(),
        name: member.org.name,
        slug: member.org.slug,
        base_url,
        endpoints: endpoints(),
    })
}
