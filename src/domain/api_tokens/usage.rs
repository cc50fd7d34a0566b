//! Recording that a token was used: its *last used* time and who uses it (the latest distinct
//! client address and User-Agent pairs). An ordinary API request writes nothing: each instance
//! remembers when it last wrote each (token, client) and writes again at most once a minute, and
//! the UPDATEs themselves are conditional, so all instances together change a row at most once a
//! minute too.
use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{Duration, NaiveDateTime};

use super::TOKEN_FIRST_USED;
use crate::db::DbConn;
use crate::domain::user_agent;
use crate::error::AppError;
use crate::repo::api_tokens::{self, ApiToken};
use crate::repo::audit::{self, NewAuditEvent};
use crate::repo::token_clients;

/// How many distinct clients are kept per token (GitLab keeps the last 5 addresses too).
pub const CLIENTS_KEPT: i64 = 5;

/// Uses of one token by one client are written at most this often.
pub fn write_interval() -> Duration {
    Duration::seconds(60)
}

/// A client of the API, as the request identifies it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Client {
    pub addr: String,
    /// Cut to `user_agent::MAX_LEN`.
    pub user_agent: String,
}

impl Client {
    pub fn new(addr: String, user_agent: &str) -> Self {
        Self {
            addr,
            user_agent: user_agent::truncate(user_agent),
        }
    }
}

/// This instance's memory of when it last wrote each (token, client) use.
#[derive(Default)]
pub struct UsageLog {
    written: Mutex<HashMap<(i32, Client), NaiveDateTime>>,
}

/// Entries kept before the log starts afresh: a bound on memory, at the cost of one early write
/// per pair.
const LOG_CAPACITY: usize = 50_000;

impl UsageLog {
    /// Whether this use should be written now, noting it as written if so.
    pub fn due(&self, token_id: i32, client: &Client, now: NaiveDateTime) -> bool {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        let key = (token_id, client.clone());
        if written
            .get(&key)
            .is_some_and(|last| now - *last < write_interval())
        {
            return false;
        }
        if written.len() >= LOG_CAPACITY {
            written.clear();
        }
        written.insert(key, now);
        true
    }
}

/// Writes the use of `token` by `client` at `now`: *last used*, the client list (keeping the
/// latest `CLIENTS_KEPT`), and, once per token, the first use in the audit trail.
pub fn record_use(
    conn: &mut DbConn,
    token: &ApiToken,
    client: &Client,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let touched = api_tokens::touch_last_used(conn, token.id, now, write_interval())?;
    // The conditional UPDATE lets exactly one concurrent request see the first use.
    if touched == 1 && token.last_used_at.is_none() {
        audit::record(
            conn,
            &NewAuditEvent {
                organisation_id: Some(token.organisation_id),
                actor_user_id: None,
                action: TOKEN_FIRST_USED,
                detail: &format!(
                    "{} by {}",
                    token.display_prefix,
                    user_agent::describe(&client.user_agent)
                ),
                client_addr: Some(&client.addr),
                created_at: now,
            },
        )?;
    }
    let (addr, agent) = (&client.addr, &client.user_agent);
    if token_clients::record(conn, token.id, addr, agent, now, write_interval())? {
        token_clients::prune(conn, token.id, CLIENTS_KEPT)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_of_a_token_is_due_once_a_minute() {
        let log = UsageLog::default();
        let now = chrono::DateTime::UNIX_EPOCH.naive_utc();
        let excel = Client::new("10.0.0.1".into(), "Microsoft.Data.Mashup");
        let script = Client::new("10.0.0.1".into(), "python-requests/2.32");
        assert!(log.due(1, &excel, now));
        assert!(!log.due(1, &excel, now + Duration::seconds(59)));
        assert!(log.due(1, &script, now), "another client of the same token");
        assert!(
            log.due(2, &excel, now),
            "the same client with another token"
        );
        assert!(log.due(1, &excel, now + Duration::seconds(60)));
    }
}
