//! The staff console at scale: `/staff/orgs` searches by name, slug or a member's email,
//! filters by API access, token state and open requests, 50 to a page, with paging links that
//! keep the search and filters, and each row's token state. (How fast it is with 10,000
//! organisations is `bench/staff_console.sh`'s to measure, not a test's.)
use chrono::Duration;
use diesel::prelude::*;
use pulse::db::schema::api_tokens;
use pulse::domain::api_tokens::leaks::{self, Exposure};
use pulse::domain::api_tokens::{Expiry, Grace};
use pulse::domain::role::Role;

use crate::helpers::{TestApp, spawn_app};

const STAFF: &str = "staff@pulse.example";

async fn staff(app: &TestApp) -> reqwest::Client {
    app.create_user(STAFF, true);
    app.signed_in(STAFF).await
}

/// Every `selector`'s `attr` on the page.
fn all(html: &str, selector: &str, attr: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(selector).unwrap();
    doc.select(&selector)
        .filter_map(|e| e.value().attr(attr).map(str::to_owned))
        .collect()
}

/// The slugs of the organisations listed, in order.
fn slugs(html: &str) -> Vec<String> {
    all(html, "table.orgs tbody td:first-child a", "href")
        .into_iter()
        .map(|href| href.trim_start_matches("/staff/orgs/").to_owned())
        .collect()
}

fn link(html: &str, rel: &str) -> Option<String> {
    all(html, &format!("nav.pager a[rel={rel}]"), "href")
        .into_iter()
        .next()
        .map(|href| href.replace("&amp;", "&"))
}

#[tokio::test]
async fn fifty_to_a_page_by_name_with_paging_links() {
    let app = spawn_app().await;
    for n in 0..120 {
        app.create_org(&format!("org-{n:03}"), n % 2 == 0);
    }
    let staff = staff(&app).await;
    let (status, first) = app.get_html(&staff, "/staff/orgs").await;
    assert_eq!(status, 200);
    assert!(first.len() < 200_000, "a page is at most 200 KB");
    let listed = slugs(&first);
    assert_eq!(listed.len(), 50);
    assert_eq!(listed[0], "org-000");
    assert_eq!(listed[49], "org-049");
    assert!(first.contains("120 organisations · page 1 of 3"));
    assert_eq!(link(&first, "prev"), None);
    let next = link(&first, "next").expect("a next page");
    assert_eq!(next, "/staff/orgs?page=2");
    let (_, third) = app.get_html(&staff, "/staff/orgs?page=3").await;
    assert_eq!(slugs(&third).len(), 20);
    assert_eq!(slugs(&third)[0], "org-100");
    assert_eq!(link(&third, "next"), None);
    assert_eq!(link(&third, "prev").unwrap(), "/staff/orgs?page=2");
    // Past the end: an empty page, not an error.
    let (status, past) = app.get_html(&staff, "/staff/orgs?page=9").await;
    assert_eq!(status, 200);
    assert!(slugs(&past).is_empty());
}

#[tokio::test]
async fn search_by_name_slug_or_member_email_and_filters_are_kept_across_pages() {
    let app = spawn_app().await;
    for n in 0..70 {
        // Alpha 00..69: API access on for even numbers (35 of them).
        app.with_conn(|conn| {
            pulse::domain::organisations::create(
                conn,
                &format!("Alpha {n:02}"),
                &format!("a-{n:02}"),
                n % 2 == 0,
                app.now(),
            )
            .unwrap()
        });
    }
    app.create_org("initech", false);
    app.member("peter@initech.example", "initech", Role::Owner);
    let staff = staff(&app).await;

    let (_, page) = app.get_html(&staff, "/staff/orgs?q=ALPHA&api=on").await;
    assert!(page.contains("35 organisations match"), "{page}");
    let listed = slugs(&page);
    assert_eq!(listed.len(), 35);
    assert!(listed.iter().all(|s| s.starts_with("a-")));
    assert!(!page.contains("Disabled</span>"), "only API access on");

    let (_, page) = app.get_html(&staff, "/staff/orgs?q=alpha").await;
    assert!(page.contains("70 organisations match · page 1 of 2"));
    let next = link(&page, "next").unwrap();
    assert_eq!(next, "/staff/orgs?q=alpha&page=2");
    let (_, second) = app.get_html(&staff, &next).await;
    assert_eq!(slugs(&second).len(), 20);
    assert_eq!(link(&second, "prev").unwrap(), "/staff/orgs?q=alpha");
    // The form shows the search again.
    assert_eq!(
        all(&second, "#find-q", "value"),
        ["alpha"],
        "the search box keeps the search"
    );

    let (_, page) = app
        .get_html(&staff, "/staff/orgs?q=a-0&api=off&token=none")
        .await;
    assert_eq!(
        slugs(&page),
        ["a-01", "a-03", "a-05", "a-07", "a-09"],
        "slug search with both filters"
    );
    let (_, page) = app.get_html(&staff, "/staff/orgs?q=Peter%40Initech").await;
    assert_eq!(slugs(&page), ["initech"], "a member's email finds the org");
    let (_, page) = app.get_html(&staff, "/staff/orgs?q=%25").await;
    assert_eq!(slugs(&page), Vec::<String>::new(), "% is not a wildcard");
}

#[tokio::test]
async fn each_row_shows_its_token_state_and_the_filter_finds_exactly_those() {
    let app = spawn_app().await;
    let owner_of = |slug: &str| {
        app.create_org(slug, true);
        app.member(&format!("owner@{slug}.example"), slug, Role::Owner)
            .id
    };
    owner_of("no-token");
    let working = owner_of("working");
    app.issue_as("working", working, Expiry::NEVER).unwrap();
    let expiring = owner_of("expiring");
    let (_, id) = app.issue_as("expiring", expiring, Expiry::NEVER).unwrap();
    set_expiry(&app, id, app.now() + Duration::days(5));
    let expired = owner_of("expired");
    let (_, id) = app.issue_as("expired", expired, Expiry::NEVER).unwrap();
    set_expiry(&app, id, app.now() - Duration::days(1));
    let grace = owner_of("in-grace");
    let (_, id) = app.issue_as("in-grace", grace, Expiry::NEVER).unwrap();
    app.regenerate_as("in-grace", grace, id, Grace::parse("24h").unwrap())
        .unwrap();
    let exposed = owner_of("exposed");
    let (token, _) = app.issue_as("exposed", exposed, Expiry::NEVER).unwrap();
    report_exposed(&app, &token);
    // Regenerated after an exposure: working again.
    let recovered = owner_of("recovered");
    let (token, _) = app.issue_as("recovered", recovered, Expiry::NEVER).unwrap();
    report_exposed(&app, &token);
    app.advance(Duration::seconds(1));
    app.issue_as("recovered", recovered, Expiry::NEVER).unwrap();
    // Revoked: no token.
    let revoked = owner_of("revoked");
    let (_, id) = app.issue_as("revoked", revoked, Expiry::NEVER).unwrap();
    app.with_conn(|conn| {
        let actor = pulse::domain::actor::Actor {
            user_id: revoked,
            session: "test".into(),
            client_addr: "::1".into(),
        };
        pulse::domain::api_tokens::revoke(conn, app.org_id("revoked"), id, &actor, app.now())
    })
    .unwrap();

    let staff = staff(&app).await;
    let (_, page) = app.get_html(&staff, "/staff/orgs").await;
    let states: Vec<(String, String)> = slugs(&page)
        .into_iter()
        .zip(all(&page, "[data-token-state]", "data-token-state"))
        .collect();
    let expected = [
        ("expired", "expired"),
        ("expiring", "expiring"),
        ("exposed", "exposed"),
        ("in-grace", "grace"),
        ("no-token", "none"),
        ("recovered", "working"),
        ("revoked", "none"),
        ("working", "working"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(slug, state)| (slug.to_string(), state.to_string()))
        .collect();
    assert_eq!(states, expected);
    assert!(page.contains("Expiring within 14 days") && page.contains("Reported exposed"));
    for state in ["none", "working", "grace", "expiring", "expired", "exposed"] {
        let (_, filtered) = app
            .get_html(&staff, &format!("/staff/orgs?token={state}"))
            .await;
        let want: Vec<&String> = expected
            .iter()
            .filter(|(_, s)| s == state)
            .map(|(slug, _)| slug)
            .collect();
        let got = slugs(&filtered);
        assert_eq!(got.iter().collect::<Vec<_>>(), want, "token={state}");
    }
}

/// A secret-scanning report of `token`, which revokes it.
fn report_exposed(app: &TestApp, token: &str) {
    let exposure = Exposure {
        token,
        url: "https://example.com/gist",
        source: "commit",
    };
    app.with_conn(|conn| leaks::report(conn, &[exposure], app.now()))
        .unwrap();
}

fn set_expiry(app: &TestApp, id: i32, at: chrono::NaiveDateTime) {
    app.with_conn(|conn| {
        diesel::update(api_tokens::table.find(id))
            .set(api_tokens::expires_at.eq(Some(at)))
            .execute(conn)
            .unwrap()
    });
}

#[tokio::test]
async fn bad_filters_are_refused_and_only_staff_see_the_console() {
    let app = spawn_app().await;
    let staff = staff(&app).await;
    for bad in [
        "/staff/orgs?api=maybe",
        "/staff/orgs?token=leaked",
        "/staff/orgs?page=0",
        "/staff/orgs?page=two",
        "/staff/orgs?requested=yes",
    ] {
        let (status, page) = app.get_html(&staff, bad).await;
        assert_eq!(status, 400, "{bad}");
        assert!(page.contains("must be"), "{bad}: a clear message");
    }
    let owner = app.owner_of("acme").await;
    assert_eq!(app.status_of(&owner, "/staff/orgs?q=acme").await, 403);
    let anonymous = crate::helpers::browser();
    assert_eq!(app.status_of(&anonymous, "/staff/orgs").await, 303);
}
