use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::domain::AppError;

/// Errors of browser routes, rendered as an HTML page. Internal causes go to the log only.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("the form has expired or did not come from this site")]
    CsrfRejected,
    #[error("{0}")]
    BadRequest(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
}

impl From<diesel::result::Error> for WebError {
    fn from(e: diesel::result::Error) -> Self {
        Self::App(e.into())
    }
}

impl From<r2d2::Error> for WebError {
    fn from(e: r2d2::Error) -> Self {
        Self::App(e.into())
    }
}

impl From<actix_web::error::BlockingError> for WebError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::App(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            WebError::CsrfRejected => StatusCode::FORBIDDEN,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::App(app) => match app {
                AppError::NotFound => StatusCode::NOT_FOUND,
                AppError::Forbidden => StatusCode::FORBIDDEN,
                AppError::Invalid(_) => StatusCode::BAD_REQUEST,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::SignInRequired { next } = self {
            let location = format!("/login?next={}", percent_encode(next));
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish();
        }
        let status = self.status_code();
        let (title, message) = match self {
            WebError::App(AppError::NotFound) => (
                "Not found",
                "There is nothing here, or you do not have access to it.".to_owned(),
            ),
            WebError::App(AppError::Forbidden) => (
                "Not allowed",
                "Your role in this organisation does not give access to this page.".to_owned(),
            ),
            WebError::CsrfRejected => (
                "Form expired",
                "The form has expired or did not come from this site. Go back, reload the page and try again."
                    .to_owned(),
            ),
            _ if status.is_server_error() => {
                tracing::error!(error = ?self, "request failed");
                (
                    "Something went wrong",
                    "The server could not complete the request. Please try again.".to_owned(),
                )
            }
            other => ("Request not accepted", other.to_string()),
        };
        let page = ErrorPage {
            status: status.as_u16(),
            title,
            message,
        };
        let mut response = HttpResponse::build(status);
        response.content_type(ContentType::html());
        if let WebError::App(AppError::TooManyAttempts { retry_after_secs }) = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        match page.render() {
            Ok(body) => response.body(body),
            Err(_) => response.body(page.message),
        }
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
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
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
