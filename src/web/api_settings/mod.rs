//! The API authentication screen (DESIGN §2): generate, reveal during the window, regenerate.
//!
//! A new token is shown to its generator only. The plaintext is never stored: the database keeps
//! it encrypted under a key that lives only in the `pulse_reveal` cookie (HttpOnly,
//! SameSite=Strict, scoped to this screen, expiring with the reveal window), and the row is bound
//! to the generating user and session.
use actix_session::Session;
use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::{OrgManager, OrgMember, client_addr};
use crate::domain::api_tokens::{self as tokens, Grace, Issued, Issuer};
use crate::domain::reveal::RevealKey;
use crate::domain::{AppError, now, secret};
use crate::repo::api_tokens::{self, ApiToken};
use crate::startup::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;

mod screen;
use screen::{GraceView, HistoryView, Revealed, TokenView, load_screen};

pub const REVEAL_COOKIE: &str = "pulse_reveal";
/// Session keys: a random marker binding tokens to the session that generated them, and the id
/// of a token just generated (its first display is not a "reveal" for the audit trail).
const SESSION_MARKER_KEY: &str = "token_session";
const FRESH_TOKEN_KEY: &str = "token_fresh";

fn session_error(e: impl std::fmt::Display) -> WebError {
    AppError::Internal(anyhow::anyhow!("session: {e}")).into()
}

/// Digest of this session's marker, created on first use.
fn session_binding(session: &Session) -> Result<String, WebError> {
    let marker = match session.get::<String>(SESSION_MARKER_KEY) {
        Ok(Some(existing)) => existing,
        _ => {
            let fresh = secret::random_base62(43);
            session
                .insert(SESSION_MARKER_KEY, &fresh)
                .map_err(session_error)?;
            fresh
        }
    };
    Ok(secret::sha256_hex(marker.as_bytes()))
}

fn screen_path(slug: &str) -> String {
    format!("/orgs/{slug}/settings/api")
}

#[derive(Template)]
#[template(path = "orgs/api.html")]
struct ApiPage {
    nav: Option<Nav>,
    csrf_token: String,
    name: String,
    slug: String,
    api_enabled: bool,
    reveal_minutes: i64,
    token: Option<TokenView>,
    revealed: Option<Revealed>,
    in_grace: Vec<GraceView>,
    history: Vec<HistoryView>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "orgs/api_regenerate.html")]
struct RegeneratePage {
    nav: Option<Nav>,
    csrf_token: String,
    name: String,
    slug: String,
    token: TokenView,
}

/// The token in full if this viewer may see it now; records a reveal after the first display.
async fn reveal_for(
    req: &HttpRequest,
    session: &Session,
    member: &OrgMember,
    state: &AppState,
    token: &ApiToken,
) -> Result<Option<Revealed>, WebError> {
    let key = req
        .cookie(REVEAL_COOKIE)
        .and_then(|c| RevealKey::from_cookie(c.value()));
    let binding = session_binding(session)?;
    let at = now();
    let Some(plain) =
        tokens::revealable(token, member.signed_in.user.id, &binding, key.as_ref(), at)
    else {
        return Ok(None);
    };
    let fresh = session.get::<i32>(FRESH_TOKEN_KEY).ok().flatten() == Some(token.id);
    if fresh {
        session.remove(FRESH_TOKEN_KEY);
    } else {
        let token = token.clone();
        let user_id = member.signed_in.user.id;
        let addr = client_addr(req);
        state
            .db
            .run(move |conn| {
                let issuer = Issuer {
                    user_id,
                    session: &binding,
                    client_addr: &addr,
                };
                tokens::record_reveal(conn, &token, &issuer)
            })
            .await?;
    }
    Ok(Some(Revealed {
        plaintext: plain.expose().to_owned(),
        until: token.reveal_until.into(),
        // Rounded up: the page's countdown must not end before the server stops revealing.
        seconds_left: ((token.reveal_until - at).num_milliseconds().max(0) + 999) / 1000,
        fresh,
    }))
}

async fn render_screen(
    req: &HttpRequest,
    session: &Session,
    member: OrgMember,
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    // Create the session marker now, before any form posts: concurrent posts from one session
    // would otherwise each create a different one.
    session_binding(session)?;
    let screen = load_screen(state, member.org.id).await?;
    let revealed = match &screen.token {
        Some((token, _)) => reveal_for(req, session, &member, state, token).await?,
        None => None,
    };
    let page = ApiPage {
        nav: Some(Nav::from(&member.signed_in)),
        csrf_token: member.signed_in.csrf_token.clone(),
        api_enabled: member.org.api_enabled(),
        reveal_minutes: (state.config.reveal_window.num_seconds() + 59) / 60,
        token: screen.token.map(|(_, view)| view),
        revealed,
        in_grace: screen.in_grace,
        history: screen.history,
        error,
        name: member.org.name,
        slug: member.org.slug,
    };
    render_with_status(&page, status)
}

pub async fn show(
    req: HttpRequest,
    session: Session,
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    render_screen(&req, &session, member, &state, StatusCode::OK, None).await
}

/// Where to go after issuing: back to the screen, with the cookie that can decrypt the new token.
fn issued_response(
    session: &Session,
    state: &AppState,
    slug: &str,
    issued: &Issued,
) -> Result<HttpResponse, WebError> {
    session
        .insert(FRESH_TOKEN_KEY, issued.record.id)
        .map_err(session_error)?;
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
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cookie: {e}")))?;
    Ok(response)
}

/// Renders the screen again with the refusal, or passes other errors on.
async fn refused(
    req: &HttpRequest,
    session: &Session,
    member: OrgMember,
    state: &AppState,
    error: AppError,
) -> Result<HttpResponse, WebError> {
    let (status, message) = match error {
        AppError::Conflict(message) => (StatusCode::CONFLICT, message),
        AppError::Forbidden => (StatusCode::FORBIDDEN, tokens::API_DISABLED.to_owned()),
        AppError::Invalid(message) => (StatusCode::BAD_REQUEST, message),
        other => return Err(other.into()),
    };
    render_screen(req, session, member, state, status, Some(message)).await
}

/// Forms whose only field is the CSRF token.
#[derive(Deserialize)]
pub struct NoFields {}

pub async fn generate(
    req: HttpRequest,
    session: Session,
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, WebError> {
    let binding = session_binding(&session)?;
    let (org_id, user_id, addr) = (member.org.id, member.signed_in.user.id, client_addr(&req));
    let window = state.config.reveal_window;
    let issued = state
        .db
        .run(move |conn| {
            let issuer = Issuer {
                user_id,
                session: &binding,
                client_addr: &addr,
            };
            tokens::generate(conn, org_id, &issuer, window)
        })
        .await;
    match issued {
        Ok(issued) => {
            tracing::info!(org = %member.org.slug, prefix = %issued.record.display_prefix, "API token generated");
            issued_response(&session, &state, &member.org.slug, &issued)
        }
        Err(error) => refused(&req, &session, member, &state, error).await,
    }
}

pub async fn confirm_regenerate(
    session: Session,
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    session_binding(&session)?;
    let screen = load_screen(&state, member.org.id).await?;
    let Some((_, token)) = screen.token.filter(|_| member.org.api_enabled()) else {
        // Nothing to regenerate (or not allowed): the screen explains why.
        return Ok(see_other(&screen_path(&member.org.slug)));
    };
    render_with_status(
        &RegeneratePage {
            nav: Some(Nav::from(&member.signed_in)),
            csrf_token: member.signed_in.csrf_token.clone(),
            name: member.org.name,
            slug: member.org.slug,
            token,
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct RegenerateForm {
    /// The token the user saw on the confirmation step: only that one may be replaced.
    current: String,
    #[serde(default)]
    grace: String,
}

pub async fn regenerate(
    req: HttpRequest,
    session: Session,
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RegenerateForm>,
) -> Result<HttpResponse, WebError> {
    let parsed = form
        .current
        .trim()
        .parse::<i32>()
        .map_err(|_| AppError::invalid("The form does not say which token to replace."))
        .and_then(|current| Ok((current, Grace::parse(form.grace.trim())?)));
    let (current, grace) = match parsed {
        Ok(values) => values,
        Err(error) => return refused(&req, &session, member, &state, error).await,
    };
    let binding = session_binding(&session)?;
    let (org_id, user_id, addr) = (member.org.id, member.signed_in.user.id, client_addr(&req));
    let window = state.config.reveal_window;
    let issued = state
        .db
        .run(move |conn| {
            let issuer = Issuer {
                user_id,
                session: &binding,
                client_addr: &addr,
            };
            tokens::regenerate(conn, org_id, current, &issuer, window, grace)
        })
        .await;
    match issued {
        Ok(issued) => {
            tracing::info!(org = %member.org.slug, prefix = %issued.record.display_prefix, ?grace, "API token regenerated");
            issued_response(&session, &state, &member.org.slug, &issued)
        }
        Err(error) => refused(&req, &session, member, &state, error).await,
    }
}

/// `POST .../copied`, sent by the Copy button's script: puts the copy in the history. Only the
/// person who can see the token right now (same checks as revealing) can record one.
pub async fn copied(
    req: HttpRequest,
    session: Session,
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, WebError> {
    let org_id = member.org.id;
    let token = state
        .db
        .run(move |conn| api_tokens::active_for_organisation(conn, org_id).map_err(AppError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    let key = req
        .cookie(REVEAL_COOKIE)
        .and_then(|c| RevealKey::from_cookie(c.value()));
    let binding = session_binding(&session)?;
    let user_id = member.signed_in.user.id;
    if tokens::revealable(&token, user_id, &binding, key.as_ref(), now()).is_none() {
        return Err(AppError::Forbidden.into());
    }
    let addr = client_addr(&req);
    state
        .db
        .run(move |conn| {
            let issuer = Issuer {
                user_id,
                session: &binding,
                client_addr: &addr,
            };
            tokens::record_copy(conn, &token, &issuer)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
