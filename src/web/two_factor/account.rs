//! `/account/two-factor`: turn two-factor sign-in on (scan, confirm with a code, get recovery
//! codes once) or, except for staff, off again after re-entering the password.
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{CodeForm, Enrolment, RecoveryCodesPage, enrolment, take_enrolment};
use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::SignedIn;
use crate::domain::password::Password;
use crate::domain::{accounts, two_factor};
use crate::error::AppError;
use crate::repo::recovery_codes;
use crate::state::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;
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
        None => (None, Some(enrolment(session, &user.email)?)),
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
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<HttpResponse, WebError> {
    if signed_in.user.totp_secret.is_some() {
        return Ok(see_other("/account/two-factor"));
    }
    let secret = take_enrolment(&session)?;
    let (user, now) = (signed_in.user.clone(), state.clock.now());
    let enabled = state
        .db
        .run(move |conn| two_factor::enable(conn, &user, (&secret, &form.code), &addr, now))
        .await;
    let shown = enabled.map(|codes| {
        session.remove(super::ENROLMENT_KEY);
        tracing::info!(user_id = signed_in.user.id, "two-factor sign-in turned on");
        let page = RecoveryCodesPage {
            nav: Some(Nav::from(&signed_in)),
            codes,
            next: "/account".into(),
        };
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

#[derive(Deserialize)]
pub struct DisableForm {
    current_password: String,
}

pub async fn disable(
    signed_in: SignedIn,
    ClientAddr(addr): ClientAddr,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<DisableForm>,
) -> Result<HttpResponse, WebError> {
    let (user_id, now) = (signed_in.user.id, state.clock.now());
    let password = Password::new(form.current_password);
    let disabled = state
        .db
        .run(move |conn| {
            let user = accounts::confirm_password(conn, user_id, &password, &addr, now)?;
            two_factor::disable(conn, &user, &addr, now)
        })
        .await;
    let answer = disabled.map(|()| {
        tracing::info!(user_id, "two-factor sign-in turned off");
        Ok(see_other("/account"))
    });
    or_page_again(answer, &signed_in, &session, &state).await
}
