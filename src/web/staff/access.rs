//! Switching an organisation's API access on or off (switching on answers an open request for
//! it), and declining a request with a reason. Switching it off stops every report of that
//! organisation at once, so it asks for confirmation first.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::Staff;
use crate::domain::{access_requests, organisations};
use crate::error::AppError;
use crate::repo::organisations as org_repo;
use crate::state::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;

#[derive(Deserialize)]
pub struct ApiAccessForm {
    enabled: String,
    /// `yes` once the confirmation step has been seen (switching off only).
    #[serde(default)]
    confirm: String,
}

#[derive(Template)]
#[template(path = "staff/disable.html")]
struct ConfirmDisablePage {
    nav: Option<Nav>,
    csrf_token: String,
    name: String,
    slug: String,
}

fn parse_enabled(raw: &str) -> Result<bool, AppError> {
    match raw {
        "true" | "on" | "1" => Ok(true),
        "false" | "off" | "0" => Ok(false),
        _ => Err(AppError::invalid(
            "The field enabled must be true or false.",
        )),
    }
}

pub async fn set_api_access(
    ClientAddr(addr): ClientAddr,
    staff: Staff,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    CsrfForm(form): CsrfForm<ApiAccessForm>,
) -> Result<HttpResponse, WebError> {
    let enabled = parse_enabled(&form.enabled)?;
    let (slug, staff_id, now) = (slug.into_inner(), staff.0.user.id, state.clock.now());
    if !enabled && form.confirm != "yes" {
        let lookup = slug.clone();
        let org = state
            .db
            .run(move |conn| org_repo::find_by_slug(conn, &lookup)?.ok_or(AppError::NotFound))
            .await?;
        let page = ConfirmDisablePage {
            nav: Some(Nav::from(&staff.0)),
            csrf_token: staff.0.csrf_token.clone(),
            name: org.name,
            slug: org.slug,
        };
        return render_with_status(&page, StatusCode::OK);
    }
    let org = state
        .db
        .run(move |conn| organisations::set_api_access(conn, &slug, enabled, staff_id, &addr, now))
        .await?;
    tracing::info!(org = %org.slug, enabled, "API access changed");
    let done = if enabled {
        "api-enabled"
    } else {
        "api-disabled"
    };
    Ok(see_other(&format!("/staff/orgs/{}?done={done}", org.slug)))
}

#[derive(Deserialize)]
pub struct DeclineForm {
    reason: String,
}

/// Declines the organisation's open request for API access with the reason the owners are told.
pub async fn decline_request(
    ClientAddr(addr): ClientAddr,
    staff: Staff,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    CsrfForm(form): CsrfForm<DeclineForm>,
) -> Result<HttpResponse, WebError> {
    let (slug, staff_id, now) = (slug.into_inner(), staff.0.user.id, state.clock.now());
    let answering = slug.clone();
    state
        .db
        .run(move |conn| {
            let who = (staff_id, addr.as_str());
            access_requests::decline(conn, &answering, who, &form.reason, now)
        })
        .await?;
    tracing::info!(org = %slug, "request for API access declined");
    Ok(see_other(&format!(
        "/staff/orgs/{slug}?done=request-declined"
    )))
}
