//! `GET /staff/orgs/{slug}`: what staff see when a customer calls — the organisation's API
//! access, its token (prefix, dates, expiry, who uses it), the history. Read-only: staff never
//! see or change a token.
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::extractors::Staff;
use crate::domain::access_requests;
use crate::domain::api_tokens::screen;
use crate::error::AppError;
use crate::repo::organisations as org_repo;
use crate::repo::{invitations, memberships};
use crate::state::AppState;
use crate::web::access_request::RequestView;
use crate::web::api_settings::view::{ScreenView, history_before};
use crate::web::error::{WebError, render};
use crate::web::layout::Nav;
use crate::web::members::InvitationView;

#[derive(Template)]
#[template(path = "staff/org.html")]
struct SupportPage {
    nav: Option<Nav>,
    csrf_token: String,
    name: String,
    slug: String,
    api_enabled: bool,
    screen: ScreenView,
    history_url: String,
    notice: Option<&'static str>,
    request: Option<RequestView>,
    /// (name, email, role)
    members: Vec<(String, String, String)>,
    invitations: Vec<InvitationView>,
    /// Where the invitations' Resend posts to.
    invitations_url: String,
}

#[derive(Deserialize)]
pub struct SupportQuery {
    before: Option<String>,
    done: Option<String>,
}

fn notice(done: &str, has_token: bool) -> Option<&'static str> {
    match done {
        "api-enabled" if has_token => {
            Some("API access switched on: the organisation's token works again.")
        }
        "api-enabled" => Some(
            "API access switched on. The organisation has no token yet: an owner or admin can \
             generate one now.",
        ),
        "api-disabled" => {
            Some("API access switched off: the API refuses the organisation's token.")
        }
        "request-declined" => {
            Some("Request for API access declined: the owners are told the reason by mail.")
        }
        "owner-invited" => Some("Invitation sent to the new owner: the link works for 7 days."),
        "invitation-resent" => {
            Some("Invitation sent again with a new link; the old link no longer works.")
        }
        _ => None,
    }
}

pub async fn show(
    staff: Staff,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<SupportQuery>,
) -> Result<HttpResponse, WebError> {
    let before = history_before(query.before.as_deref(), "the organisation")?;
    let (slug, now) = (slug.into_inner(), state.clock.now());
    let (org, screen, request, members, pending) = state
        .db
        .run(move |conn| {
            let org = org_repo::find_by_slug(conn, &slug)?.ok_or(AppError::NotFound)?;
            let screen = screen::load(conn, org.id, before, now)?;
            let request = access_requests::standing(conn, org.id)?;
            let members = memberships::members_of(conn, org.id)?;
            let pending = invitations::open_of(conn, org.id, now)?;
            Ok((org, screen, request, members, pending))
        })
        .await?;
    render(&SupportPage {
        nav: Some(Nav::from(&staff.0)),
        csrf_token: staff.0.csrf_token.clone(),
        api_enabled: org.api_enabled(),
        screen: ScreenView::new(&screen, before.is_some(), now),
        history_url: format!("/staff/orgs/{}", org.slug),
        invitations_url: format!("/staff/orgs/{}/invitations", org.slug),
        notice: query
            .done
            .as_deref()
            .and_then(|done| notice(done, screen.current.is_some())),
        request: request.map(RequestView::from),
        members,
        invitations: pending.into_iter().map(InvitationView::from).collect(),
        name: org.name,
        slug: org.slug,
    })
}
