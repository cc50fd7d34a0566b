//! What mail Pulse sends and to whom: every event in a token's life to the organisation's owners
//! and admins (who, when, from where), exposure reports with where the token was found, API
//! access switched by staff, expiry reminders (once per token whichever instance sweeps), and
//! changes to an account to its person. Reminders and API-access notices can be turned off on
//! the account page; security notices cannot.
use chrono::Duration;
use diesel::prelude::*;
use pulse::db::schema::api_tokens;
use pulse::domain::api_tokens::Expiry;
use pulse::domain::housekeeping;
use pulse::domain::role::Role;
use pulse::mail::compose::utc;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};
use crate::mail_helpers::spawn_app_mailing_to;
use crate::smtp_sink::SmtpSink;
use crate::token_screen::{SCREEN, current_token_id};

const OWNER: &str = "owner@acme.example";
const ADMIN: &str = "admin@acme.example";
const MEMBER: &str = "member@acme.example";

/// `acme` with API access, its owner (signed in), an admin and a member.
async fn acme(app: &TestApp) -> reqwest::Client {
    let owner = app.owner_of("acme").await;
    app.member(ADMIN, "acme", Role::Admin);
    app.member(MEMBER, "acme", Role::Member);
    owner
}

/// Checks that the owner and the admin, and not the member, got one message with `subject`
/// whose facts include `facts` (as `label: value` in the text part, in a table in the HTML).
#[track_caller]
fn assert_told(sink: &SmtpSink, subject: &str, facts: &[(&str, &str)]) {
    for address in [OWNER, ADMIN] {
        let mail = sink.one_to(address, subject);
        for (label, value) in facts {
            let line = format!("{label}: {value}");
            assert!(mail.text.contains(&line), "{line:?} in:\n{}", mail.text);
            let cell = format!(">{label}</th><td style=\"padding:4px 0\">{value}</td>");
            assert!(mail.html.contains(&cell), "{cell:?} in:\n{}", mail.html);
        }
    }
    assert!(
        sink.to(MEMBER)
            .iter()
            .all(|m| !m.subject.starts_with(subject)),
        "members are not told"
    );
}

#[tokio::test]
async fn every_event_in_the_tokens_life_is_told_to_owners_and_admins_once() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let owner = acme(&app).await;
    let first = app.generate_token(&owner, "acme").await;
    assert_eq!(
        app.regenerate_token(&owner, "acme", "1h").await.status(),
        303
    );
    let grace_until: chrono::NaiveDateTime = app.with_conn(|conn| {
        api_tokens::table
            .filter(api_tokens::grace_until.is_not_null())
            .select(api_tokens::grace_until.assume_not_null())
            .first(conn)
            .unwrap()
    });
    let end_grace = format!("{SCREEN}/grace/end");
    assert_eq!(
        app.post_form(&owner, &end_grace, SCREEN, &[])
            .await
            .status(),
        303
    );
    let revoke = format!("{SCREEN}/revoke");
    let current = current_token_id(&app);
    let revoked = app
        .post_form(&owner, &revoke, &revoke, &[("current", &current)])
        .await;
    assert_eq!(revoked.status(), 303);

    assert_eq!(
        app.deliver_mail().await.sent,
        8,
        "four events, two managers each"
    );
    let [by, from] = [("By", "owner"), ("From address", "127.0.0.1")];
    let old = format!("{}…", &first[..10]);
    let generated_at: chrono::NaiveDateTime = app.with_conn(|conn| {
        api_tokens::table
            .select(diesel::dsl::min(api_tokens::created_at))
            .first::<Option<_>>(conn)
            .unwrap()
            .unwrap()
    });
    let when = utc(generated_at);
    assert_told(
        &sink,
        "New API token generated for Org acme",
        &[
            ("Token", &old),
            ("Expires", "Never"),
            ("When", &when),
            by,
            from,
        ],
    );
    let stops = format!("at {} (its grace period)", utc(grace_until));
    assert_told(
        &sink,
        "API token of Org acme regenerated",
        &[
            ("Replaced token", &old),
            ("Old token stops", &stops),
            by,
            from,
        ],
    );
    assert_told(
        &sink,
        "Old API token of Org acme stopped early",
        &[by, from],
    );
    assert_told(&sink, "API token of Org acme revoked", &[by, from]);
    app.advance(Duration::hours(2));
    assert_eq!(app.deliver_mail().await.claimed, 0, "each sent once");
}

#[tokio::test]
async fn a_token_found_in_public_is_told_with_where_it_was_found() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let owner = acme(&app).await;
    let token = app.generate_token(&owner, "acme").await;
    let url = "https://github.com/acme/reports/blob/main/refresh.py";
    let report =
        json!([{"token": token, "type": "pulse_api_token", "url": url, "source": "commit"}]);
    let reported = reqwest::Client::new()
        .post(app.url("/api/v1/token-leaks"))
        .header("Content-Type", "application/json")
        .body(report.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), 200);
    app.deliver_mail().await;
    let found = format!("{url} (commit)");
    let prefix = format!("{}…", &token[..10]);
    assert_told(
        &sink,
        "API token of Org acme found in public and revoked",
        &[("Found at", &found), ("Token", &prefix)],
    );
    assert!(
        !sink
            .one_to(OWNER, "API token of Org acme found")
            .raw
            .contains(&token[10..])
    );
}

/// Saves the account page's mail settings for `client`: the topics ticked.
async fn save_mail_settings(app: &TestApp, client: &reqwest::Client, ticked: &[&str]) {
    let fields: Vec<(&str, &str)> = ticked.iter().map(|name| (*name, "on")).collect();
    let saved = app
        .post_form(client, "/account/notifications", "/account", &fields)
        .await;
    assert_eq!(saved.status(), 303);
}

#[tokio::test]
async fn api_access_notices_can_be_turned_off_but_security_notices_cannot() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let owner = acme(&app).await;
    let admin = app.signed_in(ADMIN).await;
    // The admin wants no optional mail at all.
    save_mail_settings(&app, &admin, &[]).await;
    let (_, page) = app.get_html(&admin, "/account?saved=notifications").await;
    assert!(page.contains("Your mail settings are saved."), "{page}");
    assert!(!page.contains("checked"), "both boxes unticked: {page}");
    let (_, page) = app.get_html(&owner, "/account").await;
    assert_eq!(page.matches(" checked").count(), 2, "the defaults: {page}");

    let staff = app.create_user("staff@pulse.example", true);
    app.set_api_access("acme", false, staff.id);
    app.set_api_access("acme", true, staff.id);
    app.generate_token(&owner, "acme").await;
    app.deliver_mail().await;
    sink.one_to(OWNER, "API access switched off for Org acme");
    sink.one_to(OWNER, "API access switched on for Org acme");
    let told_admin: Vec<String> = sink.to(ADMIN).into_iter().map(|m| m.subject).collect();
    assert_eq!(
        told_admin,
        ["New API token generated for Org acme"],
        "security notices still go"
    );
    let footer = sink.one_to(OWNER, "API access switched off").text;
    assert!(
        footer.contains(&app.url("/account#notifications")),
        "{footer}"
    );
}

#[tokio::test]
async fn expiry_reminders_go_out_14_and_3_days_before_and_at_expiry_once_whichever_instance_sweeps()
{
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    acme(&app).await;
    let admin = app.signed_in(ADMIN).await;
    save_mail_settings(&app, &admin, &["api_access"]).await;
    let owner_id = app.with_conn(|conn| {
        pulse::repo::users::find_by_email(conn, OWNER)
            .unwrap()
            .unwrap()
            .id
    });
    app.issue_as("acme", owner_id, Expiry::parse("30").unwrap())
        .unwrap();
    let other = app.another_instance(|_| {});

    // Two instances sweep at the same moment, again and again: each reminder goes out once.
    let sweep_both = || {
        std::thread::scope(|threads| {
            for instance in [&app, &other] {
                threads.spawn(move || {
                    instance.with_conn(|conn| {
                        housekeeping::sweep(conn, &Default::default(), instance.now()).unwrap()
                    })
                });
            }
        })
    };
    let reminders = |app: &TestApp| {
        app.outbox()
            .into_iter()
            .filter(|(_, kind, _)| kind.starts_with("token_expir"))
            .count()
    };
    sweep_both();
    assert_eq!(reminders(&app), 0, "30 days ahead: nothing yet");
    for (days, subject) in [
        (16, "API token of Org acme expires in 14 days"),
        (11, "API token of Org acme expires in 3 days"),
        (3, "API token of Org acme has expired"),
    ] {
        app.advance(Duration::days(days) + Duration::hours(1));
        for _ in 0..3 {
            sweep_both();
        }
        app.deliver_mail().await;
        let mail = sink.one_to(OWNER, subject);
        assert!(mail.text.contains(" UTC"), "{}", mail.text);
    }
    assert_eq!(reminders(&app), 3, "one of each, to the owner only");
    assert!(
        sink.to(ADMIN).iter().all(|m| !m.subject.contains("expire")),
        "the admin turned them off"
    );
}

#[tokio::test]
async fn changes_to_an_account_are_told_to_its_person() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let owner = acme(&app).await;
    let elsewhere = app.signed_in(OWNER).await;

    let ended = app
        .post_form(&owner, "/account/sessions/end-others", "/account", &[])
        .await;
    assert_eq!(ended.status(), 303);
    assert_eq!(
        app.status_of(&elsewhere, "/account").await,
        303,
        "signed out"
    );
    // No mail for nothing: again, with no other session left, ends none.
    let before = app.outbox().len();
    app.post_form(&owner, "/account/sessions/end-others", "/account", &[])
        .await;
    assert_eq!(app.outbox().len(), before);

    let on = app.turn_on_two_factor(&owner, OWNER, &[]).await;
    assert_eq!(on.status(), 200);
    let off = app
        .post_form(
            &owner,
            "/account/two-factor/disable",
            "/account/two-factor",
            &[("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(off.status(), 303);
    let new_password = "a different long passphrase";
    let changed = app
        .post_form(
            &owner,
            "/account/password",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new_password),
                ("new_password_again", new_password),
            ],
        )
        .await;
    assert_eq!(changed.status(), 303);

    app.deliver_mail().await;
    for (subject, says) in [
        (
            "You were signed out of your other Pulse sessions",
            "1 other session ended",
        ),
        (
            "Two-factor sign-in turned on for your Pulse account",
            "authenticator app",
        ),
        (
            "Two-factor sign-in turned off for your Pulse account",
            "only for your password",
        ),
        ("Your Pulse password was changed", "on your account page"),
    ] {
        let mail = sink.one_to(OWNER, subject);
        for part in [&mail.text, &mail.html] {
            assert!(part.contains(says), "{part}");
            assert!(
                part.contains("From address: 127.0.0.1") || part.contains("127.0.0.1</td>"),
                "{part}"
            );
            assert!(
                part.contains("/forgot-password"),
                "what to do if it was not you: {part}"
            );
        }
        assert_eq!(mail.link_after("Review your account"), app.url("/account"));
    }
    assert!(sink.to(ADMIN).is_empty(), "only the person is told");
}

#[tokio::test]
async fn guessing_at_an_account_is_mailed_to_its_person_once_a_day() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    app.create_user(OWNER, false);
    for _ in 0..2 * pulse::domain::accounts::GUESSING_NOTICE_AT {
        app.login_as(&crate::helpers::browser(), OWNER, "not the password")
            .await;
    }
    app.deliver_mail().await;
    let mail = sink.one_to(OWNER, "Wrong passwords were tried on your Pulse account");
    assert!(
        mail.text.contains("Latest from: 127.0.0.1"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("/forgot-password"), "{}", mail.text);
}
