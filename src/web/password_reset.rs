//! "Forgot your password?": `/forgot-password` asks for a link by mail, `/reset-password` is
//! where the link leads (the secret in its `token` parameter, which logs redact) and sets the
//! new password. Visitors are not signed in, so the forms' CSRF token travels in the signed
//! sign-in cookie (`auth::csrf::sign_in_form`). The rules are `domain::password_reset`'s.
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use anyhow::Context;
use askama::Template;
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::{self, CsrfForm};
use crate::domain::password::Password;
use crate::domain::password_reset::{self, Link};
use crate::error::{AppError, in_words};
use crate::state::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;

#[derive(Template)]
#[template(path = "auth/forgot_password.html")]
struct ForgotPage {
    nav: Option<Nav>,
    csrf_token: String,
    email: String,
    error: Option<String>,
}

/// The answer to every accepted request, whether or not the address has an account: the same
/// bytes, with nothing of the request in it.
#[derive(Template)]
#[template(path = "auth/forgot_password_sent.html")]
struct SentPage {
    nav: Option<Nav>,
    /// How long the link works, in words.
    lifetime: String,
}

#[derive(Template)]
#[template(path = "auth/reset_password.html")]
struct ResetPage {
    nav: Option<Nav>,
    csrf_token: String,
    /// The link's secret, carried to the form's POST; `None` when the link does not work.
    token: Option<String>,
    /// Why the link does not work, or why the new password was refused.
    error: Option<String>,
}

/// Renders an anonymous form page whose CSRF token `page` receives, with the signed cookie that
/// must come back with it, and asks browsers to send only the origin as the referrer from it,
/// so the URL (which may carry a link's secret) goes nowhere, not even to this site's own
/// stylesheet requests. (`no-referrer` would make the form's `Origin` "null", which the CSRF
/// check refuses.)
pub(crate) fn anonymous_form(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    page: impl FnOnce(String) -> Result<String, askama::Error>,
) -> Result<HttpResponse, WebError> {
    let (token, cookie) = csrf::sign_in_form(req, state);
    let body = page(token)
        .context("rendering a template")
        .map_err(AppError::from)?;
    let mut response = HttpResponse::build(status);
    response
        .content_type(header::ContentType::html())
        .insert_header((header::REFERRER_POLICY, "strict-origin"));
    if let Some(cookie) = cookie {
        response.cookie(cookie);
    }
    Ok(response.body(body))
}

fn forgot_page(
    req: &HttpRequest,
    state: &AppState,
    email: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    anonymous_form(req, state, status, |csrf_token| {
        ForgotPage {
            nav: None,
            csrf_token,
            email,
            error,
        }
        .render()
    })
}

pub async fn forgot_form(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    forgot_page(&req, &state, String::new(), None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
}

pub async fn forgot_submit(
    req: HttpRequest,
    ClientAddr(addr): ClientAddr,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> Result<HttpResponse, WebError> {
    let (email, now) = (form.email.clone(), state.clock.now());
    let requested = state
        .db
        .run(move |conn| password_reset::request(conn, &email, &addr, now))
        .await;
    match requested {
        Ok(()) => {
            tracing::info!("password reset requested");
            let lifetime = in_words(password_reset::link_lifetime().num_seconds() as u64);
            render_with_status(
                &SentPage {
                    nav: None,
                    lifetime,
                },
                StatusCode::OK,
            )
        }
        Err(AppError::Invalid(message)) => forgot_page(
            &req,
            &state,
            form.email,
            Some(message),
            StatusCode::BAD_REQUEST,
        ),
        Err(other) => Err(other.into()),
    }
}

fn reset_page(
    req: &HttpRequest,
    state: &AppState,
    token: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    anonymous_form(req, state, status, |csrf_token| {
        ResetPage {
            nav: None,
            csrf_token,
            token,
            error,
        }
        .render()
    })
}

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
}

/// The link's secret if it works, or why it does not.
async fn check(state: &AppState, secret: String) -> Result<Result<String, String>, WebError> {
    let now = state.clock.now();
    let secret_checked = secret.clone();
    let link = state
        .db
        .run(move |conn| password_reset::check(conn, &secret_checked, now))
        .await?;
    Ok(match link {
        Link::Valid { .. } => Ok(secret),
        dead => Err(dead.refusal().unwrap_or_default()),
    })
}

pub async fn reset_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LinkQuery>,
) -> Result<HttpResponse, WebError> {
    match check(&state, query.into_inner().token).await? {
        Ok(secret) => reset_page(&req, &state, Some(secret), None, StatusCode::OK),
        Err(why) => reset_page(&req, &state, None, Some(why), StatusCode::BAD_REQUEST),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: String,
    new_password: String,
}

pub async fn reset_submit(
    req: HttpRequest,
    ClientAddr(addr): ClientAddr,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<HttpResponse, WebError> {
    let secret = match check(&state, form.token).await? {
        Ok(secret) => secret,
        Err(why) => return reset_page(&req, &state, None, Some(why), StatusCode::BAD_REQUEST),
    };
    let (new, now, kept) = (
        Password::new(form.new_password),
        state.clock.now(),
        secret.clone(),
    );
    let completed = state
        .db
        .run(move |conn| password_reset::complete(conn, &secret, &new, &addr, now))
        .await;
    match completed {
        Ok(user) => {
            tracing::info!(
                user_id = user.id,
                "password set with a reset link; every session ended"
            );
            Ok(see_other("/login?reset=done"))
        }
        Err(AppError::Invalid(message)) => reset_page(
            &req,
            &state,
            Some(kept),
            Some(message),
            StatusCode::BAD_REQUEST,
        ),
        Err(other) => Err(other.into()),
    }
}
