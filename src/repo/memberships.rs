use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{memberships, organisations, users};
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
