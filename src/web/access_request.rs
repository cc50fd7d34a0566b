//! "Ask Clientshare to switch API access on": the owner's form on the API authentication screen
//! while API access is off, and how a request stands, as the screen and the staff support view
//! show it.
use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::OrgManager;
use crate::auth::session_marker;
use crate::domain::access_requests::{self, Standing};
use crate::domain::actor::Actor;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::error::{WebError, see_other};
use crate::web::time::TimeView;

/// How the organisation's latest request stands.
pub struct RequestView {
    pub open: bool,
    pub asked_at: TimeView,
    /// Who asked (open requests).
    pub by: String,
    pub note: String,
    /// When and why staff declined it.
    pub declined_at: Option<TimeView>,
    pub reason: String,
}

impl From<Standing> for RequestView {
    fn from(standing: Standing) -> Self {
        match standing {
            Standing::Open { asked_at, by, note } => RequestView {
                open: true,
                asked_at: asked_at.into(),
                by: by.unwrap_or_else(|| "someone no longer in Pulse".to_owned()),
                note,
                declined_at: None,
                reason: String::new(),
            },
            Standing::Declined {
                asked_at,
                at,
                reason,
            } => RequestView {
                open: false,
                asked_at: asked_at.into(),
                by: String::new(),
                note: String::new(),
                declined_at: Some(at.into()),
                reason,
            },
        }
    }
}

/// What the API authentication screen shows about asking, while API access is off.
pub struct AskPanel {
    /// Owners may ask (when no request is open).
    pub can_ask: bool,
    pub standing: Option<RequestView>,
    pub note_max: usize,
}

impl AskPanel {
    /// The panel for someone with `role` in organisation `organisation_id` (API access off).
    pub async fn load(
        state: &AppState,
        organisation_id: i32,
        role: Role,
    ) -> Result<Self, AppError> {
        let standing = state
            .db
            .run(move |conn| access_requests::standing(conn, organisation_id))
            .await?;
        let open = matches!(standing, Some(Standing::Open { .. }));
        Ok(AskPanel {
            can_ask: role == Role::Owner && !open,
            standing: standing.map(RequestView::from),
            note_max: access_requests::TEXT_MAX,
        })
    }
}

#[derive(Deserialize)]
pub struct AskForm {
    #[serde(default)]
    note: String,
}

/// `POST /orgs/{slug}/settings/api/request-access`: an owner asks; admins get 403.
pub async fn ask(
    ClientAddr(client_addr): ClientAddr,
    OrgManager(member): OrgManager,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<AskForm>,
) -> Result<HttpResponse, WebError> {
    if member.role != Role::Owner {
        return Err(AppError::Forbidden.into());
    }
    let actor = Actor {
        user_id: member.signed_in.user.id,
        session: session_marker::digest(&session)?,
        client_addr,
    };
    let (org_id, now) = (member.org.id, state.clock.now());
    state
        .db
        .run(move |conn| access_requests::ask(conn, org_id, &actor, &form.note, now))
        .await?;
    tracing::info!(org = %member.org.slug, "API access requested");
    Ok(see_other(&format!(
        "/orgs/{}/settings/api?done=access-requested",
        member.org.slug
    )))
}
