//! Errors of `/api` routes, rendered as `application/problem+json` (RFC 9457) with a
//! machine-readable `code`. Statuses follow the rule in `src/error.rs`; the API adds its own
//! refusals of the bearer token (401 with `WWW-Authenticate`). Internal causes go to the log
//! only; clients see an opaque 500.
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::api::format::rfc3339;
use crate::domain::api_tokens::Refusal;
use crate::error::AppError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// What an API request can fail with: a refused bearer token, a body too large, or an
/// application error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No bearer or Basic credentials: 401 with bare `WWW-Authenticate` challenges.
    #[error(
        "This API requires a token: send it as `Authorization: Bearer <token>`, or as the \
         password (or the user name, with an empty password) of HTTP Basic credentials."
    )]
    MissingToken,
    /// Not the shape of a Pulse token (checked without the database).
    #[error(
        "The token is malformed: Pulse tokens are pulse_ followed by 49 letters and digits. \
         Check that it was pasted whole; if it cannot be copied again (only owners and admins see a new token, for a few minutes), an owner or admin regenerates it under Organisation settings → API authentication."
    )]
    MalformedToken,
    /// An unknown or stopped token (built from a `Refusal` by `From`).
    #[error("{}", refusal_detail(.0))]
    Refused(Refusal),
    #[error("The request body is too large (at most {limit_bytes} bytes).")]
    PayloadTooLarge { limit_bytes: usize },
    /// `Accept-Encoding` rules out every coding the API can send (identity included).
    #[error(
        "No content coding this API sends is acceptable: it sends br, gzip or none (identity)."
    )]
    NoAcceptableEncoding,
    /// A leak report without a valid signature of a configured partner key.
    #[error(
        "This server accepts only signed reports: sign the raw body with your partner key \
         (ECDSA P-256, SHA-256) and send the signature in Github-Public-Key-Signature and the \
         key's identifier in Github-Public-Key-Identifier."
    )]
    UnsignedReport,
    /// A method the resource does not serve: 405 with `Allow` listing those it does.
    #[error("This resource answers only {0}.")]
    MethodNotAllowed(&'static str),
    #[error(transparent)]
    App(#[from] AppError),
}

/// A token refused: unknown or stopped ones are 401s of their own; API access switched off
/// and a database failure are the application's errors, with their one status.
impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::ApiDisabled => ApiError::App(AppError::ApiDisabled),
            Refusal::Failed(e) => ApiError::App(e),
            token => ApiError::Refused(token),
        }
    }
}

/// A failed query inside `Bearer::run` is the application's error, as it would be anywhere.
impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        Self::App(e.into())
    }
}

fn refusal_detail(refusal: &Refusal) -> String {
    match refusal {
        Refusal::ApiDisabled => AppError::ApiDisabled.to_string(),
        Refusal::Failed(e) => e.to_string(),
        Refusal::Unknown => "No Pulse token matches this one: it may have been mistyped or \
                             belong to another Pulse server."
            .into(),
        Refusal::Stopped(stop) => format!(
            "This token stopped working at {}: {}. An owner or admin can generate a new one under \
             Organisation settings → API authentication.",
            rfc3339(stop.at),
            stop.explain()
        ),
    }
}

/// The `code` of an API error, kept on its response for the metrics
/// (`observability::requests`).
#[derive(Clone, Copy, Debug)]
pub struct ProblemCode(pub &'static str);

/// An RFC 9457 problem document, the body of every API error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status code and `code` identify the problem.
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    /// What went wrong, for people: e.g. which parameter is invalid, or why the token stopped.
    detail: String,
    /// What went wrong, for programs: `token_missing`, `token_malformed`, `token_unknown`,
    /// `token_revoked`, `token_expired`, `api_disabled`, `invalid_request`, `not_found`,
    /// `method_not_allowed`, `not_acceptable`, `rate_limited`, `payload_too_large`,
    /// `signature_invalid`, `unavailable`, `internal_error`…
    code: &'static str,
    /// For a revoked or expired token: when it stopped working (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped_at: Option<String>,
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MissingToken => "token_missing",
            ApiError::MalformedToken => "token_malformed",
            ApiError::Refused(Refusal::Unknown) => "token_unknown",
            ApiError::Refused(Refusal::Stopped(stop)) => stop.code(),
            ApiError::Refused(Refusal::ApiDisabled) => "api_disabled",
            ApiError::Refused(Refusal::Failed(_)) => "internal_error",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsignedReport => "signature_invalid",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::NoAcceptableEncoding => "not_acceptable",
            ApiError::App(e) => match e {
                AppError::NotFound => "not_found",
                AppError::Forbidden => "forbidden",
                AppError::ApiDisabled => "api_disabled",
                AppError::Invalid(_) => "invalid_request",
                AppError::WrongPassword(_) => "wrong_password",
                AppError::Conflict(_) => "conflict",
                AppError::TooManyAttempts { .. } => "rate_limited",
                AppError::Unavailable(_) => "unavailable",
                AppError::Internal(_) => "internal_error",
            },
        }
    }

    /// The `WWW-Authenticate` challenges of a 401, Bearer (RFC 6750: bare without credentials,
    /// else `invalid_token` with a short description) and Basic (RFC 7617), as the token works
    /// in either.
    fn challenge(&self) -> Option<String> {
        let bearer = match self {
            ApiError::MissingToken => r#"Bearer realm="pulse""#.to_owned(),
            ApiError::UnsignedReport => return Some(r#"Signature realm="pulse""#.into()),
            ApiError::MalformedToken => invalid_token("The token is malformed"),
            ApiError::Refused(Refusal::Unknown) => invalid_token("The token is unknown"),
            ApiError::Refused(Refusal::Stopped(stop)) => invalid_token(&format!(
                "The token stopped working at {}",
                rfc3339(stop.at)
            )),
            _ => return None,
        };
        Some(format!(r#"{bearer}, Basic realm="pulse", charset="UTF-8""#))
    }
}

fn invalid_token(description: &str) -> String {
    format!(r#"Bearer realm="pulse", error="invalid_token", error_description="{description}""#)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Refused(Refusal::ApiDisabled) => AppError::ApiDisabled.status(),
            ApiError::Refused(Refusal::Failed(e)) => e.status(),
            ApiError::MissingToken
            | ApiError::MalformedToken
            | ApiError::Refused(_)
            | ApiError::UnsignedReport => StatusCode::UNAUTHORIZED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NoAcceptableEncoding => StatusCode::NOT_ACCEPTABLE,
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
        let stopped_at = match self {
            ApiError::Refused(Refusal::Stopped(stop)) => Some(rfc3339(stop.at)),
            _ => None,
        };
        let problem = Problem {
            // "about:blank": the status code says it all; the title is its reason phrase.
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            code: self.code(),
            stopped_at,
        };
        let mut response = HttpResponse::build(status);
        response.content_type(PROBLEM_JSON);
        if let Some(challenge) = self.challenge() {
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        if let ApiError::MethodNotAllowed(allow) = self {
            response.insert_header((header::ALLOW, *allow));
        }
        if let ApiError::App(e) = self
            && let Some(seconds) = e.retry_after()
        {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        let mut response = response.body(serde_json::to_string(&problem).unwrap_or_default());
        response.extensions_mut().insert(ProblemCode(self.code()));
        response
    }
}
