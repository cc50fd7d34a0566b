//! `/orgs/{slug}/settings/members`: owners and admins see the members (name, email, role,
//! two-factor sign-in, last sign-in), the pending invitations and the history of changes, and
//! invite, resend, cancel, change roles and remove as `domain::members` allows; members get 403,
//! outsiders 404. `POST /orgs/{slug}/leave` lets any member leave. Inviting, changing a role and
//! removing someone ask for the password (sudo mode).
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::auth::client_addr::ClientAddr;
use crate::auth::csrf::CsrfForm;
use crate::auth::extractors::{OrgManager, OrgMember};
use crate::db::DbConn;
use crate::domain::invitations;
use crate::domain::members::{self, Acting, MembersPage};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::repo::audit::AuditEntry;
use crate::repo::invitations::Pending;
use crate::state::AppState;
use crate::web::api_settings::view::{HistoryPageView, HistoryView, encode_cursor, history_before};
use crate::web::error::{WebError, render_with_status, see_other};
use crate::web::layout::Nav;
use crate::web::login::Empty;
use crate::web::sudo::{Purpose, SudoForm};
use crate::web::time::TimeView;

pub struct MemberView {
    pub user_id: i32,
    pub name: String,
    pub email: String,
    pub role: String,
    pub two_factor: bool,
    pub last_sign_in: Option<TimeView>,
    /// Whether the viewer may remove them.
    pub removable: bool,
    pub is_you: bool,
}

impl MemberView {
    pub fn has_role(&self, role: &str) -> bool {
        self.role == role
    }
}

pub struct InvitationView {
    pub id: i32,
    pub email: String,
    pub role: String,
    pub invited_by: String,
    pub at: TimeView,
    pub expires: TimeView,
    /// Whether the viewer may resend or cancel it.
    pub manageable: bool,
}

impl From<Pending> for InvitationView {
    fn from(p: Pending) -> Self {
        InvitationView {
            manageable: true,
            id: p.invitation.id,
            email: p.invitation.email,
            role: p.invitation.role,
            invited_by: p.invited_by.unwrap_or_else(|| "(deleted user)".into()),
            at: p.invitation.created_at.into(),
            expires: p.invitation.expires_at.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "orgs/members.html")]
struct Page {
    nav: Option<Nav>,
    csrf_token: String,
    name: String,
    slug: String,
    /// The roles the viewer may invite, most powerful first.
    invitable: Vec<&'static str>,
    all_roles: [&'static str; 3],
    can_change_roles: bool,
    members: Vec<MemberView>,
    invitations: Vec<InvitationView>,
    history: HistoryPageView,
    history_url: String,
    /// Where the invitations' Resend and Cancel post to.
    invitations_url: String,
    notice: Option<&'static str>,
    error: Option<String>,
    /// The invite form's values, kept when it is refused.
    email: String,
}

fn what(action: &str) -> &'static str {
    match action {
        members::INVITED => "Invited",
        members::INVITATION_RESENT => "Invitation sent again",
        members::INVITATION_CANCELLED => "Invitation cancelled",
        members::JOINED => "Joined",
        members::ROLE_CHANGED => "Role changed",
        members::REMOVED => "Removed",
        members::LEFT => "Left",
        _ => "Other",
    }
}

fn history_entry(entry: &AuditEntry) -> HistoryView {
    HistoryView {
        what: what(&entry.action),
        detail: entry.detail.clone(),
        who: entry
            .actor_name
            .clone()
            .unwrap_or_else(|| "(deleted user)".into()),
        from: entry.client_addr.clone().unwrap_or_default(),
        at: entry.created_at.into(),
    }
}

fn view(member: &OrgMember, loaded: MembersPage, paged: bool, nav: Nav) -> Page {
    let by = member.role;
    let role_of = |raw: &str| raw.parse::<Role>().unwrap_or(Role::Owner);
    let members = loaded
        .members
        .into_iter()
        .map(|m| MemberView {
            removable: m.user_id != member.signed_in.user.id
                && members::may_manage(by, role_of(&m.role)),
            is_you: m.user_id == member.signed_in.user.id,
            user_id: m.user_id,
            name: m.name,
            email: m.email,
            role: m.role,
            two_factor: m.two_factor,
            last_sign_in: m.last_sign_in.map(TimeView::from),
        })
        .collect();
    let invitations = loaded
        .invitations
        .into_iter()
        .map(|p| InvitationView {
            manageable: members::may_manage(by, role_of(&p.invitation.role)),
            ..InvitationView::from(p)
        })
        .collect();
    let invitable = [Role::Owner, Role::Admin, Role::Member]
        .into_iter()
        .filter(|role| members::may_manage(by, *role))
        .map(Role::as_str)
        .collect();
    Page {
        nav: Some(nav),
        csrf_token: member.signed_in.csrf_token.clone(),
        name: member.org.name.clone(),
        slug: member.org.slug.clone(),
        invitable,
        all_roles: ["owner", "admin", "member"],
        can_change_roles: members::may_change_roles(by),
        members,
        invitations,
        history: HistoryPageView {
            entries: loaded.history.entries.iter().map(history_entry).collect(),
            older: loaded.history.older.map(encode_cursor),
            paged,
        },
        history_url: members_path(&member.org.slug),
        invitations_url: format!("{}/invitations", members_path(&member.org.slug)),
        notice: None,
        error: None,
        email: String::new(),
    }
}

pub fn members_path(slug: &str) -> String {
    format!("/orgs/{slug}/settings/members")
}

/// Loads and renders the page, with `error` (and the invite form's `email`) when an action was
/// refused.
async fn render_page(
    member: &OrgMember,
    state: &AppState,
    (before, notice): (Option<&str>, Option<&'static str>),
    refused: Option<(AppError, String)>,
) -> Result<HttpResponse, WebError> {
    let before = history_before(before, "the members page")?;
    let (org_id, now) = (member.org.id, state.clock.now());
    let loaded = state
        .db
        .run(move |conn| members::page(conn, org_id, before, now))
        .await?;
    let nav = Nav::for_member(member, state).await?;
    let mut page = view(member, loaded, before.is_some(), nav);
    page.notice = notice;
    let status = match refused {
        Some((error, email)) => {
            let status = error.status();
            page.email = email;
            page.error = Some(match error {
                AppError::Invalid(message) | AppError::Conflict(message) => message,
                other => return Err(other.into()),
            });
            status
        }
        None => StatusCode::OK,
    };
    render_with_status(&page, status)
}

#[derive(Deserialize)]
pub struct PageQuery {
    before: Option<String>,
    done: Option<String>,
}

fn notice(done: &str) -> Option<&'static str> {
    match done {
        "invited" => Some("Invitation sent: the link in it works for 7 days."),
        "resent" => Some("Invitation sent again with a new link; the old link no longer works."),
        "cancelled" => Some("Invitation cancelled: its link no longer works."),
        "role" => Some("Role changed: it applies from their next request."),
        "removed" => Some("Removed: they no longer have access to the organisation."),
        _ => None,
    }
}

pub async fn show(
    OrgManager(member): OrgManager,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, WebError> {
    let done = query.done.as_deref().and_then(notice);
    render_page(&member, &state, (query.before.as_deref(), done), None).await
}

/// Runs `work` for the organisation of `member`, acting from `addr`, then answers: back to the
/// page saying `done`, or the page with why nothing changed (the invite form keeps `email`); a
/// 403 stays an error page.
async fn act<T: Send + 'static>(
    (member, addr): (&OrgMember, String),
    state: &AppState,
    work: impl FnOnce(&mut DbConn, i32, &Acting, NaiveDateTime) -> Result<T, AppError> + Send + 'static,
    (done, email): (&str, String),
) -> Result<HttpResponse, WebError> {
    let by = Acting {
        user_id: Some(member.signed_in.user.id),
        role: member.role,
        addr,
    };
    let (org_id, now) = (member.org.id, state.clock.now());
    let outcome = state.db.run(move |conn| work(conn, org_id, &by, now)).await;
    match outcome {
        Ok(_) => {
            tracing::info!(org = %member.org.slug, done, "members changed");
            Ok(see_other(&format!(
                "{}?done={done}",
                members_path(&member.org.slug)
            )))
        }
        Err(error @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            render_page(member, state, (None, None), Some((error, email))).await
        }
        Err(other) => Err(other.into()),
    }
}

/// The form's fields once the password was entered recently (sudo mode).
async fn confirm<T>(
    member: &OrgMember,
    (session, addr): (&Session, &str),
    state: &AppState,
    (form, to): (SudoForm<T>, &str),
) -> Result<T, WebError> {
    let back = members_path(&member.org.slug);
    form.recheck(
        (&member.signed_in, session, addr),
        state,
        &Purpose { to, back: &back },
    )
    .await
}

fn parse_role(raw: &str) -> Result<Role, AppError> {
    raw.parse::<Role>().map_err(AppError::Invalid)
}

#[derive(Deserialize)]
pub struct InviteForm {
    email: String,
    role: String,
}

pub async fn invite(
    OrgManager(member): OrgManager,
    ClientAddr(addr): ClientAddr,
    session: Session,
    state: web::Data<AppState>,
    form: SudoForm<InviteForm>,
) -> Result<HttpResponse, WebError> {
    let form = confirm(&member, (&session, &addr), &state, (form, "invite someone")).await?;
    let role = parse_role(&form.role)?;
    let email = form.email.clone();
    let work = move |conn: &mut DbConn, org_id, by: &Acting, now| {
        invitations::invite(conn, org_id, (&email, role), by, now)
    };
    act((&member, addr), &state, work, ("invited", form.email)).await
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

pub async fn change_role(
    OrgManager(member): OrgManager,
    ClientAddr(addr): ClientAddr,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
    form: SudoForm<RoleForm>,
) -> Result<HttpResponse, WebError> {
    let form = confirm(&member, (&session, &addr), &state, (form, "change a role")).await?;
    let (role, user_id) = (parse_role(&form.role)?, path.into_inner().1);
    let work = move |conn: &mut DbConn, org_id, by: &Acting, now| {
        members::change_role(conn, org_id, (user_id, role), by, now)
    };
    act((&member, addr), &state, work, ("role", String::new())).await
}

pub async fn remove(
    OrgManager(member): OrgManager,
    ClientAddr(addr): ClientAddr,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
    form: SudoForm<Empty>,
) -> Result<HttpResponse, WebError> {
    confirm(
        &member,
        (&session, &addr),
        &state,
        (form, "remove a member"),
    )
    .await?;
    let user_id = path.into_inner().1;
    let work = move |conn: &mut DbConn, org_id, by: &Acting, now| {
        members::remove(conn, org_id, user_id, by, now)
    };
    act((&member, addr), &state, work, ("removed", String::new())).await
}

/// What can be done to a pending invitation.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum InvitationAction {
    Resend,
    Cancel,
}

/// Resends (a new link; the old one dies) or cancels a pending invitation.
pub async fn invitation(
    OrgManager(member): OrgManager,
    ClientAddr(addr): ClientAddr,
    state: web::Data<AppState>,
    path: web::Path<(String, i32, InvitationAction)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<HttpResponse, WebError> {
    let (_, id, action) = path.into_inner();
    let work = move |conn: &mut DbConn, org_id, by: &Acting, now| match action {
        InvitationAction::Resend => invitations::resend(conn, org_id, id, by, now).map(|_| ()),
        InvitationAction::Cancel => invitations::cancel(conn, org_id, id, by, now).map(|_| ()),
    };
    let done = match action {
        InvitationAction::Resend => "resent",
        InvitationAction::Cancel => "cancelled",
    };
    act((&member, addr), &state, work, (done, String::new())).await
}

/// Any member leaves the organisation (unless they are its last owner): to their list of
/// organisations, or the organisation's page saying why not.
pub async fn leave(
    member: OrgMember,
    ClientAddr(addr): ClientAddr,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<HttpResponse, WebError> {
    let (org_id, user_id, now) = (member.org.id, member.signed_in.user.id, state.clock.now());
    state
        .db
        .run(move |conn| members::leave(conn, org_id, user_id, &addr, now))
        .await?;
    tracing::info!(org = %member.org.slug, "left an organisation");
    Ok(see_other("/"))
}
