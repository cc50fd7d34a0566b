//! `/invitation?token=…`: where an invitation's link leads (the secret in its `token`
//! parameter, which logs redact). It says whose invitation it is and what to do: a new person
//! chooses a name and password and is signed in; someone with an account signs in first (the
//! sign-in returns here) and joins; someone signed in under another address is offered to sign
//! out. A dead link says why, and whom to ask. The rules are `domain::invitations`'.
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::extractors::SignedIn;
use crate::auth::sign_in::start_session;
use crate::domain::accounts;
use crate::domain::invitations::{self, Link};
use crate::domain::password::Password;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::error::{WebError, see_other};
use crate::web::layout::Nav;
use crate::web::password_reset::anonymous_form;

/// What the page asks of the visitor.
pub enum Step {
    /// The link does not work: why, and whom to ask.
    Dead(String),
    /// No account has the address: choose a name and a password.
    Register,
    /// An account has the address: sign in first (`login` returns here).
    SignIn { login: String },
    /// Signed in as the invited person: join.
    Join,
    /// Signed in as `you`, someone else.
    OtherAddress { you: String },
}

#[derive(Template)]
#[template(path = "auth/invitation.html")]
struct Page {
    nav: Option<Nav>,
    csrf_token: String,
    /// The link's secret, carried to the forms' POSTs.
    token: String,
    org_name: String,
    email: String,
    role: String,
    step: Step,
    /// Why the last attempt was refused.
    error: Option<String>,
    name: String,
}

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
}

fn invitation_path(secret: &str) -> String {
    let query = serde_urlencoded::to_string([("token", secret)]).unwrap_or_default();
    format!("/invitation?{query}")
}

/// Renders the page for the invitation `secret` as `visitor` sees it, with `error` and the
/// name typed so far when a form was refused.
async fn show_as(
    req: &HttpRequest,
    state: &AppState,
    (secret, visitor): (String, Option<SignedIn>),
    (error, name): (Option<String>, String),
) -> Result<HttpResponse, WebError> {
    let now = state.clock.now();
    let lookup = secret.clone();
    let link = state
        .db
        .run(move |conn| invitations::check(conn, &lookup, now))
        .await?;
    let (mut page, status) = match link {
        Link::Dead { why } => (
            Page {
                nav: None,
                csrf_token: String::new(),
                token: String::new(),
                org_name: String::new(),
                email: String::new(),
                role: String::new(),
                step: Step::Dead(why),
                error: None,
                name: String::new(),
            },
            StatusCode::BAD_REQUEST,
        ),
        Link::Valid {
            invitation,
            role,
            org,
            account_exists,
        } => {
            let step = match (&visitor, account_exists) {
                (Some(who), _) if who.user.email == invitation.email => Step::Join,
                (Some(who), _) => Step::OtherAddress {
                    you: who.user.email.clone(),
                },
                (None, true) => Step::SignIn {
                    login: format!(
                        "/login?{}",
                        serde_urlencoded::to_string([("next", invitation_path(&secret))])
                            .unwrap_or_default()
                    ),
                },
                (None, false) => Step::Register,
            };
            let status = match error {
                Some(_) => StatusCode::BAD_REQUEST,
                None => StatusCode::OK,
            };
            let page = Page {
                nav: visitor.as_ref().map(Nav::from),
                csrf_token: String::new(),
                token: secret,
                org_name: org.name,
                email: invitation.email,
                role: role.to_string(),
                step,
                error,
                name,
            };
            (page, status)
        }
    };
    anonymous_form(req, state, status, |csrf_token| {
        page.csrf_token = csrf_token;
        page.render()
    })
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Option<SignedIn>,
    query: web::Query<LinkQuery>,
) -> Result<HttpResponse, WebError> {
    let secret = query.into_inner().token;
    show_as(&req, &state, (secret, visitor), (None, String::new())).await
}

#[derive(Deserialize)]
pub struct JoinForm {
    token: String,
}

/// The signed-in holder of the invited address joins.
pub async fn join(
    req: HttpRequest,
    who: SignedIn,
    ClientAddr(addr): ClientAddr,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<JoinForm>,
) -> Result<HttpResponse, WebError> {
    let (secret, user, now) = (form.token.clone(), who.user.clone(), state.clock.now());
    let joined = state
        .db
        .run(move |conn| invitations::accept_signed_in(conn, &secret, &user, &addr, now))
        .await;
    match joined {
        Ok(org) => {
            tracing::info!(org = %org.slug, user_id = who.user.id, "joined an organisation");
            Ok(see_other(&format!("/orgs/{}", org.slug)))
        }
        Err(AppError::Invalid(why)) => {
            show_as(
                &req,
                &state,
                (form.token, Some(who)),
                (Some(why), String::new()),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct RegisterForm {
    token: String,
    name: String,
    new_password: String,
}

/// Someone without an account chooses a name and password, joins and is signed in.
pub async fn register(
    req: HttpRequest,
    session: Session,
    ClientAddr(addr): ClientAddr,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<HttpResponse, WebError> {
    let (secret, name, now) = (form.token.clone(), form.name.clone(), state.clock.now());
    let password = Password::new(form.new_password);
    let from = addr.clone();
    let accepted = state
        .db
        .run(move |conn| {
            let (user, org) =
                invitations::accept_as_new(conn, &secret, (&name, &password), &from, now)?;
            accounts::signed_in_from(conn, user.id, &from, now)?;
            Ok((user, org))
        })
        .await;
    match accepted {
        Ok((user, org)) => {
            start_session(&req, &session, user.id, &addr, now)?;
            tracing::info!(org = %org.slug, user_id = user.id, "joined with a new account");
            let mut response = see_other(&format!("/orgs/{}", org.slug));
            response
                .add_cookie(&csrf::sign_in_cookie_removal(&state))
                .map_err(|e| AppError::Internal(e.into()))?;
            Ok(response)
        }
        Err(AppError::Invalid(why)) => {
            show_as(&req, &state, (form.token, None), (Some(why), form.name)).await
        }
        Err(other) => Err(other.into()),
    }
}
