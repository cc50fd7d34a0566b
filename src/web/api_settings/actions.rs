//! The screen's actions on a token already issued: Revoke, End now (a grace period), Reveal, and
//! the Copy button's record. Revoke and End now are posted from their review pages.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::request::{ScreenRequest, screen_path};
use super::screen::{Extras, FIRST_SHOWN_KEY, refused, render_screen, reviewed_token};
use super::view::Revealed;
use crate::auth::csrf::CsrfForm;
use crate::auth::session_store::remember;
use crate::auth::sudo;
use crate::domain::api_tokens::{self as tokens, screen};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::error::{WebError, see_other};
use crate::web::sudo::SudoForm;

#[derive(Deserialize)]
pub struct RevokeForm {
    /// The token the review page named: only that one may be revoked.
    current: String,
}

/// Forms whose only field is the CSRF token.
#[derive(Deserialize)]
pub struct NoFields {}

/// After an action that stops a token: `to` (the screen, or the page that keeps showing a new
/// token) saying what happened, or the screen with the reason nothing changed.
async fn after_stopping(
    request: &ScreenRequest,
    state: &AppState,
    stopped: Result<(), AppError>,
    (done, to): (&str, &str),
) -> Result<HttpResponse, WebError> {
    match stopped {
        Ok(()) => {
            tracing::info!(org = %request.slug(), done, "API token stopped");
            Ok(see_other(&format!("{to}?done={done}")))
        }
        Err(error) => refused(request, state, error).await,
    }
}

pub async fn revoke(
    request: ScreenRequest,
    state: web::Data<AppState>,
    form: SudoForm<RevokeForm>,
) -> Result<HttpResponse, WebError> {
    let form = request
        .recheck_password(form, &state, "revoke the token")
        .await?;
    let (org_id, actor, at) = (request.org_id(), request.actor.clone(), state.clock.now());
    let revoked = match reviewed_token(&form.current) {
        Ok(current) => {
            state
                .db
                .run(move |conn| tokens::revoke(conn, org_id, current, &actor, at))
                .await
        }
        Err(invalid) => Err(invalid),
    };
    let to = screen_path(request.slug());
    after_stopping(&request, &state, revoked, ("revoked", &to)).await
}

pub async fn end_grace(
    request: ScreenRequest,
    state: web::Data<AppState>,
    form: SudoForm<NoFields>,
) -> Result<HttpResponse, WebError> {
    request
        .recheck_password(form, &state, "end the grace period now")
        .await?;
    let (org_id, actor, at) = (request.org_id(), request.actor.clone(), state.clock.now());
    let ended = state
        .db
        .run(move |conn| tokens::end_grace(conn, org_id, &actor, at))
        .await;
    // The new token this session was shown at its first display stays shown: the browser goes to
    // `GET …/reveal`, which shows it while it is current and its reveal window lasts.
    let shown = request.session.get::<i32>(FIRST_SHOWN_KEY).ok().flatten();
    let to = match (&ended, shown) {
        (Ok(()), Some(token_id)) => {
            remember(&request.session, REVEALED_KEY, &token_id)?;
            format!("{}/reveal", screen_path(request.slug()))
        }
        _ => screen_path(request.slug()),
    };
    after_stopping(&request, &state, ended, ("grace-ended", &to)).await
}

/// The session's note of the token its user revealed (`reveal` → `show_revealed`).
const REVEALED_KEY: &str = "revealed_token";

/// `POST …/reveal`: after the password, puts the reveal in the history and sends the browser to
/// `GET …/reveal`, which shows the token; Back and reload never reveal again.
pub async fn reveal(
    request: ScreenRequest,
    state: web::Data<AppState>,
    form: SudoForm<NoFields>,
) -> Result<HttpResponse, WebError> {
    request
        .recheck_password(form, &state, "reveal the token")
        .await?;
    let (org_id, actor, app) = (request.org_id(), request.actor.clone(), state.clone());
    let now = state.clock.now();
    let revealed = state
        .db
        .run(move |conn| screen::reveal(conn, org_id, &actor, &app.reveal_key, now))
        .await;
    match revealed {
        Ok(token_id) => {
            // A reveal, not the first display any more: End now no longer keeps it shown.
            request.session.remove(FIRST_SHOWN_KEY);
            remember(&request.session, REVEALED_KEY, &token_id)?;
            Ok(see_other(&format!(
                "{}/reveal",
                screen_path(request.slug())
            )))
        }
        Err(error) => refused(&request, &state, error).await,
    }
}

#[derive(Deserialize)]
pub struct RevealedQuery {
    /// What an action just did (End now keeps the new token shown).
    done: Option<String>,
}

/// `GET …/reveal`: the screen with the token revealed, while the token is the one this session
/// revealed (or was shown at its first display, then ended the grace period), its reveal window
/// lasts and the password is recent; the plain screen otherwise, saying what an action did.
pub async fn show_revealed(
    request: ScreenRequest,
    state: web::Data<AppState>,
    query: web::Query<RevealedQuery>,
) -> Result<HttpResponse, WebError> {
    let now = state.clock.now();
    let noted = request.session.get::<i32>(REVEALED_KEY).ok().flatten();
    let recent = sudo::is_recent(&request.session, now, state.config.sudo_window);
    let (org_id, app) = (request.org_id(), state.clone());
    let plain = match noted.filter(|_| recent) {
        Some(token_id) => {
            state
                .db
                .run(move |conn| screen::revealed(conn, org_id, token_id, &app.reveal_key, now))
                .await?
        }
        None => None,
    };
    let RevealedQuery { done } = query.into_inner();
    let Some((plain, until)) = plain else {
        let back = screen_path(request.slug());
        return Ok(see_other(&match done {
            Some(done) => format!("{back}?{}", encode_done(&done)?),
            None => back,
        }));
    };
    let first_shown = request.session.get::<i32>(FIRST_SHOWN_KEY).ok().flatten();
    let fresh = first_shown.is_some() && first_shown == noted;
    let extras = Extras {
        revealed: Some(Revealed::new(&plain, until, fresh, now)),
        done,
        ..Extras::default()
    };
    render_screen(&request, &state, StatusCode::OK, extras).await
}

/// `done=…` for a redirect's query.
fn encode_done(done: &str) -> Result<String, AppError> {
    serde_urlencoded::to_string([("done", done)])
        .map_err(anyhow::Error::from)
        .map_err(AppError::from)
}

/// `POST .../copied`, sent by the Copy button's script: puts the copy in the history. Only while
/// the token can be shown, and only by someone who entered their password within the window.
pub async fn copied(
    request: ScreenRequest,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, WebError> {
    let (org_id, actor, now) = (request.org_id(), request.actor.clone(), state.clock.now());
    if !sudo::is_recent(&request.session, now, state.config.sudo_window) {
        return Err(AppError::Forbidden.into());
    }
    state
        .db
        .run(move |conn| screen::record_copy(conn, org_id, &actor, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
