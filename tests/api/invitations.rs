//! Invitations (README: "Members and roles"): by email with a role, the message in the outbox
//! with a single-use link valid 7 days (a digest at rest, bound to the invited address), resend
//! and cancel, refusals that send nothing, accepting as a new person or an existing account,
//! the wrong account, dead links saying which and whom to ask; staff creating an organisation
//! with its first owner and inviting owners from the support view; `pulse invite`.
use chrono::Duration;
use diesel::prelude::*;
use pulse::db::schema::{invitations, mail_outbox};
use pulse::domain::role::Role;

use crate::commands::{pulse, run, succeeded};
use crate::helpers::{PASSWORD, TestApp, attr_of, body, browser, extract_csrf};
use crate::mail_helpers::spawn_app_mailing_to;
use crate::members::{MEMBERS, invite, role_in};
use crate::smtp_sink::SmtpSink;

const NEW: &str = "new@acme.example";
const NEW_PASSWORD: &str = "a long and fresh passphrase";

/// Delivers the mail due and returns the link of the latest invitation to `email`.
async fn link_in_mail(app: &TestApp, sink: &SmtpSink, email: &str) -> String {
    app.deliver_mail().await;
    let mail = sink
        .to(email)
        .into_iter()
        .rev()
        .find(|m| m.subject.contains("invited you to"))
        .expect("an invitation message");
    let link = mail.link_after("Accept the invitation");
    assert!(link.starts_with(&app.url("/invitation?token=")), "{link}");
    assert!(mail.text.contains("7 days"), "{}", mail.text);
    link
}

/// Follows `link` as `client`: the page's status and HTML.
async fn follow(client: &reqwest::Client, link: &str) -> (u16, String) {
    let response = client.get(link).send().await.unwrap();
    (response.status().as_u16(), body(response).await)
}

/// Accepts the invitation `link` as a new person named `name` with `password`.
async fn register(
    app: &TestApp,
    client: &reqwest::Client,
    link: &str,
    (name, password): (&str, &str),
) -> reqwest::Response {
    let (status, html) = follow(client, link).await;
    assert_eq!(status, 200, "{html}");
    let token = attr_of(&html, r#"input[name="token"]"#, "value").expect("token on the form");
    let csrf = extract_csrf(&html).unwrap();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("name", name),
        ("new_password", password),
    ];
    app.post_raw(client, "/invitation/register", &fields).await
}

/// Follows the invitation `page`'s sign-in link as NEW and signs in: where the sign-in returns
/// (the invitation).
async fn sign_in_from(app: &TestApp, client: &reqwest::Client, page: &str) -> String {
    let login = attr_of(page, "a.button.primary", "href").expect("sign-in link");
    assert!(
        login.starts_with("/login?next=%2Finvitation%3Ftoken%3D"),
        "{login}"
    );
    let (_, form) = app.get_html(client, &login).await;
    let next = attr_of(&form, r#"input[name="next"]"#, "value").unwrap();
    let csrf = extract_csrf(&form).unwrap();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("email", NEW),
        ("password", PASSWORD),
        ("next", next.as_str()),
    ];
    let signed_in = app.post_raw(client, "/login", &fields).await;
    assert_eq!(signed_in.status(), 303);
    let back = signed_in.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with("/invitation?token="), "{back}");
    back
}

#[tokio::test]
async fn a_new_person_accepts_with_a_name_and_password_and_lands_signed_in_on_the_organisation() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let owner = app.owner_of("acme").await;
    assert_eq!(invite(&app, &owner, NEW, "admin").await.status(), 303);
    let link = link_in_mail(&app, &sink, NEW).await;
    let mail = sink.one_to(NEW, "owner invited you to Org acme in Pulse");
    assert!(mail.text.contains("as an admin"), "{}", mail.text);

    // Only the digest is stored; the secret is in no table.
    let secret = link.split("token=").nth(1).unwrap().to_owned();
    let digests: Vec<String> = app.with_conn(|conn| {
        invitations::table
            .select(invitations::digest)
            .load(conn)
            .unwrap()
    });
    assert_eq!(digests.len(), 1);
    assert_ne!(digests[0], secret);
    assert_eq!(
        digests[0],
        pulse::domain::secret::sha256_hex(secret.as_bytes())
    );
    let kept: Vec<Option<String>> = app.with_conn(|conn| {
        mail_outbox::table
            .select(mail_outbox::link_secret)
            .load(conn)
            .unwrap()
    });
    assert!(kept.iter().all(Option::is_none), "erased once sent");

    // The password policy applies.
    let client = browser();
    let weak = register(&app, &client, &link, ("Nina", "password")).await;
    assert_eq!(weak.status(), 400);
    assert!(body(weak).await.contains("12"));
    assert_eq!(role_in(&app, NEW, "acme"), None);

    let joined = register(&app, &client, &link, ("Nina", NEW_PASSWORD)).await;
    assert_eq!(joined.status(), 303);
    assert_eq!(joined.headers()["location"], "/orgs/acme");
    assert_eq!(role_in(&app, NEW, "acme").as_deref(), Some("admin"));
    assert_eq!(app.status_of(&client, "/orgs/acme/settings/api").await, 200);

    // The link worked once: now it says so, and whom to ask.
    let (status, page) = follow(&browser(), &link).await;
    assert_eq!(status, 400);
    assert!(page.contains("already been used"), "{page}");
    assert!(page.contains("Ask owner (owner@acme.example)"), "{page}");
    // The new person can sign in with the password chosen.
    let again = app.login_as(&browser(), NEW, NEW_PASSWORD).await;
    assert_eq!(again.status(), 303);
}

#[tokio::test]
async fn an_existing_account_signs_in_first_then_joins_and_another_address_is_told_whose_it_is() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let owner = app.owner_of("acme").await;
    app.owner_of("other").await;
    app.create_user(NEW, false);
    invite(&app, &owner, NEW, "member").await;
    let link = link_in_mail(&app, &sink, NEW).await;

    // Not signed in: asked to sign in, and the sign-in comes back to the invitation.
    let client = browser();
    let (status, page) = follow(&client, &link).await;
    assert_eq!(status, 200);
    let back = sign_in_from(&app, &client, &page).await;

    // Someone else signed in is told whose invitation it is, and offered to sign out.
    let stranger = app.signed_in("owner@other.example").await;
    let (status, page) = follow(&stranger, &link).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("is for <strong>new@acme.example</strong>"),
        "{page}"
    );
    assert!(page.contains("owner@other.example"), "{page}");
    let token = link.split("token=").nth(1).unwrap();
    let refused = app
        .post_form(&stranger, "/invitation/join", "/", &[("token", token)])
        .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(role_in(&app, "owner@other.example", "acme"), None);
    let signed_out = app
        .post_form(&stranger, "/logout", "/", &[("next", &back)])
        .await;
    assert_eq!(signed_out.headers()["location"], back.as_str());

    // The invited account joins.
    let (_, page) = app.get_html(&client, &back).await;
    assert!(page.contains("Join Org acme"), "{page}");
    let joined = app
        .post_form(&client, "/invitation/join", &back, &[("token", token)])
        .await;
    assert_eq!(joined.status(), 303);
    assert_eq!(joined.headers()["location"], "/orgs/acme");
    assert_eq!(role_in(&app, NEW, "acme").as_deref(), Some("member"));
}

#[tokio::test]
async fn expired_cancelled_and_resent_links_say_which_and_whom_to_ask() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let owner = app.owner_of("acme").await;
    let id_of = |email: &str| -> i32 {
        app.with_conn(|conn| {
            invitations::table
                .filter(invitations::email.eq(email))
                .filter(invitations::replaced_at.is_null())
                .select(invitations::id)
                .first(conn)
                .unwrap()
        })
    };

    // Resend: a new link; the old one dies.
    invite(&app, &owner, NEW, "member").await;
    let old = link_in_mail(&app, &sink, NEW).await;
    let path = format!("{MEMBERS}/invitations/{}/resend", id_of(NEW));
    assert_eq!(
        app.post_form(&owner, &path, MEMBERS, &[]).await.status(),
        303
    );
    let new = link_in_mail(&app, &sink, NEW).await;
    assert_ne!(old, new);
    let (status, page) = follow(&browser(), &old).await;
    assert_eq!(status, 400);
    assert!(page.contains("A newer invitation"), "{page}");
    assert_eq!(follow(&browser(), &new).await.0, 200);

    // Cancel.
    let path = format!("{MEMBERS}/invitations/{}/cancel", id_of(NEW));
    assert_eq!(
        app.post_form(&owner, &path, MEMBERS, &[]).await.status(),
        303
    );
    let (status, page) = follow(&browser(), &new).await;
    assert_eq!(status, 400);
    assert!(page.contains("was cancelled"), "{page}");
    assert!(page.contains("Ask owner (owner@acme.example) or another owner of Org acme"));
    let (_, members) = app.get_html(&owner, MEMBERS).await;
    assert!(members.contains("No invitation is waiting"), "{members}");

    // Expired after 7 days.
    invite(&app, &owner, "late@acme.example", "member").await;
    let late = link_in_mail(&app, &sink, "late@acme.example").await;
    app.advance(Duration::days(7) + Duration::minutes(1));
    let (status, page) = follow(&browser(), &late).await;
    assert_eq!(status, 400);
    assert!(page.contains("has expired"), "{page}");
    // Its form, posted anyway, is refused and creates no account.
    let client = browser();
    let csrf = app.csrf_token(&client, "/login").await;
    let token = late.split("token=").nth(1).unwrap();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("token", token),
        ("name", "Late"),
        ("new_password", NEW_PASSWORD),
    ];
    let refused = app.post_raw(&client, "/invitation/register", &fields).await;
    assert_eq!(refused.status(), 400);
    assert!(body(refused).await.contains("has expired"));
    assert_eq!(role_in(&app, "late@acme.example", "acme"), None);
    let accounts: i64 = app.with_conn(|conn| {
        pulse::db::schema::users::table
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(accounts, 1, "only the owner");
}

#[tokio::test]
async fn inviting_a_member_or_an_invited_address_says_so_and_sends_nothing() {
    let app = crate::helpers::spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.member("ann@acme.example", "acme", Role::Member);
    let queued = |app: &TestApp| app.outbox_of("invitation").len();

    let refused = invite(&app, &owner, "Ann@Acme.example", "admin").await;
    assert_eq!(refused.status(), 409);
    assert!(body(refused).await.contains("already a member"));
    assert_eq!(queued(&app), 0);

    assert_eq!(invite(&app, &owner, NEW, "member").await.status(), 303);
    assert_eq!(queued(&app), 1);
    let refused = invite(&app, &owner, NEW, "admin").await;
    assert_eq!(refused.status(), 409);
    assert!(body(refused).await.contains("already been invited"));
    assert_eq!(queued(&app), 1);

    let refused = invite(&app, &owner, "not an address", "member").await;
    assert_eq!(refused.status(), 400);
    assert_eq!(queued(&app), 1);
}

#[tokio::test]
async fn staff_create_an_organisation_with_its_owner_and_invite_owners_from_the_support_view() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    app.create_user("staff@pulse.example", true);
    let staff = app.signed_in("staff@pulse.example").await;
    let fields = [
        ("name", "Initech Ltd"),
        ("slug", "initech"),
        ("owner_email", "peter@initech.example"),
    ];
    let created = app
        .post_form(&staff, "/staff/orgs", "/staff/orgs", &fields)
        .await;
    assert_eq!(created.status(), 303);
    let link = link_in_mail(&app, &sink, "peter@initech.example").await;
    let (_, support) = app.get_html(&staff, "/staff/orgs/initech").await;
    assert!(support.contains("peter@initech.example"), "{support}");
    assert!(support.contains("Pending invitations"), "{support}");

    // A bad owner address creates nothing.
    let fields = [("name", "Bad"), ("slug", "bad"), ("owner_email", "nope")];
    let refused = app
        .post_form(&staff, "/staff/orgs", "/staff/orgs", &fields)
        .await;
    assert_eq!(refused.status(), 400);
    let (status, _) = app.get_html(&staff, "/staff/orgs/bad").await;
    assert_eq!(status, 404);

    // Re-invite: a new link, the old one dead.
    let id: i32 = app.with_conn(|conn| {
        invitations::table
            .select(invitations::id)
            .first(conn)
            .unwrap()
    });
    let path = format!("/staff/orgs/initech/invitations/{id}/resend");
    let resent = app
        .post_form(&staff, &path, "/staff/orgs/initech", &[])
        .await;
    assert_eq!(resent.status(), 303);
    let new = link_in_mail(&app, &sink, "peter@initech.example").await;
    assert_eq!(follow(&browser(), &link).await.0, 400);

    // Another owner, invited by staff.
    let invited = app
        .post_form(
            &staff,
            "/staff/orgs/initech/invitations",
            "/staff/orgs/initech",
            &[("email", "joanna@initech.example")],
        )
        .await;
    assert_eq!(invited.status(), 303);
    link_in_mail(&app, &sink, "joanna@initech.example").await;
    // Inviting her again says so and sends nothing.
    let again = app
        .post_form(
            &staff,
            "/staff/orgs/initech/invitations",
            "/staff/orgs/initech",
            &[("email", "joanna@initech.example")],
        )
        .await;
    assert_eq!(again.status(), 409);
    assert!(body(again).await.contains("already been invited"));
    assert_eq!(
        app.outbox_of("invitation").len(),
        3,
        "peter twice, joanna once"
    );

    let peter = browser();
    let joined = register(&app, &peter, &new, ("Peter", NEW_PASSWORD)).await;
    assert_eq!(joined.status(), 303);
    assert_eq!(
        role_in(&app, "peter@initech.example", "initech").as_deref(),
        Some("owner")
    );
}

#[tokio::test]
async fn pulse_invite_prints_the_link() {
    let app = crate::helpers::spawn_app().await;
    app.create_org("acme", true);
    let url = app.database().unwrap().url().to_owned();
    let output = run(pulse(
        &url,
        &["invite", "--org", "acme", "--email", NEW, "--role", "owner"],
    )
    .env("PULSE_PUBLIC_URL", &app.address));
    let out = succeeded(&output);
    let link = out
        .lines()
        .find(|line| line.starts_with(&app.url("/invitation?token=")))
        .unwrap_or_else(|| panic!("no link in: {out}"))
        .to_owned();
    let joined = register(&app, &browser(), &link, ("Nina", NEW_PASSWORD)).await;
    assert_eq!(joined.status(), 303);
    assert_eq!(role_in(&app, NEW, "acme").as_deref(), Some("owner"));

    let again = run(&mut pulse(
        &url,
        &["invite", "--org", "acme", "--email", NEW, "--role", "admin"],
    ));
    crate::commands::refused(&again, &["already a member"]);
}

#[tokio::test]
async fn the_link_never_reaches_the_log() {
    let database = crate::databases::TestDatabase::fresh();
    let log_path = tempfile::NamedTempFile::new().unwrap();
    let log = std::process::Stdio::from(log_path.reopen().unwrap());
    let env = [("RUST_LOG", "debug"), ("PULSE_ACCESS_LOG", "on")];
    let mut server = crate::server_process::ServerProcess::start(database.url(), &env, log).await;
    let app = &server.app;
    app.create_org("acme", true);
    app.create_user(NEW, false);
    let org_id = app.org_id("acme");
    let by = pulse::domain::members::Acting {
        user_id: None,
        role: Role::Owner,
        addr: "test".into(),
    };
    let sent = app.with_conn(|conn| {
        pulse::domain::invitations::invite(conn, org_id, (NEW, Role::Member), &by, app.now())
            .unwrap()
    });
    let link = app.url(&format!("/invitation?token={}", sent.secret));
    // Followed before signing in (the page sends the visitor to sign in, and back), and after.
    let client = browser();
    let (status, page) = follow(&client, &link).await;
    assert_eq!(status, 200);
    let back = sign_in_from(app, &client, &page).await;
    assert_eq!(app.status_of(&client, &back).await, 200);
    let joined = app
        .post_form(
            &client,
            "/invitation/join",
            &back,
            &[("token", &sent.secret)],
        )
        .await;
    assert_eq!(joined.status(), 303);
    assert_eq!(follow(&browser(), &link).await.0, 400, "used up");
    server.kill().await;

    let log = std::fs::read_to_string(log_path.path()).unwrap();
    assert!(
        log.contains("/invitation?token="),
        "the requests are logged: {log}"
    );
    assert!(
        !log.contains(&sent.secret[..20]),
        "the link's secret in the log:\n{log}"
    );
}

#[tokio::test]
async fn the_link_starts_with_the_public_url() {
    let sink = SmtpSink::start();
    let app = crate::mail_helpers::spawn_app_mailing_to_with(&sink, |config| {
        config.public_url = Some("https://pulse.example.com".into());
    })
    .await;
    let owner = app.owner_of("acme").await;
    assert_eq!(invite(&app, &owner, NEW, "member").await.status(), 303);
    app.deliver_mail().await;
    let mail = sink.one_to(NEW, "owner invited you to Org acme");
    let link = mail.link_after("Accept the invitation");
    assert!(
        link.starts_with("https://pulse.example.com/invitation?token="),
        "{link}"
    );
}
