use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::extractors::{OrgManager, OrgMember};
use crate::repo::memberships;
use crate::state::AppState;
use crate::web::error::{WebError, render};
use crate::web::layout::Nav;

#[derive(Template)]
#[template(path = "orgs/home.html")]
struct OrgHomePage {
    nav: Option<Nav>,
    name: String,
    slug: String,
    role: String,
    can_manage: bool,
    members: Vec<(String, String, String)>,
    csrf_token: String,
}

pub async fn home(member: OrgMember, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let org_id = member.org.id;
    let members = state
        .db
        .run(move |conn| Ok(memberships::members_of(conn, org_id)?))
        .await?;
    render(&OrgHomePage {
        nav: Some(Nav::for_member(&member, &state).await?),
        name: member.org.name,
        slug: member.org.slug,
        role: member.role.to_string(),
        can_manage: member.role.can_manage(),
        members,
        csrf_token: member.signed_in.csrf_token.clone(),
    })
}

#[derive(Template)]
#[template(path = "orgs/settings.html")]
struct SettingsPage {
    nav: Option<Nav>,
    name: String,
    slug: String,
    api_enabled: bool,
}

/// Organisation settings: owners and admins only.
pub async fn settings(
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    render(&SettingsPage {
        nav: Some(Nav::for_member(&member, &state).await?),
        api_enabled: member.org.api_enabled(),
        name: member.org.name,
        slug: member.org.slug,
    })
}
