//! The outbox as staff see it (`/staff/mail`): how many messages wait, were sent, failed or were
//! dropped; the newest of them with their attempts and last error; and Retry of a failed one,
//! recorded in the audit trail.
use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::domain::notices::{Notice, delivery_window};
use crate::error::AppError;
use crate::repo::audit::{self, NewAuditEvent};
use crate::repo::outbox::{self, DROPPED, FAILED, OutboxEntry, QUEUED, SENT};

pub const MAIL_RETRIED: &str = "mail.retried";
/// Messages a page lists.
pub const PAGE: i64 = 50;
/// The states staff may filter by, in the order the page offers them.
pub const STATES: [&str; 4] = [QUEUED, SENT, FAILED, DROPPED];

/// The state a filter names: `None` for all; an unknown one is refused.
pub fn parse_state(raw: Option<&str>) -> Result<Option<&'static str>, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => STATES
            .into_iter()
            .find(|state| *state == raw)
            .map(Some)
            .ok_or_else(|| AppError::invalid("The state must be queued, sent, failed or dropped.")),
    }
}

pub struct Listing {
    /// How many messages are in each of `STATES`, in that order.
    pub counts: Vec<(&'static str, i64)>,
    pub entries: Vec<OutboxEntry>,
    /// Where the next (older) page starts, when there is one.
    pub older: Option<i32>,
}

/// The newest messages in `state` (all when `None`), before id `before`.
pub fn list(
    conn: &mut DbConn,
    state: Option<&str>,
    before: Option<i32>,
) -> Result<Listing, AppError> {
    let counted = outbox::count_by_status(conn)?;
    let counts = STATES
        .into_iter()
        .map(|state| {
            let n = counted
                .iter()
                .find(|(s, _)| s == state)
                .map_or(0, |(_, n)| *n);
            (state, n)
        })
        .collect();
    let mut entries = outbox::newest(conn, state, before, PAGE + 1)?;
    let older = (entries.len() as i64 > PAGE).then(|| {
        entries.truncate(PAGE as usize);
        entries.last().map_or(0, |e| e.id)
    });
    Ok(Listing {
        counts,
        entries,
        older,
    })
}

/// Whether staff may queue `entry` again: it failed, and it carried no single-use link (whose
/// secret was forgotten when it failed).
pub fn retryable(entry: &OutboxEntry) -> bool {
    entry.status == FAILED
        && Notice::from_payload(&entry.payload).is_ok_and(|notice| !notice.carries_link())
}

/// Queues the failed message `id` again, due now with a fresh 24-hour window, as staff member
/// `staff_user_id` asked from `client_addr`. A message that carried a single-use link cannot be
/// sent again: its secret was forgotten when it failed.
pub fn retry(
    conn: &mut DbConn,
    id: i32,
    staff_user_id: i32,
    client_addr: &str,
    now: NaiveDateTime,
) -> Result<OutboxEntry, AppError> {
    conn.write_transaction(|conn| {
        // The write first (undone below if refused), so SQLite never upgrades a read transaction.
        let requeued = outbox::requeue_failed(conn, id, now, now + delivery_window())?;
        let entry = outbox::find(conn, id)?.ok_or(AppError::NotFound)?;
        if requeued == 0 {
            return Err(AppError::conflict(format!(
                "Only a failed message can be retried; this one is {}.",
                entry.status
            )));
        }
        if Notice::from_payload(&entry.payload)?.carries_link() {
            return Err(AppError::invalid(
                "This message carried a single-use link, which is no longer stored; ask the \
                 person to request a new one.",
            ));
        }
        audit::record(
            conn,
            &NewAuditEvent {
                organisation_id: None,
                actor_user_id: Some(staff_user_id),
                action: MAIL_RETRIED,
                detail: &format!(
                    "message {} to {} ({})",
                    entry.id, entry.recipient, entry.kind
                ),
                client_addr: Some(client_addr),
                created_at: now,
            },
        )?;
        Ok(entry)
    })
}
