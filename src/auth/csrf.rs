//! CSRF defence for every state-changing form: a per-session token in a hidden `csrf_token`
//! field, compared in constant time, plus a same-origin check of `Origin` (or `Referer`).
use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::auth::error::AuthError;
use crate::auth::origin::public_origin;
use crate::auth::session_store::remember;
use crate::domain::secret;
use crate::error::AppError;

const SESSION_KEY: &str = "csrf_token";
/// Forms here are small; anything larger is refused before parsing.
pub const FORM_LIMIT_BYTES: usize = 16 * 1024;

/// The session's form token, created on first use.
pub fn token(session: &Session) -> Result<String, AppError> {
    if let Ok(Some(existing)) = session.get::<String>(SESSION_KEY) {
        return Ok(existing);
    }
    let fresh = secret::random_base62(43);
    remember(session, SESSION_KEY, &fresh)?;
    Ok(fresh)
}

/// Forgets the session's form token, so that the next page gets a fresh one (at sign-in).
pub fn forget(session: &Session) {
    session.remove(SESSION_KEY);
}

/// A url-encoded form whose CSRF token and origin have been checked.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct TokenField {
    csrf_token: Option<String>,
}

fn same_origin(req: &HttpRequest) -> bool {
    let expected = public_origin(req);
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    match (header("origin"), header("referer")) {
        (Some(origin), _) => origin == expected,
        (None, Some(referer)) => {
            referer == expected || referer.starts_with(&format!("{expected}/"))
        }
        (None, None) => false,
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|e| {
                if e.as_response_error().status_code()
                    == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                {
                    AuthError::PayloadTooLarge
                } else {
                    AppError::invalid("The form could not be read.").into()
                }
            })?;
            if !same_origin(&req) {
                return Err(AuthError::CsrfRejected);
            }
            let submitted: TokenField = serde_urlencoded::from_bytes(&body)
                .map_err(|_| AppError::invalid("The form is malformed."))?;
            let session = req.get_session();
            let expected = session.get::<String>(SESSION_KEY).ok().flatten();
            let valid = match (submitted.csrf_token, expected) {
                (Some(given), Some(expected)) => {
                    bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
                }
                _ => false,
            };
            if !valid {
                return Err(AuthError::CsrfRejected);
            }
            let form = serde_urlencoded::from_bytes(&body).map_err(|e| {
                AppError::invalid(format!("The form is incomplete or malformed: {e}."))
            })?;
            Ok(CsrfForm(form))
        })
    }
}
