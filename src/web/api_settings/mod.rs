//! The API authentication screen: generate, reveal during the window, regenerate, copy. Thin
//! handlers over `domain::api_tokens`; see ARCHITECTURE.md for the walk of a request.
//!
//! A new token is shown to its generator only. The plaintext is never stored: the database keeps
//! it encrypted under a key that lives only in the `pulse_reveal` cookie (HttpOnly,
//! SameSite=Strict, scoped to this screen, expiring with the reveal window), and the row is bound
//! to the generating user and session.
mod manager;
mod view;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::csrf::CsrfForm;
use crate::domain::api_tokens::{self as tokens, Grace, Issued, screen};
use crate::error::AppError;
use crate::state::{AppState, REVEAL_COOKIE};
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;
use manager::TokenManager;
use view::{ApiPage, RegeneratePage, Revealed, ScreenParts, TokenView};

fn screen_path(slug: &str) -> String {
    format!("/orgs/{slug}/settings/api")
}

async fn render_screen(
    mut manager: TokenManager,
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let (org_id, actor, now) = (manager.org_id(), manager.actor.clone(), state.clock.now());
    let (key, fresh) = (manager.reveal_key.take(), manager.take_fresh());
    let (screen, plain) = state
        .db
        .run(move |conn| screen::view(conn, org_id, &actor, key.as_ref(), fresh, now))
        .await?;
    let revealed = screen
        .token
        .as_ref()
        .zip(plain.as_ref())
        .map(|(active, plain)| {
            Revealed::new(plain, &active.record, fresh == Some(active.record.id), now)
        });
    let parts = ScreenParts::from(screen);
    let org = &manager.member.org;
    let page = ApiPage {
        nav: Some(Nav::from(&manager.member.signed_in)),
        csrf_token: manager.member.signed_in.csrf_token.clone(),
        name: org.name.clone(),
        slug: org.slug.clone(),
        api_enabled: org.api_enabled(),
        reveal_minutes: (state.config.reveal_window.num_seconds() + 59) / 60,
        token: parts.token,
        revealed,
        in_grace: parts.in_grace,
        history: parts.history,
        error,
    };
    render_with_status(&page, status)
}

pub async fn show(
    manager: TokenManager,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    render_screen(manager, &state, StatusCode::OK, None).await
}

/// Back to the screen with the cookie that can decrypt the new token, or the screen again with
/// the reason nothing was issued.
async fn after_issuing(
    manager: TokenManager,
    state: &AppState,
    issued: Result<Issued, AppError>,
    what: &str,
) -> Result<HttpResponse, WebError> {
    let issued = match issued {
        Ok(issued) => issued,
        Err(error @ (AppError::Conflict(_) | AppError::ApiDisabled | AppError::Invalid(_))) => {
            let status = error.status();
            return render_screen(manager, state, status, Some(error.to_string())).await;
        }
        Err(other) => return Err(other.into()),
    };
    let slug = &manager.member.org.slug;
    tracing::info!(org = %slug, prefix = %issued.record.display_prefix, "{what}");
    manager.mark_fresh(issued.record.id)?;
    let path = screen_path(slug);
    let cookie = Cookie::build(REVEAL_COOKIE, issued.reveal_key.expose().to_owned())
        .path(path.clone())
        .http_only(true)
        .secure(state.config.cookie_secure)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::seconds(
            state.config.reveal_window.num_seconds(),
        ))
        .finish();
    let mut response = see_other(&path);
    response
        .add_cookie(&cookie)
        .map_err(anyhow::Error::from)
        .map_err(AppError::from)?;
    Ok(response)
}

/// Forms whose only field is the CSRF token.
#[derive(Deserialize)]
pub struct NoFields {}

pub async fn generate(
    manager: TokenManager,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, WebError> {
    let (org_id, actor) = (manager.org_id(), manager.actor.clone());
    let (window, at) = (state.config.reveal_window, state.clock.now());
    let issued = state
        .db
        .run(move |conn| tokens::generate(conn, org_id, &actor, window, at))
        .await;
    after_issuing(manager, &state, issued, "API token generated").await
}

pub async fn confirm_regenerate(
    manager: TokenManager,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (org_id, now) = (manager.org_id(), state.clock.now());
    let screen = state
        .db
        .run(move |conn| screen::load(conn, org_id, now))
        .await?;
    let member = manager.member;
    let Some(token) = screen.token.as_ref().filter(|_| member.org.api_enabled()) else {
        // Nothing to regenerate (or not allowed): the screen explains why.
        return Ok(see_other(&screen_path(&member.org.slug)));
    };
    let page = RegeneratePage {
        nav: Some(Nav::from(&member.signed_in)),
        csrf_token: member.signed_in.csrf_token.clone(),
        token: TokenView::from(token),
        name: member.org.name,
        slug: member.org.slug,
    };
    render_with_status(&page, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct RegenerateForm {
    /// The token the user saw on the confirmation step: only that one may be replaced.
    current: String,
    #[serde(default)]
    grace: String,
}

impl RegenerateForm {
    fn parse(&self) -> Result<(i32, Grace), AppError> {
        let current = self
            .current
            .trim()
            .parse::<i32>()
            .map_err(|_| AppError::invalid("The form does not say which token to replace."))?;
        Ok((current, Grace::parse(&self.grace)?))
    }
}

pub async fn regenerate(
    manager: TokenManager,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RegenerateForm>,
) -> Result<HttpResponse, WebError> {
    let (org_id, actor) = (manager.org_id(), manager.actor.clone());
    let (window, at) = (state.config.reveal_window, state.clock.now());
    let issued = match form.parse() {
        Ok((current, grace)) => {
            state
                .db
                .run(move |conn| {
                    tokens::regenerate(conn, org_id, current, &actor, window, grace, at)
                })
                .await
        }
        Err(invalid) => Err(invalid),
    };
    after_issuing(manager, &state, issued, "API token regenerated").await
}

/// `POST .../copied`, sent by the Copy button's script: puts the copy in the history. Only the
/// person who can see the token right now (same checks as revealing) can record one.
pub async fn copied(
    mut manager: TokenManager,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, WebError> {
    let (org_id, actor, key) = (
        manager.org_id(),
        manager.actor.clone(),
        manager.reveal_key.take(),
    );
    let now = state.clock.now();
    state
        .db
        .run(move |conn| screen::record_copy(conn, org_id, &actor, key.as_ref(), now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
