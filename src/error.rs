//! The application's error, and the one rule for how it reaches a client.
//!
//! | variant            | status | meaning                                                      |
//! | ------------------ | ------ | ------------------------------------------------------------ |
//! | `NotFound`         | 404    | no such thing, or the caller may not know it exists          |
//! | `Forbidden`        | 403    | signed in, but the role is too low for this                  |
//! | `ApiDisabled`      | 403    | staff have switched the organisation's API access off        |
//! | `Invalid`          | 400    | the input is wrong; the message says how to put it right     |
//! | `Conflict`         | 409    | the input was fine but the state moved on (a rival won)      |
//! | `TooManyAttempts`  | 429    | throttled; `Retry-After` says when to try again              |
//! | `Internal`         | 500    | anything else: the cause is logged, the client sees nothing  |
//!
//! Browser routes (`web::error::WebError`) render this as an HTML page, `/api` routes
//! (`api::error::ApiError`) as `application/problem+json`; both take the status from
//! [`AppError::status`], so one failure never has two statuses. Database, pool and worker-pool
//! failures become `Internal` where diesel is called (`db::Database::run`), keeping their cause
//! with `anyhow::Context`. Messages of `Invalid` and `Conflict` are shown to people: write them
//! for the person reading, never include a secret or an internal cause.
use actix_web::http::StatusCode;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AppError {
    #[error("There is nothing here, or you do not have access to it.")]
    NotFound,
    #[error("Your role does not give access to this.")]
    Forbidden,
    #[error("API access is disabled for this organisation. Ask Pulse staff to enable API access.")]
    ApiDisabled,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Too many attempts; retry in {retry_after_secs} seconds.")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    /// The one mapping from failure to HTTP status, for the web and the API alike.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::ApiDisabled => StatusCode::FORBIDDEN,
            AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Seconds for a `Retry-After` header, when the failure has one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyAttempts { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

/// `?` on a query: a missing row is a 404, anything else an internal error with its cause.
impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Internal(anyhow::Error::new(other).context("database query")),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_one_status() {
        let cases = [
            (AppError::NotFound, 404),
            (AppError::Forbidden, 403),
            (AppError::ApiDisabled, 403),
            (AppError::invalid("x"), 400),
            (AppError::conflict("x"), 409),
            (
                AppError::TooManyAttempts {
                    retry_after_secs: 3,
                },
                429,
            ),
            (AppError::Internal(anyhow::anyhow!("boom")), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
        }
    }

    #[test]
    fn database_errors_keep_their_cause_but_do_not_show_it() {
        let error = AppError::from(diesel::result::Error::BrokenTransactionManager);
        assert_eq!(error.to_string(), "internal error");
        let AppError::Internal(cause) = &error else {
            panic!("{error:?}")
        };
        assert!(format!("{cause:#}").contains("database query"));
        assert!(matches!(
            AppError::from(diesel::result::Error::NotFound),
            AppError::NotFound
        ));
    }
}
