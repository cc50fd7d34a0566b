//! Members and roles of an organisation (README: "Members and roles"). Owners invite owners,
//! admins and members, change anyone's role and remove anyone; admins invite and remove members
//! only; members manage nobody. The last owner is never removed or demoted, and may not leave.
//! Every change is an audit event (the members page's history) and a notice to the owners by
//! mail, in the same transaction. A removal or a lower role holds from the person's next
//! request on every instance, since each request reads the membership from the database; their
//! sessions are left alone.
use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::domain::api_tokens::screen::{self, HistoryPage};
use crate::domain::notices;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::repo::audit::{self, HistoryCursor, NewAuditEvent};
use crate::repo::invitations::{self, Pending};
use crate::repo::memberships::{self, MemberRow};
use crate::repo::users;

pub const INVITED: &str = "member.invited";
pub const INVITATION_RESENT: &str = "member.invitation_resent";
pub const INVITATION_CANCELLED: &str = "member.invitation_cancelled";
pub const JOINED: &str = "member.joined";
pub const ROLE_CHANGED: &str = "member.role_changed";
pub const REMOVED: &str = "member.removed";
pub const LEFT: &str = "member.left";

/// What the members page's history shows.
pub const HISTORY_ACTIONS: [&str; 7] = [
    INVITED,
    INVITATION_RESENT,
    INVITATION_CANCELLED,
    JOINED,
    ROLE_CHANGED,
    REMOVED,
    LEFT,
];

/// Who acts on an organisation's members: a person with `role` in it (staff act as owners, and
/// only ever on owners' invitations), from client address `addr`; no one (`None`) for the
/// operator's `pulse invite`.
#[derive(Clone, Debug)]
pub struct Acting {
    pub user_id: Option<i32>,
    pub role: Role,
    pub addr: String,
}

/// Whether someone with role `by` may invite, or remove, a person with role `role`: owners any,
/// admins members only.
pub fn may_manage(by: Role, role: Role) -> bool {
    match by {
        Role::Owner => true,
        Role::Admin => role == Role::Member,
        Role::Member => false,
    }
}

/// Whether someone with role `by` may change other people's roles: owners only.
pub fn may_change_roles(by: Role) -> bool {
    by == Role::Owner
}

/// Everything the members page shows.
pub struct MembersPage {
    pub members: Vec<MemberRow>,
    pub invitations: Vec<Pending>,
    pub history: HistoryPage,
}

/// Reads the members page, history from `before`; writes nothing.
pub fn page(
    conn: &mut DbConn,
    organisation_id: i32,
    before: Option<HistoryCursor>,
    now: NaiveDateTime,
) -> Result<MembersPage, AppError> {
    Ok(MembersPage {
        members: memberships::roster(conn, organisation_id)?,
        invitations: invitations::open_of(conn, organisation_id, now)?,
        history: screen::history_among(conn, organisation_id, &HISTORY_ACTIONS, before)?,
    })
}

/// Writes the audit event `action` (`detail` says about whom) and tells the owners `what`.
pub(crate) fn record(
    conn: &mut DbConn,
    organisation_id: i32,
    (action, detail, what): (&str, &str, String),
    by: &Acting,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &NewAuditEvent {
            organisation_id: Some(organisation_id),
            actor_user_id: by.user_id,
            action,
            detail,
            client_addr: Some(&by.addr),
            created_at: at,
        },
    )?;
    notices::members_changed(conn, organisation_id, what, (by.user_id, &by.addr), at)?;
    Ok(())
}

/// The member `user_id` of the organisation with their role; `NotFound` if they are not one.
fn member(
    conn: &mut DbConn,
    organisation_id: i32,
    user_id: i32,
) -> Result<(users::User, Role), AppError> {
    let role = memberships::role_of(conn, user_id, organisation_id)?.ok_or(AppError::NotFound)?;
    let role = role.parse::<Role>().map_err(anyhow::Error::msg)?;
    let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
    Ok((user, role))
}

/// Refuses to take away the organisation's last owner (`person`, who is an owner).
fn keep_an_owner(conn: &mut DbConn, organisation_id: i32, person: &str) -> Result<(), AppError> {
    if memberships::count_owners(conn, organisation_id)? <= 1 {
        return Err(AppError::Conflict(format!(
            "{person} is the organisation's last owner, so nothing was changed. Make someone \
             else an owner first."
        )));
    }
    Ok(())
}

/// Changes the role of member `user_id` to `role`.
pub fn change_role(
    conn: &mut DbConn,
    organisation_id: i32,
    (user_id, role): (i32, Role),
    by: &Acting,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    if !may_change_roles(by.role) {
        return Err(AppError::Forbidden);
    }
    conn.write_transaction(|conn| {
        memberships::lock_members(conn, organisation_id)?;
        let (user, old) = member(conn, organisation_id, user_id)?;
        if old == role {
            return Err(AppError::invalid(format!(
                "{} is already {}; nothing was changed.",
                user.name,
                with_article(role)
            )));
        }
        if old == Role::Owner {
            keep_an_owner(conn, organisation_id, &user.name)?;
        }
        memberships::set_role(conn, user_id, organisation_id, role.as_str())?;
        let detail = format!("{}: {old} → {role}", user.email);
        let what = format!(
            "{} <{}> is now {} (was {}).",
            user.name,
            user.email,
            with_article(role),
            with_article(old)
        );
        record(conn, organisation_id, (ROLE_CHANGED, &detail, what), by, at)
    })
}

/// Removes member `user_id` from the organisation.
pub fn remove(
    conn: &mut DbConn,
    organisation_id: i32,
    user_id: i32,
    by: &Acting,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    conn.write_transaction(|conn| {
        memberships::lock_members(conn, organisation_id)?;
        let (user, role) = member(conn, organisation_id, user_id)?;
        if !may_manage(by.role, role) {
            return Err(AppError::Forbidden);
        }
        if role == Role::Owner {
            keep_an_owner(conn, organisation_id, &user.name)?;
        }
        memberships::remove(conn, user_id, organisation_id)?;
        let detail = format!("{} ({role})", user.email);
        let what = format!(
            "{} <{}> ({role}) was removed from the organisation.",
            user.name, user.email
        );
        record(conn, organisation_id, (REMOVED, &detail, what), by, at)
    })
}

/// Member `user_id` leaves the organisation themselves, from `addr`.
pub fn leave(
    conn: &mut DbConn,
    organisation_id: i32,
    user_id: i32,
    addr: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    conn.write_transaction(|conn| {
        memberships::lock_members(conn, organisation_id)?;
        let (user, role) = member(conn, organisation_id, user_id)?;
        if role == Role::Owner && memberships::count_owners(conn, organisation_id)? <= 1 {
            return Err(AppError::Conflict(LAST_OWNER_STAYS.to_owned()));
        }
        memberships::remove(conn, user_id, organisation_id)?;
        let by = Acting {
            user_id: Some(user_id),
            role,
            addr: addr.to_owned(),
        };
        let detail = format!("{} ({role})", user.email);
        let what = format!(
            "{} <{}> ({role}) left the organisation.",
            user.name, user.email
        );
        record(conn, organisation_id, (LEFT, &detail, what), &by, at)
    })
}

/// Why the last owner cannot leave.
pub const LAST_OWNER_STAYS: &str = "You are the organisation's last owner, so you cannot leave \
     it: make someone else an owner first. Nothing was changed.";

/// "an admin", "a member", "an owner".
pub fn with_article(role: Role) -> String {
    match role {
        Role::Owner | Role::Admin => format!("an {role}"),
        Role::Member => format!("a {role}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_manage_anyone_admins_members_only() {
        for role in [Role::Owner, Role::Admin, Role::Member] {
            assert!(may_manage(Role::Owner, role));
            assert_eq!(may_manage(Role::Admin, role), role == Role::Member);
            assert!(!may_manage(Role::Member, role));
        }
        assert!(may_change_roles(Role::Owner));
        assert!(!may_change_roles(Role::Admin) && !may_change_roles(Role::Member));
    }
}
