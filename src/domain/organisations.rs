//! Organisations and the staff switch for their API access.
use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::domain::invitations;
use crate::domain::members::Acting;
use crate::domain::role::Role;
use crate::domain::slug::{parse_name, parse_slug};
use crate::domain::{access_requests, notices};
use crate::error::AppError;
use crate::repo::audit::{self, NewAuditEvent};
use crate::repo::organisations::{self, NewOrganisation, Organisation};

pub const API_ACCESS_ENABLED: &str = "api_access.enabled";
pub const API_ACCESS_DISABLED: &str = "api_access.disabled";

pub fn create(
    conn: &mut DbConn,
    raw_name: &str,
    raw_slug: &str,
    api_enabled: bool,
    at: NaiveDateTime,
) -> Result<Organisation, AppError> {
    let name = parse_name(raw_name, "organisation name")?;
    let slug = parse_slug(raw_slug)?;
    if organisations::find_by_slug(conn, &slug)?.is_some() {
        return Err(AppError::Conflict(format!(
            "The slug {slug:?} is already taken."
        )));
    }
    Ok(organisations::insert(
        conn,
        &NewOrganisation {
            name: &name,
            slug: &slug,
            api_enabled: i32::from(api_enabled),
            created_at: at,
        },
    )?)
}

/// Creates an organisation for staff member `by` and, given `owner_email`, invites its first
/// owner, in one transaction: a refused address creates nothing.
pub fn create_with_owner(
    conn: &mut DbConn,
    (raw_name, raw_slug, api_enabled): (&str, &str, bool),
    owner_email: Option<&str>,
    by: &Acting,
    at: NaiveDateTime,
) -> Result<Organisation, AppError> {
    conn.write_transaction(|conn| {
        let org = create(conn, raw_name, raw_slug, api_enabled, at)?;
        if let Some(email) = owner_email {
            invitations::invite(conn, org.id, (email, Role::Owner), by, at)?;
        }
        Ok(org)
    })
}

/// Switches API access on or off, with an audit entry, in one transaction; switching on answers
/// the organisation's open request for it (`access_requests::grant`).
pub fn set_api_access(
    conn: &mut DbConn,
    slug: &str,
    enabled: bool,
    staff_user_id: i32,
    client_addr: &str,
    at: NaiveDateTime,
) -> Result<Organisation, AppError> {
    conn.write_transaction(|conn| {
        let org = organisations::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)?;
        organisations::set_api_enabled(conn, org.id, enabled, staff_user_id, at)?;
        audit::record(
            conn,
            &NewAuditEvent {
                organisation_id: Some(org.id),
                actor_user_id: Some(staff_user_id),
                action: if enabled {
                    API_ACCESS_ENABLED
                } else {
                    API_ACCESS_DISABLED
                },
                detail: "",
                client_addr: Some(client_addr),
                created_at: at,
            },
        )?;
        // Switching on answers an open request: its owners hear that answer instead.
        let answered = match enabled {
            true => access_requests::grant(conn, org.id, (staff_user_id, client_addr), at)?,
            false => Vec::new(),
        };
        let change = (enabled, staff_user_id);
        notices::api_access_changed(conn, org.id, change, &answered, at)?;
        organisations::find(conn, org.id)?.ok_or(AppError::NotFound)
    })
}
