//! `/account/two-factor`: turn two-factor sign-in on (scan, confirm with a code, get recovery
//! codes once) or, except for staff, off again. Both are behind sudo mode (`web::sudo`: a stolen
//! cookie alone cannot enrol the thief's authenticator), end the user's other sessions and tell
//! them (`domain::account_notices`).
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{CodeForm, Enrolment, RecoveryCodesPage, enrolment, take_enrolment};
use crate::auth::client_addr::ClientAddr;
use crate::auth::extractors::SignedIn;
use crate::domain::two_factor::{self, Change};
use crate::error::AppError;
use crate::repo::recovery_codes;
use crate::state::AppState;
use crate::web::account::current_handle;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;
use crate::web::sudo::{Purpose, SudoForm};
use crate::web::time::TimeView;

#[derive(Template)]
#[template(path = "two_factor/account.html")]
struct SettingsPage {
    nav: Option<Nav>,
    csrf_token: String,
    action: &'static str,
    /// When it was turned on and how many recovery codes are left; `None` while it is off.
    enabled: Option<(TimeView, i64)>,
    can_disable: bool,
    enrolment: Option<Enrolment>,
    error: Option<String>,
}

async fn page(
    signed_in: &SignedIn,
    session: &Session,
    state: &AppState,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let user = &signed_in.user;
    let (enabled, enrolment) = match user.totp_enabled_at {
        Some(since) => {
            let id = user.id;
            let left = state
                .db
                .run(move |conn| Ok(recovery_codes::unused(conn, id)?))
                .await?;
            (Some((since.into(), left)), None)
        }
        None => (None, Some(enrolment(session, state, user)?)),
    };
    let page = SettingsPage {
        nav: Some(Nav::from(signed_in)),
        csrf_token: signed_in.csrf_token.clone(),
        action: "/account/two-factor",
        enabled,
        can_disable: !user.is_staff(),
        enrolment,
        error,
    };
    render_with_status(&page, status)
}

pub async fn settings(
    signed_in: SignedIn,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    page(&signed_in, &session, &state, None, StatusCode::OK).await
}

pub async fn enable(
    signed_in: SignedIn,
    ClientAddr(addr): ClientAddr,
    session: Session,
    state: web::Data<AppState>,
    form: SudoForm<CodeForm>,
) -> Result<HttpResponse, WebError> {
    if signed_in.user.totp_secret.is_some() {
        return Ok(see_other("/account/two-factor"));
    }
    let purpose = Purpose {
        to: "turn on two-factor sign-in",
        back: "/account/two-factor",
    };
    let form = form
        .recheck((&signed_in, &session, &addr), &state, &purpose)
        .await?;
    let secret = take_enrolment(&session, &state, &signed_in.user)?;
    let keep = current_handle(&session).unwrap_or_default();
    let (user, app, now) = (signed_in.user.clone(), state.clone(), state.clock.now());
    let enabled = state
        .db
        .run(move |conn| {
            let change = Change {
                keep_session: &keep,
                addr: &addr,
                at: now,
            };
            two_factor::turn_on(conn, &user, (&secret, &form.code), &app.reveal_key, &change)
        })
        .await;
    let shown = enabled.map(|on| {
        session.remove(super::ENROLMENT_KEY);
        let user_id = signed_in.user.id;
        tracing::info!(
            user_id,
            ended = on.sessions_ended,
            "two-factor sign-in turned on"
        );
        let nav = Some(Nav::from(&signed_in));
        let page = RecoveryCodesPage::new(nav, on.recovery_codes, "/account", on.sessions_ended);
        render_with_status(&page, StatusCode::OK)
    });
    or_page_again(shown, &signed_in, &session, &state).await
}

/// The answer to a form, or the settings page again with the refusal's message.
async fn or_page_again(
    outcome: Result<Result<HttpResponse, WebError>, AppError>,
    signed_in: &SignedIn,
    session: &Session,
    state: &AppState,
) -> Result<HttpResponse, WebError> {
    match outcome {
        Ok(answer) => answer,
        Err(AppError::Invalid(message)) => {
            let status = StatusCode::BAD_REQUEST;
            page(signed_in, session, state, Some(message), status).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Forms whose only field is the CSRF token (and the password, if sudo mode asks for it).
#[derive(Deserialize)]
pub struct NoFields {}

pub async fn disable(
    signed_in: SignedIn,
    ClientAddr(addr): ClientAddr,
    session: Session,
    state: web::Data<AppState>,
    form: SudoForm<NoFields>,
) -> Result<HttpResponse, WebError> {
    let purpose = Purpose {
        to: "turn off two-factor sign-in",
        back: "/account/two-factor",
    };
    form.recheck((&signed_in, &session, &addr), &state, &purpose)
        .await?;
    let keep = current_handle(&session).unwrap_or_default();
    let (user, now) = (signed_in.user.clone(), state.clock.now());
    let disabled = state
        .db
        .run(move |conn| {
            let change = Change {
                keep_session: &keep,
                addr: &addr,
                at: now,
            };
            two_factor::turn_off(conn, &user, &change)
        })
        .await;
    let answer = disabled.map(|(_, ended)| {
        tracing::info!(
            user_id = signed_in.user.id,
            ended,
            "two-factor sign-in turned off"
        );
        Ok(see_other("/account"))
    });
    or_page_again(answer, &signed_in, &session, &state).await
}
