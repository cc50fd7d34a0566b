use crate::error::AppError;

/// Why a browser request was not let through. Rendered by `web::error` (the redirect to the
/// sign-in page, or an HTML error page).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Not signed in (or the session ended): go to the sign-in page, then back to `next`. An
    /// `interrupted` request (a form posted after the session ended) did nothing: the sign-in
    /// page says so, and `next` is the page the form was on.
    #[error("sign-in required")]
    SignInRequired { next: String, interrupted: bool },
    #[error(
        "The form has expired or did not come from this site. Go back, reload the page and try again."
    )]
    CsrfRejected,
    #[error("The request body is too large.")]
    PayloadTooLarge,
    #[error(transparent)]
    App(#[from] AppError),
}
