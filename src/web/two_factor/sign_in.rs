//! `/login/two-factor`: after the right password, a pending sign-in (`auth::pending_sign_in`)
//! must give the second factor: a code from the authenticator app or a recovery code, or, for
//! staff without an authenticator yet, enrol one first. Too many wrong codes end it.
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;

use super::{CodeForm, Enrolment, RecoveryCodesPage, enrolment, take_enrolment};
use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::error::AuthError;
use crate::auth::pending_sign_in::{self, PendingSignIn};
use crate::auth::sign_in::{landing, start_session};
use crate::domain::two_factor::{self, Change, CodeCheck, SecondStep};
use crate::error::AppError;
use crate::repo::users::User;
use crate::state::AppState;
use crate::web::account::current_handle;
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

/// This session's pending sign-in, or back to the sign-in page.
async fn pending(session: &Session, state: &AppState) -> Result<PendingSignIn, WebError> {
    pending_sign_in::current(session, state)
        .await?
        .ok_or_else(|| {
            AuthError::SignInRequired {
                next: "/".into(),
                interrupted: false,
            }
            .into()
        })
}

fn page(
    session: &Session,
    state: &AppState,
    user: &User,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let enrolment = match &user.totp_secret {
        Some(_) => None,
        None => Some(enrolment(session, state, user)?),
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
    let pending = pending(&session, &state).await?;
    page(&session, &state, &pending.user, None, StatusCode::OK)
}

pub async fn submit(
    req: HttpRequest,
    ClientAddr(addr): ClientAddr,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<HttpResponse, WebError> {
    let PendingSignIn { user, sign_in } = pending(&session, &state).await?;
    let enrolling = match user.totp_secret {
        None => Some(take_enrolment(&session, &state, &user)?),
        Some(_) => None,
    };
    let keep = current_handle(&session).unwrap_or_default();
    let (now, who, from, app) = (state.clock.now(), user.clone(), addr.clone(), state.clone());
    let outcome = state
        .db
        .run(move |conn| {
            let change = Change {
                keep_session: &keep,
                addr: &from,
                at: now,
            };
            let enrolling = (enrolling.as_deref(), &app.reveal_key);
            two_factor::second_step(conn, &who, (&form.code, &sign_in), enrolling, &change)
        })
        .await;
    match outcome {
        Ok(SecondStep::SignedIn { recovery_codes }) => {
            finish(&req, &session, &user, (&addr, now), recovery_codes)
        }
        Ok(SecondStep::Refused(CodeCheck::Wrong { sign_in_over: true })) => {
            tracing::info!(
                user_id = user.id,
                "too many wrong codes; pending sign-in ended"
            );
            pending_sign_in::end(&session);
            Ok(see_other("/login?ended=codes"))
        }
        Ok(SecondStep::Refused(_)) => {
            let message = "That code is incorrect or was already used.".to_owned();
            page(
                &session,
                &state,
                &user,
                Some(message),
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(AppError::Invalid(message)) => page(
            &session,
            &state,
            &user,
            Some(message),
            StatusCode::UNAUTHORIZED,
        ),
        Err(locked @ AppError::TooManyAttempts { .. }) => {
            // Locked: this sign-in is over; the password will be asked again after the lock.
            pending_sign_in::end(&session);
            Err(locked.into())
        }
        Err(other) => Err(other.into()),
    }
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
    let next = landing(pending_sign_in::finish(session), user.is_staff());
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
    let page = RecoveryCodesPage::new(None, recovery_codes, &next, 0);
    render_with_status(&page, StatusCode::OK)
}
