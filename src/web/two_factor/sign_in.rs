//! `/login/two-factor`: after the right password, a session that is not signed in yet (it holds
//! only the pending user) must give the second factor: a code from the authenticator app or a
//! recovery code, or, for staff without an authenticator yet, enrol one first.
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;

use super::{CodeForm, Enrolment, RecoveryCodesPage, enrolment, take_enrolment};
use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::error::AuthError;
use crate::auth::session_store::{PENDING_NEXT_KEY, PENDING_USER_KEY};
use crate::auth::sign_in::{landing, start_session};
use crate::domain::two_factor;
use crate::error::AppError;
use crate::repo::users::{self, User};
use crate::state::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;

#[derive(Template)]
#[template(path = "two_factor/sign_in.html")]
struct SecondFactorPage {
    nav: Option<Nav>,
    csrf_token: String,
    action: &'static str,
    /// Present while a staff member enrols their first authenticator.
    enrolment: Option<Enrolment>,
    error: Option<String>,
}

/// The user who gave the right password in this session, or back to the sign-in page.
async fn pending_user(session: &Session, state: &AppState) -> Result<User, WebError> {
    let back = || WebError::from(AuthError::SignInRequired { next: "/".into() });
    let user_id = session
        .get::<i32>(PENDING_USER_KEY)
        .ok()
        .flatten()
        .ok_or_else(back)?;
    let user = state
        .db
        .run(move |conn| Ok(users::find(conn, user_id)?))
        .await?;
    user.ok_or_else(back)
}

fn page(
    session: &Session,
    user: &User,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let enrolment = match &user.totp_secret {
        Some(_) => None,
        None => Some(enrolment(session, &user.email)?),
    };
    let page = SecondFactorPage {
        nav: None,
        csrf_token: csrf::token(session)?,
        action: "/login/two-factor",
        enrolment,
        error,
    };
    render_with_status(&page, status)
}

pub async fn form(session: Session, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let user = pending_user(&session, &state).await?;
    page(&session, &user, None, StatusCode::OK)
}

pub async fn submit(
    req: HttpRequest,
    ClientAddr(addr): ClientAddr,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<HttpResponse, WebError> {
    let user = pending_user(&session, &state).await?;
    let secret = match user.totp_secret {
        None => Some(take_enrolment(&session)?),
        Some(_) => None,
    };
    let (now, who, from) = (state.clock.now(), user.clone(), addr.clone());
    let outcome = state
        .db
        .run(move |conn| match secret {
            Some(secret) => two_factor::enable(conn, &who, (&secret, &form.code), &from, now),
            None => two_factor::verify(conn, &who, &form.code, &from, now).map(|()| Vec::new()),
        })
        .await;
    let codes = match outcome {
        Ok(codes) => codes,
        Err(AppError::Invalid(message)) => {
            return page(&session, &user, Some(message), StatusCode::UNAUTHORIZED);
        }
        Err(other) => return Err(other.into()),
    };
    finish(&req, &session, &user, (&addr, now), codes)
}

/// Signs the pending user in; shows the recovery codes if they just enrolled, else goes on to
/// where the sign-in was headed.
fn finish(
    req: &HttpRequest,
    session: &Session,
    user: &User,
    (addr, now): (&str, NaiveDateTime),
    recovery_codes: Vec<String>,
) -> Result<HttpResponse, WebError> {
    let next = session
        .remove_as::<String>(PENDING_NEXT_KEY)
        .and_then(Result::ok)
        .unwrap_or_else(|| "/".into());
    let next = landing(next, user.is_staff());
    session.remove(PENDING_USER_KEY);
    session.remove(super::ENROLMENT_KEY);
    start_session(req, session, user.id, addr, now)?;
    let enrolled = !recovery_codes.is_empty();
    tracing::info!(
        user_id = user.id,
        enrolled,
        "signed in with a second factor"
    );
    if !enrolled {
        return Ok(see_other(&next));
    }
    let page = RecoveryCodesPage {
        nav: None,
        codes: recovery_codes,
        next,
    };
    render_with_status(&page, StatusCode::OK)
}
