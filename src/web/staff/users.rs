//! `/staff/users`: finding a person by email or name, what staff see about them, and what staff
//! may do when they call: reset their two-factor sign-in, lift a sign-in lock, send a
//! password-reset link, sign them out everywhere. Each action has a confirmation page, needs
//! sudo mode, and answers with a redirect (the person is told by mail: `domain::recovery`).
use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::extractors::Staff;
use crate::domain::notices::StaffChange;
use crate::domain::people::{self, Person};
use crate::domain::recovery;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::error::{WebError, render, see_other};
use crate::web::layout::Nav;
use crate::web::sudo::{Purpose, SudoForm};

/// What staff may do to an account from the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    ResetTwoFactor,
    Unlock,
    PasswordReset,
    SignOut,
}

impl Action {
    const ALL: [Action; 4] = [
        Action::ResetTwoFactor,
        Action::Unlock,
        Action::PasswordReset,
        Action::SignOut,
    ];

    /// Its path segment, and the `done` of the redirect that follows.
    fn path(self) -> &'static str {
        match self {
            Action::ResetTwoFactor => "reset-two-factor",
            Action::Unlock => "unlock",
            Action::PasswordReset => "password-reset",
            Action::SignOut => "sign-out",
        }
    }

    fn parse(raw: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|a| a.path() == raw)
            .ok_or(AppError::NotFound)
    }

    /// The button, and the confirmation page's heading.
    fn title(self) -> &'static str {
        match self {
            Action::ResetTwoFactor => "Reset two-factor sign-in",
            Action::Unlock => "Lift the sign-in lock",
            Action::PasswordReset => "Send a password-reset link",
            Action::SignOut => "Sign out everywhere",
        }
    }

    /// What it does, on the confirmation page.
    fn explain(self) -> &'static str {
        match self {
            Action::ResetTwoFactor => {
                "Their authenticator app and recovery codes stop working and every session of \
                 theirs ends. Staff set up a new authenticator at their next sign-in; anyone else \
                 signs in with their password alone until they turn two-factor sign-in on again. \
                 Only do this once you are sure who is asking."
            }
            Action::Unlock => {
                "The wrong passwords and codes that locked the account are forgotten, so they can \
                 sign in again at once."
            }
            Action::PasswordReset => {
                "They get a message with a single-use link, valid for an hour, to choose a new \
                 password; any older link stops working. Their password stays as it is until \
                 they use it."
            }
            Action::SignOut => {
                "Every session of theirs ends, on every device: they must sign in again."
            }
        }
    }

    /// What the person page says once it is done.
    fn done(self) -> &'static str {
        match self {
            Action::ResetTwoFactor => {
                "Two-factor sign-in reset; their sessions ended. They were told by mail."
            }
            Action::Unlock => "Sign-in lock lifted. They were told by mail.",
            Action::PasswordReset => "A password-reset link is on its way to them.",
            Action::SignOut => "Signed out everywhere. They were told by mail.",
        }
    }

    /// Completes "Confirm your password to …".
    fn purpose(self) -> &'static str {
        match self {
            Action::ResetTwoFactor => "reset someone's two-factor sign-in",
            Action::Unlock => "lift someone's sign-in lock",
            Action::PasswordReset => "send someone a password-reset link",
            Action::SignOut => "sign someone out everywhere",
        }
    }
}

/// A person as the pages show them.
struct PersonView {
    id: i32,
    name: String,
    email: String,
    is_staff: bool,
    two_factor: bool,
    disabled: bool,
    locked: bool,
    wrong_passwords: i64,
    wrong_codes: i64,
    sessions: usize,
    /// (organisation name, slug, role)
    memberships: Vec<(String, String, String)>,
}

impl From<Person> for PersonView {
    fn from(person: Person) -> Self {
        PersonView {
            id: person.user.id,
            is_staff: person.user.is_staff(),
            two_factor: person.user.totp_secret.is_some(),
            disabled: person.user.is_disabled(),
            locked: person.lock.locked,
            wrong_passwords: person.lock.wrong_passwords,
            wrong_codes: person.lock.wrong_codes,
            sessions: person.sessions,
            memberships: person
                .memberships
                .into_iter()
                .map(|(org, role)| (org.name, org.slug, role))
                .collect(),
            name: person.user.name,
            email: person.user.email,
        }
    }
}

#[derive(Template)]
#[template(path = "staff/users.html")]
struct PeoplePage {
    nav: Option<Nav>,
    search: String,
    people: Vec<PersonView>,
    more: bool,
    max: i64,
}

#[derive(Deserialize)]
pub struct PeopleQuery {
    #[serde(default)]
    q: String,
}

pub async fn find(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<PeopleQuery>,
) -> Result<HttpResponse, WebError> {
    let search = query.into_inner().q;
    let (lifetime, now) = (state.config.session_absolute, state.clock.now());
    let text = search.clone();
    let (people, more) = state
        .db
        .run(move |conn| people::find(conn, &text, lifetime, now))
        .await?;
    render(&PeoplePage {
        nav: Some(Nav::from(&staff.0)),
        search: search.trim().to_owned(),
        people: people.into_iter().map(PersonView::from).collect(),
        more,
        max: people::RESULTS_MAX,
    })
}

/// The actions, as the person page lists them: (path, title).
type ActionLink = (&'static str, &'static str);

#[derive(Template)]
#[template(path = "staff/user.html")]
struct PersonPage {
    nav: Option<Nav>,
    person: PersonView,
    actions: Vec<ActionLink>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct PersonQuery {
    done: Option<String>,
}

async fn load(state: &AppState, user_id: i32) -> Result<PersonView, AppError> {
    let (lifetime, now) = (state.config.session_absolute, state.clock.now());
    let person = state
        .db
        .run(move |conn| people::person(conn, user_id, lifetime, now))
        .await?;
    Ok(person.into())
}

pub async fn show(
    staff: Staff,
    state: web::Data<AppState>,
    user_id: web::Path<i32>,
    query: web::Query<PersonQuery>,
) -> Result<HttpResponse, WebError> {
    let person = load(&state, user_id.into_inner()).await?;
    let notice = query
        .done
        .as_deref()
        .and_then(|done| Action::parse(done).ok())
        .map(Action::done);
    render(&PersonPage {
        nav: Some(Nav::from(&staff.0)),
        person,
        actions: Action::ALL.iter().map(|a| (a.path(), a.title())).collect(),
        notice,
    })
}

#[derive(Template)]
#[template(path = "staff/user_confirm.html")]
struct ConfirmPage {
    nav: Option<Nav>,
    csrf_token: String,
    person: PersonView,
    path: &'static str,
    title: &'static str,
    explain: &'static str,
}

/// `GET /staff/users/{id}/{action}`: what the action does, and the button that does it.
pub async fn confirm(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(i32, String)>,
) -> Result<HttpResponse, WebError> {
    let (user_id, raw) = path.into_inner();
    let action = Action::parse(&raw)?;
    let person = load(&state, user_id).await?;
    render(&ConfirmPage {
        nav: Some(Nav::from(&staff.0)),
        csrf_token: staff.0.csrf_token.clone(),
        person,
        path: action.path(),
        title: action.title(),
        explain: action.explain(),
    })
}

/// The confirmation form carries nothing but its CSRF token (and, on the prompt, the password).
#[derive(Deserialize)]
pub struct Confirmed {}

/// `POST /staff/users/{id}/{action}`, in sudo mode.
pub async fn act(
    ClientAddr(addr): ClientAddr,
    staff: Staff,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<(i32, String)>,
    form: SudoForm<Confirmed>,
) -> Result<HttpResponse, WebError> {
    let (user_id, raw) = path.into_inner();
    let action = Action::parse(&raw)?;
    let person = load(&state, user_id).await?;
    let back = format!("/staff/users/{user_id}");
    let purpose = Purpose {
        to: action.purpose(),
        back: &back,
    };
    let Confirmed {} = form
        .recheck((&staff.0, &session, &addr), &state, &purpose)
        .await?;
    let (staff_id, now, email) = (staff.0.user.id, state.clock.now(), person.email);
    state
        .db
        .run(move |conn| {
            let staff = (staff_id, addr.as_str());
            let change = match action {
                Action::PasswordReset => {
                    return recovery::send_password_reset(conn, &email, staff, now).map(|_| ());
                }
                Action::ResetTwoFactor => StaffChange::TwoFactorReset,
                Action::Unlock => StaffChange::Unlocked,
                Action::SignOut => StaffChange::SignedOut,
            };
            recovery::by_staff(conn, &email, change, staff, now).map(|_| ())
        })
        .await?;
    tracing::info!(user_id, action = action.path(), "account changed by staff");
    Ok(see_other(&format!("{back}?done={}", action.path())))
}
