//! The mail outbox: one row per message, written in the transaction of the event it tells of
//! (`domain::notices`), claimed and settled by the sender (`mail::sender`).
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::mail_outbox;

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
/// Never to be sent: kept so that a request for an address without an account costs the same
/// work as one with (`domain::password_reset`), and so staff can see that it came.
pub const DROPPED: &str = "dropped";

#[derive(Insertable)]
#[diesel(table_name = mail_outbox)]
pub struct NewMessage<'a> {
    pub message_key: &'a str,
    pub kind: &'a str,
    pub recipient: &'a str,
    pub recipient_name: &'a str,
    pub payload: &'a str,
    pub link_secret: Option<&'a str>,
    pub status: &'a str,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
    pub give_up_at: NaiveDateTime,
    pub last_error: Option<&'a str>,
}

pub fn enqueue(conn: &mut DbConn, message: &NewMessage) -> QueryResult<()> {
    diesel::insert_into(mail_outbox::table)
        .values(message)
        .execute(conn)
        .map(|_| ())
}

/// A message as the sender needs it. The link secret is a secret: not `Debug`-printed.
#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = mail_outbox)]
pub struct OutboxMessage {
    pub id: i32,
    pub message_key: String,
    pub kind: String,
    pub recipient: String,
    pub recipient_name: String,
    pub payload: String,
    pub link_secret: Option<String>,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
    pub give_up_at: NaiveDateTime,
    pub leased_until: Option<NaiveDateTime>,
}

impl std::fmt::Debug for OutboxMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMessage")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Whether any message is due at `now`: a read, so an idle sender takes no write lock.
pub fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        mail_outbox::table
            .filter(mail_outbox::status.eq(QUEUED))
            .filter(mail_outbox::next_attempt_at.le(now))
            .filter(
                mail_outbox::leased_until
                    .is_null()
                    .or(mail_outbox::leased_until.le(now)),
            ),
    ))
    .get_result(conn)
}

diesel::alias!(mail_outbox as picked_outbox: PickedOutbox);
const PICKED: diesel::query_source::Alias<PickedOutbox> = picked_outbox;

/// Claims up to `limit` due messages for `owner` until `lease_until`, counting an attempt for
/// each, and returns them. On PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`, so
/// an instance skips the rows another is claiming (and re-checks a row that changed meanwhile);
/// SQLite claims under its single write lock. Either way every message is claimed by one sender
/// at a time, and a lease that ran out (its sender died) is taken over.
pub fn claim_due(
    conn: &mut DbConn,
    owner: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxMessage>> {
    use mail_outbox::dsl as o;
    let picked = PICKED
        .filter(PICKED.field(o::status).eq(QUEUED))
        .filter(PICKED.field(o::next_attempt_at).le(now))
        .filter(
            PICKED
                .field(o::leased_until)
                .is_null()
                .or(PICKED.field(o::leased_until).le(now)),
        )
        .order((
            PICKED.field(o::next_attempt_at).asc(),
            PICKED.field(o::id).asc(),
        ))
        .limit(limit)
        .select(PICKED.field(o::id));
    let due = o::mail_outbox
        .filter(o::status.eq(QUEUED))
        .filter(o::leased_until.is_null().or(o::leased_until.le(now)));
    let claim = (
        o::leased_until.eq(Some(lease_until)),
        o::lease_owner.eq(Some(owner)),
        o::attempts.eq(o::attempts + 1),
    );
    match conn {
        // Locked rows first, then the update, in one transaction: inside a single UPDATE,
        // PostgreSQL may rescan the locking subquery for each row and so claim far more than
        // `limit` (it skips the rows it has just updated itself).
        DbConn::Postgres(_) => conn.write_transaction(|conn| {
            let DbConn::Postgres(pg) = conn else {
                unreachable!("a PostgreSQL connection stays one")
            };
            let ids: Vec<i32> = picked.for_update().skip_locked().load(pg)?;
            diesel::update(due.filter(o::id.eq_any(ids)))
                .set(claim)
                .execute(pg)
        })?,
        // One statement under SQLite's single write lock; its subquery is evaluated once.
        DbConn::Sqlite(sqlite) => diesel::update(due.filter(o::id.eq_any(picked)))
            .set(claim)
            .execute(sqlite)?,
    };
    o::mail_outbox
        .filter(o::lease_owner.eq(owner))
        .filter(o::status.eq(QUEUED))
        .order((o::next_attempt_at.asc(), o::id.asc()))
        .select(OutboxMessage::as_select())
        .load(conn)
}

/// What settling a claimed message changes; `None` fields stay as they are.
#[derive(AsChangeset)]
#[diesel(table_name = mail_outbox)]
struct Settlement<'a> {
    status: &'a str,
    next_attempt_at: Option<NaiveDateTime>,
    finished_at: Option<NaiveDateTime>,
    last_error: Option<&'a str>,
    link_secret: Option<Option<&'a str>>,
    leased_until: Option<Option<NaiveDateTime>>,
    lease_owner: Option<Option<&'a str>>,
}

/// Applies `settlement` to message `id` while `owner` holds its lease, which it gives up: 0 when
/// the lease was lost meanwhile (it ran out and another sender took the message).
fn settle(
    conn: &mut DbConn,
    (id, owner): (i32, &str),
    settlement: &Settlement,
) -> QueryResult<usize> {
    diesel::update(
        mail_outbox::table
            .find(id)
            .filter(mail_outbox::lease_owner.eq(owner))
            .filter(mail_outbox::status.eq(QUEUED)),
    )
    .set(settlement)
    .execute(conn)
}

/// Settles a claimed message for good: `SENT`, or `FAILED` with `error`. Its link secret goes.
pub fn finish(
    conn: &mut DbConn,
    lease: (i32, &str),
    outcome: &str,
    error: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let settlement = Settlement {
        status: outcome,
        next_attempt_at: None,
        finished_at: Some(at),
        last_error: error,
        link_secret: Some(None),
        leased_until: Some(None),
        lease_owner: Some(None),
    };
    settle(conn, lease, &settlement)
}

/// Puts a claimed message back in the queue after a temporary failure, due again at `next`.
pub fn retry_later(
    conn: &mut DbConn,
    lease: (i32, &str),
    next: NaiveDateTime,
    error: &str,
) -> QueryResult<usize> {
    let settlement = Settlement {
        status: QUEUED,
        next_attempt_at: Some(next),
        finished_at: None,
        last_error: Some(error),
        link_secret: None,
        leased_until: Some(None),
        lease_owner: Some(None),
    };
    settle(conn, lease, &settlement)
}

/// Queues a failed message again (staff pressed Retry), due now, with a new 24-hour window.
/// 0 when it is not failed (any more).
pub fn requeue_failed(
    conn: &mut DbConn,
    id: i32,
    now: NaiveDateTime,
    give_up_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        mail_outbox::table
            .filter(mail_outbox::id.eq(id))
            .filter(mail_outbox::status.eq(FAILED)),
    )
    .set((
        mail_outbox::status.eq(QUEUED),
        mail_outbox::next_attempt_at.eq(now),
        mail_outbox::give_up_at.eq(give_up_at),
        mail_outbox::finished_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
}

/// Messages waiting to be sent: the outbox's depth (for staff and metrics), one indexed count.
pub fn depth(conn: &mut DbConn) -> QueryResult<i64> {
    mail_outbox::table
        .filter(mail_outbox::status.eq(QUEUED))
        .count()
        .get_result(conn)
}

/// How many messages are in each state.
pub fn count_by_status(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    mail_outbox::table
        .group_by(mail_outbox::status)
        .select((mail_outbox::status, diesel::dsl::count_star()))
        .load(conn)
}

/// A message as staff see it: the envelope and its fate, never the link secret.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = mail_outbox)]
pub struct OutboxEntry {
    pub id: i32,
    pub kind: String,
    pub recipient: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub finished_at: Option<NaiveDateTime>,
    /// Whether it still holds a link secret (staff see only that).
    #[diesel(select_expression = mail_outbox::link_secret.is_not_null())]
    #[diesel(select_expression_type = diesel::dsl::IsNotNull<mail_outbox::link_secret>)]
    pub link_secret_kept: bool,
}

/// The newest messages (in `status`, if given), before id `before` if given.
pub fn newest(
    conn: &mut DbConn,
    status: Option<&str>,
    before: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<OutboxEntry>> {
    let mut query = mail_outbox::table.into_boxed();
    if let Some(status) = status {
        query = query.filter(mail_outbox::status.eq(status));
    }
    if let Some(before) = before {
        query = query.filter(mail_outbox::id.lt(before));
    }
    query
        .order(mail_outbox::id.desc())
        .limit(limit)
        .select(OutboxEntry::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<OutboxEntry>> {
    mail_outbox::table
        .find(id)
        .select(OutboxEntry::as_select())
        .first(conn)
        .optional()
}

/// Forgets settled messages (sent, failed, dropped) finished or created before `before`.
pub fn delete_settled_before(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        mail_outbox::table
            .filter(mail_outbox::status.ne(QUEUED))
            .filter(mail_outbox::created_at.lt(before)),
    )
    .execute(conn)
}
