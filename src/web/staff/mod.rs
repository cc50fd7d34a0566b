//! The staff console: organisations (searched, filtered, a page at a time), their API access
//! and requests for it, a read-only support view of each, and the mail outbox.
mod access;
mod console;
pub mod mail;
mod people;
mod support;
pub mod users;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::Staff;
use crate::domain::organisations;
use crate::domain::orgs_console::Query;
use crate::error::AppError;
use crate::repo::organisations as org_repo;
use crate::state::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;

pub use access::{decline_request, set_api_access};
use console::{ConsoleQuery, ConsoleView};
pub use people::{invite_owner, resend_invitation};
pub use support::show;

#[derive(Template)]
#[template(path = "staff/orgs.html")]
struct StaffOrgsPage {
    nav: Option<Nav>,
    csrf_token: String,
    /// The list: (search, filters, one page of organisations); `None` until `render` loads it.
    console: Option<ConsoleView>,
    /// Slug of the organisation just created, to confirm it.
    created: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    /// The create form's values, kept when it is refused.
    name: String,
    slug: String,
    owner_email: String,
}

impl StaffOrgsPage {
    async fn render(self, state: &AppState, status: StatusCode) -> Result<HttpResponse, WebError> {
        self.render_query(state, status, Query::default()).await
    }

    async fn render_query(
        mut self,
        state: &AppState,
        status: StatusCode,
        query: Query,
    ) -> Result<HttpResponse, WebError> {
        if let Some(slug) = self.created.clone() {
            let org = state
                .db
                .run(move |conn| Ok(org_repo::find_by_slug(conn, &slug)?))
                .await?;
            self.notice = org.map(|o| format!("Organisation {} ({}) created.", o.name, o.slug));
        }
        self.console = Some(ConsoleView::load(state, query).await?);
        render_with_status(&self, status)
    }

    fn new(staff: &Staff) -> Self {
        StaffOrgsPage {
            nav: Some(Nav::from(&staff.0)),
            csrf_token: staff.0.csrf_token.clone(),
            console: None,
            created: None,
            notice: None,
            error: None,
            name: String::new(),
            slug: String::new(),
            owner_email: String::new(),
        }
    }
}

pub async fn list(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<ConsoleQuery>,
) -> Result<HttpResponse, WebError> {
    let parsed = query.parse()?;
    let page = StaffOrgsPage {
        created: query.into_inner().created,
        ..StaffOrgsPage::new(&staff)
    };
    page.render_query(&state, StatusCode::OK, parsed).await
}

#[derive(Deserialize)]
pub struct NewOrgForm {
    name: String,
    slug: String,
    #[serde(default)]
    api_enabled: Option<String>,
    /// The first owner's address, invited at once; empty for none.
    #[serde(default)]
    owner_email: String,
}

pub async fn create(
    staff: Staff,
    ClientAddr(addr): ClientAddr,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<NewOrgForm>,
) -> Result<HttpResponse, WebError> {
    let (name, slug) = (form.name.clone(), form.slug.clone());
    let api_enabled = form.api_enabled.is_some();
    let owner = Some(form.owner_email.trim().to_owned()).filter(|e| !e.is_empty());
    let (by, now) = (people::acting(&staff, addr), state.clock.now());
    let created = state
        .db
        .run(move |conn| {
            let new = (name.as_str(), slug.as_str(), api_enabled);
            organisations::create_with_owner(conn, new, owner.as_deref(), &by, now)
        })
        .await;
    match created {
        Ok(org) => Ok(see_other(&format!("/staff/orgs?created={}", org.slug))),
        Err(AppError::Invalid(message) | AppError::Conflict(message)) => {
            let page = StaffOrgsPage {
                error: Some(message),
                name: form.name,
                slug: form.slug,
                owner_email: form.owner_email,
                ..StaffOrgsPage::new(&staff)
            };
            page.render(&state, StatusCode::BAD_REQUEST).await
        }
        Err(other) => Err(other.into()),
    }
}
