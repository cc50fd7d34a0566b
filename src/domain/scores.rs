//! NPS summaries of an organisation's feedback: overall, per period or per client. The database
//! counts (`repo::feedback`); this turns its tallies into `Counts` and puts clients' names on them.
use std::collections::HashMap;

use crate::db::DbConn;
use crate::domain::nps::Counts;
use crate::error::AppError;
use crate::repo::clients::{self, Client};
use crate::repo::feedback::{self, Filter, Period};

/// How a summary is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grouping {
    Period(Period),
    Client,
}

/// What one group of a summary is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupKey {
    /// A month (`2026-03`) or quarter (`2026-Q1`).
    Period(String),
    Client {
        id: i32,
        name: String,
    },
}

pub struct Summary {
    pub overall: Counts,
    /// With a grouping: periods oldest first or clients by name, only groups with responses.
    pub groups: Option<Vec<(GroupKey, Counts)>>,
}

pub fn totals(conn: &mut DbConn, org_id: i32, filter: &Filter) -> Result<Counts, AppError> {
    Ok(Counts::from_categories(feedback::totals(
        conn, org_id, filter,
    )?))
}

/// Counts per period that has responses, oldest first.
pub fn by_period(
    conn: &mut DbConn,
    org_id: i32,
    filter: &Filter,
    period: Period,
) -> Result<Vec<(String, Counts)>, AppError> {
    Ok(feedback::by_period(conn, org_id, filter, period)?
        .into_iter()
        .map(|(label, tally)| (label, Counts::from_categories(tally)))
        .collect())
}

/// Every client of the organisation, by name, with the counts of its matching responses.
pub fn by_client(
    conn: &mut DbConn,
    org_id: i32,
    filter: &Filter,
) -> Result<Vec<(Client, Counts)>, AppError> {
    let mut counts: HashMap<i32, Counts> = feedback::by_client(conn, org_id, filter)?
        .into_iter()
        .map(|(id, tally)| (id, Counts::from_categories(tally)))
        .collect();
    Ok(clients::list(conn, org_id)?
        .into_iter()
        .map(|client| {
            let counts = counts.remove(&client.id).unwrap_or_default();
            (client, counts)
        })
        .collect())
}

pub fn summarise(
    conn: &mut DbConn,
    org_id: i32,
    filter: &Filter,
    grouping: Option<Grouping>,
) -> Result<Summary, AppError> {
    let overall = totals(conn, org_id, filter)?;
    let groups = match grouping {
        None => None,
        Some(Grouping::Period(period)) => Some(
            by_period(conn, org_id, filter, period)?
                .into_iter()
                .map(|(label, counts)| (GroupKey::Period(label), counts))
                .collect(),
        ),
        Some(Grouping::Client) => Some(
            by_client(conn, org_id, filter)?
                .into_iter()
                .filter(|(_, counts)| counts.responses > 0)
                .map(|(client, counts)| {
                    let key = GroupKey::Client {
                        id: client.id,
                        name: client.name,
                    };
                    (key, counts)
                })
                .collect(),
        ),
    };
    Ok(Summary { overall, groups })
}
