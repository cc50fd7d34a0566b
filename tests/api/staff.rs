use diesel::prelude::*;
use pulse::db::schema::{audit_events, organisations};

use crate::helpers::{PASSWORD, TestApp, body, browser, spawn_app};

fn api_enabled(app: &TestApp, slug: &str) -> i32 {
    app.with_conn(|conn| {
        organisations::table
            .filter(organisations::slug.eq(slug))
            .select(organisations::api_enabled)
            .first(conn)
            .unwrap()
    })
}

fn audit_actions(app: &TestApp) -> Vec<String> {
    app.with_conn(|conn| {
        audit_events::table
            // The organisations' events: not the notice that staff turned on two-factor sign-in.
            .filter(audit_events::organisation_id.is_not_null())
            .select(audit_events::action)
            .order(audit_events::id)
            .load(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn staff_switch_api_access_on_and_off_with_a_confirmation_and_an_audit_entry() {
    let app = spawn_app().await;
    app.create_org("acme", false);
    app.create_user("staff@pulse.example", true);
    let staff = app.signed_in("staff@pulse.example").await;
    const ACCESS: &str = "/staff/orgs/acme/api-access";
    let enabled = app
        .post_form(&staff, ACCESS, "/staff/orgs", &[("enabled", "true")])
        .await;
    assert_eq!(enabled.status().as_u16(), 303);
    assert_eq!(
        enabled.headers()["location"],
        "/staff/orgs/acme?done=api-enabled"
    );
    assert_eq!(api_enabled(&app, "acme"), 1);
    let (_, shown) = app
        .get_html(&staff, "/staff/orgs/acme?done=api-enabled")
        .await;
    assert!(shown.contains("API access switched on"));

    // Switching off asks first, and changes nothing until confirmed.
    let asked = app
        .post_form(&staff, ACCESS, "/staff/orgs", &[("enabled", "false")])
        .await;
    assert_eq!(asked.status().as_u16(), 200);
    let asked = body(asked).await;
    assert!(asked.contains("Switch API access off for Org acme?"));
    assert!(asked.contains(r#"name="confirm" value="yes""#));
    assert_eq!(api_enabled(&app, "acme"), 1);
    let confirmed = app
        .post_form(
            &staff,
            ACCESS,
            "/staff/orgs",
            &[("enabled", "false"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(
        confirmed.headers()["location"],
        "/staff/orgs/acme?done=api-disabled"
    );
    assert_eq!(api_enabled(&app, "acme"), 0);
    assert_eq!(
        audit_actions(&app),
        ["api_access.enabled", "api_access.disabled"]
    );
    let (_, page) = app.get_html(&staff, "/staff/orgs").await;
    assert!(page.contains("Enable API access"));
}

#[tokio::test]
async fn staff_land_on_the_console_and_see_each_organisation_s_token_read_only() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    let used = reqwest::Client::builder()
        .user_agent("Microsoft.Data.Mashup (https://go.microsoft.com/fwlink/?LinkID=304225)")
        .build()
        .unwrap();
    used.get(app.url("/api/v1/whoami"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    app.create_user("staff@pulse.example", true);
    // The first sign-in enrols the second factor; the next one shows where staff land.
    app.signed_in("staff@pulse.example").await;
    let staff = crate::helpers::browser();
    let password = app.login_as(&staff, "staff@pulse.example", PASSWORD).await;
    assert_eq!(password.headers()["location"], "/login/two-factor");
    let signed_in = app.give_second_factor(&staff, "staff@pulse.example").await;
    assert_eq!(
        signed_in.headers()["location"],
        "/staff/orgs",
        "staff land on the console"
    );
    let (status, view) = app.get_html(&staff, "/staff/orgs/acme").await;
    assert_eq!(status, 200);
    for expected in [
        &token[..10],
        "Power BI / Excel (Power Query)",
        "Token generated",
        "Token first used by the API",
        "Never",
        "Works",
    ] {
        assert!(view.contains(expected), "the support view shows {expected}");
    }
    assert!(!view.contains(&token), "never the token itself");
    assert!(!view.contains("/settings/api/revoke") && !view.contains("/settings/api/regenerate"));
    // Owners are not staff; unknown organisations are 404.
    assert_eq!(app.status_of(&owner, "/staff/orgs/acme").await, 403);
    assert_eq!(app.status_of(&staff, "/staff/orgs/nope").await, 404);
    // Others still land where they were going, or home.
    let other = crate::helpers::browser();
    let login = app.login_as(&other, "owner@acme.example", PASSWORD).await;
    assert_eq!(login.headers()["location"], "/");
}

#[tokio::test]
async fn missing_or_wrong_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_org("acme", false);
    app.create_user("staff@pulse.example", true);
    let staff = app.signed_in("staff@pulse.example").await;
    let missing = app
        .post_raw(
            &staff,
            "/staff/orgs/acme/api-access",
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(missing.status().as_u16(), 403);
    let wrong = app
        .post_raw(
            &staff,
            "/staff/orgs/acme/api-access",
            &[("csrf_token", "forged"), ("enabled", "true")],
        )
        .await;
    assert_eq!(wrong.status().as_u16(), 403);
    // The right token from another origin is refused too.
    let token = app.csrf_token(&staff, "/staff/orgs").await;
    let cross_site = staff
        .post(app.url("/staff/orgs/acme/api-access"))
        .header("Origin", "http://evil.example")
        .form(&[("csrf_token", token.as_str()), ("enabled", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status().as_u16(), 403);
    assert_eq!(api_enabled(&app, "acme"), 0);
    assert!(audit_actions(&app).is_empty());
}

#[tokio::test]
async fn bad_and_oversized_forms_are_rejected_without_changes() {
    let app = spawn_app().await;
    app.create_org("acme", false);
    app.create_user("staff@pulse.example", true);
    let staff = app.signed_in("staff@pulse.example").await;
    let bad = app
        .post_form(
            &staff,
            "/staff/orgs/acme/api-access",
            "/staff/orgs",
            &[("enabled", "maybe")],
        )
        .await;
    assert_eq!(bad.status().as_u16(), 400);
    let huge = "x".repeat(64 * 1024);
    let oversized = app
        .post_form(
            &staff,
            "/staff/orgs",
            "/staff/orgs",
            &[("name", &huge), ("slug", "big")],
        )
        .await;
    assert_eq!(oversized.status().as_u16(), 413);
    let invalid_slug = app
        .post_form(
            &staff,
            "/staff/orgs",
            "/staff/orgs",
            &[("name", "Bad"), ("slug", "Not A Slug")],
        )
        .await;
    assert_eq!(invalid_slug.status().as_u16(), 400);
    assert!(body(invalid_slug).await.contains("The slug must be"));
    let unknown = app
        .post_form(
            &staff,
            "/staff/orgs/nope/api-access",
            "/staff/orgs",
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(unknown.status().as_u16(), 404);
    assert_eq!(api_enabled(&app, "acme"), 0);
    let count: i64 = app.with_conn(|conn| organisations::table.count().get_result(conn).unwrap());
    assert_eq!(count, 1);
}

#[tokio::test]
async fn staff_create_organisations() {
    let app = spawn_app().await;
    app.create_user("staff@pulse.example", true);
    let staff = app.signed_in("staff@pulse.example").await;
    let response = app
        .post_form(
            &staff,
            "/staff/orgs",
            "/staff/orgs",
            &[
                ("name", "Globex"),
                ("slug", "globex"),
                ("api_enabled", "on"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(api_enabled(&app, "globex"), 1);
    let duplicate = app
        .post_form(
            &staff,
            "/staff/orgs",
            "/staff/orgs",
            &[("name", "Globex 2"), ("slug", "globex")],
        )
        .await;
    assert_eq!(duplicate.status().as_u16(), 400);
    let _ = browser();
}
