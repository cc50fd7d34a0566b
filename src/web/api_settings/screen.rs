//! What the screen shows, read from the database in one go: the active token, tokens still in
//! their grace period, and the history.
use chrono::NaiveDateTime;

use crate::domain::api_tokens as tokens;
use crate::domain::{AppError, now};
use crate::repo::api_tokens::{self, ApiToken};
use crate::repo::audit::{self, AuditEntry};
use crate::repo::users;
use crate::startup::AppState;
use crate::web::error::WebError;

const HISTORY_LIMIT: i64 = 25;

/// A time as `<time>` wants it (UTC, machine-readable) and as people read it in UTC.
pub struct TimeView {
    pub iso: String,
    pub utc: String,
}

impl From<NaiveDateTime> for TimeView {
    fn from(at: NaiveDateTime) -> Self {
        TimeView {
            iso: at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            utc: at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        }
    }
}

pub struct TokenView {
    pub id: i32,
    pub prefix: String,
    pub created_at: TimeView,
    pub created_by: String,
    pub last_used: Option<TimeView>,
}

/// The token in full, for its generator during the window.
pub struct Revealed {
    pub plaintext: String,
    pub until: TimeView,
    pub seconds_left: i64,
    pub fresh: bool,
}

pub struct GraceView {
    pub prefix: String,
    pub until: TimeView,
}

pub struct HistoryView {
    pub what: &'static str,
    pub detail: String,
    pub who: String,
    pub from: String,
    pub at: TimeView,
}

impl From<AuditEntry> for HistoryView {
    fn from(entry: AuditEntry) -> Self {
        HistoryView {
            what: match entry.action.as_str() {
                tokens::TOKEN_GENERATED => "Token generated",
                tokens::TOKEN_REGENERATED => "Token regenerated",
                tokens::TOKEN_REVEALED => "Token revealed again",
                tokens::TOKEN_COPIED => "Token copied",
                tokens::TOKEN_FIRST_USED => "Token first used by the API",
                crate::domain::organisations::API_ACCESS_ENABLED => "API access enabled",
                crate::domain::organisations::API_ACCESS_DISABLED => "API access disabled",
                _ => "Other",
            },
            detail: entry.detail,
            who: match (entry.actor_name, entry.action.as_str()) {
                (Some(name), _) => name,
                (None, tokens::TOKEN_FIRST_USED) => "API client".into(),
                (None, _) => "(deleted user)".into(),
            },
            from: entry.client_addr.unwrap_or_default(),
            at: entry.created_at.into(),
        }
    }
}

/// What the database knows for the screen.
pub struct Screen {
    pub token: Option<(ApiToken, TokenView)>,
    pub in_grace: Vec<GraceView>,
    pub history: Vec<HistoryView>,
}

pub async fn load_screen(state: &AppState, organisation_id: i32) -> Result<Screen, WebError> {
    let screen = state
        .db
        .run(move |conn| {
            let at = now();
            // Ciphertexts are useless once the window has passed; do not keep them around.
            api_tokens::clear_expired_reveals(conn, at)?;
            let token = match api_tokens::active_for_organisation(conn, organisation_id)? {
                Some(token) => {
                    let created_by = match token.created_by {
                        Some(id) => users::find(conn, id)?.map(|u| u.name),
                        None => None,
                    };
                    let view = TokenView {
                        id: token.id,
                        prefix: token.display_prefix.clone(),
                        created_at: token.created_at.into(),
                        created_by: created_by.unwrap_or_else(|| "(deleted user)".into()),
                        last_used: token.last_used_at.map(TimeView::from),
                    };
                    Some((token, view))
                }
                None => None,
            };
            let in_grace = api_tokens::in_grace_for_organisation(conn, organisation_id, at)?
                .into_iter()
                .filter_map(|t| {
                    Some(GraceView {
                        prefix: t.display_prefix,
                        until: t.expires_at?.into(),
                    })
                })
                .collect();
            let history = audit::recent_for_organisation(
                conn,
                organisation_id,
                &tokens::HISTORY_ACTIONS,
                HISTORY_LIMIT,
            )?
            .into_iter()
            .map(HistoryView::from)
            .collect();
            Ok::<_, AppError>(Screen {
                token,
                in_grace,
                history,
            })
        })
        .await?;
    Ok(screen)
}
