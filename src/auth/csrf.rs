//! CSRF defence for every state-changing form: a per-session token in a hidden `csrf_token`
//! field, compared in constant time, plus a same-origin check of `Origin` (or `Referer`).
//!
//! A visitor who is not signed in has no session, and gets none just for looking at the sign-in
//! form (a session row per cookieless request would let anyone fill the table): that form's
//! token travels in a signed cookie instead, and the form must carry the same value.
use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::cookie::{Cookie, CookieJar, SameSite, time};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::auth::error::AuthError;
use crate::auth::origin::public_origin;
use crate::auth::session_store::remember;
use crate::domain::secret;
use crate::error::AppError;
use crate::state::{AppState, sign_in_cookie_name};

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

/// Forgets the session's form token, so that the next page gets a fresh one (at sign-in and
/// after a password change).
pub fn forget(session: &Session) {
    session.remove(SESSION_KEY);
}

/// The sign-in form's token from the request's signed cookie, if it has a genuine one.
fn sign_in_token(req: &HttpRequest, state: &AppState) -> Option<String> {
    let name = sign_in_cookie_name(state.config.cookie_secure);
    let mut jar = CookieJar::new();
    jar.add_original(req.cookie(name)?);
    jar.signed(&state.cookie_key)
        .get(name)
        .map(|c| c.value().to_owned())
}

/// The token for a sign-in form, and the signed cookie that must come back with it unless the
/// browser already has a session (whose token it then is). The visitor's current cookie token is
/// kept if it has one, so several tabs keep working.
pub fn sign_in_form(req: &HttpRequest, state: &AppState) -> (String, Option<Cookie<'static>>) {
    if let Ok(Some(token)) = req.get_session().get::<String>(SESSION_KEY) {
        return (token, None);
    }
    let token = sign_in_token(req, state).unwrap_or_else(|| secret::random_base62(43));
    let name = sign_in_cookie_name(state.config.cookie_secure);
    let cookie = Cookie::build(name, token.clone())
        .path("/")
        .http_only(true)
        .secure(state.config.cookie_secure)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::hours(1))
        .finish();
    let mut jar = CookieJar::new();
    jar.signed_mut(&state.cookie_key).add(cookie);
    let signed = jar.get(name).cloned();
    (token, signed)
}

/// Clears the sign-in form's cookie once the visitor has a session.
pub fn sign_in_cookie_removal(state: &AppState) -> Cookie<'static> {
    let mut cookie = Cookie::build(sign_in_cookie_name(state.config.cookie_secure), "")
        .path("/")
        .secure(state.config.cookie_secure)
        .finish();
    cookie.make_removal();
    cookie
}

/// The token this request's form must carry: the session's, or for a visitor without one, the
/// sign-in cookie's.
fn expected_token(req: &HttpRequest) -> Option<String> {
    if let Ok(Some(token)) = req.get_session().get::<String>(SESSION_KEY) {
        return Some(token);
    }
    let state = req.app_data::<web::Data<AppState>>()?;
    sign_in_token(req, state)
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
            let valid = match (submitted.csrf_token, expected_token(&req)) {
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
