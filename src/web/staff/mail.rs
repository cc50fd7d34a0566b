//! `/staff/mail`: the outbox — queued, sent, failed and dropped messages with their attempts and
//! last error — and Retry of a failed one. Recipients and subjects only: never a body or a link.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::Staff;
use crate::domain::notices::Notice;
use crate::domain::outbox;
use crate::error::AppError;
use crate::mail::compose;
use crate::repo::outbox::OutboxEntry;
use crate::state::AppState;
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;
use crate::web::login::Empty;
use crate::web::time::TimeView;

pub struct MailRow {
    pub id: i32,
    pub recipient: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub created_at: TimeView,
    /// When it was sent or given up; for a queued message, its next attempt.
    pub when: TimeView,
    pub last_error: String,
    pub retryable: bool,
}

impl From<OutboxEntry> for MailRow {
    fn from(entry: OutboxEntry) -> Self {
        let subject = Notice::from_payload(&entry.payload)
            .map(|notice| compose::subject(&notice))
            .unwrap_or_else(|_| entry.kind.clone());
        let retryable = outbox::retryable(&entry);
        MailRow {
            id: entry.id,
            recipient: entry.recipient,
            subject,
            retryable,
            status: entry.status,
            attempts: entry.attempts,
            created_at: entry.created_at.into(),
            when: entry.finished_at.unwrap_or(entry.next_attempt_at).into(),
            last_error: entry.last_error.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "staff/mail.html")]
struct MailPage {
    nav: Option<Nav>,
    csrf_token: String,
    /// Where mail goes, and whether it goes at all.
    delivery: String,
    delivers: bool,
    counts: Vec<(&'static str, i64)>,
    state: String,
    rows: Vec<MailRow>,
    older: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct MailQuery {
    state: Option<String>,
    before: Option<String>,
    retried: Option<i32>,
}

fn before_id(raw: Option<&str>) -> Result<Option<i32>, AppError> {
    raw.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i32>().ok().filter(|id| *id > 0).ok_or_else(|| {
                AppError::invalid("The page cursor (before) must be a message number.")
            })
        })
        .transpose()
}

async fn page(
    staff: &Staff,
    state: &AppState,
    query: MailQuery,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let filter = outbox::parse_state(query.state.as_deref())?;
    let before = before_id(query.before.as_deref())?;
    let listing = state
        .db
        .run(move |conn| outbox::list(conn, filter, before))
        .await?;
    let state_query = filter.map(|s| format!("state={s}&")).unwrap_or_default();
    render_with_status(
        &MailPage {
            nav: Some(Nav::from(&staff.0)),
            csrf_token: staff.0.csrf_token.clone(),
            delivery: state.mail.describe(),
            delivers: state.mail.delivers(),
            counts: listing.counts,
            state: filter.unwrap_or_default().to_owned(),
            rows: listing.entries.into_iter().map(MailRow::from).collect(),
            older: listing
                .older
                .map(|id| format!("/staff/mail?{state_query}before={id}")),
            notice: query
                .retried
                .map(|id| format!("Message {id} is queued again and will be sent shortly.")),
            error,
        },
        status,
    )
}

pub async fn list(
    staff: Staff,
    state: web::Data<AppState>,
    query: web::Query<MailQuery>,
) -> Result<HttpResponse, WebError> {
    page(&staff, &state, query.into_inner(), None, StatusCode::OK).await
}

pub async fn retry(
    staff: Staff,
    ClientAddr(addr): ClientAddr,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<HttpResponse, WebError> {
    let (id, staff_id, now) = (id.into_inner(), staff.0.user.id, state.clock.now());
    let retried = state
        .db
        .run(move |conn| outbox::retry(conn, id, staff_id, &addr, now))
        .await;
    match retried {
        Ok(entry) => {
            tracing::info!(outbox_id = entry.id, staff_id, "failed mail queued again");
            Ok(see_other(&format!(
                "/staff/mail?state=queued&retried={}",
                entry.id
            )))
        }
        Err(AppError::Invalid(message) | AppError::Conflict(message)) => {
            let query = MailQuery {
                state: Some("failed".into()),
                before: None,
                retried: None,
            };
            page(&staff, &state, query, Some(message), StatusCode::CONFLICT).await
        }
        Err(other) => Err(other.into()),
    }
}
