//! The API authentication screen: generate, reveal during the window, regenerate, revoke, end a
//! grace period, copy. Thin handlers over `domain::api_tokens`; see ARCHITECTURE.md for the walk
//! of a request. Every action that issues, reveals or stops a token is behind sudo mode
//! (`web::sudo`).
//!
//! A new token is shown in full once, on the page that follows Generate/Regenerate, to whoever
//! generated it in that session (the `pulse_new_token` cookie carries a single-use nonce that the
//! server uses up). Until the reveal window
//! ends, owners and admins may reveal it again after confirming their password; the database
//! keeps it sealed under a key that is not in the database.
mod actions;
mod issue;
mod manager;
mod pages;
pub mod view;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::domain::api_tokens::screen;
use crate::error::AppError;
use crate::repo::audit::HistoryCursor;
use crate::state::{AppState, NEW_TOKEN_COOKIE};
use crate::web::access_request::AskPanel;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;
pub use actions::{confirm_revoke, copied, end_grace, reveal, revoke};
pub use issue::{generate, regenerate};
use manager::TokenManager;
use pages::{ApiPage, RegeneratePage, Step, notice};
use view::{Revealed, ScreenView, TokenView, history_before};

fn screen_path(slug: &str) -> String {
    format!("/orgs/{slug}/settings/api")
}

/// What a rendering of the screen adds to what the database holds.
#[derive(Default)]
struct Extras {
    before: Option<HistoryCursor>,
    revealed: Option<Revealed>,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn render_screen(
    manager: &TokenManager,
    state: &AppState,
    status: StatusCode,
    mut extras: Extras,
) -> Result<HttpResponse, WebError> {
    let (org_id, before, now) = (manager.org_id(), extras.before, state.clock.now());
    let screen = state
        .db
        .run(move |conn| screen::load(conn, org_id, before, now))
        .await?;
    let current = screen.current.as_ref().map(|t| t.record.clone());
    if let (Some(token), Some(nonce)) = (current, manager.new_token.clone()) {
        let (actor, key, until) = (
            manager.actor.clone(),
            state.reveal_key.clone(),
            token.reveal_until,
        );
        let plain = state
            .db
            .run(move |conn| screen::first_display(conn, &token, (&actor, &nonce), &key, now))
            .await?;
        extras.revealed = plain.map(|p| Revealed::new(&p, until, true, now));
    }
    let org = &manager.member.org;
    let ask = match org.api_enabled() {
        true => None,
        false => Some(AskPanel::load(state, org.id, manager.member.role).await?),
    };
    let page = ApiPage {
        nav: Some(Nav::from(&manager.member.signed_in)),
        csrf_token: manager.member.signed_in.csrf_token.clone(),
        name: org.name.clone(),
        slug: org.slug.clone(),
        api_enabled: org.api_enabled(),
        reveal_minutes: (state.config.reveal_window.num_seconds() + 59) / 60,
        screen: ScreenView::new(&screen, before.is_some(), now),
        history_url: screen_path(&org.slug),
        revealed: extras.revealed,
        notice: extras.notice,
        error: extras.error,
        expiry_choices: ApiPage::EXPIRY_CHOICES,
        ask,
    };
    let mut response = render_with_status(&page, status)?;
    if manager.new_token.is_some() {
        // Shown once: a reload shows the masked token (Reveal asks for the password).
        let path = screen_path(&org.slug);
        let removal = Cookie::build(NEW_TOKEN_COOKIE, "").path(path).finish();
        response
            .add_removal_cookie(&removal)
            .map_err(anyhow::Error::from)
            .map_err(AppError::from)?;
    }
    Ok(response)
}

/// Renders the screen again with the reason an action was refused, or passes the error on.
async fn refused(
    manager: &TokenManager,
    state: &AppState,
    error: AppError,
) -> Result<HttpResponse, WebError> {
    match error {
        AppError::Conflict(_) | AppError::ApiDisabled | AppError::Invalid(_) => {
            let extras = Extras {
                error: Some(error.to_string()),
                ..Extras::default()
            };
            render_screen(manager, state, error.status(), extras).await
        }
        other => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct ScreenQuery {
    /// A later page of the history.
    before: Option<String>,
    /// What an action just did.
    done: Option<String>,
}

pub async fn show(
    manager: TokenManager,
    state: web::Data<AppState>,
    query: web::Query<ScreenQuery>,
) -> Result<HttpResponse, WebError> {
    let before = history_before(query.before.as_deref(), "the screen")?;
    let extras = Extras {
        before,
        notice: query.done.as_deref().and_then(notice),
        ..Extras::default()
    };
    render_screen(&manager, &state, StatusCode::OK, extras).await
}

/// The facts a confirmation step shows about the current token (and one in grace); `None` when
/// there is no token to change.
async fn confirmation_step(
    manager: &TokenManager,
    state: &AppState,
) -> Result<Option<Step>, WebError> {
    let (org_id, now) = (manager.org_id(), state.clock.now());
    let screen = state
        .db
        .run(move |conn| screen::load(conn, org_id, None, now))
        .await?;
    let member = &manager.member;
    Ok(screen.current.as_ref().map(|token| Step {
        csrf_token: member.signed_in.csrf_token.clone(),
        name: member.org.name.clone(),
        slug: member.org.slug.clone(),
        token: TokenView::new(token, now),
        in_grace: screen.in_grace.as_ref().map(|t| TokenView::new(t, now)),
    }))
}

pub async fn confirm_regenerate(
    manager: TokenManager,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let step = confirmation_step(&manager, &state).await?;
    // Nothing to regenerate (or not allowed): the screen explains why.
    let Some(step) = step.filter(|_| manager.member.org.api_enabled()) else {
        return Ok(see_other(&screen_path(manager.slug())));
    };
    let page = RegeneratePage {
        nav: Some(Nav::from(&manager.member.signed_in)),
        step,
        grace_choices: RegeneratePage::GRACE_CHOICES,
        expiry_choices: ApiPage::EXPIRY_CHOICES,
    };
    render_with_status(&page, StatusCode::OK)
}

/// The id of the token a confirmation step named.
fn confirmed_token(raw: &str) -> Result<i32, AppError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::invalid("The form does not say which token to change."))
}
