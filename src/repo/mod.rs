//! Query functions: each takes `&mut DbConn` and returns `QueryResult`.
pub mod access_requests;
pub mod api_tokens;
pub mod audit;
pub mod clients;
pub mod feedback;
pub mod invitations;
pub mod login_failures;
pub mod memberships;
pub mod organisations;
pub mod orgs_console;
pub mod outbox;
pub mod password_resets;
pub mod preferences;
pub mod rate_limits;
pub mod readiness_probes;
pub mod recovery_codes;
pub mod scores;
pub mod secrets;
pub mod sessions;
pub mod sign_in_places;
pub mod token_clients;
pub mod users;

/// `text` for a LIKE pattern with `\` as the escape character: `%`, `_` and `\` in it match only
/// themselves.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
