//! What the screen's handlers share: rendering the screen (with what an action adds to it), the
//! screen again with the reason an action was refused, and the facts a review page shows.
use actix_web::HttpResponse;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;

use super::pages::{ApiPage, Step};
use super::request::{ScreenRequest, screen_path};
use super::view::{Revealed, ScreenView, TokenView};
use crate::auth::session_store::remember;
use crate::domain::api_tokens::screen;
use crate::error::{AppError, in_words};
use crate::repo::audit::HistoryCursor;
use crate::state::{AppState, NEW_TOKEN_COOKIE};
use crate::web::access_request::AskPanel;
use crate::web::error::{WebError, render_with_status};
use crate::web::layout::Nav;

/// The session's note of the token it was shown at its first display: End now keeps that token
/// shown (`actions::end_grace`) for the rest of its reveal window, in this session only.
pub const FIRST_SHOWN_KEY: &str = "first_shown_token";

/// What a rendering of the screen adds to what the database holds.
#[derive(Default)]
pub struct Extras {
    pub before: Option<HistoryCursor>,
    pub revealed: Option<Revealed>,
    /// What an action just did (`?done=`), if it still holds.
    pub done: Option<String>,
    pub error: Option<String>,
}

pub async fn render_screen(
    request: &ScreenRequest,
    state: &AppState,
    status: StatusCode,
    mut extras: Extras,
) -> Result<HttpResponse, WebError> {
    let (org_id, before, now) = (request.org_id(), extras.before, state.clock.now());
    let screen = state
        .db
        .run(move |conn| screen::load(conn, org_id, before, now))
        .await?;
    let current = screen.current.as_ref().map(|t| t.record.clone());
    if let (Some(token), Some(nonce)) = (current, request.new_token.clone()) {
        let (actor, key, until, id) = (
            request.actor.clone(),
            state.reveal_key.clone(),
            token.reveal_until,
            token.id,
        );
        let plain = state
            .db
            .run(move |conn| screen::first_display(conn, &token, (&actor, &nonce), &key, now))
            .await?;
        if plain.is_some() {
            remember(&request.session, FIRST_SHOWN_KEY, &id)?;
        }
        extras.revealed = plain.map(|p| Revealed::new(&p, until, true, now));
    }
    let org = &request.member.org;
    let ask = match org.api_enabled() {
        true => None,
        false => Some(AskPanel::load(state, org.id, request.member.role).await?),
    };
    let page = ApiPage {
        nav: Some(Nav::for_member(&request.member, state).await?),
        csrf_token: request.member.signed_in.csrf_token.clone(),
        name: org.name.clone(),
        slug: org.slug.clone(),
        api_enabled: org.api_enabled(),
        reveal_window: in_words(state.config.reveal_window.num_seconds().max(1) as u64),
        notice: extras
            .done
            .as_deref()
            .and_then(|done| notice(done, &screen)),
        screen: ScreenView::new(&screen, before.is_some(), now),
        history_url: screen_path(&org.slug),
        revealed: extras.revealed,
        error: extras.error,
        expiry_choices: ApiPage::EXPIRY_CHOICES,
        ask,
    };
    let mut response = render_with_status(&page, status)?;
    if request.new_token.is_some() {
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

/// What an action's redirect back to the screen says (`?done=`), while it is still true: a
/// reload after a new token was generated no longer says the token was revoked.
fn notice(done: &str, screen: &screen::Screen) -> Option<&'static str> {
    match done {
        "revoked" if screen.current.is_none() => Some(
            "The token was revoked: the API refuses it from now on. Generate a new one when you \
             need it.",
        ),
        "grace-ended" if screen.in_grace.is_none() => {
            Some("The previous token's grace period has ended: the API refuses it now.")
        }
        "access-requested" => {
            Some("Your request was sent to Clientshare. You will hear by mail when they answer.")
        }
        "replaced" => Some(
            "That token was already replaced: nothing was changed. This is the token the API \
             accepts now.",
        ),
        _ => None,
    }
}

/// Renders the screen again with the reason an action was refused, or passes the error on.
pub async fn refused(
    request: &ScreenRequest,
    state: &AppState,
    error: AppError,
) -> Result<HttpResponse, WebError> {
    match error {
        AppError::Conflict(_) | AppError::ApiDisabled | AppError::Invalid(_) => {
            let extras = Extras {
                error: Some(error.to_string()),
                ..Extras::default()
            };
            render_screen(request, state, error.status(), extras).await
        }
        other => Err(other.into()),
    }
}

/// Which token a review page is about.
#[derive(Clone, Copy)]
pub enum Reviewing {
    /// The current token (Regenerate, Revoke); the one in its grace period is named beside it.
    Current,
    /// The replaced token in its grace period (End now).
    InGrace,
}

/// The facts a review page shows about the token it is about; `None` when there is no such
/// token (any more).
pub async fn review_step(
    request: &ScreenRequest,
    state: &AppState,
    reviewing: Reviewing,
) -> Result<Option<Step>, WebError> {
    let (org_id, now) = (request.org_id(), state.clock.now());
    let screen = state
        .db
        .run(move |conn| screen::load(conn, org_id, None, now))
        .await?;
    let view = |t: &screen::TokenDetails| TokenView::new(t, now);
    let (current, in_grace) = (screen.current.as_ref(), screen.in_grace.as_ref());
    let (token, in_grace, replacement) = match reviewing {
        Reviewing::Current => (current.map(view), in_grace.map(view), None),
        Reviewing::InGrace => (in_grace.map(view), None, current.map(view)),
    };
    let Some(token) = token else {
        return Ok(None);
    };
    let member = &request.member;
    Ok(Some(Step {
        csrf_token: member.signed_in.csrf_token.clone(),
        name: member.org.name.clone(),
        slug: member.org.slug.clone(),
        token,
        in_grace,
        replacement,
    }))
}

/// The id of the token a review page named.
pub fn reviewed_token(raw: &str) -> Result<i32, AppError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::invalid("The form does not say which token to change."))
}
