use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{clients, feedback_by_client};

/// All-time (promoters, passives, detractors) of a client.
pub type Totals = (i32, i32, i32);

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = clients)]
pub struct Client {
    pub id: i32,
    pub organisation_id: i32,
    pub name: String,
    pub created_at: NaiveDateTime,
}

pub fn find_by_name(conn: &mut DbConn, org_id: i32, name: &str) -> QueryResult<Option<Client>> {
    clients::table
        .filter(clients::organisation_id.eq(org_id))
        .filter(clients::name.eq(name))
        .select(Client::as_select())
        .first(conn)
        .optional()
}

/// The organisation's client of that name, created if new. Callers hold a transaction.
///
/// Two imports may meet the same new name at once. The insert leaves an existing row alone
/// (`ON CONFLICT DO NOTHING`): on PostgreSQL it waits for a rival's uncommitted insert of the
/// name and then does nothing, where a plain insert would fail on the unique index; the read
/// after it sees the rival's committed row.
pub fn find_or_create(
    conn: &mut DbConn,
    org_id: i32,
    name: &str,
    at: NaiveDateTime,
) -> QueryResult<Client> {
    if let Some(client) = find_by_name(conn, org_id, name)? {
        return Ok(client);
    }
    let insert = diesel::insert_into(clients::table)
        .values((
            clients::organisation_id.eq(org_id),
            clients::name.eq(name),
            clients::created_at.eq(at),
        ))
        .on_conflict((clients::organisation_id, clients::name))
        .do_nothing();
    // Neither ON CONFLICT nor RETURNING is available through MultiConnection; each backend has
    // the former, and the row is read back by its unique name.
    match conn {
        DbConn::Sqlite(c) => insert.execute(c)?,
        DbConn::Postgres(c) => insert.execute(c)?,
    };
    find_by_name(conn, org_id, name)?.ok_or(diesel::result::Error::NotFound)
}

/// Every client of the organisation, by name, with its all-time counts (promoters, passives,
/// detractors; none without responses), in one query.
pub fn list_with_totals(
    conn: &mut DbConn,
    org_id: i32,
) -> QueryResult<Vec<(Client, Option<Totals>)>> {
    clients::table
        .left_join(feedback_by_client::table)
        .filter(clients::organisation_id.eq(org_id))
        .order((clients::name.asc(), clients::id.asc()))
        .select((
            Client::as_select(),
            (
                feedback_by_client::promoters,
                feedback_by_client::passives,
                feedback_by_client::detractors,
            )
                .nullable(),
        ))
        .load(conn)
}

pub fn list(conn: &mut DbConn, org_id: i32) -> QueryResult<Vec<Client>> {
    clients::table
        .filter(clients::organisation_id.eq(org_id))
        .order((clients::name.asc(), clients::id.asc()))
        .select(Client::as_select())
        .load(conn)
}
