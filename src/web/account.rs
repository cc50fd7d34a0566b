//! The account page (`/account`): the user's sessions (device, address, last seen; sign-ins
//! waiting for their second factor too), ending any or all of the others, the security notices
//! they were sent, the optional mail they want, their time zone, and links to the password
//! (`web::password`) and two-factor settings.
use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::SignedIn;
use crate::auth::session_store::HANDLE_KEY;
use crate::domain::sessions::{self, SessionInfo};
use crate::domain::user_agent;
use crate::domain::{account_notices, notices, time_zone};
use crate::repo::preferences::Preferences;
use crate::state::AppState;
use crate::web::error::{WebError, render, see_other};
use crate::web::layout::Nav;
use crate::web::login::Empty;
use crate::web::time::TimeView;

pub struct SessionRow {
    pub handle: Option<String>,
    pub device: String,
    pub client_addr: String,
    pub signed_in_at: TimeView,
    pub last_seen_at: TimeView,
    pub current: bool,
    pub pending: bool,
}

impl From<SessionInfo> for SessionRow {
    fn from(info: SessionInfo) -> Self {
        SessionRow {
            device: user_agent::describe(&info.user_agent),
            client_addr: info.client_addr,
            signed_in_at: info.signed_in_at.into(),
            last_seen_at: info.last_seen_at.into(),
            current: info.current,
            pending: info.pending,
            handle: info.handle,
        }
    }
}

#[derive(Template)]
#[template(path = "account/index.html")]
struct AccountPage {
    nav: Option<Nav>,
    csrf_token: String,
    email: String,
    sessions: Vec<SessionRow>,
    notices: Vec<NoticeRow>,
    /// The optional mail the user wants (`web::notifications` saves it).
    preferences: Preferences,
    /// The zone chosen (`None`: the browser's own), and every zone that may be chosen.
    time_zone: Option<String>,
    zones: Vec<&'static str>,
    /// What was just saved or done, to say so.
    done: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct AccountQuery {
    saved: Option<String>,
}

/// What a form that came back to this page did (`?saved=`).
fn done(saved: &str) -> Option<&'static str> {
    match saved {
        "notifications" => Some("Your mail settings are saved."),
        "time-zone" => Some("Your time zone is saved: times on every page are shown in it."),
        "password" => Some(
            "Your password was changed. Every other session was signed out: sign in there again \
             with the new password.",
        ),
        "session-ended" => Some("That session was signed out."),
        "others-ended" => Some("Every other session was signed out."),
        _ => None,
    }
}

/// A security notice the user was sent (`domain::account_notices`).
pub struct NoticeRow {
    pub at: TimeView,
    pub detail: String,
}

/// How many of the latest notices the page lists.
const NOTICES_SHOWN: i64 = 10;

/// The handle of the session this request belongs to.
pub fn current_handle(session: &Session) -> Option<String> {
    session.get::<String>(HANDLE_KEY).ok().flatten()
}

pub async fn show(
    signed_in: SignedIn,
    session: Session,
    state: web::Data<AppState>,
    query: web::Query<AccountQuery>,
) -> Result<HttpResponse, WebError> {
    let (user_id, current) = (signed_in.user.id, current_handle(&session));
    let (absolute, now) = (state.config.session_absolute, state.clock.now());
    let (listed, recent, preferences) = state
        .db
        .run(move |conn| {
            let listed = sessions::list(conn, user_id, current.as_deref(), absolute, now)?;
            Ok((
                listed,
                account_notices::recent(conn, user_id, NOTICES_SHOWN)?,
                notices::preferences_of(conn, user_id)?,
            ))
        })
        .await?;
    render(&AccountPage {
        nav: Some(Nav::from(&signed_in)),
        csrf_token: signed_in.csrf_token.clone(),
        email: signed_in.user.email.clone(),
        sessions: listed.into_iter().map(SessionRow::from).collect(),
        notices: recent
            .into_iter()
            .map(|n| NoticeRow {
                at: n.created_at.into(),
                detail: n.detail,
            })
            .collect(),
        preferences,
        time_zone: signed_in.user.time_zone.clone(),
        zones: time_zone::choices().collect(),
        done: query.saved.as_deref().and_then(done),
    })
}

#[derive(Deserialize)]
pub struct EndForm {
    handle: String,
}

pub async fn end(
    signed_in: SignedIn,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<EndForm>,
) -> Result<HttpResponse, WebError> {
    let (user_id, current) = (signed_in.user.id, current_handle(&session));
    state
        .db
        .run(move |conn| sessions::end(conn, user_id, &form.handle, current.as_deref()))
        .await?;
    tracing::info!(user_id, "ended one of the user's other sessions");
    Ok(see_other("/account?saved=session-ended"))
}

pub async fn end_others(
    signed_in: SignedIn,
    ClientAddr(addr): ClientAddr,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<HttpResponse, WebError> {
    let user_id = signed_in.user.id;
    // A session from before handles existed has none: end them all, this one too.
    let current = current_handle(&session).unwrap_or_default();
    let now = state.clock.now();
    let ended = state
        .db
        .run(move |conn| sessions::end_others(conn, user_id, &current, (&addr, now)))
        .await?;
    tracing::info!(user_id, ended, "ended the user's other sessions");
    Ok(see_other("/account?saved=others-ended"))
}
