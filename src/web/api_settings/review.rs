//! The review pages: what Regenerate, Revoke and End now would stop, who still uses it, and the
//! form that does it. Each names the token it is about; once that token is gone (Back after the
//! action), the page sends the browser to the screen instead of offering the same step for the
//! token that replaced it.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::pages::{ApiPage, EndGracePage, RegeneratePage, RevokePage, Step};
use super::request::{ScreenRequest, screen_path};
use super::screen::{Reviewing, review_step};
use crate::state::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;

#[derive(Deserialize)]
pub struct ReviewQuery {
    /// The token the screen showed when its link was followed.
    token: Option<i32>,
}

/// The step about the token the link named, or where to go instead.
async fn step_for(
    request: &ScreenRequest,
    state: &AppState,
    reviewing: Reviewing,
    query: &ReviewQuery,
) -> Result<Result<Step, HttpResponse>, WebError> {
    let screen = screen_path(request.slug());
    Ok(match review_step(request, state, reviewing).await? {
        Some(step) if query.token.is_none_or(|id| id == step.token.id) => Ok(step),
        Some(_) => Err(see_other(&format!("{screen}?done=replaced"))),
        None => Err(see_other(&screen)),
    })
}

pub async fn review_regenerate(
    request: ScreenRequest,
    state: web::Data<AppState>,
    query: web::Query<ReviewQuery>,
) -> Result<HttpResponse, WebError> {
    if !request.member.org.api_enabled() {
        // Not allowed: the screen explains why.
        return Ok(see_other(&screen_path(request.slug())));
    }
    let step = match step_for(&request, &state, Reviewing::Current, &query).await? {
        Ok(step) => step,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let page = RegeneratePage {
        nav: Some(Nav::for_member(&request.member, &state).await?),
        step,
        grace_choices: RegeneratePage::GRACE_CHOICES,
        expiry_choices: ApiPage::EXPIRY_CHOICES,
    };
    render_with_status(&page, StatusCode::OK)
}

pub async fn review_revoke(
    request: ScreenRequest,
    state: web::Data<AppState>,
    query: web::Query<ReviewQuery>,
) -> Result<HttpResponse, WebError> {
    let step = match step_for(&request, &state, Reviewing::Current, &query).await? {
        Ok(step) => step,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let page = RevokePage {
        nav: Some(Nav::for_member(&request.member, &state).await?),
        step,
    };
    render_with_status(&page, StatusCode::OK)
}

pub async fn review_end_grace(
    request: ScreenRequest,
    state: web::Data<AppState>,
    query: web::Query<ReviewQuery>,
) -> Result<HttpResponse, WebError> {
    let step = match step_for(&request, &state, Reviewing::InGrace, &query).await? {
        Ok(step) => step,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let page = EndGracePage {
        nav: Some(Nav::for_member(&request.member, &state).await?),
        step,
    };
    render_with_status(&page, StatusCode::OK)
}
