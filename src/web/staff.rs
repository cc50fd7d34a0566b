use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::Staff;
use crate::domain::organisations;
use crate::error::AppError;
use crate::repo::organisations as org_repo;
use crate::repo::organisations::Organisation;
use crate::state::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;

#[derive(Template)]
#[template(path = "staff/orgs.html")]
struct StaffOrgsPage {
    nav: Option<Nav>,
    csrf_token: String,
    orgs: Vec<Organisation>,
    error: Option<String>,
    name: String,
    slug: String,
}

async fn render_list(
    staff: &Staff,
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
    name: String,
    slug: String,
) -> Result<HttpResponse, WebError> {
    let orgs = state.db.run(|conn| Ok(org_repo::list(conn)?)).await?;
    render_with_status(
        &StaffOrgsPage {
            nav: Some(Nav::from(&staff.0)),
            csrf_token: staff.0.csrf_token.clone(),
            orgs,
            error,
            name,
            slug,
        },
        status,
    )
}

pub async fn list(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    render_list(
        &staff,
        &state,
        StatusCode::OK,
        None,
        String::new(),
        String::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct NewOrgForm {
    name: String,
    slug: String,
    #[serde(default)]
    api_enabled: Option<String>,
}

pub async fn create(
    staff: Staff,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<NewOrgForm>,
) -> Result<HttpResponse, WebError> {
    let (name, slug) = (form.name.clone(), form.slug.clone());
    let api_enabled = form.api_enabled.is_some();
    let now = state.clock.now();
    let created = state
        .db
        .run(move |conn| organisations::create(conn, &name, &slug, api_enabled, now))
        .await;
    match created {
        Ok(_) => Ok(see_other("/staff/orgs")),
        Err(AppError::Invalid(message) | AppError::Conflict(message)) => {
            render_list(
                &staff,
                &state,
                StatusCode::BAD_REQUEST,
                Some(message),
                form.name,
                form.slug,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct ApiAccessForm {
    enabled: String,
}

pub async fn set_api_access(
    ClientAddr(addr): ClientAddr,
    staff: Staff,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    CsrfForm(form): CsrfForm<ApiAccessForm>,
) -> Result<HttpResponse, WebError> {
    let enabled = match form.enabled.as_str() {
        "true" | "on" | "1" => true,
        "false" | "off" | "0" => false,
        _ => {
            return Err(AppError::invalid("The field enabled must be true or false.").into());
        }
    };
    let staff_id = staff.0.user.id;
    let (slug, now) = (slug.into_inner(), state.clock.now());
    let org = state
        .db
        .run(move |conn| organisations::set_api_access(conn, &slug, enabled, staff_id, &addr, now))
        .await?;
    tracing::info!(org = %org.slug, enabled, "API access changed");
    Ok(see_other("/staff/orgs"))
}
