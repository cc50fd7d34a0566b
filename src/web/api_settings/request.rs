//! `ScreenRequest`: one request to the API authentication screen by an owner or admin, with
//! everything the screen's handlers need (the membership, the `Actor`, the new token's nonce,
//! the session), gathered once.
use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::auth::client_addr::ClientAddr;
use crate::auth::error::AuthError;
use crate::auth::extractors::{OrgManager, OrgMember};
use crate::auth::session_marker;
use crate::domain::actor::Actor;
use crate::state::{AppState, NEW_TOKEN_COOKIE};
use crate::web::error::WebError;
use crate::web::sudo::{Purpose, SudoForm};

pub struct ScreenRequest {
    pub member: OrgMember,
    pub actor: Actor,
    /// The nonce of the first display of a token just issued to this browser (the
    /// `pulse_new_token` cookie); it works once.
    pub new_token: Option<String>,
    pub session: Session,
}

/// The screen's address for the organisation `slug`.
pub fn screen_path(slug: &str) -> String {
    format!("/orgs/{slug}/settings/api")
}

impl ScreenRequest {
    pub fn org_id(&self) -> i32 {
        self.member.org.id
    }

    pub fn slug(&self) -> &str {
        &self.member.org.slug
    }

    /// The form's fields once the password was entered recently enough to `to` (e.g. "revoke
    /// the token"); the password prompt, with Cancel back to the screen, otherwise.
    pub async fn recheck_password<T>(
        &self,
        form: SudoForm<T>,
        state: &AppState,
        to: &str,
    ) -> Result<T, WebError> {
        let back = screen_path(self.slug());
        let who = (
            &self.member.signed_in,
            &self.session,
            self.actor.client_addr.as_str(),
        );
        form.recheck(who, state, &Purpose { to, back: &back }).await
    }
}

impl FromRequest for ScreenRequest {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let manager = OrgManager::from_request(req, payload);
        let session = req.get_session();
        let ClientAddr(client_addr) = ClientAddr::of(req);
        let new_token = req.cookie(NEW_TOKEN_COOKIE).map(|c| c.value().to_owned());
        Box::pin(async move {
            let OrgManager(member) = manager.await?;
            let actor = Actor {
                user_id: member.signed_in.user.id,
                session: session_marker::digest(&session)?,
                client_addr,
            };
            Ok(ScreenRequest {
                member,
                actor,
                new_token,
                session,
            })
        })
    }
}
