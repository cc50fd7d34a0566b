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
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::{OrgManager, OrgMember, client_addr};
use crate::domain::api_tokens::{self as tokens, Grace, Issued, Issuer};
use crate::domain::reveal::RevealKey;
use crate::domain::{AppError, now, secret};
use crate::repo::api_tokens::{self, ApiToken};
use crate::repo::audit::{self, AuditEntry};
use crate::repo::users;
use crate::startup::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;

pub const REVEAL_COOKIE: &str = "pulse_reveal";
/// Session keys: a random marker binding tokens to the session that generated them, and the id
/// of a token just generated (its first display is not a "reveal" for the audit trail).
const SESSION_MARKER_KEY: &str = "token_session";
const FRESH_TOKEN_KEY: &str = "token_fresh";
const HISTORY_LIMIT: i64 = 25;

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

/// A time as `<time>` wants it (UTC, machine-readable) and as people read it in UTC.
pub struct TimeView {
    pub iso: String,
    pub utc: String,
}

impl From<NaiveDateTime> for TimeView {
    fn from(at: NaiveDateTime) -> Self {
        TimeView {
            iso: at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            utc: at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        }
    }
}

pub struct TokenView {
    pub id: i32,
    pub prefix: String,
    pub created_at: TimeView,
    pub created_by: String,
    pub last_used: Option<TimeView>,
}

/// The token in full, for its generator during the window.
pub struct Revealed {
    pub plaintext: String,
    pub until: TimeView,
    pub seconds_left: i64,
    pub fresh: bool,
}

pub struct GraceView {
    pub prefix: String,
    pub until: TimeView,
}

pub struct HistoryView {
    pub what: &'static str,
    pub detail: String,
    pub who: String,
    pub from: String,
    pub at: TimeView,
}

impl From<AuditEntry> for HistoryView {
    fn from(entry: AuditEntry) -> Self {
        HistoryView {
            what: match entry.action.as_str() {
                tokens::TOKEN_GENERATED => "Token generated",
                tokens::TOKEN_REGENERATED => "Token regenerated",
                tokens::TOKEN_REVEALED => "Token revealed again",
                tokens::TOKEN_FIRST_USED => "Token first used by the API",
                crate::domain::organisations::API_ACCESS_ENABLED => "API access enabled",
                crate::domain::organisations::API_ACCESS_DISABLED => "API access disabled",
                _ => "Other",
            },
            detail: entry.detail,
            who: match (entry.actor_name, entry.action.as_str()) {
                (Some(name), _) => name,
                (None, tokens::TOKEN_FIRST_USED) => "API client".into(),
                (None, _) => "(deleted user)".into(),
            },
            from: entry.client_addr.unwrap_or_default(),
            at: entry.created_at.into(),
        }
    }
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

/// What the database knows for the screen.
struct Screen {
    token: Option<(ApiToken, TokenView)>,
    in_grace: Vec<GraceView>,
    history: Vec<HistoryView>,
}

async fn load_screen(state: &AppState, organisation_id: i32) -> Result<Screen, WebError> {
    let screen = state
        .db
        .run(move |conn| {
            let at = now();
            // Ciphertexts are useless once the window has passed; do not keep them around.
            api_tokens::clear_expired_reveals(conn, at)?;
            let token = match api_tokens::active_for_organisation(conn, organisation_id)? {
                Some(token) => {
                    let created_by = match token.created_by {
                        Some(id) => users::find(conn, id)?.map(|u| u.name),
                        None => None,
                    };
                    let view = TokenView {
                        id: token.id,
                        prefix: token.display_prefix.clone(),
                        created_at: token.created_at.into(),
                        created_by: created_by.unwrap_or_else(|| "(deleted user)".into()),
                        last_used: token.last_used_at.map(TimeView::from),
                    };
                    Some((token, view))
                }
                None => None,
            };
            let in_grace = api_tokens::in_grace_for_organisation(conn, organisation_id, at)?
                .into_iter()
                .filter_map(|t| {
                    Some(GraceView {
                        prefix: t.display_prefix,
                        until: t.expires_at?.into(),
                    })
                })
                .collect();
            let history = audit::recent_for_organisation(
                conn,
                organisation_id,
                &tokens::HISTORY_ACTIONS,
                HISTORY_LIMIT,
            )?
            .into_iter()
            .map(HistoryView::from)
            .collect();
            Ok::<_, AppError>(Screen {
                token,
                in_grace,
                history,
            })
        })
        .await?;
    Ok(screen)
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
        seconds_left: (token.reveal_until - at).num_seconds().max(0),
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

#[derive(Deserialize)]
pub struct GenerateForm {}

pub async fn generate(
    req: HttpRequest,
    session: Session,
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<GenerateForm>,
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
