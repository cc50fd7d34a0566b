//! Invitations to an organisation, kept as SHA-256 digests of their links' secrets.
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{invitations, users};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: i32,
    pub organisation_id: i32,
    pub email: String,
    pub role: String,
    pub invited_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub replaced_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = invitations)]
pub struct NewInvitation<'a> {
    pub organisation_id: i32,
    pub email: &'a str,
    pub role: &'a str,
    pub digest: &'a str,
    pub invited_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, invitation: &NewInvitation) -> QueryResult<Invitation> {
    // RETURNING is not available through MultiConnection: read the row back by its digest.
    diesel::insert_into(invitations::table)
        .values(invitation)
        .execute(conn)?;
    find_by_digest(conn, invitation.digest)?.ok_or(diesel::result::Error::NotFound)
}

pub fn find_by_digest(conn: &mut DbConn, digest: &str) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::digest.eq(digest))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Invitation>> {
    invitations::table
        .find(id)
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// A pending invitation with the name of who sent it.
#[derive(Debug, Clone)]
pub struct Pending {
    pub invitation: Invitation,
    pub invited_by: Option<String>,
}

/// The organisation's invitations neither accepted, cancelled, replaced nor expired at `now`,
/// oldest first.
pub fn open_of(
    conn: &mut DbConn,
    organisation_id: i32,
    now: NaiveDateTime,
) -> QueryResult<Vec<Pending>> {
    let rows: Vec<(Invitation, Option<String>)> = invitations::table
        .left_join(users::table)
        .filter(invitations::organisation_id.eq(organisation_id))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::cancelled_at.is_null())
        .filter(invitations::replaced_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .order((invitations::created_at.asc(), invitations::id.asc()))
        .select((Invitation::as_select(), users::name.nullable()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(invitation, invited_by)| Pending {
            invitation,
            invited_by,
        })
        .collect())
}

/// Marks invitation `id` as `column` at `at`, unless it is no longer open: 0 then, so of two
/// concurrent uses (accept, cancel, resend) one wins.
macro_rules! close {
    ($name:ident, $column:ident, $doc:literal) => {
        #[doc = $doc]
        pub fn $name(conn: &mut DbConn, id: i32, at: NaiveDateTime) -> QueryResult<usize> {
            diesel::update(
                invitations::table
                    .find(id)
                    .filter(invitations::accepted_at.is_null())
                    .filter(invitations::cancelled_at.is_null())
                    .filter(invitations::replaced_at.is_null())
                    .filter(invitations::expires_at.gt(at)),
            )
            .set(invitations::$column.eq(Some(at)))
            .execute(conn)
        }
    };
}

close!(accept, accepted_at, "Uses invitation `id` up.");
close!(cancel, cancelled_at, "Cancels invitation `id`.");
close!(
    replace,
    replaced_at,
    "Kills invitation `id` as a newer one is sent."
);
