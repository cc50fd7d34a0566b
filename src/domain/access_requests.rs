//! Asking for API access: with API access off, an owner asks Pulse staff to switch it on, with
//! an optional note (what they want to connect). Staff are told by mail and see open requests in
//! the console; switching API access on answers the request, or staff decline it with a reason.
//! Either way the organisation's owners are told by mail. One open request per organisation.
//! Each step is one transaction with its audit event and its mail.
use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::domain::actor::Actor;
use crate::domain::notices;
use crate::error::AppError;
use crate::repo::access_requests::{self, AccessRequest, DECLINED, GRANTED};
use crate::repo::audit::{self, NewAuditEvent};
use crate::repo::organisations;

pub const REQUESTED: &str = "api_access.requested";
pub const REQUEST_GRANTED: &str = "api_access.request_granted";
pub const REQUEST_DECLINED: &str = "api_access.request_declined";

/// The longest note or reason, in characters.
pub const TEXT_MAX: usize = 1000;

/// Where an organisation's latest request stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Open {
        asked_at: NaiveDateTime,
        by: Option<String>,
        note: String,
    },
    Declined {
        asked_at: NaiveDateTime,
        at: NaiveDateTime,
        reason: String,
    },
}

fn text(raw: &str, what: &str) -> Result<String, AppError> {
    let text = raw.trim();
    if text.chars().count() > TEXT_MAX {
        return Err(AppError::invalid(format!(
            "The {what} is too long: at most {TEXT_MAX} characters."
        )));
    }
    Ok(text.to_owned())
}

fn record(
    conn: &mut DbConn,
    organisation_id: i32,
    (user_id, addr): (i32, &str),
    (action, detail): (&str, &str),
    at: NaiveDateTime,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &NewAuditEvent {
            organisation_id: Some(organisation_id),
            actor_user_id: Some(user_id),
            action,
            detail,
            client_addr: Some(addr),
            created_at: at,
        },
    )?;
    Ok(())
}

/// An owner (`actor`) of organisation `organisation_id` asks for API access. Refused, changing
/// nothing, when API access is on already or a request is open.
pub fn ask(
    conn: &mut DbConn,
    organisation_id: i32,
    actor: &Actor,
    raw_note: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let note = text(raw_note, "note")?;
    conn.write_transaction(|conn| {
        let org = organisations::find(conn, organisation_id)?.ok_or(AppError::NotFound)?;
        if org.api_enabled() {
            return Err(AppError::conflict(
                "API access is already on: there is nothing to ask for.",
            ));
        }
        if access_requests::open(conn, org.id, actor.user_id, &note, at)? == 0 {
            return Err(AppError::conflict(
                "A request for API access is already open: Clientshare will answer it by mail. \
                 Nothing was changed.",
            ));
        }
        let addr = actor.client_addr.as_str();
        record(conn, org.id, (actor.user_id, addr), (REQUESTED, &note), at)?;
        notices::access_requested(conn, org.id, actor, &note, at)?;
        Ok(())
    })
}

/// Inside the transaction that switches API access on: answers the open request, if any, and
/// tells the owners. Returns whom it told, so the usual notice of the change skips them.
pub fn grant(
    conn: &mut DbConn,
    organisation_id: i32,
    (staff_user_id, addr): (i32, &str),
    at: NaiveDateTime,
) -> Result<Vec<i32>, AppError> {
    let answer = (GRANTED, None);
    let Some(request) = access_requests::answer(conn, organisation_id, answer, staff_user_id, at)?
    else {
        return Ok(Vec::new());
    };
    let who = (staff_user_id, addr);
    record(conn, organisation_id, who, (REQUEST_GRANTED, ""), at)?;
    notices::access_request_answered(conn, &request, None, staff_user_id, at)
}

/// Staff decline the open request of the organisation `slug` with `raw_reason` (required),
/// which the owners are told.
pub fn decline(
    conn: &mut DbConn,
    slug: &str,
    (staff_user_id, addr): (i32, &str),
    raw_reason: &str,
    at: NaiveDateTime,
) -> Result<AccessRequest, AppError> {
    let reason = text(raw_reason, "reason")?;
    if reason.is_empty() {
        return Err(AppError::invalid(
            "Give the reason for declining: the owners are told it.",
        ));
    }
    conn.write_transaction(|conn| {
        let org = organisations::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)?;
        let answer = (DECLINED, Some(reason.as_str()));
        let request = access_requests::answer(conn, org.id, answer, staff_user_id, at)?
            .ok_or_else(|| {
                AppError::conflict(
                    "The organisation has no open request for API access (it was answered a \
                     moment ago?). Nothing was changed.",
                )
            })?;
        let who = (staff_user_id, addr);
        record(conn, org.id, who, (REQUEST_DECLINED, &reason), at)?;
        notices::access_request_answered(conn, &request, Some(&reason), staff_user_id, at)?;
        Ok(request)
    })
}

/// Where the organisation's latest request stands: open, declined, or nothing to show (none,
/// or granted).
pub fn standing(conn: &mut DbConn, organisation_id: i32) -> Result<Option<Standing>, AppError> {
    let Some((request, by)) = access_requests::latest(conn, organisation_id)? else {
        return Ok(None);
    };
    Ok(match (request.answered_at, request.outcome.as_deref()) {
        (None, _) => Some(Standing::Open {
            asked_at: request.created_at,
            by,
            note: request.note,
        }),
        (Some(at), Some(DECLINED)) => Some(Standing::Declined {
            asked_at: request.created_at,
            at,
            reason: request.reason.unwrap_or_default(),
        }),
        _ => None,
    })
}
