//! Which optional mail each person wants. No row means everything (the defaults).
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::notification_preferences;

#[derive(Queryable, Selectable, Debug, Clone, Copy, PartialEq, Eq)]
#[diesel(table_name = notification_preferences)]
pub struct Preferences {
    /// Token expiry reminders (in 14 days, in 3 days, expired).
    pub token_expiry: i32,
    /// API access switched on or off by staff.
    pub api_access: i32,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            token_expiry: 1,
            api_access: 1,
        }
    }
}

pub fn of_user(conn: &mut DbConn, user_id: i32) -> QueryResult<Preferences> {
    Ok(notification_preferences::table
        .find(user_id)
        .select(Preferences::as_select())
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

pub fn set(
    conn: &mut DbConn,
    user_id: i32,
    preferences: Preferences,
    at: NaiveDateTime,
) -> QueryResult<()> {
    conn.write_transaction(|conn| {
        let values = (
            notification_preferences::token_expiry.eq(preferences.token_expiry),
            notification_preferences::api_access.eq(preferences.api_access),
            notification_preferences::updated_at.eq(at),
        );
        let updated = diesel::update(notification_preferences::table.find(user_id))
            .set(values)
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(notification_preferences::table)
                .values((notification_preferences::user_id.eq(user_id), values))
                .execute(conn)?;
        }
        Ok(())
    })
}
