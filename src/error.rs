//! The application's error, and the one rule for how it reaches a client.
//!
//! | variant            | status | meaning                                                      |
//! | ------------------ | ------ | ------------------------------------------------------------ |
//! | `NotFound`         | 404    | no such thing, or the caller may not know it exists          |
//! | `Forbidden`        | 403    | signed in, but the role is too low for this                  |
//! | `ApiDisabled`      | 403    | staff have switched the organisation's API access off        |
//! | `Invalid`          | 400    | the input is wrong; the message says how to put it right     |
//! | `WrongPassword`    | 401    | a password (signing in, sudo mode, changing it) was wrong    |
//! | `Conflict`         | 409    | the input was fine but the state moved on (a rival won)      |
//! | `TooManyAttempts`  | 429    | throttled; `Retry-After` says when to try again              |
//! | `Unavailable`      | 503    | the database cannot be reached or written (read-only, disk   |
//! |                    |        | full, restarting) or the server is saturated; `Retry-After`  |
//! | `Internal`         | 500    | anything else: the cause is logged, the client sees nothing  |
//!
//! Browser routes (`web::error::WebError`) render this as an HTML page, `/api` routes
//! (`api::error::ApiError`) as `application/problem+json`; both take the status from
//! [`AppError::status`], so one failure never has two statuses. Database errors become
//! `Internal` (`From<diesel::result::Error>` below) and worker-pool failures too
//! (`db::Database::run`), keeping their cause with `anyhow::Context`, except outages (see
//! [`is_outage`]) and a pool with no connection to give, which become `Unavailable`: the request
//! may be retried and nothing was half-written, since every change is one transaction.
//! Messages of `Invalid` and `Conflict` are shown to people: write them
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
    /// The message says which password was wrong, and warns when few tries are left.
    #[error("{0}")]
    WrongPassword(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Too many attempts: try again in {}.", in_words(*retry_after_secs))]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("The service is briefly unavailable; retry in {RETRY_UNAVAILABLE_SECS} seconds.")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// What `Retry-After` says when the database is out of reach or the server is saturated.
pub const RETRY_UNAVAILABLE_SECS: u64 = 5;

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
            AppError::WrongPassword(_) => StatusCode::UNAUTHORIZED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Seconds for a `Retry-After` header, when the failure has one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyAttempts { retry_after_secs } => Some(*retry_after_secs),
            AppError::Unavailable(_) => Some(RETRY_UNAVAILABLE_SECS),
            _ => None,
        }
    }
}

/// A wait in the words people use: "45 seconds", "1 minute", "15 minutes", "2 hours" (rounded
/// up, never shorter than the real wait).
pub fn in_words(seconds: u64) -> String {
    let (count, unit) = match seconds {
        0..60 => (seconds, "second"),
        60..3600 => (seconds.div_ceil(60), "minute"),
        _ => (seconds.div_ceil(3600), "hour"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

/// Whether a database error means the database cannot be used right now, rather than that the
/// query is wrong: the connection is gone (PostgreSQL restarting), or SQLite cannot write
/// (read-only file system, disk full, I/O error). diesel reports SQLite's codes only as text.
pub fn is_outage(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    const OUTAGE_MESSAGES: [&str; 9] = [
        "readonly database",
        "disk is full",
        "disk I/O error",
        "unable to open database",
        "database is locked",
        "server closed the connection",
        "terminating connection",
        "no connection to the server",
        "could not receive data from server",
    ];
    match e {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | Error::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => true,
        Error::DatabaseError(_, info) => OUTAGE_MESSAGES.iter().any(|m| info.message().contains(m)),
        _ => false,
    }
}

/// `?` on a query: a missing row is a 404, an outage a 503, anything else an internal error
/// with its cause.
impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            outage if is_outage(&outage) => {
                AppError::Unavailable(anyhow::Error::new(outage).context("database unavailable"))
            }
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
            (AppError::Unavailable(anyhow::anyhow!("down")), 503),
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

    #[test]
    fn outages_are_told_apart_from_bad_queries() {
        use diesel::result::{DatabaseErrorKind, Error};
        let sqlite = |message: &str| {
            Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_owned()))
        };
        for outage in [
            sqlite("attempt to write a readonly database"),
            sqlite("database or disk is full"),
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, Box::new(String::new())),
        ] {
            let error = AppError::from(outage);
            assert_eq!(error.status().as_u16(), 503, "{error:?}");
            assert_eq!(error.retry_after(), Some(RETRY_UNAVAILABLE_SECS));
        }
        let bad = AppError::from(sqlite("no such column: x"));
        assert_eq!(bad.status().as_u16(), 500);
    }

    #[test]
    fn waits_are_said_in_words_never_shorter_than_they_are() {
        assert_eq!(in_words(1), "1 second");
        assert_eq!(in_words(45), "45 seconds");
        assert_eq!(in_words(60), "1 minute");
        assert_eq!(in_words(61), "2 minutes");
        assert_eq!(in_words(897), "15 minutes");
        assert_eq!(in_words(3600), "1 hour");
        assert_eq!(in_words(7201), "3 hours");
        let throttled = AppError::TooManyAttempts {
            retry_after_secs: 897,
        };
        assert_eq!(
            throttled.to_string(),
            "Too many attempts: try again in 15 minutes."
        );
    }
}
