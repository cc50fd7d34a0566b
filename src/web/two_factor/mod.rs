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
    /// The key in groups of four, as people type it (authenticator apps ignore the spaces).
    pub grouped: String,
}

/// `JBSWY3DPEHPK3PXP…` as `JBSW Y3DP EHPK 3PXP …`.
fn grouped(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let groups: Vec<String> = chars.chunks(4).map(|g| g.iter().collect()).collect();
    groups.join(" ")
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
        grouped: grouped(&secret),
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
    /// The codes as a text file, for the page's download link.
    download: String,
    next: String,
    /// Other sessions signed out as two-factor sign-in was turned on.
    sessions_ended: usize,
}

impl RecoveryCodesPage {
    fn new(nav: Option<Nav>, codes: Vec<String>, next: &str, sessions_ended: usize) -> Self {
        let file = format!(
            "Pulse recovery codes: each signs you in once.\r\n{}\r\n",
            codes.join("\r\n")
        );
        RecoveryCodesPage {
            nav,
            download: data_url(&file),
            codes,
            next: next.to_owned(),
            sessions_ended,
        }
    }
}

/// A `data:` URL of plain text, every byte but letters, digits and `-` percent-encoded.
fn data_url(text: &str) -> String {
    let encoded: String = text
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => char::from(b).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    format!("data:text/plain;charset=utf-8,{encoded}")
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    code: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_grouped_and_codes_become_a_text_file() {
        assert_eq!(grouped("JBSWY3DPEHPK3PXPA"), "JBSW Y3DP EHPK 3PXP A");
        assert_eq!(
            data_url("a b\r\n1-2"),
            "data:text/plain;charset=utf-8,a%20b%0D%0A1-2"
        );
    }
}
