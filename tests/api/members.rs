//! Members and roles (README: "Members and roles"): who sees the members page, who may invite,
//! change roles and remove whom (a roles × actions matrix), the last owner, leaving, a removal
//! seen by another instance at once, and the history and owners' notices of every change.
use diesel::prelude::*;
use pulse::db::schema::{audit_events, invitations, memberships};
use pulse::domain::role::Role;

use crate::helpers::{TestApp, body, spawn_app};

pub const MEMBERS: &str = "/orgs/acme/settings/members";

/// The role of `email` in organisation `slug`, if a member.
pub fn role_in(app: &TestApp, email: &str, slug: &str) -> Option<String> {
    let org_id = app.org_id(slug);
    app.with_conn(|conn| {
        memberships::table
            .inner_join(pulse::db::schema::users::table)
            .filter(memberships::organisation_id.eq(org_id))
            .filter(pulse::db::schema::users::email.eq(email))
            .select(memberships::role)
            .first(conn)
            .optional()
            .unwrap()
    })
}

fn invitations_to(app: &TestApp, email: &str) -> i64 {
    app.with_conn(|conn| {
        invitations::table
            .filter(invitations::email.eq(email))
            .count()
            .get_result(conn)
            .unwrap()
    })
}

fn user_id(app: &TestApp, email: &str) -> i32 {
    app.with_conn(|conn| {
        pulse::repo::users::find_by_email(conn, email)
            .unwrap()
            .expect("user")
            .id
    })
}

/// POSTs an action of the members page of `slug` as `client` (its CSRF token from `csrf_from`).
pub async fn act(
    app: &TestApp,
    client: &reqwest::Client,
    (path, csrf_from): (&str, &str),
    fields: &[(&str, &str)],
) -> reqwest::Response {
    app.post_form(client, path, csrf_from, fields).await
}

/// Invites `email` as `role` to acme on the members page, as `client`.
pub async fn invite(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    role: &str,
) -> reqwest::Response {
    let path = format!("{MEMBERS}/invite");
    act(
        app,
        client,
        (&path, "/"),
        &[("email", email), ("role", role)],
    )
    .await
}

/// acme with an owner, an admin and a member; and an outsider (owner of another organisation).
async fn acme(app: &TestApp) -> [reqwest::Client; 4] {
    let owner = app.owner_of("acme").await;
    app.member("admin@acme.example", "acme", Role::Admin);
    app.member("member@acme.example", "acme", Role::Member);
    let outsider = app.owner_of("other").await;
    [
        owner,
        app.signed_in("admin@acme.example").await,
        app.signed_in("member@acme.example").await,
        outsider,
    ]
}

#[tokio::test]
async fn owners_and_admins_see_the_members_and_invitations_members_get_403_outsiders_404() {
    let app = spawn_app().await;
    let [owner, admin, member, outsider] = acme(&app).await;
    assert_eq!(
        invite(&app, &owner, "new@acme.example", "admin")
            .await
            .status(),
        303
    );
    app.with_conn(|conn| {
        diesel::update(pulse::db::schema::users::table)
            .filter(pulse::db::schema::users::email.eq("admin@acme.example"))
            .set(pulse::db::schema::users::totp_enabled_at.eq(Some(app.now())))
            .execute(conn)
            .unwrap()
    });
    for client in [&owner, &admin] {
        let (status, page) = app.get_html(client, MEMBERS).await;
        assert_eq!(status, 200);
        for shown in [
            "owner@acme.example",
            "admin@acme.example",
            "member@acme.example",
            "Two-factor sign-in",
            "Last sign-in",
            "Pending invitations",
            "new@acme.example",
            "Invited by",
            "Expires",
        ] {
            assert!(page.contains(shown), "{shown}: {page}");
        }
        // The admin has two-factor on, the others off; everyone here has signed in.
        assert_eq!(page.matches(">On<").count(), 1, "{page}");
        assert!(!page.contains(">Never<"), "{page}");
    }
    assert_eq!(app.status_of(&member, MEMBERS).await, 403);
    assert_eq!(app.status_of(&outsider, MEMBERS).await, 404);
    // Linked from the organisation's settings.
    let (_, settings) = app.get_html(&owner, "/orgs/acme/settings").await;
    assert!(
        settings.contains(r#"href="/orgs/acme/settings/members""#),
        "{settings}"
    );
}

/// What an action does to a fresh target of `role`: the path to post, its fields, and whether
/// it took effect.
#[derive(Clone, Copy, Debug)]
enum Action {
    Invite(Role),
    MakeAdmin,
    Remove(Role),
}

#[tokio::test]
async fn roles_times_actions_owners_do_anything_admins_invite_and_remove_members_only() {
    let app = spawn_app().await;
    let clients = acme(&app).await;
    let actors = ["owner", "admin", "member", "outsider"];
    // Expected status per actor: 303 done, 403 refused, 404 for the outsider.
    let matrix = [
        (Action::Invite(Role::Owner), [303, 403, 403, 404]),
        (Action::Invite(Role::Admin), [303, 403, 403, 404]),
        (Action::Invite(Role::Member), [303, 303, 403, 404]),
        (Action::MakeAdmin, [303, 403, 403, 404]),
        (Action::Remove(Role::Member), [303, 303, 403, 404]),
        (Action::Remove(Role::Admin), [303, 403, 403, 404]),
        (Action::Remove(Role::Owner), [303, 403, 403, 404]),
    ];
    let mut n = 0;
    for (action, expected) in matrix {
        for (actor, (client, want)) in actors.iter().zip(clients.iter().zip(expected)) {
            n += 1;
            let target = format!("t{n}@acme.example");
            let (response, done) = match action {
                Action::Invite(role) => {
                    let response = invite(&app, client, &target, role.as_str()).await;
                    (response, invitations_to(&app, &target) == 1)
                }
                Action::MakeAdmin => {
                    let id = app.member(&target, "acme", Role::Member).id;
                    let path = format!("{MEMBERS}/{id}/role");
                    let response = act(&app, client, (&path, "/"), &[("role", "admin")]).await;
                    let role = role_in(&app, &target, "acme");
                    (response, role.as_deref() == Some("admin"))
                }
                Action::Remove(role) => {
                    let id = app.member(&target, "acme", role).id;
                    let path = format!("{MEMBERS}/{id}/remove");
                    let response = act(&app, client, (&path, "/"), &[]).await;
                    (response, role_in(&app, &target, "acme").is_none())
                }
            };
            let status = response.status().as_u16();
            assert_eq!(status, want, "{action:?} by {actor}");
            assert_eq!(done, want == 303, "{action:?} by {actor}: took effect?");
        }
    }
    // The members page offers each role only the invitations and removals it may do.
    let (_, as_admin) = app.get_html(&clients[1], MEMBERS).await;
    assert!(as_admin.contains(r#"<option value="member""#), "{as_admin}");
    assert!(!as_admin.contains(r#"<option value="owner""#), "{as_admin}");
    assert!(!as_admin.contains("Change role"), "{as_admin}");
}

#[tokio::test]
async fn the_last_owner_is_never_removed_or_demoted_and_cannot_leave() {
    let app = spawn_app().await;
    let [owner, ..] = acme(&app).await;
    let owner_id = user_id(&app, "owner@acme.example");
    let events =
        || -> i64 { app.with_conn(|conn| audit_events::table.count().get_result(conn).unwrap()) };
    let before = events();
    let demote = format!("{MEMBERS}/{owner_id}/role");
    let remove = format!("{MEMBERS}/{owner_id}/remove");
    // The page offers neither to the owner about themselves, but a crafted form is refused too.
    let refused = act(&app, &owner, (&demote, "/"), &[("role", "admin")]).await;
    assert_eq!(refused.status(), 409);
    assert!(body(refused).await.contains("last owner"));
    let refused = act(&app, &owner, (&remove, "/"), &[]).await;
    assert_eq!(refused.status(), 409);
    assert!(body(refused).await.contains("last owner"));
    let refused = act(&app, &owner, ("/orgs/acme/leave", "/"), &[]).await;
    assert_eq!(refused.status(), 409);
    assert!(body(refused).await.contains("last owner"));
    assert_eq!(
        role_in(&app, "owner@acme.example", "acme").as_deref(),
        Some("owner")
    );
    assert_eq!(events(), before, "nothing was changed or recorded");

    // With a second owner, the first may be demoted, and then the second is the last one.
    let second = app.member("second@acme.example", "acme", Role::Owner);
    let made_admin = act(&app, &owner, (&demote, "/"), &[("role", "admin")]).await;
    assert_eq!(made_admin.status(), 303);
    assert_eq!(
        role_in(&app, "owner@acme.example", "acme").as_deref(),
        Some("admin")
    );
    let second_client = app.signed_in("second@acme.example").await;
    let path = format!("{MEMBERS}/{}/role", second.id);
    let refused = act(&app, &second_client, (&path, "/"), &[("role", "member")]).await;
    assert_eq!(refused.status(), 409);
}

#[tokio::test]
async fn a_removal_or_lower_role_holds_on_the_next_request_on_another_instance_sessions_untouched()
{
    let app = spawn_app().await;
    let [owner, admin, ..] = acme(&app).await;
    let other = app.another_instance(|_| {});
    assert_eq!(
        other.status_of(&admin, "/orgs/acme/settings/api").await,
        200
    );
    let admin_id = user_id(&app, "admin@acme.example");

    // Lowered to member on one instance: the other refuses the token screen at once.
    let path = format!("{MEMBERS}/{admin_id}/role");
    let lowered = act(&app, &owner, (&path, "/"), &[("role", "member")]).await;
    assert_eq!(lowered.status(), 303);
    assert_eq!(
        other.status_of(&admin, "/orgs/acme/settings/api").await,
        403
    );
    assert_eq!(other.status_of(&admin, "/orgs/acme").await, 200);

    // Removed: the organisation is gone for them, but they are still signed in.
    let path = format!("{MEMBERS}/{admin_id}/remove");
    assert_eq!(act(&app, &owner, (&path, "/"), &[]).await.status(), 303);
    assert_eq!(other.status_of(&admin, "/orgs/acme").await, 404);
    assert_eq!(
        other.status_of(&admin, "/account").await,
        200,
        "still signed in"
    );
}

#[tokio::test]
async fn a_member_may_leave_and_every_change_is_in_the_history_and_told_to_owners() {
    let app = spawn_app().await;
    let [owner, _, member, _] = acme(&app).await;
    let left = act(&app, &member, ("/orgs/acme/leave", "/orgs/acme"), &[]).await;
    assert_eq!(left.status(), 303);
    assert_eq!(role_in(&app, "member@acme.example", "acme"), None);
    assert_eq!(app.status_of(&member, "/orgs/acme").await, 404);

    let admin_id = user_id(&app, "admin@acme.example");
    let path = format!("{MEMBERS}/{admin_id}/role");
    act(&app, &owner, (&path, "/"), &[("role", "owner")]).await;
    invite(&app, &owner, "new@acme.example", "member").await;

    let (_, page) = app.get_html(&owner, MEMBERS).await;
    let history = page.split("id=\"history-heading\"").nth(1).unwrap();
    for shown in [
        "Left",
        "member@acme.example (member)",
        "Role changed",
        "admin@acme.example: admin → owner",
        "Invited",
        "new@acme.example as member",
        "127.0.0.1",
    ] {
        assert!(history.contains(shown), "{shown}: {history}");
    }
    // Every change is a notice to the owners (the admin is an owner now).
    let notices = app.outbox_of("members_changed");
    assert!(
        notices
            .iter()
            .filter(|(to, _)| to == "owner@acme.example")
            .count()
            >= 3,
        "{notices:?}"
    );
}

#[tokio::test]
async fn inviting_changing_a_role_and_removing_ask_for_the_password_after_ten_minutes() {
    let app = spawn_app().await;
    let [owner, ..] = acme(&app).await;
    let member_id = user_id(&app, "member@acme.example");
    app.advance(chrono::Duration::minutes(11));
    for (path, fields, to) in [
        (
            format!("{MEMBERS}/invite"),
            vec![("email", "new@acme.example"), ("role", "admin")],
            "invite someone",
        ),
        (
            format!("{MEMBERS}/{member_id}/role"),
            vec![("role", "admin")],
            "change a role",
        ),
        (
            format!("{MEMBERS}/{member_id}/remove"),
            vec![],
            "remove a member",
        ),
    ] {
        let prompt = act(&app, &owner, (&path, "/"), &fields).await;
        assert_eq!(prompt.status(), 200, "{path}");
        let prompt = body(prompt).await;
        assert!(
            prompt.contains("Confirm your password") && prompt.contains(to),
            "{prompt}"
        );
    }
    assert_eq!(
        invitations_to(&app, "new@acme.example"),
        0,
        "nothing before the password"
    );
    assert_eq!(
        role_in(&app, "member@acme.example", "acme").as_deref(),
        Some("member")
    );

    let path = format!("{MEMBERS}/{member_id}/role");
    let prompt = body(act(&app, &owner, (&path, "/"), &[("role", "admin")]).await).await;
    let done =
        crate::token_sudo::submit_prompt(&app, &owner, &prompt, crate::helpers::PASSWORD).await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        role_in(&app, "member@acme.example", "acme").as_deref(),
        Some("admin")
    );
}
