//! Second-factor pages: the sign-in step after the password (`/login/two-factor`, which also
//! enrols staff who have no authenticator yet), and turning it on or off from the account page
//! (`/account/two-factor`). Recovery codes are shown once, on the page that turns it on.
mod account;
mod sign_in;

pub use account::{disable, enable, settings};
pub use sign_in::{form, submit};

use actix_session::Session;
use askama::Template;

use crate::auth::session_store::remember;
use crate::domain::two_factor;
use crate::error::AppError;
use crate::repo::users::User;
use crate::state::AppState;
use crate::web::layout::Nav;

/// Session key for the secret being enrolled, sealed under the reveal key (session rows are in
/// the database): kept until the user proves their app has it, and only then stored with the
/// account.
const ENROLMENT_KEY: &str = "totp_enrolment";

/// The authenticator setup shown while enrolling (`templates/two_factor/enrol.html`).
pub struct Enrolment {
    pub qr: String,
    pub secret: String,
}

/// The secret this session is enrolling for `user`, if it has one.
fn enrolling(session: &Session, state: &AppState, user: &User) -> Option<String> {
    let sealed = session.get::<String>(ENROLMENT_KEY).ok().flatten()?;
    two_factor::open_enrolling(&state.reveal_key, user.id, &sealed)
}

/// The secret this session is enrolling, created on first use, with its QR code.
fn enrolment(session: &Session, state: &AppState, user: &User) -> Result<Enrolment, AppError> {
    let secret = match enrolling(session, state, user) {
        Some(secret) => secret,
        None => {
            let fresh = two_factor::new_secret();
            let sealed = two_factor::seal_enrolling(&state.reveal_key, user.id, &fresh);
            remember(session, ENROLMENT_KEY, &sealed)?;
            fresh
        }
    };
    Ok(Enrolment {
        qr: two_factor::enrolment_qr(&secret, &user.email)?,
        secret,
    })
}

/// The secret being enrolled, for turning two-factor sign-in on.
fn take_enrolment(session: &Session, state: &AppState, user: &User) -> Result<String, AppError> {
    enrolling(session, state, user)
        .ok_or_else(|| AppError::invalid("The setup has expired. Scan the new QR code."))
}

#[derive(Template)]
#[template(path = "two_factor/recovery_codes.html")]
struct RecoveryCodesPage {
    nav: Option<Nav>,
    codes: Vec<String>,
    next: String,
    /// Other sessions signed out as two-factor sign-in was turned on.
    sessions_ended: usize,
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    code: String,
}
