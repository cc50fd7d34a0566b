//! Owners' requests for API access (`domain::access_requests`): one open request per
//! organisation (a partial unique index), answered by staff.
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{api_access_requests, users};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = api_access_requests)]
pub struct AccessRequest {
    pub id: i32,
    pub organisation_id: i32,
    pub requested_by: Option<i32>,
    pub note: String,
    pub created_at: NaiveDateTime,
    pub answered_at: Option<NaiveDateTime>,
    pub answered_by: Option<i32>,
    /// `granted` or `declined` once answered.
    pub outcome: Option<String>,
    pub reason: Option<String>,
}

pub const GRANTED: &str = "granted";
pub const DECLINED: &str = "declined";

/// Opens a request; 0 when the organisation already has an open one (the partial unique index
/// decides, whatever the timing).
pub fn open(
    conn: &mut DbConn,
    organisation_id: i32,
    requested_by: i32,
    note: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let insert = diesel::insert_into(api_access_requests::table)
        .values((
            api_access_requests::organisation_id.eq(organisation_id),
            api_access_requests::requested_by.eq(Some(requested_by)),
            api_access_requests::note.eq(note),
            api_access_requests::created_at.eq(at),
        ))
        .on_conflict_do_nothing();
    // ON CONFLICT is not available through MultiConnection; each backend has it.
    match conn {
        DbConn::Sqlite(c) => insert.execute(c),
        DbConn::Postgres(c) => insert.execute(c),
    }
}

/// The organisation's latest request (open or answered), with the name of who asked.
pub fn latest(
    conn: &mut DbConn,
    organisation_id: i32,
) -> QueryResult<Option<(AccessRequest, Option<String>)>> {
    api_access_requests::table
        .left_join(users::table.on(users::id.nullable().eq(api_access_requests::requested_by)))
        .filter(api_access_requests::organisation_id.eq(organisation_id))
        .order((
            api_access_requests::created_at.desc(),
            api_access_requests::id.desc(),
        ))
        .select((AccessRequest::as_select(), users::name.nullable()))
        .first(conn)
        .optional()
}

/// Answers the organisation's open request with `outcome`; the request answered, if one was
/// open.
pub fn answer(
    conn: &mut DbConn,
    organisation_id: i32,
    (outcome, reason): (&str, Option<&str>),
    by: i32,
    at: NaiveDateTime,
) -> QueryResult<Option<AccessRequest>> {
    let open = api_access_requests::table
        .filter(api_access_requests::organisation_id.eq(organisation_id))
        .filter(api_access_requests::answered_at.is_null());
    let Some(request) = open
        .select(AccessRequest::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let answered = diesel::update(
        api_access_requests::table
            .find(request.id)
            .filter(api_access_requests::answered_at.is_null()),
    )
    .set((
        api_access_requests::answered_at.eq(Some(at)),
        api_access_requests::answered_by.eq(Some(by)),
        api_access_requests::outcome.eq(Some(outcome)),
        api_access_requests::reason.eq(reason),
    ))
    .execute(conn)?;
    Ok((answered == 1).then_some(request))
}
