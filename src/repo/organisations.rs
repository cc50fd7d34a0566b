use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::organisations;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    pub id: i32,
    pub name: String,
    pub slug: String,
    pub api_enabled: i32,
    pub api_enabled_changed_at: Option<NaiveDateTime>,
    pub api_enabled_changed_by: Option<i32>,
    pub created_at: NaiveDateTime,
}

impl Organisation {
    pub fn api_enabled(&self) -> bool {
        self.api_enabled != 0
    }
}

#[derive(Insertable)]
#[diesel(table_name = organisations)]
pub struct NewOrganisation<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub api_enabled: i32,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, org: &NewOrganisation) -> QueryResult<Organisation> {
    // RETURNING is not available through MultiConnection: read the row back by its unique slug.
    diesel::insert_into(organisations::table)
        .values(org)
        .execute(conn)?;
    find_by_slug(conn, org.slug)?.ok_or(diesel::result::Error::NotFound)
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Organisation>> {
    organisations::table
        .filter(organisations::slug.eq(slug))
        .select(Organisation::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Organisation>> {
    organisations::table
        .find(id)
        .select(Organisation::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Organisation>> {
    organisations::table
        .order(organisations::name.asc())
        .select(Organisation::as_select())
        .load(conn)
}

pub fn set_api_enabled(
    conn: &mut DbConn,
    id: i32,
    enabled: bool,
    by_user: i32,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(organisations::table.find(id))
        .set((
            organisations::api_enabled.eq(i32::from(enabled)),
            organisations::api_enabled_changed_at.eq(Some(at)),
            organisations::api_enabled_changed_by.eq(Some(by_user)),
        ))
        .execute(conn)
}
