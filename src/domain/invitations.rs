//! Invitations to an organisation (README: "Members and roles"): by email with a role, a
//! single-use link valid 7 days, stored as the SHA-256 digest of its 256-bit secret and bound to
//! the address it was sent to. Resending sends a new link and kills the old one; cancelling
//! kills it. Inviting a member, or an address with an open invitation, says so and sends
//! nothing. Accepting joins the organisation: as a new person with a name and a password (the
//! password policy), or as the signed-in holder of the invited address.
use chrono::{Duration, NaiveDateTime};

use crate::db::DbConn;
use crate::domain::accounts::normalise_email;
use crate::domain::members::{self, Acting, with_article};
use crate::domain::notices;
use crate::domain::password::{self, Password};
use crate::domain::role::Role;
use crate::domain::secret::{random_base62, sha256_hex};
use crate::domain::slug::parse_name;
use crate::error::AppError;
use crate::repo::invitations::{self, Invitation, NewInvitation};
use crate::repo::organisations::{self, Organisation};
use crate::repo::users::{NewUser, User};
use crate::repo::{memberships, users};

/// How long a link works.
pub fn lifetime() -> Duration {
    Duration::days(7)
}

/// An invitation just sent: the row and its link's secret (for `pulse invite` to print; the
/// web pages never show it).
pub struct Sent {
    pub invitation: Invitation,
    pub secret: String,
}

/// Writes a new invitation of `email` as `role` with its message, in the caller's transaction.
fn send(
    conn: &mut DbConn,
    organisation_id: i32,
    (email, role): (&str, Role),
    by: &Acting,
    now: NaiveDateTime,
) -> Result<Sent, AppError> {
    let secret = random_base62(43);
    let expires_at = now + lifetime();
    let invitation = invitations::insert(
        conn,
        &NewInvitation {
            organisation_id,
            email,
            role: role.as_str(),
            digest: &sha256_hex(secret.as_bytes()),
            invited_by: by.user_id,
            created_at: now,
            expires_at,
        },
    )?;
    notices::invitation(
        conn,
        (email, organisation_id, role.as_str()),
        by.user_id,
        (&secret, expires_at),
        now,
    )?;
    Ok(Sent { invitation, secret })
}

/// Invites `raw_email` to the organisation as `role`.
pub fn invite(
    conn: &mut DbConn,
    organisation_id: i32,
    (raw_email, role): (&str, Role),
    by: &Acting,
    now: NaiveDateTime,
) -> Result<Sent, AppError> {
    if !members::may_manage(by.role, role) {
        return Err(AppError::Forbidden);
    }
    let email = normalise_email(raw_email)?;
    conn.write_transaction(|conn| {
        memberships::lock_members(conn, organisation_id)?;
        if let Some(user) = users::find_by_email(conn, &email)?
            && memberships::role_of(conn, user.id, organisation_id)?.is_some()
        {
            return Err(AppError::Conflict(format!(
                "{email} is already a member of the organisation; no invitation was sent."
            )));
        }
        let open = invitations::open_of(conn, organisation_id, now)?;
        if open.iter().any(|p| p.invitation.email == email) {
            return Err(AppError::Conflict(format!(
                "{email} has already been invited and the invitation is still open; nothing was \
                 sent. Resend it from the list of pending invitations if the message was lost."
            )));
        }
        let sent = send(conn, organisation_id, (&email, role), by, now)?;
        let detail = format!("{email} as {role}");
        let what = format!("{email} was invited to join as {}.", with_article(role));
        members::record(
            conn,
            organisation_id,
            (members::INVITED, &detail, what),
            by,
            now,
        )?;
        Ok(sent)
    })
}

/// The organisation's open invitation `id`, which `by` may manage; `NotFound` otherwise.
fn open_invitation(
    conn: &mut DbConn,
    organisation_id: i32,
    id: i32,
    by: &Acting,
    now: NaiveDateTime,
) -> Result<(Invitation, Role), AppError> {
    let invitation = invitations::find(conn, id)?
        .filter(|i| i.organisation_id == organisation_id)
        .ok_or(AppError::NotFound)?;
    if invitation.accepted_at.is_some()
        || invitation.cancelled_at.is_some()
        || invitation.replaced_at.is_some()
        || invitation.expires_at <= now
    {
        return Err(AppError::Conflict(format!(
            "The invitation of {} is no longer open (accepted, cancelled, resent or expired); \
             nothing was changed.",
            invitation.email
        )));
    }
    let role = invitation
        .role
        .parse::<Role>()
        .map_err(anyhow::Error::msg)?;
    if !members::may_manage(by.role, role) {
        return Err(AppError::Forbidden);
    }
    Ok((invitation, role))
}

/// Sends invitation `id` again with a new link; the old link stops working.
pub fn resend(
    conn: &mut DbConn,
    organisation_id: i32,
    id: i32,
    by: &Acting,
    now: NaiveDateTime,
) -> Result<Sent, AppError> {
    conn.write_transaction(|conn| {
        memberships::lock_members(conn, organisation_id)?;
        let (old, role) = open_invitation(conn, organisation_id, id, by, now)?;
        invitations::replace(conn, old.id, now)?;
        let sent = send(conn, organisation_id, (&old.email, role), by, now)?;
        let detail = format!("{} as {role}", old.email);
        let what = format!(
            "The invitation of {} was sent again with a new link; the old link no longer works.",
            old.email
        );
        let event = (members::INVITATION_RESENT, detail.as_str(), what);
        members::record(conn, organisation_id, event, by, now)?;
        Ok(sent)
    })
}

/// Cancels invitation `id`: its link stops working.
pub fn cancel(
    conn: &mut DbConn,
    organisation_id: i32,
    id: i32,
    by: &Acting,
    now: NaiveDateTime,
) -> Result<Invitation, AppError> {
    conn.write_transaction(|conn| {
        memberships::lock_members(conn, organisation_id)?;
        let (invitation, role) = open_invitation(conn, organisation_id, id, by, now)?;
        invitations::cancel(conn, invitation.id, now)?;
        let detail = format!("{} as {role}", invitation.email);
        let what = format!("The invitation of {} was cancelled.", invitation.email);
        let event = (members::INVITATION_CANCELLED, detail.as_str(), what);
        members::record(conn, organisation_id, event, by, now)?;
        Ok(invitation)
    })
}

/// Whom to ask about an invitation: who sent it, or the organisation's owners.
fn whom_to_ask(conn: &mut DbConn, invitation: &Invitation) -> Result<String, AppError> {
    let inviter = match invitation.invited_by {
        Some(id) => users::find(conn, id)?,
        None => None,
    };
    Ok(match inviter {
        Some(user) => format!("{} ({}) or another owner", user.name, user.email),
        None => "an owner".to_owned(),
    })
}

/// What an invitation link is good for.
pub enum Link {
    /// It works: `email` may join `org` as `role`.
    Valid {
        invitation: Invitation,
        role: Role,
        org: Organisation,
        /// Whether an account already has the invited address (it signs in, then joins).
        account_exists: bool,
    },
    /// It does not (`why`, saying which and whom to ask).
    Dead { why: String },
}

/// Looks the invitation with `secret` up; writes nothing.
pub fn check(conn: &mut DbConn, secret: &str, now: NaiveDateTime) -> Result<Link, AppError> {
    let digest = sha256_hex(secret.as_bytes());
    let Some(invitation) = invitations::find_by_digest(conn, &digest)? else {
        return Ok(Link::Dead {
            why: "This invitation link is not valid. Check that you copied all of it, or ask \
                  whoever invited you to send a new one."
                .into(),
        });
    };
    let org = organisations::find(conn, invitation.organisation_id)?.ok_or(AppError::NotFound)?;
    let ask = whom_to_ask(conn, &invitation)?;
    let (org_name, email) = (&org.name, &invitation.email);
    let dead = |what: String| Link::Dead {
        why: format!("{what} Ask {ask} of {org_name} to invite {email} again."),
    };
    Ok(if invitation.accepted_at.is_some() {
        dead(format!(
            "This invitation to {org_name} has already been used. If you accepted it, sign in."
        ))
    } else if invitation.cancelled_at.is_some() {
        dead(format!("This invitation to {org_name} was cancelled."))
    } else if invitation.replaced_at.is_some() {
        dead(format!(
            "A newer invitation to {org_name} has been sent since this one, so this link no \
             longer works: use the link in the newest message."
        ))
    } else if invitation.expires_at <= now {
        dead(format!(
            "This invitation to {org_name} has expired: invitations work for {} days.",
            lifetime().num_days()
        ))
    } else {
        let role = invitation
            .role
            .parse::<Role>()
            .map_err(anyhow::Error::msg)?;
        let account_exists = users::find_by_email(conn, email)?.is_some();
        Link::Valid {
            invitation,
            role,
            org,
            account_exists,
        }
    })
}

/// The invitation with `secret` if it works, or why not as `Invalid`.
fn valid(
    conn: &mut DbConn,
    secret: &str,
    now: NaiveDateTime,
) -> Result<(Invitation, Role, Organisation), AppError> {
    match check(conn, secret, now)? {
        Link::Valid {
            invitation,
            role,
            org,
            ..
        } => Ok((invitation, role, org)),
        Link::Dead { why } => Err(AppError::Invalid(why)),
    }
}

/// Uses the invitation up and makes `user` a member (keeping a role they already have), with
/// its audit event and notice, in the caller's transaction.
fn join(
    conn: &mut DbConn,
    (invitation, role): (&Invitation, Role),
    user: &User,
    addr: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    memberships::lock_members(conn, invitation.organisation_id)?;
    if invitations::accept(conn, invitation.id, now)? == 0 {
        return Err(AppError::invalid(
            "This invitation has just been used, cancelled or resent; nothing was changed.",
        ));
    }
    if memberships::role_of(conn, user.id, invitation.organisation_id)?.is_none() {
        memberships::upsert(
            conn,
            user.id,
            invitation.organisation_id,
            role.as_str(),
            now,
        )?;
    }
    let by = Acting {
        user_id: Some(user.id),
        role,
        addr: addr.to_owned(),
    };
    let detail = format!("{} as {role}", user.email);
    let what = format!(
        "{} <{}> accepted the invitation and joined as {}.",
        user.name,
        user.email,
        with_article(role)
    );
    let event = (members::JOINED, detail.as_str(), what);
    members::record(conn, invitation.organisation_id, event, &by, now)
}

/// The signed-in `user` accepts the invitation with `secret`, which must have been sent to
/// their address. Returns the organisation joined.
pub fn accept_signed_in(
    conn: &mut DbConn,
    secret: &str,
    user: &User,
    addr: &str,
    now: NaiveDateTime,
) -> Result<Organisation, AppError> {
    let (invitation, role, org) = valid(conn, secret, now)?;
    if invitation.email != user.email {
        return Err(AppError::invalid(format!(
            "This invitation is for {}, not for you ({}): sign out and open the link again.",
            invitation.email, user.email
        )));
    }
    conn.write_transaction(|conn| join(conn, (&invitation, role), user, addr, now))?;
    Ok(org)
}

/// Someone without an account accepts the invitation with `secret`, choosing their name and
/// password (the password policy applies): the account is created with the invited address and
/// joins. Returns the new person and the organisation.
pub fn accept_as_new(
    conn: &mut DbConn,
    secret: &str,
    (raw_name, new): (&str, &Password),
    addr: &str,
    now: NaiveDateTime,
) -> Result<(User, Organisation), AppError> {
    let (invitation, role, org) = valid(conn, secret, now)?;
    let name = parse_name(raw_name, "name")?;
    password::check_new(new, &[&invitation.email, &name])?;
    let password_hash = password::hash(new)?;
    let user = conn.write_transaction(|conn| {
        if users::find_by_email(conn, &invitation.email)?.is_some() {
            return Err(AppError::invalid(format!(
                "An account with {} exists already: sign in, then open the link again.",
                invitation.email
            )));
        }
        let user = users::insert(
            conn,
            &NewUser {
                email: &invitation.email,
                name: &name,
                password_hash: &password_hash,
                is_staff: 0,
                created_at: now,
            },
        )?;
        join(conn, (&invitation, role), &user, addr, now)?;
        Ok(user)
    })?;
    Ok((user, org))
}
