//! `TokenManager`: an owner or admin on the API authentication screen, with everything the
//! screen's actions need, gathered once per request.
use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::auth::client_addr::ClientAddr;
use crate::auth::error::AuthError;
use crate::auth::extractors::{OrgManager, OrgMember};
use crate::auth::session_store::remember;
use crate::domain::actor::Actor;
use crate::domain::reveal::RevealKey;
use crate::domain::secret;
use crate::error::AppError;
use crate::state::REVEAL_COOKIE;

/// Session keys: a random marker binding tokens to the session that generated them, and the id
/// of a token just issued (its first display is not a "reveal" for the audit trail).
const SESSION_MARKER_KEY: &str = "token_session";
const FRESH_TOKEN_KEY: &str = "token_fresh";

pub struct TokenManager {
    pub member: OrgMember,
    pub actor: Actor,
    /// The key from the `pulse_reveal` cookie, if the browser has one.
    pub reveal_key: Option<RevealKey>,
    pub session: Session,
}

/// Digest of this session's marker, created on first use. Created on the first visit, before
/// any form posts: concurrent posts from one session would otherwise each create a different one.
fn session_binding(session: &Session) -> Result<String, AppError> {
    let marker = match session.get::<String>(SESSION_MARKER_KEY) {
        Ok(Some(existing)) => existing,
        _ => {
            let fresh = secret::random_base62(43);
            remember(session, SESSION_MARKER_KEY, &fresh)?;
            fresh
        }
    };
    Ok(secret::sha256_hex(marker.as_bytes()))
}

impl TokenManager {
    pub fn org_id(&self) -> i32 {
        self.member.org.id
    }

    /// Notes that `token_id` was just issued to this session.
    pub fn mark_fresh(&self, token_id: i32) -> Result<(), AppError> {
        remember(&self.session, FRESH_TOKEN_KEY, &token_id)
    }

    /// The token issued to this session since the last visit, once.
    pub fn take_fresh(&self) -> Option<i32> {
        self.session.remove_as::<i32>(FRESH_TOKEN_KEY)?.ok()
    }
}

impl FromRequest for TokenManager {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let manager = OrgManager::from_request(req, payload);
        let session = req.get_session();
        let ClientAddr(client_addr) = ClientAddr::of(req);
        let reveal_key = req
            .cookie(REVEAL_COOKIE)
            .and_then(|c| RevealKey::from_cookie(c.value()));
        Box::pin(async move {
            let OrgManager(member) = manager.await?;
            let actor = Actor {
                user_id: member.signed_in.user.id,
                session: session_binding(&session)?,
                client_addr,
            };
            Ok(TokenManager {
                member,
                actor,
                reveal_key,
                session,
            })
        })
    }
}
