//! Errors of `/api` routes, rendered as `application/problem+json` (RFC 9457). Internal causes go
//! to the log only; clients see an opaque 500.
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::AppError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// What an API request can fail with: a bearer-token failure, or an application error whose
/// status follows the rule in `src/error.rs`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No `Authorization: Bearer` credentials: 401 with a bare `WWW-Authenticate: Bearer`.
    #[error("This API requires a token: send it as `Authorization: Bearer <token>`.")]
    MissingToken,
    /// Credentials given but malformed, unknown, revoked or expired: 401 with
    /// `error="invalid_token"`. Deliberately does not say which.
    #[error("The token is malformed, unknown, revoked or expired.")]
    InvalidToken,
    #[error(transparent)]
    App(#[from] AppError),
}

/// An RFC 9457 problem document, the body of every API error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    /// Always `about:blank`: the status code identifies the problem.
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    /// What went wrong, e.g. which parameter is invalid.
    detail: String,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MissingToken | ApiError::InvalidToken => StatusCode::UNAUTHORIZED,
            ApiError::App(e) => e.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            ApiError::App(AppError::Internal(cause)) => {
                tracing::error!(error = ?cause, "API request failed");
                "The server could not complete the request.".to_owned()
            }
            ApiError::App(e @ AppError::Unavailable(cause)) => {
                tracing::warn!(error = ?cause, "API request refused: service unavailable");
                e.to_string()
            }
            other => other.to_string(),
        };
        let problem = Problem {
            // "about:blank": the status code says it all; the title is its reason phrase.
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
        };
        let mut response = HttpResponse::build(status);
        response.content_type(PROBLEM_JSON);
        match self {
            ApiError::MissingToken => {
                response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="pulse""#));
            }
            ApiError::InvalidToken => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    r#"Bearer realm="pulse", error="invalid_token""#,
                ));
            }
            ApiError::App(e) => {
                if let Some(seconds) = e.retry_after() {
                    response.insert_header((header::RETRY_AFTER, seconds.to_string()));
                }
            }
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}
