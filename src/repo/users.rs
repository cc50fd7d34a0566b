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
    /// The TOTP secret once two-factor sign-in is on, sealed under the reveal key
    /// (`domain::two_factor`).
    pub totp_secret: Option<String>,
    pub totp_enabled_at: Option<NaiveDateTime>,
    /// The last TOTP time step accepted: a code is good once.
    pub totp_last_step: Option<i32>,
    /// Set by an operator (`pulse user disable`): no sign-in until `pulse user enable`.
    pub disabled_at: Option<NaiveDateTime>,
    /// The IANA time zone the pages show times in (`domain::time_zone`); `None`: the browser's.
    pub time_zone: Option<String>,
}

impl User {
    pub fn is_staff(&self) -> bool {
        self.is_staff != 0
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }

    /// Whether signing in takes a second factor: staff always (they enrol at their next sign-in
    /// if they have not yet), anyone else once they have turned it on.
    pub fn needs_second_factor(&self) -> bool {
        self.is_staff() || self.totp_secret.is_some()
    }
}

// The password hash and TOTP secret are secrets: keep them out of debug output and logs.
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

/// Turns two-factor sign-in on with `secret` (sealed), accepting time step `step` as used.
pub fn enable_totp(
    conn: &mut DbConn,
    id: i32,
    secret: &str,
    step: i32,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::totp_secret.eq(secret),
            users::totp_enabled_at.eq(at),
            users::totp_last_step.eq(step),
        ))
        .execute(conn)
}

pub fn disable_totp(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::totp_secret.eq(None::<String>),
            users::totp_enabled_at.eq(None::<NaiveDateTime>),
            users::totp_last_step.eq(None::<i32>),
        ))
        .execute(conn)
}

/// Records time step `step` as used, unless it (or a later one) already was: 0 then, so of two
/// concurrent uses of one code only one succeeds.
pub fn use_totp_step(conn: &mut DbConn, id: i32, step: i32) -> QueryResult<usize> {
    diesel::update(
        users::table.find(id).filter(
            users::totp_last_step
                .lt(step)
                .or(users::totp_last_step.is_null()),
        ),
    )
    .set(users::totp_last_step.eq(step))
    .execute(conn)
}

/// Sets the time zone the pages show `id`'s times in (`None`: the browser's).
pub fn set_time_zone(conn: &mut DbConn, id: i32, zone: Option<&str>) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::time_zone.eq(zone))
        .execute(conn)
}

/// Disables the account from `at`, or enables it again with `None`.
pub fn set_disabled(conn: &mut DbConn, id: i32, at: Option<NaiveDateTime>) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::disabled_at.eq(at))
        .execute(conn)
}

/// Users whose TOTP secret does not start with `prefix` (secrets stored before they were
/// sealed): (id, secret).
pub fn with_totp_secret_not_starting(
    conn: &mut DbConn,
    prefix: &str,
) -> QueryResult<Vec<(i32, String)>> {
    users::table
        .filter(users::totp_secret.not_like(format!("{prefix}%")))
        .select((users::id, users::totp_secret.assume_not_null()))
        .load(conn)
}

/// Users whose TOTP secret starts with `prefix` (sealed ones): (id, secret).
pub fn with_totp_secret_starting(
    conn: &mut DbConn,
    prefix: &str,
) -> QueryResult<Vec<(i32, String)>> {
    users::table
        .filter(users::totp_secret.like(format!("{prefix}%")))
        .select((users::id, users::totp_secret.assume_not_null()))
        .load(conn)
}

/// How many users have a TOTP secret starting with `prefix`.
pub fn count_totp_secrets_starting(conn: &mut DbConn, prefix: &str) -> QueryResult<i64> {
    users::table
        .filter(users::totp_secret.like(format!("{prefix}%")))
        .count()
        .get_result(conn)
}

/// Replaces the TOTP secret `old` of user `id` with `new`; 0 if it changed meanwhile.
pub fn replace_totp_secret(conn: &mut DbConn, id: i32, old: &str, new: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id).filter(users::totp_secret.eq(old)))
        .set(users::totp_secret.eq(new))
        .execute(conn)
}

/// Platform staff who can sign in, to whom staff notices go: (id, email, name).
pub fn staff(conn: &mut DbConn) -> QueryResult<Vec<(i32, String, String)>> {
    users::table
        .filter(users::is_staff.eq(1))
        .filter(users::disabled_at.is_null())
        .order(users::id.asc())
        .select((users::id, users::email, users::name))
        .load(conn)
}

/// Up to `limit` people whose email or name contains `text` (in lower case), by email.
pub fn search(conn: &mut DbConn, text: &str, limit: i64) -> QueryResult<Vec<User>> {
    let pattern = format!("%{}%", super::escape_like(text));
    let by_name = diesel::dsl::sql::<diesel::sql_types::Bool>("LOWER(users.name) LIKE ")
        .bind::<diesel::sql_types::Text, _>(pattern.clone())
        .sql(" ESCAPE '\\'");
    users::table
        .filter(users::email.like(pattern).escape('\\').or(by_name))
        .order(users::email.asc())
        .limit(limit)
        .select(User::as_select())
        .load(conn)
}
