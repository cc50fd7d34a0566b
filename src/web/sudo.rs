//! Forms behind sudo mode (`auth::sudo`). `SudoForm<T>` checks the form like `CsrfForm`; its
//! `recheck` gives the form's fields when the password was entered within the last ten minutes
//! (or is entered now, with this very form), and otherwise stops the handler with a password
//! prompt (`WebError::Page`) that posts the same form again. Wrong passwords count towards the
//! sign-in lock.
use std::future::Future;
use std::pin::Pin;

use actix_session::Session;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use anyhow::Context;
use askama::Template;
use serde::de::DeserializeOwned;

use crate::auth::csrf::CsrfForm;
use crate::auth::error::AuthError;
use crate::auth::extractors::SignedIn;
use crate::auth::sudo;
use crate::domain::accounts;
use crate::domain::password::Password;
use crate::error::{AppError, in_words};
use crate::state::AppState;
use crate::web::error::WebError;
use crate::web::layout::Nav;

/// A CSRF-checked form of a sensitive action, with the password if the prompt asked for it.
pub struct SudoForm<T> {
    fields: T,
    password: Option<Password>,
    /// Everything else the form carried, to post again from the prompt.
    hidden: Vec<(String, String)>,
    action: String,
}

impl<T: DeserializeOwned + 'static> FromRequest for SudoForm<T> {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = CsrfForm::<Vec<(String, String)>>::from_request(req, payload);
        let action = req.path().to_owned();
        Box::pin(async move {
            let CsrfForm(pairs) = form.await?;
            let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            let fields = serde_urlencoded::from_str(&encoded).map_err(|e| {
                AppError::invalid(format!("The form is incomplete or malformed: {e}."))
            })?;
            let password = pairs
                .iter()
                .find(|(name, _)| name == "password")
                .map(|(_, value)| Password::new(value.clone()));
            let hidden = pairs
                .into_iter()
                .filter(|(name, _)| name != "csrf_token" && name != "password")
                .collect();
            Ok(SudoForm {
                fields,
                password,
                hidden,
                action,
            })
        })
    }
}

/// What the prompt says the password is for, and where Cancel goes.
pub struct Purpose<'a> {
    /// Completes "Confirm your password to …", e.g. "generate a token".
    pub to: &'a str,
    pub back: &'a str,
}

#[derive(Template)]
#[template(path = "auth/sudo.html")]
struct PromptPage<'a> {
    nav: Option<Nav>,
    csrf_token: &'a str,
    action: &'a str,
    hidden: &'a [(String, String)],
    purpose: &'a Purpose<'a>,
    /// How long the password then counts, in words.
    window: String,
    error: Option<String>,
}

impl<T> SudoForm<T> {
    /// The prompt, with the refusal of the password just entered (and its status), if any.
    fn prompt(
        &self,
        (who, window): (&SignedIn, &str),
        purpose: &Purpose,
        refusal: Option<(StatusCode, String)>,
    ) -> WebError {
        let (status, error) = match refusal {
            Some((status, error)) => (status, Some(error)),
            None => (StatusCode::OK, None),
        };
        let page = PromptPage {
            nav: Some(Nav::from(who)),
            csrf_token: &who.csrf_token,
            action: &self.action,
            hidden: &self.hidden,
            purpose,
            window: window.to_owned(),
            error,
        };
        match page.render().context("rendering the password prompt") {
            Ok(html) => WebError::Page { status, html },
            Err(e) => AppError::from(e).into(),
        }
    }

    /// The form's fields if the user may act now; the password prompt otherwise.
    pub async fn recheck(
        mut self,
        (who, session, addr): (&SignedIn, &Session, &str),
        state: &AppState,
        purpose: &Purpose<'_>,
    ) -> Result<T, WebError> {
        let (now, window) = (state.clock.now(), state.config.sudo_window);
        let window_words = in_words(window.num_seconds().max(1) as u64);
        let asking = (who, window_words.as_str());
        let password = match self.password.take() {
            None if sudo::is_recent(session, now, window) => return Ok(self.fields),
            None => return Err(self.prompt(asking, purpose, None)),
            Some(password) if password.expose().is_empty() => {
                let error = AppError::invalid("Enter your password.");
                return Err(self.prompt(
                    asking,
                    purpose,
                    Some((error.status(), error.to_string())),
                ));
            }
            Some(password) => password,
        };
        let (user_id, addr) = (who.user.id, addr.to_owned());
        let checked = state
            .db
            .run(move |conn| accounts::recheck_password(conn, user_id, &password, &addr, now))
            .await;
        match checked {
            Ok(_) => {
                sudo::password_entered(session, now)?;
                Ok(self.fields)
            }
            Err(wrong @ AppError::WrongPassword(_)) => {
                let refusal = (wrong.status(), wrong.to_string());
                Err(self.prompt(asking, purpose, Some(refusal)))
            }
            Err(locked @ AppError::TooManyAttempts { retry_after_secs }) => {
                // The lock is the sign-in lock: say so, on the prompt, rather than a dead end.
                let words = format!(
                    "Too many wrong passwords: signing in to this account from here is locked \
                     for {}. Try again then, or use Cancel.",
                    in_words(retry_after_secs)
                );
                Err(self.prompt(asking, purpose, Some((locked.status(), words))))
            }
            Err(other) => Err(other.into()),
        }
    }
}
