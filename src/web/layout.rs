//! What the shared layout (`templates/base.html`) shows around every page.
use crate::auth::extractors::{OrgMember, SignedIn};
use crate::domain::api_tokens::{expiry_warning, screen};
use crate::error::AppError;
use crate::repo::api_tokens;
use crate::state::AppState;
use crate::web::time::TimeView;

/// What the shared layout shows about the signed-in user.
pub struct Nav {
    pub user_name: String,
    pub is_staff: bool,
    pub csrf_token: String,
    /// The zone the page's script shows times in (`domain::time_zone`); the browser's if `None`.
    pub time_zone: Option<String>,
    pub banner: Option<ExpiryBanner>,
    /// On an organisation's pages, for owners and admins: its token was reported exposed (and
    /// revoked) and no new one has replaced it; the token screen's address.
    pub exposed: Option<String>,
}

/// On an organisation's pages, for owners and admins: the API token expires soon, or has.
pub struct ExpiryBanner {
    pub prefix: String,
    pub at: TimeView,
    pub expired: bool,
    pub screen: String,
}

impl From<&SignedIn> for Nav {
    fn from(signed_in: &SignedIn) -> Self {
        Nav {
            user_name: signed_in.user.name.clone(),
            is_staff: signed_in.user.is_staff(),
            csrf_token: signed_in.csrf_token.clone(),
            time_zone: signed_in.user.time_zone.clone(),
            banner: None,
            exposed: None,
        }
    }
}

impl Nav {
    /// The layout of an organisation's page; for owners and admins, with the expiry banner when
    /// the current token has expired or expires within `api_tokens::expiry_warning`.
    pub async fn for_member(member: &OrgMember, state: &AppState) -> Result<Self, AppError> {
        let nav = Nav::from(&member.signed_in);
        if !member.role.can_manage() {
            return Ok(nav);
        }
        let org_id = member.org.id;
        let (token, exposed) = state
            .db
            .run(move |conn| {
                let token = api_tokens::current_for_organisation(conn, org_id)?;
                let exposed = screen::exposure(conn, org_id, token.as_ref())?.is_some();
                Ok((token, exposed))
            })
            .await?;
        let screen = format!("/orgs/{}/settings/api", member.org.slug);
        let now = state.clock.now();
        let banner = token
            .and_then(|t| Some((t.display_prefix, t.expires_at?)))
            .filter(|(_, at)| *at - now <= expiry_warning())
            .map(|(prefix, at)| ExpiryBanner {
                prefix,
                at: at.into(),
                expired: at <= now,
                screen: screen.clone(),
            });
        Ok(Nav {
            banner,
            exposed: exposed.then_some(screen),
            ..nav
        })
    }
}
