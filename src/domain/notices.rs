//! What mail Pulse sends, to whom, and when: each notice is written to the outbox in the same
//! transaction as the event it tells of, so a change is never without its notice and a change
//! that rolls back sends none. The words are the mail layer's (`mail::compose`); this module
//! only records what happened. Owners and admins hear of everything that happens to their
//! organisation's token; each person hears of changes to their own account. Token expiry
//! reminders and API-access notices can be turned off per person; security notices cannot.
use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::db::DbConn;
use crate::domain::account_notices::AccountNotice;
use crate::domain::actor::Actor;
use crate::domain::secret;
use crate::error::AppError;
use crate::repo::access_requests::AccessRequest;
use crate::repo::api_tokens::ApiToken;
use crate::repo::memberships::{self, Recipient};
use crate::repo::outbox::{self, NewMessage};
use crate::repo::preferences::{self, Preferences};
use crate::repo::users::User;
use crate::repo::{organisations, users};

/// A message is retried for this long after it was queued; then it is failed.
pub fn delivery_window() -> Duration {
    Duration::hours(24)
}

/// The organisation a notice is about.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct OrgRef {
    pub name: String,
    pub slug: String,
}

/// Who did it, from which address, when.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub by: String,
    pub from: String,
    pub at: NaiveDateTime,
}

/// What happened, as stored in the outbox (JSON) and rendered when the message is sent.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    TokenGenerated {
        org: OrgRef,
        prefix: String,
        expires_at: Option<NaiveDateTime>,
        done: Done,
    },
    TokenRegenerated {
        org: OrgRef,
        prefix: String,
        replaced: String,
        /// When the replaced token stops working (now, or the end of its grace period).
        old_stops_at: NaiveDateTime,
        done: Done,
    },
    TokenRevoked {
        org: OrgRef,
        prefixes: Vec<String>,
        done: Done,
    },
    GraceEnded {
        org: OrgRef,
        prefixes: Vec<String>,
        done: Done,
    },
    TokenExpiring {
        org: OrgRef,
        prefix: String,
        expires_at: NaiveDateTime,
        /// Whole days left when the reminder was queued (14 or 3, or fewer if it came late).
        days_left: i64,
    },
    TokenExpired {
        org: OrgRef,
        prefix: String,
        expired_at: NaiveDateTime,
    },
    TokenExposed {
        org: OrgRef,
        prefix: String,
        location: String,
        at: NaiveDateTime,
    },
    ApiAccessChanged {
        org: OrgRef,
        enabled: bool,
        by: String,
        at: NaiveDateTime,
    },
    PasswordChanged {
        /// Set through a "Forgot your password?" link rather than on the account page.
        by_reset: bool,
        from: String,
        at: NaiveDateTime,
    },
    TwoFactorChanged {
        enabled: bool,
        /// The person's other sessions, which the change ended.
        sessions_ended: usize,
        from: String,
        at: NaiveDateTime,
    },
    /// Wrong passwords for the account piled up (`account_notices`), the latest from `place`.
    PasswordGuessed { place: String, at: NaiveDateTime },
    /// The right password, then wrong second-factor codes, the latest from `place`.
    SecondFactorGuessed { place: String, at: NaiveDateTime },
    OtherSessionsEnded {
        count: usize,
        from: String,
        at: NaiveDateTime,
    },
    /// Carries a single-use link; its secret is kept beside the payload, never in it.
    PasswordReset {
        expires_at: NaiveDateTime,
        /// The member of staff who sent it from the console; `None` when the person asked.
        #[serde(default)]
        sent_by: Option<String>,
    },
    /// To staff: an owner asked for API access.
    AccessRequested {
        org: OrgRef,
        by: String,
        by_email: String,
        note: String,
        at: NaiveDateTime,
    },
    /// Pulse staff changed the person's account from the console (`domain::recovery`).
    RecoveredByStaff {
        change: StaffChange,
        /// The person's sessions that the change ended.
        sessions_ended: usize,
        by: String,
        from: String,
        at: NaiveDateTime,
    },
    /// To the organisation's owners: staff switched API access on (`declined` is `None`) or
    /// declined their request with this reason.
    AccessRequestAnswered {
        org: OrgRef,
        asked_at: NaiveDateTime,
        declined: Option<String>,
        by: String,
        at: NaiveDateTime,
    },
    /// An invitation to join `org` as `role`; carries a single-use link like a reset.
    Invitation {
        org: OrgRef,
        role: String,
        invited_by: String,
        expires_at: NaiveDateTime,
    },
    /// Someone was invited, joined, changed role, was removed or left (`what`, one sentence);
    /// told to the organisation's owners.
    MembersChanged {
        org: OrgRef,
        what: String,
        done: Done,
    },
}

/// What staff did to a person's account.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StaffChange {
    TwoFactorReset,
    Unlocked,
    SignedOut,
}

/// Optional mail a person may turn off on their account page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    TokenExpiry,
    ApiAccess,
}

impl Topic {
    fn wanted(self, preferences: Preferences) -> bool {
        match self {
            Topic::TokenExpiry => preferences.token_expiry != 0,
            Topic::ApiAccess => preferences.api_access != 0,
        }
    }
}

impl Notice {
    /// The preference that can turn this notice off; `None` for security notices.
    pub fn topic(&self) -> Option<Topic> {
        match self {
            Notice::TokenExpiring { .. } | Notice::TokenExpired { .. } => Some(Topic::TokenExpiry),
            Notice::ApiAccessChanged { .. } => Some(Topic::ApiAccess),
            _ => None,
        }
    }

    /// Whether it carries a single-use link, whose secret the outbox keeps beside the payload
    /// until the message is settled (and without which it cannot be sent).
    pub fn carries_link(&self) -> bool {
        matches!(
            self,
            Notice::PasswordReset { .. } | Notice::Invitation { .. }
        )
    }

    /// Its name in the outbox (`kind`), the same as its tag in the stored JSON.
    pub fn kind(&self) -> Result<String, AppError> {
        let value = serde_json::to_value(self).map_err(anyhow::Error::from)?;
        Ok(value["kind"].as_str().unwrap_or_default().to_owned())
    }

    pub fn from_payload(payload: &str) -> Result<Self, AppError> {
        serde_json::from_str(payload)
            .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("outbox payload")))
    }
}

/// The optional mail `user_id` wants.
pub fn preferences_of(conn: &mut DbConn, user_id: i32) -> Result<Preferences, AppError> {
    Ok(preferences::of_user(conn, user_id)?)
}

pub fn set_preferences(
    conn: &mut DbConn,
    user_id: i32,
    wanted: Preferences,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    Ok(preferences::set(conn, user_id, wanted, at)?)
}

/// Writes one message to the outbox: queued for delivery, or `dropped` with the reason.
fn enqueue(
    conn: &mut DbConn,
    (email, name): (&str, &str),
    notice: &Notice,
    link_secret: Option<&str>,
    dropped: Option<&str>,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let payload = serde_json::to_string(notice).map_err(anyhow::Error::from)?;
    outbox::enqueue(
        conn,
        &NewMessage {
            message_key: &secret::random_base62(32),
            kind: &notice.kind()?,
            recipient: email,
            recipient_name: name,
            payload: &payload,
            link_secret,
            status: if dropped.is_some() {
                outbox::DROPPED
            } else {
                outbox::QUEUED
            },
            created_at: at,
            next_attempt_at: at,
            give_up_at: at + delivery_window(),
            last_error: dropped,
        },
    )?;
    Ok(())
}

/// Tells the organisation's owners and admins (those who want it, for optional notices);
/// returns how many messages were queued.
fn to_managers(
    conn: &mut DbConn,
    organisation_id: i32,
    notice: &Notice,
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    to_managers_except(conn, organisation_id, notice, &[], at)
}

/// `to_managers`, skipping the people `skip`.
fn to_managers_except(
    conn: &mut DbConn,
    organisation_id: i32,
    notice: &Notice,
    skip: &[i32],
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    let managers = memberships::managers_of(conn, organisation_id)?
        .into_iter()
        .filter(|manager| !skip.contains(&manager.user_id))
        .collect();
    to_each(conn, managers, notice, at)
}

/// Tells each of `recipients` (those who want it, for optional notices); returns how many
/// messages were queued.
fn to_each(
    conn: &mut DbConn,
    recipients: Vec<Recipient>,
    notice: &Notice,
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    let mut queued = 0;
    for Recipient {
        user_id,
        email,
        name,
    } in recipients
    {
        if let Some(topic) = notice.topic()
            && !topic.wanted(preferences::of_user(conn, user_id)?)
        {
            continue;
        }
        enqueue(conn, (&email, &name), notice, None, None, at)?;
        queued += 1;
    }
    Ok(queued)
}

fn to_person(
    conn: &mut DbConn,
    user: &User,
    notice: &Notice,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    enqueue(conn, (&user.email, &user.name), notice, None, None, at)
}

fn org_ref(conn: &mut DbConn, organisation_id: i32) -> Result<OrgRef, AppError> {
    let org = organisations::find(conn, organisation_id)?.ok_or(AppError::NotFound)?;
    Ok(OrgRef {
        name: org.name,
        slug: org.slug,
    })
}

fn name_of(conn: &mut DbConn, user_id: i32) -> Result<String, AppError> {
    Ok(users::find(conn, user_id)?.map_or_else(|| "someone".to_owned(), |u| u.name))
}

/// The name of user `user_id`, or of the server's operator (a command such as `pulse invite`).
fn acting_name(conn: &mut DbConn, user_id: Option<i32>) -> Result<String, AppError> {
    match user_id {
        Some(id) => name_of(conn, id),
        None => Ok("The Pulse operator".to_owned()),
    }
}

fn done(conn: &mut DbConn, actor: &Actor, at: NaiveDateTime) -> Result<Done, AppError> {
    Ok(Done {
        by: name_of(conn, actor.user_id)?,
        from: actor.client_addr.clone(),
        at,
    })
}

/// The organisation's first token (or the first after a revoke) was generated.
pub fn token_generated(
    conn: &mut DbConn,
    token: &ApiToken,
    actor: &Actor,
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    let notice = Notice::TokenGenerated {
        org: org_ref(conn, token.organisation_id)?,
        prefix: token.display_prefix.clone(),
        expires_at: token.expires_at,
        done: done(conn, actor, at)?,
    };
    to_managers(conn, token.organisation_id, &notice, at)
}

/// `token` replaced the token `replaced`, which stops at `old_stops_at`.
pub fn token_regenerated(
    conn: &mut DbConn,
    token: &ApiToken,
    replaced: &str,
    old_stops_at: NaiveDateTime,
    (actor, at): (&Actor, NaiveDateTime),
) -> Result<usize, AppError> {
    let notice = Notice::TokenRegenerated {
        org: org_ref(conn, token.organisation_id)?,
        prefix: token.display_prefix.clone(),
        replaced: replaced.to_owned(),
        old_stops_at,
        done: done(conn, actor, at)?,
    };
    to_managers(conn, token.organisation_id, &notice, at)
}

/// Tokens `prefixes` were stopped on purpose: revoked, or (`grace_ended`) their grace period
/// ended early.
pub fn tokens_stopped(
    conn: &mut DbConn,
    organisation_id: i32,
    (prefixes, grace_ended): (Vec<String>, bool),
    actor: &Actor,
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    let (org, done) = (org_ref(conn, organisation_id)?, done(conn, actor, at)?);
    let notice = if grace_ended {
        Notice::GraceEnded {
            org,
            prefixes,
            done,
        }
    } else {
        Notice::TokenRevoked {
            org,
            prefixes,
            done,
        }
    };
    to_managers(conn, organisation_id, &notice, at)
}

/// A secret-scanning report found `token` at `location`, and it was revoked.
pub fn token_exposed(
    conn: &mut DbConn,
    token: &ApiToken,
    location: &str,
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    let notice = Notice::TokenExposed {
        org: org_ref(conn, token.organisation_id)?,
        prefix: token.display_prefix.clone(),
        location: location.to_owned(),
        at,
    };
    to_managers(conn, token.organisation_id, &notice, at)
}

/// An expiry reminder for the organisation's token, built by `notice` for the organisation.
pub fn token_expiry(
    conn: &mut DbConn,
    organisation_id: i32,
    notice: impl FnOnce(OrgRef) -> Notice,
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    let notice = notice(org_ref(conn, organisation_id)?);
    to_managers(conn, organisation_id, &notice, at)
}

/// Staff member `staff_user_id` switched the organisation's API access on or off; `told` (the
/// owners who heard it as the answer to their request) are skipped.
pub fn api_access_changed(
    conn: &mut DbConn,
    organisation_id: i32,
    (enabled, staff_user_id): (bool, i32),
    told: &[i32],
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    let notice = Notice::ApiAccessChanged {
        org: org_ref(conn, organisation_id)?,
        enabled,
        by: name_of(conn, staff_user_id)?,
        at,
    };
    to_managers_except(conn, organisation_id, &notice, told, at)
}

/// An owner (`actor`) asked for API access with `note`: every member of staff is told.
pub fn access_requested(
    conn: &mut DbConn,
    organisation_id: i32,
    actor: &Actor,
    note: &str,
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    let asker = users::find(conn, actor.user_id)?.ok_or(AppError::NotFound)?;
    let notice = Notice::AccessRequested {
        org: org_ref(conn, organisation_id)?,
        by: asker.name,
        by_email: asker.email,
        note: note.to_owned(),
        at,
    };
    let staff = users::staff(conn)?;
    for (_, email, name) in &staff {
        enqueue(conn, (email, name), &notice, None, None, at)?;
    }
    Ok(staff.len())
}

/// Staff member `staff_user_id` answered `request`: API access switched on, or declined with
/// `reason`. Every owner of the organisation is told; returns their ids.
pub fn access_request_answered(
    conn: &mut DbConn,
    request: &AccessRequest,
    reason: Option<&str>,
    staff_user_id: i32,
    at: NaiveDateTime,
) -> Result<Vec<i32>, AppError> {
    let notice = Notice::AccessRequestAnswered {
        org: org_ref(conn, request.organisation_id)?,
        asked_at: request.created_at,
        declined: reason.map(str::to_owned),
        by: name_of(conn, staff_user_id)?,
        at,
    };
    let owners = memberships::owners_of(conn, request.organisation_id)?;
    let told = owners.iter().map(|owner| owner.user_id).collect();
    to_each(conn, owners, &notice, at)?;
    Ok(told)
}

/// The person's password was changed (on the account page, or with a reset link).
pub fn password_changed(
    conn: &mut DbConn,
    user: &User,
    by_reset: bool,
    from: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let notice = Notice::PasswordChanged {
        by_reset,
        from: from.to_owned(),
        at,
    };
    to_person(conn, user, &notice, at)
}

/// Mails the account holder what `account_notices::tell` recorded (two-factor sign-in turned
/// on or off, someone guessing at the account), from `from` if known.
pub fn to_account_holder(
    conn: &mut DbConn,
    user_id: i32,
    notice: &AccountNotice,
    from: Option<&str>,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
    let from = from.unwrap_or_default().to_owned();
    let notice = match *notice {
        AccountNotice::PasswordGuessed { place } => Notice::PasswordGuessed {
            place: place.to_owned(),
            at,
        },
        AccountNotice::SecondFactorGuessed { place } => Notice::SecondFactorGuessed {
            place: place.to_owned(),
            at,
        },
        AccountNotice::TwoFactorOn { sessions_ended } => Notice::TwoFactorChanged {
            enabled: true,
            sessions_ended,
            from,
            at,
        },
        AccountNotice::TwoFactorOff { sessions_ended } => Notice::TwoFactorChanged {
            enabled: false,
            sessions_ended,
            from,
            at,
        },
    };
    to_person(conn, &user, &notice, at)
}

/// The person signed out everywhere else: `count` sessions ended.
pub fn other_sessions_ended(
    conn: &mut DbConn,
    user_id: i32,
    count: usize,
    from: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
    let notice = Notice::OtherSessionsEnded {
        count,
        from: from.to_owned(),
        at,
    };
    to_person(conn, &user, &notice, at)
}

/// Staff member `staff` (id, address) made `change` to `user`'s account, ending
/// `sessions_ended` sessions.
pub fn recovered_by_staff(
    conn: &mut DbConn,
    user: &User,
    (change, sessions_ended): (StaffChange, usize),
    (staff_user_id, from): (i32, &str),
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let notice = Notice::RecoveredByStaff {
        change,
        sessions_ended,
        by: name_of(conn, staff_user_id)?,
        from: from.to_owned(),
        at,
    };
    to_person(conn, user, &notice, at)
}

/// A password-reset link for `email`: queued with its secret when `account` is the person's
/// (email, name), otherwise written as dropped, so both cases cost the same.
pub fn password_reset(
    conn: &mut DbConn,
    (email, account): (&str, Option<&str>),
    link_secret: &str,
    (expires_at, sent_by): (NaiveDateTime, Option<String>),
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let notice = Notice::PasswordReset {
        expires_at,
        sent_by,
    };
    match account {
        Some(name) => with_link(conn, (email, name), &notice, link_secret, at),
        None => enqueue(conn, (email, ""), &notice, None, Some(NO_ACCOUNT), at),
    }
}

/// Queues `notice`, which carries a single-use link with `link_secret`, to any address (not
/// necessarily a person with an account yet): a password reset, an invitation.
pub fn with_link(
    conn: &mut DbConn,
    (email, name): (&str, &str),
    notice: &Notice,
    link_secret: &str,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    debug_assert!(notice.carries_link());
    enqueue(conn, (email, name), notice, Some(link_secret), None, at)
}

/// An invitation to `email` to join organisation `organisation_id` as `role`, sent by
/// `invited_by` (a user, or the operator), with the link's secret; valid until `expires_at`.
pub fn invitation(
    conn: &mut DbConn,
    (email, organisation_id, role): (&str, i32, &str),
    invited_by: Option<i32>,
    (link_secret, expires_at): (&str, NaiveDateTime),
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let notice = Notice::Invitation {
        org: org_ref(conn, organisation_id)?,
        role: role.to_owned(),
        invited_by: acting_name(conn, invited_by)?,
        expires_at,
    };
    with_link(conn, (email, ""), &notice, link_secret, at)
}

/// Tells the organisation's owners what changed among its members (`what`), done by user
/// `by` (or the operator) from `from`.
pub fn members_changed(
    conn: &mut DbConn,
    organisation_id: i32,
    what: String,
    (by, from): (Option<i32>, &str),
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    let notice = Notice::MembersChanged {
        org: org_ref(conn, organisation_id)?,
        what,
        done: Done {
            by: acting_name(conn, by)?,
            from: from.to_owned(),
            at,
        },
    };
    let owners = memberships::owners_of(conn, organisation_id)?;
    to_each(conn, owners, &notice, at)
}

/// Why a reset message for an unknown address is not sent (staff see it on `/staff/mail`).
pub const NO_ACCOUNT: &str = "No account has this address, so nothing was sent.";
