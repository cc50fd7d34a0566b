//! The "Import feedback" page: owners and admins paste a CSV file; every row is checked and a
//! file with any bad row imports nothing.
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::{OrgManager, OrgMember};
use crate::domain::feedback_import::{self, COLUMNS, Outcome, RowError};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::error::{WebError, render, render_with_status};
use crate::web::layout::Nav;

/// Imports are bigger than other forms: allow up to this much CSV on this one route.
pub const IMPORT_LIMIT_BYTES: usize = 2 * 1024 * 1024;

#[derive(Template)]
#[template(path = "orgs/import.html")]
struct ImportPage {
    nav: Option<Nav>,
    name: String,
    slug: String,
    columns: String,
    csv: String,
    /// (added, skipped as duplicates) after an import.
    imported: Option<(usize, usize)>,
    problem: Option<String>,
    errors: Vec<RowError>,
    /// How many different lines the errors are on.
    rows_to_fix: usize,
}

impl ImportPage {
    async fn new(member: &OrgMember, state: &AppState) -> Result<Self, AppError> {
        Ok(Self {
            nav: Some(Nav::for_member(member, state).await?),
            name: member.org.name.clone(),
            slug: member.org.slug.clone(),
            columns: COLUMNS.join(","),
            csv: String::new(),
            imported: None,
            problem: None,
            errors: Vec::new(),
            rows_to_fix: 0,
        })
    }
}

pub async fn form(
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    render(&ImportPage::new(&member, &state).await?)
}

#[derive(Deserialize)]
pub struct ImportForm {
    csv: String,
}

pub async fn submit(
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ImportForm>,
) -> Result<HttpResponse, WebError> {
    let (org_id, now) = (member.org.id, state.clock.now());
    let text = form.csv.clone();
    let outcome = state
        .db
        .run(move |conn| feedback_import::import(conn, org_id, &text, now))
        .await;
    let mut page = ImportPage::new(&member, &state).await?;
    match outcome {
        Ok(Outcome::Imported { added, duplicates }) => {
            tracing::info!(org = %member.org.slug, added, duplicates, "feedback imported");
            page.imported = Some((added, duplicates));
            render(&page)
        }
        Ok(Outcome::Rejected(errors)) => {
            page.csv = form.csv;
            page.rows_to_fix = errors
                .iter()
                .map(|e| e.line)
                .collect::<std::collections::HashSet<_>>()
                .len();
            page.errors = errors;
            render_with_status(&page, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::Invalid(message)) => {
            page.csv = form.csv;
            page.problem = Some(message);
            render_with_status(&page, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other.into()),
    }
}
