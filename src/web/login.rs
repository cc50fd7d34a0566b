use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::session_store::{USER_ID_KEY, remember};
use crate::auth::{session_marker, sudo};
use crate::domain::accounts;
use crate::domain::password::Password;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    nav: Option<Nav>,
    csrf_token: String,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths: never `//evil.example` or an absolute URL.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

pub async fn form(
    session: Session,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    let page = LoginPage {
        nav: None,
        csrf_token: csrf::token(&session)?,
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        error: None,
    };
    render_with_status(&page, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    ClientAddr(addr): ClientAddr,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let email = form.email.clone();
    let password = Password::new(form.password);
    let now = state.clock.now();
    let outcome = state
        .db
        .run(move |conn| accounts::authenticate(conn, &email, &password, &addr, now))
        .await;
    let next = safe_next(form.next.as_deref());
    match outcome {
        Ok(user) => {
            // A fresh session id at sign-in defeats session fixation.
            session.renew();
            remember(&session, USER_ID_KEY, &user.id)?;
            sudo::confirmed(&session, now)?;
            session_marker::start(&session)?;
            csrf::forget(&session);
            tracing::info!(user_id = user.id, "signed in");
            // Staff work in the console; anyone asked to sign in on the way somewhere goes there.
            let next = if next == "/" && user.is_staff() {
                "/staff/orgs".to_owned()
            } else {
                next
            };
            Ok(see_other(&next))
        }
        Err(AppError::Invalid(message)) => {
            tracing::info!("sign-in failed");
            let page = LoginPage {
                nav: None,
                csrf_token: csrf::token(&session)?,
                email: form.email,
                next,
                error: Some(message),
            };
            render_with_status(&page, StatusCode::UNAUTHORIZED)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(session: Session, CsrfForm(_): CsrfForm<Empty>) -> HttpResponse {
    // purge() deletes the server-side row: the old cookie is worthless from now on.
    session.purge();
    see_other("/login")
}
