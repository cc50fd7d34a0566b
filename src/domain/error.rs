use thiserror::Error;

/// What can go wrong in the domain. The web layer renders it as an HTML page, the API layer as
/// problem+json; neither shows the cause of an internal error to the client.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; retry in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("database error")]
    Database(#[from] diesel::result::Error),
    #[error("database pool error")]
    Pool(#[from] r2d2::Error),
    #[error("worker pool error")]
    Blocking(#[from] actix_web::error::BlockingError),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}
