//! "Forgot your password?": a single-use link by mail, valid for an hour, stored as the SHA-256
//! digest of its 256-bit secret, dead once used or once a newer one is sent. Asking gives the
//! same answer, doing the same work in the same order, whether or not the address has an
//! account; it is throttled per client address and per address asked about. Setting the new
//! password applies the password policy, ends every session of the person and tells them by
//! mail; it does not sign them in, so a second factor is still asked for at the next sign-in.
use chrono::{Duration, NaiveDateTime};

use crate::db::DbConn;
use crate::domain::accounts::normalise_email;
use crate::domain::notices;
use crate::domain::password::{self, Password};
use crate::domain::secret::{random_base62, sha256_hex};
use crate::domain::throttle::{self, Limit};
use crate::error::AppError;
use crate::repo::users::User;
use crate::repo::{password_resets, sessions, users};

/// How long a link works.
pub fn link_lifetime() -> Duration {
    Duration::hours(1)
}

/// Requests allowed per address asked about, and per client place (`throttle::place`), within
/// the throttle window (`throttle::WINDOW_MINUTES`).
pub const MAX_REQUESTS_PER_ACCOUNT: i64 = 3;
pub const MAX_REQUESTS_PER_ADDRESS: i64 = 10;

fn account_key(email: &str) -> String {
    format!("reset-account:{email}")
}

fn place_key(addr: &str) -> String {
    format!("reset-address:{}", throttle::place(addr))
}

/// Asks for a link for `raw_email` from client address `addr`. The same `Ok` whether or not an
/// account has that address; a malformed address or a throttled request is refused (neither
/// says anything about accounts).
pub fn request(
    conn: &mut DbConn,
    raw_email: &str,
    addr: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let email = normalise_email(raw_email)?;
    conn.write_transaction(|conn| {
        // Counted first, serialised with every other throttling decision (and a write, so SQLite
        // never upgrades a read transaction). Every request counts: it is never taken back.
        let limits = [
            Limit {
                key: place_key(addr),
                max: MAX_REQUESTS_PER_ADDRESS,
                enforced: true,
            },
            Limit {
                key: account_key(&email),
                max: MAX_REQUESTS_PER_ACCOUNT,
                enforced: true,
            },
        ];
        let _counted = throttle::reserve(conn, &limits, now)?;
        let user = users::find_by_email(conn, &email)?;
        issue(conn, (&email, user.as_ref()), None, now)
    })
}

/// Inside a transaction: a new link for `email` (the account `user`, if any) replaces the open
/// ones, and its message is queued (written as dropped without an account). `sent_by` names the
/// member of staff who sent it from the console.
pub fn issue(
    conn: &mut DbConn,
    (email, user): (&str, Option<&User>),
    sent_by: Option<String>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let secret = random_base62(43);
    let digest = sha256_hex(secret.as_bytes());
    let user_id = user.map(|u| u.id);
    let expires_at = now + link_lifetime();
    password_resets::replace_open(conn, user_id, now)?;
    password_resets::insert(conn, user_id, &digest, now, expires_at)?;
    let account = user.map(|u| u.name.as_str());
    let link = (expires_at, sent_by);
    notices::password_reset(conn, (email, account), &secret, link, now)
}

/// What a link is good for.
#[derive(Debug)]
pub enum Link {
    /// It works: the password of this person may be set.
    Valid {
        reset_id: i32,
        user: User,
    },
    Used,
    Replaced,
    Expired,
    /// No such link (or one sent to an address without an account).
    Unknown,
}

impl Link {
    /// Why a link that does not work does not, for the person who followed it.
    pub fn refusal(&self) -> Option<String> {
        let minutes = throttle::WINDOW_MINUTES;
        match self {
            Link::Valid { .. } => None,
            Link::Used => Some("This link has already been used to set a password. If that was not you, ask for a new link and change your password.".into()),
            Link::Replaced => Some("A newer link has been sent since this one, so this one no longer works. Use the link in the newest message, or ask for a new one.".into()),
            Link::Expired => Some(format!("This link has expired: links work for {} hour. Ask for a new one (up to {MAX_REQUESTS_PER_ACCOUNT} every {minutes} minutes).", link_lifetime().num_hours())),
            Link::Unknown => Some("This link is not valid. Check that you copied all of it, or ask for a new one.".into()),
        }
    }
}

/// Looks the link with `secret` up; writes nothing.
pub fn check(conn: &mut DbConn, secret: &str, now: NaiveDateTime) -> Result<Link, AppError> {
    let Some(reset) = password_resets::find_by_digest(conn, &sha256_hex(secret.as_bytes()))? else {
        return Ok(Link::Unknown);
    };
    let user = match reset.user_id {
        Some(id) => users::find(conn, id)?,
        None => None,
    };
    Ok(match user {
        None => Link::Unknown,
        Some(_) if reset.used_at.is_some() => Link::Used,
        Some(_) if reset.replaced_at.is_some() => Link::Replaced,
        Some(_) if reset.expires_at <= now => Link::Expired,
        Some(user) => Link::Valid {
            reset_id: reset.id,
            user,
        },
    })
}

/// Sets the password of the person the link `secret` was sent to, from client address `addr`:
/// the link is used up, every session of theirs ends (half-signed-in ones too) and they are told
/// by mail, in one transaction. A link that does not work is `Invalid` with its reason.
pub fn complete(
    conn: &mut DbConn,
    secret: &str,
    new: &Password,
    addr: &str,
    now: NaiveDateTime,
) -> Result<User, AppError> {
    let (reset_id, user) = match check(conn, secret, now)? {
        Link::Valid { reset_id, user } => (reset_id, user),
        other => return Err(AppError::Invalid(other.refusal().unwrap_or_default())),
    };
    password::check_new(new, &[&user.email, &user.name])?;
    let password_hash = password::hash(new)?;
    conn.write_transaction(|conn| {
        if password_resets::use_up(conn, reset_id, now)? == 0 {
            return Err(AppError::Invalid(Link::Used.refusal().unwrap_or_default()));
        }
        users::set_password_hash(conn, user.id, &password_hash)?;
        sessions::delete_for_user(conn, user.id)?;
        notices::password_changed(conn, &user, true, addr, now)?;
        Ok(user)
    })
}
