//! `/account/password`: change the password (the current one first, the new one twice); every
//! other session ends, and the account page says so.
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::SignedIn;
use crate::auth::sign_in::start_session;
use crate::domain::accounts;
use crate::domain::password::Password;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    nav: Option<Nav>,
    csrf_token: String,
    error: Option<String>,
}

pub async fn form(signed_in: SignedIn) -> Result<HttpResponse, WebError> {
    page(&signed_in, None, StatusCode::OK)
}

fn page(
    signed_in: &SignedIn,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    render_with_status(
        &PasswordPage {
            nav: Some(Nav::from(signed_in)),
            csrf_token: signed_in.csrf_token.clone(),
            error,
        },
        status,
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    /// The new password typed again.
    #[serde(default)]
    new_password_again: String,
}

pub async fn change(
    req: HttpRequest,
    signed_in: SignedIn,
    ClientAddr(addr): ClientAddr,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let user_id = signed_in.user.id;
    if form.new_password != form.new_password_again {
        // Before the current password is checked: a typo costs no guess.
        let message = "The new password and its repetition differ: type the same new password \
                       in both fields.";
        return page(&signed_in, Some(message.into()), StatusCode::BAD_REQUEST);
    }
    let current = Password::new(form.current_password);
    let new = Password::new(form.new_password);
    let now = state.clock.now();
    let from = addr.clone();
    let changed = state
        .db
        .run(move |conn| accounts::change_password(conn, user_id, (&current, &new), &addr, now))
        .await;
    match changed {
        Ok(()) => {
            // Every session row is gone, this one included; carry on in a fresh one, with a
            // fresh form token.
            start_session(&req, &session, user_id, &from, now)?;
            tracing::info!(user_id, "password changed; other sessions ended");
            Ok(see_other("/account?saved=password"))
        }
        Err(refusal @ (AppError::Invalid(_) | AppError::WrongPassword(_))) => {
            page(&signed_in, Some(refusal.to_string()), refusal.status())
        }
        Err(other) => Err(other.into()),
    }
}
