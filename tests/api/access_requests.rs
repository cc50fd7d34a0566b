//! Asking for API access: an owner asks from the API authentication screen with a note; staff
//! are told by mail and find the request in the console (oldest first); switching access on
//! answers it, declining gives the owners the reason; one open request per organisation; every
//! step is in the audit trail.
use diesel::prelude::*;
use pulse::db::schema::{api_access_requests, audit_events};
use pulse::domain::role::Role;

use crate::helpers::{TestApp, body};
use crate::mail_helpers::spawn_app_mailing_to;
use crate::smtp_sink::SmtpSink;

const OWNER: &str = "owner@acme.example";
const ADMIN: &str = "admin@acme.example";
const STAFF: &str = "staff@pulse.example";
const SCREEN: &str = "/orgs/acme/settings/api";
const ASK: &str = "/orgs/acme/settings/api/request-access";

/// `acme` without API access, with an owner (signed in) and an admin, and a member of staff.
async fn acme(app: &TestApp) -> reqwest::Client {
    app.create_org("acme", false);
    app.member(OWNER, "acme", Role::Owner);
    app.member(ADMIN, "acme", Role::Admin);
    app.create_user(STAFF, true);
    app.signed_in(OWNER).await
}

fn open_requests(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        api_access_requests::table
            .filter(api_access_requests::answered_at.is_null())
            .count()
            .get_result(conn)
            .unwrap()
    })
}

fn actions(app: &TestApp) -> Vec<(String, String)> {
    app.with_conn(|conn| {
        audit_events::table
            .filter(audit_events::action.like("api_access.%"))
            .order(audit_events::id)
            .select((audit_events::action, audit_events::detail))
            .load(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn an_owner_asks_once_and_staff_are_told_by_mail() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let owner = acme(&app).await;
    let (_, screen) = app.get_html(&owner, SCREEN).await;
    assert!(screen.contains("Ask Clientshare to switch API access on"));

    let note = "Power BI dashboard for the board";
    let asked = app.post_form(&owner, ASK, SCREEN, &[("note", note)]).await;
    assert_eq!(asked.status().as_u16(), 303);
    assert_eq!(
        asked.headers()["location"],
        format!("{SCREEN}?done=access-requested")
    );
    assert_eq!(open_requests(&app), 1);
    let (_, screen) = app
        .get_html(&owner, &format!("{SCREEN}?done=access-requested"))
        .await;
    assert!(screen.contains("Your request was sent to Clientshare"));
    assert!(
        screen.contains(note),
        "the open request is shown with its note"
    );
    assert!(!screen.contains("Ask Clientshare to switch API access on"));

    // A second ask says so and changes nothing.
    let again = app
        .post_form(&owner, ASK, SCREEN, &[("note", "again")])
        .await;
    assert_eq!(again.status().as_u16(), 409);
    assert!(body(again).await.contains("already open"));
    assert_eq!(open_requests(&app), 1);
    assert_eq!(
        actions(&app),
        [("api_access.requested".to_owned(), note.to_owned())]
    );

    app.deliver_mail().await;
    let mail = sink.one_to(STAFF, "Org acme asks for API access");
    assert!(mail.text.contains(note), "{}", mail.text);
    assert!(mail.text.contains(OWNER));
    assert!(mail.text.contains("/staff/orgs/acme"));
    assert!(sink.to(OWNER).is_empty() && sink.to(ADMIN).is_empty());
}

#[tokio::test]
async fn only_owners_may_ask_and_only_while_api_access_is_off() {
    let app = crate::helpers::spawn_app().await;
    let owner = acme(&app).await;
    let admin = app.signed_in(ADMIN).await;
    let (_, screen) = app.get_html(&admin, SCREEN).await;
    assert!(!screen.contains("Ask Clientshare to switch API access on"));
    let refused = app.post_form(&admin, ASK, SCREEN, &[("note", "")]).await;
    assert_eq!(refused.status().as_u16(), 403);
    let member = app.member("member@acme.example", "acme", Role::Member);
    let member = app.signed_in(&member.email).await;
    let refused = app.post_form(&member, ASK, "/orgs/acme", &[]).await;
    assert_eq!(refused.status().as_u16(), 403);
    let long = "x".repeat(1001);
    let refused = app.post_form(&owner, ASK, SCREEN, &[("note", &long)]).await;
    assert_eq!(refused.status().as_u16(), 400);
    assert_eq!(open_requests(&app), 0);

    let staff_id = app.create_user("other-staff@pulse.example", true).id;
    app.set_api_access("acme", true, staff_id);
    let (_, screen) = app.get_html(&owner, SCREEN).await;
    assert!(!screen.contains("Ask Clientshare"));
    let refused = app.post_form(&owner, ASK, SCREEN, &[]).await;
    assert_eq!(refused.status().as_u16(), 409);
    assert_eq!(open_requests(&app), 0);
    assert!(
        actions(&app)
            .iter()
            .all(|(a, _)| a != "api_access.requested")
    );
}

#[tokio::test]
async fn switching_access_on_answers_the_request_and_tells_the_owners() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let owner = acme(&app).await;
    app.post_form(&owner, ASK, SCREEN, &[("note", "Excel")])
        .await;
    let staff = app.signed_in(STAFF).await;
    let (_, console) = app.get_html(&staff, "/staff/orgs?requested=on").await;
    assert!(console.contains("Asked for API access"));
    assert!(console.contains("/staff/orgs/acme"));
    let (_, support) = app.get_html(&staff, "/staff/orgs/acme").await;
    assert!(support.contains("Request for API access") && support.contains("Excel"));

    let enabled = app
        .post_form(
            &staff,
            "/staff/orgs/acme/api-access",
            "/staff/orgs/acme",
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(enabled.status().as_u16(), 303);
    assert_eq!(open_requests(&app), 0);
    let (_, console) = app.get_html(&staff, "/staff/orgs?requested=on").await;
    assert!(console.contains("0 organisations match"), "{console}");
    let logged: Vec<String> = actions(&app).into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        logged,
        [
            "api_access.requested",
            "api_access.enabled",
            "api_access.request_granted"
        ]
    );

    app.deliver_mail().await;
    let answer = sink.one_to(OWNER, "API access switched on for Org acme");
    assert!(answer.text.contains("as asked on"), "{}", answer.text);
    assert_eq!(sink.to(OWNER).len(), 1, "the owner hears it once");
    // The admin hears of the change as before.
    sink.one_to(ADMIN, "API access switched on for Org acme");
}

#[tokio::test]
async fn staff_decline_with_a_reason_that_the_owners_are_told_and_shown() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    let owner = acme(&app).await;
    app.post_form(&owner, ASK, SCREEN, &[]).await;
    let staff = app.signed_in(STAFF).await;
    const DECLINE: &str = "/staff/orgs/acme/access-request/decline";

    // A reason is required; nothing changes without one.
    let refused = app
        .post_form(&staff, DECLINE, "/staff/orgs/acme", &[("reason", "  ")])
        .await;
    assert_eq!(refused.status().as_u16(), 400);
    assert_eq!(open_requests(&app), 1);

    let reason = "Your contract does not include the API yet; talk to your account manager.";
    let declined = app
        .post_form(&staff, DECLINE, "/staff/orgs/acme", &[("reason", reason)])
        .await;
    assert_eq!(declined.status().as_u16(), 303);
    assert_eq!(
        declined.headers()["location"],
        "/staff/orgs/acme?done=request-declined"
    );
    assert_eq!(open_requests(&app), 0);
    assert_eq!(
        actions(&app).last().unwrap(),
        &("api_access.request_declined".to_owned(), reason.to_owned())
    );
    // Declining again: nothing open.
    let again = app
        .post_form(&staff, DECLINE, "/staff/orgs/acme", &[("reason", reason)])
        .await;
    assert_eq!(again.status().as_u16(), 409);

    let (_, screen) = app.get_html(&owner, SCREEN).await;
    assert!(screen.contains("Clientshare declined the request"));
    assert!(
        screen.contains("API access requested")
            && screen.contains("Request for API access declined"),
        "the history shows the request and its answer"
    );
    assert!(screen.contains("account manager"));
    assert!(
        screen.contains("Ask Clientshare to switch API access on"),
        "they may ask again"
    );
    // Non-staff cannot decline.
    let refused = app
        .post_form(&owner, DECLINE, SCREEN, &[("reason", "x")])
        .await;
    assert_eq!(refused.status().as_u16(), 403);

    app.deliver_mail().await;
    let mail = sink.one_to(OWNER, "Request for API access of Org acme declined");
    assert!(mail.text.contains("account manager"), "{}", mail.text);
    assert!(sink.to(ADMIN).is_empty(), "owners are told, not admins");
}

#[tokio::test]
async fn the_console_lists_open_requests_oldest_first() {
    let app = crate::helpers::spawn_app().await;
    let acme = acme(&app).await;
    app.create_org("zeta", false);
    app.member("owner@zeta.example", "zeta", Role::Owner);
    let zeta = app.signed_in("owner@zeta.example").await;
    let zeta_screen = "/orgs/zeta/settings/api";
    let asked = app
        .post_form(
            &zeta,
            &format!("{zeta_screen}/request-access"),
            zeta_screen,
            &[],
        )
        .await;
    assert_eq!(asked.status().as_u16(), 303);
    app.advance(chrono::Duration::minutes(5));
    app.post_form(&acme, ASK, SCREEN, &[]).await;
    app.create_org("beta", false);

    let staff = app.signed_in(STAFF).await;
    let (_, page) = app.get_html(&staff, "/staff/orgs?requested=on").await;
    let zeta_at = page.find("/staff/orgs/zeta").expect("zeta listed");
    let acme_at = page.find("/staff/orgs/acme\"").expect("acme listed");
    assert!(
        zeta_at < acme_at,
        "the older request first, whatever the names"
    );
    assert!(
        !page.contains("/staff/orgs/beta"),
        "only organisations that asked"
    );
    assert!(page.contains("2 organisations match"));
}
