use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::users;

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_staff: i32,
    pub created_at: NaiveDateTime,
}

impl User {
    pub fn is_staff(&self) -> bool {
        self.is_staff != 0
    }
}

// The password hash is a secret: keep it out of debug output and logs.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub is_staff: i32,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, user: &NewUser) -> QueryResult<User> {
    // RETURNING is not available through MultiConnection: read the row back by its unique email.
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    find_by_email(conn, user.email)?.ok_or(diesel::result::Error::NotFound)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// `email` must already be normalised (trimmed, lower-case).
pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn set_password_hash(conn: &mut DbConn, id: i32, password_hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(password_hash))
        .execute(conn)
}
