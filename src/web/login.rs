use actix_session::Session;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use anyhow::Context;
use askama::Template;
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::pending_sign_in;
use crate::auth::session_store::USER_ID_KEY;
use crate::auth::sign_in::{landing, start_session};
use crate::domain::password::Password;
use crate::domain::{accounts, sessions};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    nav: Option<Nav>,
    csrf_token: String,
    email: String,
    next: String,
    error: Option<String>,
    /// What just happened elsewhere, e.g. a password set with a reset link.
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    /// Why an earlier sign-in ended (`codes`: too many wrong second-factor codes; `action`: the
    /// session had ended when a form was sent, so it did nothing).
    ended: Option<String>,
    /// `done` after a password was set with a reset link.
    reset: Option<String>,
}

/// Only same-site paths: never `//evil.example`, an absolute URL, or anything a browser would
/// first clean up into one (it drops tabs and newlines, so `/\t/evil.example` is
/// `//evil.example`, and reads `\` as `/`). Only visible ASCII is let through, which also keeps
/// the `Location` header valid.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The sign-in page, with the form's cookie when the visitor has no session.
fn login_page(
    req: &HttpRequest,
    state: &AppState,
    page: LoginPage,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let (csrf_token, cookie) = csrf::sign_in_form(req, state);
    let response = render_with_status(&LoginPage { csrf_token, ..page }, status)?;
    match cookie {
        Some(cookie) => with_cookie(response, &cookie),
        None => Ok(response),
    }
}

fn with_cookie(mut response: HttpResponse, cookie: &Cookie) -> Result<HttpResponse, WebError> {
    response
        .add_cookie(cookie)
        .context("setting the sign-in cookie")
        .map_err(AppError::from)?;
    Ok(response)
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    let page = LoginPage {
        nav: None,
        csrf_token: String::new(),
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        error: match query.ended.as_deref() {
            Some("codes") => Some(
                "Too many wrong codes: that sign-in has ended. Enter your password again.".into(),
            ),
            Some("action") => Some(
                "Your session had ended, so that action was not carried out. Sign in to go back \
                 to the page, then try again."
                    .into(),
            ),
            _ => None,
        },
        notice: (query.reset.as_deref() == Some("done"))
            .then_some("Your password has been changed and you were signed out everywhere. Sign in with the new one."),
    };
    login_page(&req, &state, page, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    req: HttpRequest,
    ClientAddr(addr): ClientAddr,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let email = form.email.clone();
    let password = Password::new(form.password);
    let now = state.clock.now();
    let signed_in_from = addr.clone();
    let outcome = state
        .db
        .run(move |conn| accounts::authenticate(conn, &email, &password, &addr, now))
        .await;
    let next = safe_next(form.next.as_deref());
    match outcome {
        Ok(user) if user.needs_second_factor() => {
            // A fresh session that signs no one in yet: it only lets the second factor be given.
            let idle = state.config.session_idle;
            pending_sign_in::begin(&req, &session, (&user, &next), (&signed_in_from, now), idle)?;
            tracing::info!(user_id = user.id, "password accepted; second factor next");
            let second = see_other("/login/two-factor");
            with_cookie(second, &csrf::sign_in_cookie_removal(&state))
        }
        Ok(user) => {
            start_session(&req, &session, user.id, &signed_in_from, now)?;
            tracing::info!(user_id = user.id, "signed in");
            let next = landing(next, user.is_staff());
            with_cookie(see_other(&next), &csrf::sign_in_cookie_removal(&state))
        }
        Err(
            refusal @ (AppError::WrongPassword(_)
            | AppError::Invalid(_)
            | AppError::TooManyAttempts { .. }),
        ) => {
            tracing::info!("sign-in failed");
            let page = LoginPage {
                nav: None,
                csrf_token: String::new(),
                email: form.email,
                next,
                error: Some(refusal.to_string()),
                notice: None,
            };
            // A lock is said on the sign-in page itself, with when to try again.
            let response = login_page(&req, &state, page, refusal.status())?;
            Ok(with_retry_after(response, refusal.retry_after()))
        }
        Err(other) => Err(other.into()),
    }
}

fn with_retry_after(mut response: HttpResponse, seconds: Option<u64>) -> HttpResponse {
    if let Some(seconds) = seconds {
        let value = HeaderValue::from(seconds);
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

#[derive(Deserialize)]
pub struct Empty {}

#[derive(Deserialize)]
pub struct LogoutForm {
    /// Where to go afterwards (a path of this site, e.g. an invitation for another address);
    /// the sign-in page otherwise.
    next: Option<String>,
}

/// Signs out: this session ends, and so does every sign-in of the user still waiting for its
/// second factor.
pub async fn logout(
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LogoutForm>,
) -> Result<HttpResponse, WebError> {
    if let Ok(Some(user_id)) = session.get::<i32>(USER_ID_KEY) {
        state
            .db
            .run(move |conn| sessions::end_pending(conn, user_id))
            .await?;
    }
    // purge() deletes the server-side row: the old cookie is worthless from now on.
    session.purge();
    let next = form
        .next
        .map_or_else(|| "/login".to_owned(), |n| safe_next(Some(n.as_str())));
    Ok(see_other(&next))
}
