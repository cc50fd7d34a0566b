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

/// Imports are bigger than other forms: allow this much request body on this one route, room
/// for a file of `feedback_import::MAX_FILE_BYTES` once the form has encoded it.
pub const IMPORT_LIMIT_BYTES: usize = 3 * feedback_import::MAX_FILE_BYTES;

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
    /// Clients the file names that the organisation does not have yet, to confirm; and the
    /// same list as the form carries it back (JSON).
    new_clients: Vec<String>,
    new_clients_field: String,
    /// The largest file, in MB.
    max_megabytes: usize,
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
            new_clients: Vec::new(),
            new_clients_field: String::new(),
            max_megabytes: feedback_import::MAX_FILE_BYTES / (1024 * 1024),
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
    /// The new clients' names the person confirmed (JSON, from the confirmation).
    #[serde(default)]
    new_clients: String,
}

pub async fn submit(
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ImportForm>,
) -> Result<HttpResponse, WebError> {
    let (org_id, now) = (member.org.id, state.clock.now());
    let text = form.csv.clone();
    let confirmed: Vec<String> = serde_json::from_str(&form.new_clients).unwrap_or_default();
    let outcome = state
        .db
        .run(move |conn| feedback_import::import(conn, org_id, (&text, &confirmed), now))
        .await;
    let mut page = ImportPage::new(&member, &state).await?;
    match outcome {
        Ok(Outcome::Imported { added, duplicates }) => {
            tracing::info!(org = %member.org.slug, added, duplicates, "feedback imported");
            page.imported = Some((added, duplicates));
            render(&page)
        }
        Ok(Outcome::NewClients(names)) => {
            page.csv = form.csv;
            page.new_clients_field = serde_json::to_string(&names).unwrap_or_default();
            page.new_clients = names;
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
