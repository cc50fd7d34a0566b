use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::extractors::SignedIn;
use crate::repo::memberships;
use crate::state::AppState;
use crate::web::error::{WebError, render};
use crate::web::layout::Nav;

pub struct OrgLink {
    pub name: String,
    pub slug: String,
    pub role: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Option<Nav>,
    orgs: Vec<OrgLink>,
}

pub async fn show(
    signed_in: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let user_id = signed_in.user.id;
    let orgs = state
        .db
        .run(move |conn| Ok(memberships::organisations_of(conn, user_id)?))
        .await?
        .into_iter()
        .map(|(org, role)| OrgLink {
            name: org.name,
            slug: org.slug,
            role,
        })
        .collect();
    render(&HomePage {
        nav: Some(Nav::from(&signed_in)),
        orgs,
    })
}
