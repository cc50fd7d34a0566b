use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{memberships, organisations, sign_in_places, users};
use crate::repo::organisations::Organisation;

pub fn upsert(
    conn: &mut DbConn,
    user_id: i32,
    organisation_id: i32,
    role: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    conn.write_transaction(|conn| {
        let updated = diesel::update(memberships::table.find((user_id, organisation_id)))
            .set(memberships::role.eq(role))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(memberships::table)
                .values((
                    memberships::user_id.eq(user_id),
                    memberships::organisation_id.eq(organisation_id),
                    memberships::role.eq(role),
                    memberships::created_at.eq(at),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

pub fn role_of(
    conn: &mut DbConn,
    user_id: i32,
    organisation_id: i32,
) -> QueryResult<Option<String>> {
    memberships::table
        .find((user_id, organisation_id))
        .select(memberships::role)
        .first(conn)
        .optional()
}

/// The organisations a user belongs to, with the user's role in each.
pub fn organisations_of(
    conn: &mut DbConn,
    user_id: i32,
) -> QueryResult<Vec<(Organisation, String)>> {
    memberships::table
        .inner_join(organisations::table)
        .filter(memberships::user_id.eq(user_id))
        .order(organisations::name.asc())
        .select((Organisation::as_select(), memberships::role))
        .load(conn)
}

/// Members of an organisation: (name, email, role).
pub fn members_of(
    conn: &mut DbConn,
    organisation_id: i32,
) -> QueryResult<Vec<(String, String, String)>> {
    memberships::table
        .inner_join(users::table)
        .filter(memberships::organisation_id.eq(organisation_id))
        .order(users::name.asc())
        .select((users::name, users::email, memberships::role))
        .load(conn)
}

/// A person an organisation's notices go to.
#[derive(Queryable, Debug, Clone)]
pub struct Recipient {
    pub user_id: i32,
    pub email: String,
    pub name: String,
}

/// The organisation's owners and admins, who are told of everything that happens to its token.
pub fn managers_of(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<Recipient>> {
    memberships::table
        .inner_join(users::table)
        .filter(memberships::organisation_id.eq(organisation_id))
        .filter(memberships::role.eq_any(["owner", "admin"]))
        .order(users::id.asc())
        .select((users::id, users::email, users::name))
        .load(conn)
}

/// The organisation's owners, who are told of every change to its members.
pub fn owners_of(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<Recipient>> {
    memberships::table
        .inner_join(users::table)
        .filter(memberships::organisation_id.eq(organisation_id))
        .filter(memberships::role.eq("owner"))
        .order(users::id.asc())
        .select((users::id, users::email, users::name))
        .load(conn)
}

/// A member as the members page lists them.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub user_id: i32,
    pub name: String,
    pub email: String,
    pub role: String,
    pub two_factor: bool,
    pub last_sign_in: Option<NaiveDateTime>,
}

/// Every member of the organisation, by name, with two-factor sign-in on or off and when they
/// last signed in (from any place).
pub fn roster(conn: &mut DbConn, organisation_id: i32) -> QueryResult<Vec<MemberRow>> {
    let rows: Vec<(i32, String, String, String, Option<NaiveDateTime>)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::organisation_id.eq(organisation_id))
        .order((users::name.asc(), users::id.asc()))
        .select((
            users::id,
            users::name,
            users::email,
            memberships::role,
            users::totp_enabled_at,
        ))
        .load(conn)?;
    let ids: Vec<i32> = rows.iter().map(|row| row.0).collect();
    let last: Vec<(i32, Option<NaiveDateTime>)> = sign_in_places::table
        .filter(sign_in_places::user_id.eq_any(ids))
        .group_by(sign_in_places::user_id)
        .select((
            sign_in_places::user_id,
            diesel::dsl::max(sign_in_places::last_signed_in_at),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, name, email, role, totp)| MemberRow {
            user_id,
            name,
            email,
            role,
            two_factor: totp.is_some(),
            last_sign_in: last
                .iter()
                .find(|(id, _)| *id == user_id)
                .and_then(|(_, at)| *at),
        })
        .collect())
}

pub fn count_owners(conn: &mut DbConn, organisation_id: i32) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::organisation_id.eq(organisation_id))
        .filter(memberships::role.eq("owner"))
        .count()
        .get_result(conn)
}

pub fn set_role(
    conn: &mut DbConn,
    user_id: i32,
    organisation_id: i32,
    role: &str,
) -> QueryResult<usize> {
    diesel::update(memberships::table.find((user_id, organisation_id)))
        .set(memberships::role.eq(role))
        .execute(conn)
}

pub fn remove(conn: &mut DbConn, user_id: i32, organisation_id: i32) -> QueryResult<usize> {
    diesel::delete(memberships::table.find((user_id, organisation_id))).execute(conn)
}

const MEMBERS_LOCK_CLASS: i32 = 7_355_611;

/// Makes changes to organisation `organisation_id`'s members take turns until the end of the
/// current transaction, on every instance (`DbConn::take_turns`), so the check that an owner
/// remains, or that an address is not invited yet, sees the others' changes.
pub fn lock_members(conn: &mut DbConn, organisation_id: i32) -> QueryResult<()> {
    conn.take_turns(MEMBERS_LOCK_CLASS, organisation_id)
}
