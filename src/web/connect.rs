//! The "Connect your reports" page: step-by-step recipes for Power BI / Excel Power Query, Excel
//! "From Web", Google Sheets Apps Script and Python with pandas. The recipes are Markdown
//! (`templates/orgs/connect.md`) carrying this server's public address and the current token's
//! prefix, rendered by `web::markdown` with a Copy button on every snippet.
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::extractors::OrgMember;
use crate::auth::origin::public_origin;
use crate::repo::api_tokens;
use crate::state::AppState;
use crate::web::error::{WebError, render};
use crate::web::layout::Nav;
use crate::web::markdown;

const RECIPES: &str = include_str!("../../templates/orgs/connect.md");

#[derive(Template)]
#[template(path = "orgs/connect.html")]
struct ConnectPage {
    nav: Option<Nav>,
    name: String,
    slug: String,
    /// Owners and admins: the page links to the token screen.
    can_manage: bool,
    /// The recipes, rendered.
    recipes: String,
    has_token: bool,
}

/// The recipes for `base_url`, naming the token by its public prefix.
fn recipes(base_url: &str, prefix: &str) -> String {
    markdown::to_html(
        &RECIPES
            .replace("{{BASE_URL}}", base_url)
            .replace("{{PREFIX}}", prefix),
    )
}

pub async fn show(
    member: OrgMember,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let org_id = member.org.id;
    let token = state
        .db
        .run(move |conn| Ok(api_tokens::current_for_organisation(conn, org_id)?))
        .await?;
    let prefix = token
        .as_ref()
        .map_or("pulse_", |t| t.display_prefix.as_str());
    render(&ConnectPage {
        nav: Some(Nav::for_member(&member, &state).await?),
        recipes: recipes(&public_origin(&req), prefix),
        has_token: token.is_some(),
        can_manage: member.role.can_manage(),
        name: member.org.name,
        slug: member.org.slug,
    })
}
