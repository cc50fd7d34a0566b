//! The screen's actions on a token already issued: Revoke (with its confirmation step), End now
//! (a grace period), Reveal, and the Copy button's record.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::manager::TokenManager;
use super::pages::RevokePage;
use super::view::Revealed;
use super::{Extras, confirmation_step, confirmed_token, refused, render_screen, screen_path};
use crate::auth::csrf::CsrfForm;
use crate::auth::sudo;
use crate::domain::api_tokens::{self as tokens, screen};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;
use crate::web::sudo::SudoForm;

pub async fn confirm_revoke(
    manager: TokenManager,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let Some(step) = confirmation_step(&manager, &state).await? else {
        return Ok(see_other(&screen_path(manager.slug())));
    };
    let page = RevokePage {
        nav: Some(Nav::from(&manager.member.signed_in)),
        step,
    };
    render_with_status(&page, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct RevokeForm {
    /// The token the user saw on the confirmation step: only that one may be revoked.
    current: String,
}

/// Forms whose only field is the CSRF token.
#[derive(Deserialize)]
pub struct NoFields {}

/// After an action that stops a token: back to the screen saying what happened, or the screen
/// with the reason nothing changed.
async fn after_stopping(
    manager: &TokenManager,
    state: &AppState,
    stopped: Result<(), AppError>,
    done: &str,
) -> Result<HttpResponse, WebError> {
    match stopped {
        Ok(()) => {
            tracing::info!(org = %manager.slug(), done, "API token stopped");
            Ok(see_other(&format!(
                "{}?done={done}",
                screen_path(manager.slug())
            )))
        }
        Err(error) => refused(manager, state, error).await,
    }
}

pub async fn revoke(
    manager: TokenManager,
    state: web::Data<AppState>,
    form: SudoForm<RevokeForm>,
) -> Result<HttpResponse, WebError> {
    let form = manager.confirm(form, &state, "revoke the token").await?;
    let (org_id, actor, at) = (manager.org_id(), manager.actor.clone(), state.clock.now());
    let revoked = match confirmed_token(&form.current) {
        Ok(current) => {
            state
                .db
                .run(move |conn| tokens::revoke(conn, org_id, current, &actor, at))
                .await
        }
        Err(invalid) => Err(invalid),
    };
    after_stopping(&manager, &state, revoked, "revoked").await
}

pub async fn end_grace(
    manager: TokenManager,
    state: web::Data<AppState>,
    form: SudoForm<NoFields>,
) -> Result<HttpResponse, WebError> {
    manager
        .confirm(form, &state, "end the grace period now")
        .await?;
    let (org_id, actor, at) = (manager.org_id(), manager.actor.clone(), state.clock.now());
    let ended = state
        .db
        .run(move |conn| tokens::end_grace(conn, org_id, &actor, at))
        .await;
    after_stopping(&manager, &state, ended, "grace-ended").await
}

/// Shows the current token again, inside its reveal window, to an owner or admin who confirmed
/// their password; the reveal goes into the history. Answers with the screen itself (no
/// redirect), so the token is in this one response only.
pub async fn reveal(
    manager: TokenManager,
    state: web::Data<AppState>,
    form: SudoForm<NoFields>,
) -> Result<HttpResponse, WebError> {
    manager.confirm(form, &state, "reveal the token").await?;
    let (org_id, actor, app) = (manager.org_id(), manager.actor.clone(), state.clone());
    let now = state.clock.now();
    let revealed = state
        .db
        .run(move |conn| screen::reveal(conn, org_id, &actor, &app.reveal_key, now))
        .await;
    match revealed {
        Ok((plain, until)) => {
            let extras = Extras {
                revealed: Some(Revealed::new(&plain, until, false, now)),
                ..Extras::default()
            };
            render_screen(&manager, &state, StatusCode::OK, extras).await
        }
        Err(error) => refused(&manager, &state, error).await,
    }
}

/// `POST .../copied`, sent by the Copy button's script: puts the copy in the history. Only while
/// the token can be shown, and only by someone who confirmed their password within the window.
pub async fn copied(
    manager: TokenManager,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, WebError> {
    let (org_id, actor, now) = (manager.org_id(), manager.actor.clone(), state.clock.now());
    if !sudo::is_recent(&manager.session, now, state.config.sudo_window) {
        return Err(AppError::Forbidden.into());
    }
    state
        .db
        .run(move |conn| screen::record_copy(conn, org_id, &actor, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
