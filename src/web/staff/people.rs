//! Staff and an organisation's people: inviting its owner (or inviting one again) from the
//! support view. Staff act as owners would, on owners' invitations only.
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::Staff;
use crate::domain::invitations;
use crate::domain::members::Acting;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::repo::organisations as org_repo;
use crate::state::AppState;
use crate::web::error::{WebError, see_other};
use crate::web::login::Empty;

/// Staff member `staff` acting on an organisation's people, as its owners may.
pub fn acting(staff: &Staff, addr: String) -> Acting {
    Acting {
        user_id: Some(staff.0.user.id),
        role: Role::Owner,
        addr,
    }
}

#[derive(Deserialize)]
pub struct OwnerForm {
    email: String,
}

/// Runs `act` on the organisation `slug`, then back to its support view saying `done`.
async fn on_organisation<T: Send + 'static>(
    state: &AppState,
    slug: String,
    act: impl FnOnce(&mut crate::db::DbConn, i32) -> Result<T, AppError> + Send + 'static,
    done: &str,
) -> Result<HttpResponse, WebError> {
    let slug = state
        .db
        .run(move |conn| {
            let org = org_repo::find_by_slug(conn, &slug)?.ok_or(AppError::NotFound)?;
            act(conn, org.id)?;
            Ok(org.slug)
        })
        .await?;
    Ok(see_other(&format!("/staff/orgs/{slug}?done={done}")))
}

pub async fn invite_owner(
    staff: Staff,
    ClientAddr(addr): ClientAddr,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    CsrfForm(form): CsrfForm<OwnerForm>,
) -> Result<HttpResponse, WebError> {
    let (by, now) = (acting(&staff, addr), state.clock.now());
    let invite = move |conn: &mut crate::db::DbConn, org_id| {
        invitations::invite(conn, org_id, (&form.email, Role::Owner), &by, now)
    };
    on_organisation(&state, slug.into_inner(), invite, "owner-invited").await
}

pub async fn resend_invitation(
    staff: Staff,
    ClientAddr(addr): ClientAddr,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<HttpResponse, WebError> {
    let (slug, id) = path.into_inner();
    let (by, now) = (acting(&staff, addr), state.clock.now());
    let resend =
        move |conn: &mut crate::db::DbConn, org_id| invitations::resend(conn, org_id, id, &by, now);
    on_organisation(&state, slug, resend, "invitation-resent").await
}
