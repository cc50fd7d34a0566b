use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{audit_events, users};

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub organisation_id: Option<i32>,
    pub actor_user_id: Option<i32>,
    pub action: &'a str,
    pub detail: &'a str,
    pub client_addr: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

pub fn record(conn: &mut DbConn, event: &NewAuditEvent) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)
        .map(|_| ())
}

/// An audit event with the actor's name, for display.
#[derive(Queryable, Debug, Clone)]
pub struct AuditEntry {
    pub id: i32,
    pub action: String,
    pub detail: String,
    pub client_addr: Option<String>,
    pub created_at: NaiveDateTime,
    pub actor_name: Option<String>,
}

type EntryColumns = (
    audit_events::id,
    audit_events::action,
    audit_events::detail,
    audit_events::client_addr,
    audit_events::created_at,
    diesel::helper_types::Nullable<users::name>,
);

/// What an `AuditEntry` is read from.
fn entry_columns() -> EntryColumns {
    (
        audit_events::id,
        audit_events::action,
        audit_events::detail,
        audit_events::client_addr,
        audit_events::created_at,
        users::name.nullable(),
    )
}

/// Where a page of history starts: strictly before this (created_at, id).
pub type HistoryCursor = (NaiveDateTime, i32);

/// The organisation's events among `actions`, newest first, before `cursor` if given.
pub fn recent_for_organisation(
    conn: &mut DbConn,
    organisation_id: i32,
    actions: &[&str],
    before: Option<HistoryCursor>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let mut query = audit_events::table
        .left_join(users::table)
        .filter(audit_events::organisation_id.eq(organisation_id))
        .filter(audit_events::action.eq_any(actions))
        .into_boxed();
    if let Some((at, id)) = before {
        query = query.filter(
            audit_events::created_at
                .lt(at)
                .or(audit_events::created_at.eq(at).and(audit_events::id.lt(id))),
        );
    }
    query
        .order((audit_events::created_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .select(entry_columns())
        .load(conn)
}

/// Events about the account `user_id` itself (no organisation), among `actions`, newest first,
/// since `since` if given.
pub fn recent_for_account(
    conn: &mut DbConn,
    user_id: i32,
    actions: &[&str],
    since: Option<NaiveDateTime>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let mut query = audit_events::table
        .left_join(users::table)
        .filter(audit_events::organisation_id.is_null())
        .filter(audit_events::actor_user_id.eq(user_id))
        .filter(audit_events::action.eq_any(actions))
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(audit_events::created_at.gt(since));
    }
    query
        .order((audit_events::created_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .select(entry_columns())
        .load(conn)
}

/// Deletes the events recorded before `before` (retention).
pub fn delete_before(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(audit_events::table.filter(audit_events::created_at.lt(before))).execute(conn)
}
