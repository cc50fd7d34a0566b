//! How failures look in a browser: an HTML error page with the status `AppError::status` gives
//! (the rule is in `src/error.rs`), or the redirect to the sign-in page. Internal causes go to the
//! log only.
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use anyhow::Context;
use askama::Template;

use crate::auth::error::AuthError;
use crate::error::AppError;

/// Errors of browser routes. `From<AuthError>` unwraps an auth failure that is really an
/// application error, so each failure has one shape.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Auth(AuthError),
    /// The request cannot go on without the user's answer to this page, e.g. the password
    /// prompt of sudo mode (`web::sudo`); like a sign-in redirect, it stops the handler early.
    #[error("the user must answer a page first")]
    Page { status: StatusCode, html: String },
}

impl From<AuthError> for WebError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::App(app) => WebError::App(app),
            other => WebError::Auth(other),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
}

fn title_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 413 => "Request not accepted",
        403 => "Not allowed",
        404 => "Not found",
        409 => "Changed meanwhile",
        429 => "Too many attempts",
        503 => "Temporarily unavailable",
        _ => "Something went wrong",
    }
}

fn error_page(
    status: StatusCode,
    title: &str,
    message: String,
    retry_after: Option<u64>,
) -> HttpResponse {
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        message,
    };
    let mut response = HttpResponse::build(status);
    response.content_type(ContentType::html());
    if let Some(seconds) = retry_after {
        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    match page.render() {
        Ok(body) => response.body(body),
        Err(_) => response.body(page.message),
    }
}

fn app_response(e: &AppError) -> HttpResponse {
    let message = match e {
        AppError::Internal(cause) => {
            tracing::error!(error = ?cause, "request failed");
            "The server could not complete the request. Please try again.".to_owned()
        }
        AppError::Unavailable(cause) => {
            tracing::warn!(error = ?cause, "request refused: service unavailable");
            e.to_string()
        }
        _ => e.to_string(),
    };
    error_page(e.status(), title_of(e.status()), message, e.retry_after())
}

fn auth_status(e: &AuthError) -> StatusCode {
    match e {
        AuthError::SignInRequired { .. } => StatusCode::SEE_OTHER,
        AuthError::CsrfRejected => StatusCode::FORBIDDEN,
        AuthError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        AuthError::App(app) => app.status(),
    }
}

fn auth_response(e: &AuthError) -> HttpResponse {
    match e {
        AuthError::SignInRequired { next, interrupted } => {
            let ended = if *interrupted { "&ended=action" } else { "" };
            see_other(&format!("/login?next={}{ended}", percent_encode(next)))
        }
        AuthError::CsrfRejected => {
            error_page(StatusCode::FORBIDDEN, "Form expired", e.to_string(), None)
        }
        AuthError::PayloadTooLarge => error_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            title_of(StatusCode::PAYLOAD_TOO_LARGE),
            e.to_string(),
            None,
        ),
        AuthError::App(app) => app_response(app),
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::App(e) => e.status(),
            WebError::Auth(e) => auth_status(e),
            WebError::Page { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            WebError::App(e) => app_response(e),
            WebError::Auth(e) => auth_response(e),
            WebError::Page { status, html } => HttpResponse::build(*status)
                .content_type(ContentType::html())
                .body(html.clone()),
        }
    }
}

/// The extractors of `auth` fail with `AuthError`; this is how a browser sees that.
impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        auth_status(self)
    }

    fn error_response(&self) -> HttpResponse {
        auth_response(self)
    }
}

fn percent_encode(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// Renders a page template as a 200 response.
pub fn render<T: Template>(page: &T) -> Result<HttpResponse, WebError> {
    render_with_status(page, StatusCode::OK)
}

pub fn render_with_status<T: Template>(
    page: &T,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let body = page
        .render()
        .context("rendering a template")
        .map_err(AppError::from)?;
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(body))
}

/// The answer to a successful form post: Post/Redirect/Get.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}
