//! Who performs an action on the API authentication screen.

/// A signed-in user acting in one browser session from one address. Built once per request by
/// the web layer; the domain records it in the audit trail and binds reveals to its session.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: i32,
    /// Digest of a random marker kept in the session's state (never the session key itself).
    pub session: String,
    pub client_addr: String,
}
