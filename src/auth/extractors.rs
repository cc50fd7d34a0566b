//! Authorisation lives here: a handler that takes `Staff` or `OrgManager` cannot forget the check.
//! Each guard is built on the one before: `SignedIn` → `Staff`, `SignedIn` → `OrgMember` →
//! `OrgManager`.
use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::http::{Method, Uri, header};
use actix_web::{FromRequest, HttpRequest, web};
use anyhow::Context;

use crate::auth::csrf;
use crate::auth::error::AuthError;
use crate::auth::session_store::USER_ID_KEY;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::repo::organisations::Organisation;
use crate::repo::users::User;
use crate::repo::{memberships, organisations, users};
use crate::state::AppState;

type Extracting<T> = Pin<Box<dyn Future<Output = Result<T, AuthError>>>>;

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
    type Error = AuthError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = req.get_session();
            let refused = sign_in_required(&req);
            let Some(user_id) = session.get::<i32>(USER_ID_KEY).ok().flatten() else {
                return Err(refused);
            };
            let user = state(&req)
                .db
                .run(move |conn| Ok(users::find(conn, user_id)?))
                .await?;
            // A disabled account's sessions end at once; one created on another instance just
            // before is refused here.
            let Some(user) = user.filter(|user| !user.is_disabled()) else {
                session.purge();
                return Err(refused);
            };
            let csrf_token = csrf::token(&session)?;
            Ok(SignedIn { user, csrf_token })
        })
    }
}

/// Where the sign-in page sends the person back to: the page asked for; for a form posted
/// after the session ended (an action, which is not done), the page the form was on, as its
/// same-site `Referer` names it.
fn sign_in_required(req: &HttpRequest) -> AuthError {
    let here = req.uri().path_and_query().map_or("/", |p| p.as_str());
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return AuthError::SignInRequired {
            next: here.to_owned(),
            interrupted: false,
        };
    }
    let host = req.connection_info().host().to_owned();
    let form_page = req
        .headers()
        .get(header::REFERER)
        .and_then(|referer| referer.to_str().ok())
        .and_then(|referer| referer.parse::<Uri>().ok())
        .filter(|referer| referer.authority().is_some_and(|a| a.as_str() == host))
        .and_then(|referer| referer.path_and_query().map(|p| p.as_str().to_owned()));
    AuthError::SignInRequired {
        next: form_page.unwrap_or_else(|| "/".to_owned()),
        interrupted: true,
    }
}

/// A member of platform staff.
pub struct Staff(pub SignedIn);

impl FromRequest for Staff {
    type Error = AuthError;
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
    type Error = AuthError;
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
                    let role: Role = memberships::role_of(conn, user_id, org.id)?
                        .ok_or(AppError::NotFound)?
                        .parse()
                        .map_err(anyhow::Error::msg)
                        .context("stored membership role")?;
                    Ok((org, role))
                })
                .await?;
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
    type Error = AuthError;
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
