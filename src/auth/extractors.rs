//! Authorisation lives here: a handler that takes `Staff` or `OrgManager` cannot forget the check.
use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use crate::auth::csrf;
use crate::auth::session_store::USER_ID_KEY;
use crate::domain::AppError;
use crate::domain::role::Role;
use crate::repo::organisations::Organisation;
use crate::repo::users::User;
use crate::repo::{memberships, organisations, users};
use crate::startup::AppState;
use crate::web::error::WebError;

type Extracting<T> = Pin<Box<dyn Future<Output = Result<T, WebError>>>>;

/// A signed-in user, with the session's form token for the page's forms.
pub struct SignedIn {
    pub user: User,
    pub csrf_token: String,
}

fn state(req: &HttpRequest) -> web::Data<AppState> {
    req.app_data::<web::Data<AppState>>()
        .expect("AppState is registered")
        .clone()
}

impl FromRequest for SignedIn {
    type Error = WebError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = req.get_session();
            let next = req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            let Some(user_id) = session.get::<i32>(USER_ID_KEY).ok().flatten() else {
                return Err(WebError::SignInRequired { next });
            };
            let user = state(&req)
                .db
                .run(move |conn| users::find(conn, user_id).map_err(AppError::from))
                .await?;
            let Some(user) = user else {
                session.purge();
                return Err(WebError::SignInRequired { next });
            };
            let csrf_token = csrf::token(&session)?;
            Ok(SignedIn { user, csrf_token })
        })
    }
}

/// A member of platform staff.
pub struct Staff(pub SignedIn);

impl FromRequest for Staff {
    type Error = WebError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        Box::pin(async move {
            let signed_in = signed_in.await?;
            if !signed_in.user.is_staff() {
                return Err(AppError::Forbidden.into());
            }
            Ok(Staff(signed_in))
        })
    }
}

/// A signed-in member of the organisation named by the `{slug}` in the path. Outsiders get 404:
/// they learn nothing, not even that the organisation exists.
pub struct OrgMember {
    pub signed_in: SignedIn,
    pub org: Organisation,
    pub role: Role,
}

impl FromRequest for OrgMember {
    type Error = WebError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        let slug = req.match_info().get("slug").unwrap_or_default().to_owned();
        let app = state(req);
        Box::pin(async move {
            let signed_in = signed_in.await?;
            let user_id = signed_in.user.id;
            let (org, role) = app
                .db
                .run(move |conn| {
                    let org =
                        organisations::find_by_slug(conn, &slug)?.ok_or(AppError::NotFound)?;
                    let role =
                        memberships::role_of(conn, user_id, org.id)?.ok_or(AppError::NotFound)?;
                    Ok::<_, AppError>((org, role))
                })
                .await?;
            let role = role
                .parse()
                .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?;
            Ok(OrgMember {
                signed_in,
                org,
                role,
            })
        })
    }
}

/// An owner or admin of the organisation in the path; members get 403.
pub struct OrgManager(pub OrgMember);

impl FromRequest for OrgManager {
    type Error = WebError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let member = OrgMember::from_request(req, payload);
        Box::pin(async move {
            let member = member.await?;
            if !member.role.can_manage() {
                return Err(AppError::Forbidden.into());
            }
            Ok(OrgManager(member))
        })
    }
}

/// The address a request came from, for throttling and the audit trail.
pub fn client_addr(req: &HttpRequest) -> String {
    let behind_proxy = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.config.trust_proxy);
    behind_proxy
        .then(|| forwarded_for(req))
        .flatten()
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// The last `X-Forwarded-For` entry: the one our own proxy appended. Earlier entries come from
/// the client and could be forged to dodge throttling.
fn forwarded_for(req: &HttpRequest) -> Option<std::net::IpAddr> {
    let header = req.headers().get_all("x-forwarded-for").last()?;
    header
        .to_str()
        .ok()?
        .rsplit(',')
        .next()?
        .trim()
        .parse()
        .ok()
}
