//! Mail delivery against a real SMTP server on loopback (`smtp_sink`): what arrives (recipients,
//! subject, both parts, a link that works), and the faults — the server down then up, a
//! temporary and a permanent refusal, a sender that dies after claiming, an event that rolls
//! back, an outbox that cannot be written.
use std::collections::HashSet;

use chrono::Duration;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use pulse::db::DatabaseUrl;
use pulse::db::schema::{audit_events, mail_outbox};
use pulse::domain::api_tokens::Grace;
use pulse::domain::role::Role;
use pulse::mail::sender::lease;
use pulse::repo::outbox;

use crate::helpers::{TestApp, body};
use crate::mail_helpers::{spawn_app_mailing_to, spawn_app_mailing_to_port};
use crate::smtp_sink::{Answer, SmtpSink};

const OWNER: &str = "owner@acme.example";
const ADMIN: &str = "admin@acme.example";

/// The Message-ID the outbox gave message `id` (without angle brackets).
fn message_id_of(app: &TestApp, id: i32) -> String {
    let key: String = app.with_conn(|conn| {
        mail_outbox::table
            .find(id)
            .select(mail_outbox::message_key)
            .first(conn)
            .unwrap()
    });
    format!("{key}@localhost")
}

/// (id, status, attempts, last error) of the notice `queue_one_notice` queued.
#[track_caller]
fn only_message(app: &TestApp) -> (i32, String, i32, Option<String>) {
    let rows: Vec<(i32, String, i32, Option<String>)> = app.with_conn(|conn| {
        mail_outbox::table
            .filter(mail_outbox::kind.eq("api_access_changed"))
            .select((
                mail_outbox::id,
                mail_outbox::status,
                mail_outbox::attempts,
                mail_outbox::last_error,
            ))
            .load(conn)
            .unwrap()
    });
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.into_iter().next().unwrap()
}

/// Staff switch `acme`'s API access off: one notice, to its owner.
fn queue_one_notice(app: &TestApp) {
    app.create_org("acme", true);
    app.member(OWNER, "acme", Role::Owner);
    let staff = app.create_user("staff@pulse.example", true);
    app.set_api_access("acme", false, staff.id);
    assert_eq!(app.outbox_of("api_access_changed").len(), 1);
}

#[tokio::test]
async fn a_new_token_is_told_to_owners_and_admins_in_both_parts_with_a_link_that_works() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let owner = app.owner_of("acme").await;
    app.member(ADMIN, "acme", Role::Admin);
    app.member("member@acme.example", "acme", Role::Member);
    let token = app.generate_token(&owner, "acme").await;

    assert_eq!(app.deliver_mail().await.sent, 2);
    assert!(
        sink.to("member@acme.example").is_empty(),
        "members are not told"
    );
    for address in [OWNER, ADMIN] {
        let mail = sink.one_to(address, "New API token generated for Org acme");
        assert_eq!(mail.to, vec![address.to_owned()]);
        assert_eq!(mail.from, "pulse@localhost");
        for part in [&mail.text, &mail.html] {
            assert!(
                part.contains("owner generated a new API token for Org acme."),
                "{part}"
            );
            assert!(
                part.contains(&format!("{}…", &token[..10])),
                "the prefix: {part}"
            );
            assert!(
                part.contains(&app.now().format("%Y-%m-%d").to_string()),
                "{part}"
            );
            assert!(part.contains(" UTC"), "the zone is named: {part}");
            assert!(part.contains("127.0.0.1"), "from which address: {part}");
        }
        assert!(!mail.raw.contains(&token[10..]), "never the token itself");
        let link = mail.link_after("Open the API authentication page");
        assert_eq!(link, app.url("/orgs/acme/settings/api"));
        assert!(
            mail.html.contains(&format!("href=\"{link}\"")),
            "{}",
            mail.html
        );
    }
    // The link leads to the page that shows what happened.
    let link = sink
        .one_to(OWNER, "New API token")
        .link_after("Open the API authentication page");
    let page = owner.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(body(page).await.contains(&token[..10]));
    // Each message has its own Message-ID, the one its outbox row keeps.
    let ids: HashSet<String> = sink.arrived().into_iter().map(|m| m.message_id).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let first: i32 = app.with_conn(|conn| {
        mail_outbox::table
            .select(diesel::dsl::min(mail_outbox::id))
            .first::<Option<i32>>(conn)
            .unwrap()
            .unwrap()
    });
    assert!(ids.contains(&message_id_of(&app, first)), "{ids:?}");
}

#[tokio::test]
async fn with_the_smtp_server_down_the_message_waits_and_arrives_once_it_is_up() {
    let port = SmtpSink::down();
    let app = spawn_app_mailing_to_port(port).await;
    queue_one_notice(&app);

    let first = app.deliver_mail().await;
    assert_eq!((first.sent, first.retrying), (0, 1));
    let (id, status, attempts, error) = only_message(&app);
    assert_eq!((status.as_str(), attempts), ("queued", 1));
    assert!(
        error.unwrap().contains("Connection"),
        "a refused connection is recorded"
    );

    let sink = SmtpSink::start_on(port);
    assert_eq!(
        app.deliver_mail().await.claimed,
        0,
        "not due again before its backoff"
    );
    app.advance(Duration::seconds(61));
    assert_eq!(app.deliver_mail().await.sent, 1);
    app.advance(Duration::hours(3));
    assert_eq!(
        app.deliver_mail().await.claimed,
        0,
        "sent once, never again"
    );
    let arrived = sink.arrived();
    assert_eq!(arrived.len(), 1);
    assert_eq!(arrived[0].message_id, message_id_of(&app, id));
    assert_eq!(only_message(&app).1, "sent");
}

#[tokio::test]
async fn a_temporary_refusal_is_retried_with_backoff_for_a_day_then_the_message_fails() {
    let sink = SmtpSink::start();
    sink.answer_with(Answer::TryLater);
    let app = spawn_app_mailing_to(&sink).await;
    queue_one_notice(&app);

    assert_eq!(app.deliver_mail().await.retrying, 1);
    let (_, _, _, error) = only_message(&app);
    assert!(error.as_deref().unwrap().contains("451"), "{error:?}");
    // Waits grow: a minute, two, four… (with jitter in the upper half of each).
    for wait in [60, 120, 240] {
        app.advance(Duration::seconds(wait / 2 - 1));
        assert_eq!(
            app.deliver_mail().await.claimed,
            0,
            "due {wait} s at the latest, not earlier than half"
        );
        app.advance(Duration::seconds(wait / 2 + 1));
        assert_eq!(app.deliver_mail().await.retrying, 1);
    }
    // A server that comes good is used: but this one keeps refusing for a whole day.
    for _ in 0..25 {
        app.advance(Duration::hours(1));
        app.deliver_mail().await;
    }
    let (_, status, attempts, error) = only_message(&app);
    assert_eq!(status, "failed");
    let error = error.unwrap();
    assert!(
        error.starts_with("not delivered within 24 hours") && error.contains("451"),
        "{error}"
    );
    assert!((20..=30).contains(&attempts), "{attempts} attempts");
    assert!(sink.arrived().is_empty());
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once_shows_on_staff_mail_and_staff_can_retry_it() {
    let sink = SmtpSink::start();
    sink.answer_with(Answer::Reject);
    let app = spawn_app_mailing_to(&sink).await;
    queue_one_notice(&app);
    assert_eq!(app.deliver_mail().await.failed, 1);
    let (id, status, attempts, error) = only_message(&app);
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    assert!(error.as_deref().unwrap().contains("554"), "{error:?}");

    let staff = app.signed_in("staff@pulse.example").await;
    let (code, page) = app.get_html(&staff, "/staff/mail?state=failed").await;
    assert_eq!(code, 200);
    for shown in [
        OWNER,
        "API access switched off for Org acme",
        "failed",
        "554",
        "Message rejected by policy",
    ] {
        assert!(page.contains(shown), "{shown} on {page}");
    }
    let retry = format!("/staff/mail/{id}/retry");
    assert!(page.contains(&format!("action=\"{retry}\"")), "{page}");
    // Without the form token nothing happens.
    let forged = app
        .post_raw(&staff, &retry, &[("csrf_token", "forged")])
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(only_message(&app).1, "failed");

    sink.answer_with(Answer::Accept);
    let retried = app
        .post_form(&staff, &retry, "/staff/mail?state=failed", &[])
        .await;
    assert_eq!(retried.status(), 303);
    assert_eq!(only_message(&app).1, "queued");
    let audited: Vec<(String, Option<i32>)> = app.with_conn(|conn| {
        audit_events::table
            .filter(audit_events::action.eq("mail.retried"))
            .select((audit_events::detail, audit_events::actor_user_id))
            .load(conn)
            .unwrap()
    });
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert!(audited[0].0.contains(OWNER));
    assert_eq!(
        app.deliver_mail().await.sent,
        1 + 1,
        "the retried one and staff's own two-factor notice"
    );
    assert_eq!(sink.to(OWNER).len(), 1);
    // A sent message cannot be retried.
    let again = app.post_form(&staff, &retry, "/staff/mail", &[]).await;
    assert_eq!(again.status(), 409);
    assert!(
        body(again)
            .await
            .contains("Only a failed message can be retried")
    );
}

#[tokio::test]
async fn a_sender_that_dies_after_claiming_is_replaced_once_its_lease_runs_out() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    queue_one_notice(&app);
    // Another instance claims the message and dies before sending it.
    let now = app.now();
    let claimed = app.with_conn(|conn| {
        outbox::claim_due(conn, "dead-instance", now, now + lease(), 10).unwrap()
    });
    assert_eq!(claimed.len(), 1);

    assert_eq!(
        app.deliver_mail().await.claimed,
        0,
        "someone holds the lease"
    );
    app.advance(lease() - Duration::seconds(1));
    assert_eq!(app.deliver_mail().await.claimed, 0, "the lease still holds");
    app.advance(Duration::seconds(2));
    assert_eq!(app.deliver_mail().await.sent, 1);
    assert_eq!(sink.arrived().len(), 1);
    let (_, status, attempts, _) = only_message(&app);
    assert_eq!(
        (status.as_str(), attempts),
        ("sent", 2),
        "the dead sender's claim counts"
    );
}

fn current_token_id(app: &TestApp) -> i32 {
    crate::token_screen::current_token_id(app).parse().unwrap()
}

#[tokio::test]
async fn a_regenerate_whose_transaction_rolls_back_sends_nothing() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    app.create_org("acme", true);
    let owner = app.member(OWNER, "acme", Role::Owner);
    app.issue_as("acme", owner.id, pulse::domain::api_tokens::Expiry::NEVER)
        .unwrap();
    let before = app.outbox().len();
    let current = current_token_id(&app);

    // The regenerate succeeds, then the surrounding transaction rolls back.
    let rolled_back = app.with_conn(|conn| {
        conn.transaction::<(), diesel::result::Error, _>(|conn| {
            let org = pulse::repo::organisations::find_by_slug(conn, "acme")?.unwrap();
            app.regenerate_in(conn, org.id, owner.id, current, Grace::None)
                .expect("regenerated");
            Err(diesel::result::Error::RollbackTransaction)
        })
    });
    assert!(rolled_back.is_err());
    assert_eq!(current_token_id(&app), current, "the token is unchanged");
    assert_eq!(app.outbox().len(), before, "and no notice was queued");
    app.deliver_mail().await;
    assert!(
        sink.arrived()
            .iter()
            .all(|m| !m.subject.contains("regenerated"))
    );

    // Committed, it comes with its notice.
    app.regenerate_as("acme", owner.id, current, Grace::None)
        .unwrap();
    assert_eq!(
        app.outbox_of("token_regenerated"),
        vec![(OWNER.to_owned(), "queued".to_owned())]
    );
}

/// Makes every insert into the outbox fail, as a broken table would.
fn break_the_outbox(app: &TestApp) {
    let sql = match app.db.url() {
        DatabaseUrl::Sqlite(_) => {
            "CREATE TRIGGER refuse_mail BEFORE INSERT ON mail_outbox \
             BEGIN SELECT RAISE(ABORT, 'the outbox is broken'); END;"
        }
        DatabaseUrl::Postgres(_) => {
            "CREATE FUNCTION refuse_mail() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'the outbox is broken'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_mail BEFORE INSERT ON mail_outbox \
             FOR EACH ROW EXECUTE FUNCTION refuse_mail();"
        }
    };
    app.with_conn(|conn| conn.batch_execute(sql).unwrap());
}

#[tokio::test]
async fn no_regenerate_without_its_notice() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    let current = current_token_id(&app);
    break_the_outbox(&app);

    let regenerated = app.regenerate_token(&owner, "acme", "none").await;
    assert_eq!(regenerated.status(), 500);
    assert_eq!(current_token_id(&app), current, "no new token");
    assert_eq!(
        app.whoami_status(&token).await,
        200,
        "the old one still works"
    );
}

#[tokio::test]
async fn a_claim_takes_at_most_its_batch_and_never_what_another_sender_holds() {
    let app = crate::helpers::spawn_app().await;
    let ann = app.create_user("ann@example.com", false);
    let now = app.now();
    app.with_conn(|conn| {
        for _ in 0..25 {
            pulse::domain::notices::password_changed(conn, &ann, false, "::1", now).unwrap();
        }
    });
    let claim = |owner: &str| {
        app.with_conn(|conn| outbox::claim_due(conn, owner, now, now + lease(), 10).unwrap())
            .into_iter()
            .map(|m| m.id)
            .collect::<HashSet<i32>>()
    };
    let (a, b, c) = (claim("a"), claim("b"), claim("c"));
    assert_eq!((a.len(), b.len(), c.len()), (10, 10, 5));
    assert!(a.is_disjoint(&b) && b.is_disjoint(&c) && a.is_disjoint(&c));
    assert!(claim("d").is_empty(), "everything is leased");
}

#[tokio::test]
async fn a_failed_reset_message_cannot_be_retried_because_its_link_is_gone() {
    let sink = SmtpSink::start();
    sink.answer_with(Answer::Reject);
    let app = spawn_app_mailing_to(&sink).await;
    app.create_user("ann@example.com", false);
    let visitor = crate::helpers::browser();
    let fields = [("email", "ann@example.com")];
    app.post_form(&visitor, "/forgot-password", "/forgot-password", &fields)
        .await;
    assert_eq!(app.deliver_mail().await.failed, 1);
    let (id, secret): (i32, Option<String>) = app.with_conn(|conn| {
        mail_outbox::table
            .filter(mail_outbox::kind.eq("password_reset"))
            .select((mail_outbox::id, mail_outbox::link_secret))
            .first(conn)
            .unwrap()
    });
    assert_eq!(
        secret, None,
        "the link's secret is erased once the message failed"
    );

    app.create_user("staff@pulse.example", true);
    let staff = app.signed_in("staff@pulse.example").await;
    let (_, page) = app.get_html(&staff, "/staff/mail?state=failed").await;
    assert!(page.contains("Reset your Pulse password"), "{page}");
    assert!(
        !page.contains(&format!("/staff/mail/{id}/retry")),
        "no Retry button: {page}"
    );
    let retry = format!("/staff/mail/{id}/retry");
    let refused = app.post_form(&staff, &retry, "/staff/mail", &[]).await;
    assert_eq!(refused.status(), 409);
    assert!(body(refused).await.contains("single-use link"));
    let status: String = app.with_conn(|conn| {
        mail_outbox::table
            .find(id)
            .select(mail_outbox::status)
            .first(conn)
            .unwrap()
    });
    assert_eq!(status, "failed");
}

#[tokio::test]
async fn links_start_with_the_public_url_and_the_sender_is_pulse_mail_from() {
    let sink = SmtpSink::start();
    let app = crate::mail_helpers::spawn_app_mailing_to_with(&sink, |config| {
        config.public_url = Some("https://pulse.example.com".into());
    })
    .await;
    queue_one_notice(&app);
    app.deliver_mail().await;
    let mail = sink.one_to(OWNER, "API access switched off for Org acme");
    assert_eq!(
        mail.link_after("Open the API authentication page"),
        "https://pulse.example.com/orgs/acme/settings/api"
    );
    assert_eq!(
        mail.from, "pulse@pulse.example.com",
        "by default, from the public host"
    );
    assert!(
        mail.message_id.ends_with("@pulse.example.com"),
        "{}",
        mail.message_id
    );

    let other = crate::mail_helpers::spawn_app_mailing_to_with(&sink, |config| {
        config.mail_from = Some("Acme Reports <reports@acme.example>".into());
    })
    .await;
    queue_one_notice(&other);
    other.deliver_mail().await;
    let from: Vec<String> = sink.arrived().into_iter().map(|m| m.from).collect();
    assert_eq!(from, ["pulse@pulse.example.com", "reports@acme.example"]);
}
