//! The API authentication screen over real HTTP: generate, reveal window, regenerate, access.
use chrono::Duration;
use diesel::prelude::*;
use pulse::db::schema::{api_tokens, audit_events};
use pulse::domain::role::Role;

use crate::helpers::{
    PASSWORD, TestApp, browser, session_cookie, shown_token, spawn_app, spawn_app_with,
};

const SCREEN: &str = "/orgs/acme/settings/api";
const GENERATE: &str = "/orgs/acme/settings/api/generate";
const REGENERATE: &str = "/orgs/acme/settings/api/regenerate";

pub fn token_rows(app: &TestApp) -> Vec<(String, Option<chrono::NaiveDateTime>)> {
    app.with_conn(|conn| {
        api_tokens::table
            .order(api_tokens::id)
            .select((api_tokens::digest, api_tokens::superseded_at))
            .load(conn)
            .unwrap()
    })
}

pub fn active_count(app: &TestApp) -> usize {
    token_rows(app).iter().filter(|(_, s)| s.is_none()).count()
}

fn ciphertexts(app: &TestApp) -> Vec<Option<String>> {
    app.with_conn(|conn| {
        api_tokens::table
            .select(api_tokens::reveal_ciphertext)
            .load(conn)
            .unwrap()
    })
}

pub fn current_token_id(app: &TestApp) -> String {
    app.with_conn(|conn| {
        api_tokens::table
            .filter(api_tokens::superseded_at.is_null())
            .select(api_tokens::id)
            .first::<i32>(conn)
            .unwrap()
            .to_string()
    })
}

#[tokio::test]
async fn generate_reveal_mask_and_regenerate() {
    // Housekeeping runs often here, so the test sees it clear the ciphertext.
    let app = spawn_app_with(|c| c.housekeeping_every = std::time::Duration::from_millis(50)).await;
    let owner = app.owner_of("acme").await;
    app.member("admin@acme.example", "acme", Role::Admin);
    let admin = app.signed_in("admin@acme.example").await;

    let (status, before) = app.get_html(&owner, SCREEN).await;
    assert_eq!(status, 200);
    assert!(before.contains("Generate token"));
    assert!(shown_token(&before).is_none());

    let token = app.generate_token(&owner, "acme").await;
    assert_eq!(app.whoami_status(&token).await, 200);

    // Reloading inside the window still shows it to the generator, in the same session...
    let (_, reload) = app.get_html(&owner, SCREEN).await;
    assert_eq!(shown_token(&reload).as_deref(), Some(token.as_str()));
    assert!(reload.contains("data-countdown-until"));
    // On a later visit the field starts masked behind Reveal (the script reads this marker).
    assert!(reload.contains("data-start-hidden"));
    assert!(reload.contains("by owner"));
    // ...but not to another admin, nor to the same person in another session.
    let (_, other) = app.get_html(&admin, SCREEN).await;
    assert!(!other.contains(&token));
    assert!(other.contains(&format!("{}…", &token[..10])));
    let second_session = app.signed_in("owner@acme.example").await;
    let (_, elsewhere) = app.get_html(&second_session, SCREEN).await;
    assert!(!elsewhere.contains(&token));

    // After the window nobody sees it, and housekeeping soon deletes the ciphertext.
    assert!(ciphertexts(&app)[0].is_some());
    app.advance(Duration::seconds(301));
    let (_, later) = app.get_html(&owner, SCREEN).await;
    assert!(!later.contains(&token));
    assert!(later.contains(&token[..10]));
    assert!(later.contains("password protected"));
    let cleared = async {
        while ciphertexts(&app) != [None] {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), cleared)
        .await
        .expect("housekeeping deletes the ciphertext once the window has passed");
    // The API use above shows as last used, and its first use is in the history.
    assert!(!later.contains("Never used"));
    assert!(later.contains("Token first used by the API"));

    let (_, confirm) = app.get_html(&owner, REGENERATE).await;
    assert!(confirm.contains("will stop working"));
    assert!(confirm.contains(&token[..10]));
    let response = app.regenerate_token(&owner, "acme", "none").await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, after) = app.get_html(&owner, SCREEN).await;
    let new_token = shown_token(&after).expect("new token shown");
    assert!(
        !after.contains("data-start-hidden"),
        "shown in full at first"
    );
    assert_ne!(new_token, token);
    assert_eq!(app.whoami_status(&token).await, 401);
    assert_eq!(app.whoami_status(&new_token).await, 200);
    assert_eq!(active_count(&app), 1);
}

#[tokio::test]
async fn history_shows_who_did_what_from_where() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.generate_token(&owner, "acme").await;
    // A reload inside the window is a reveal; the first display after generating is not.
    app.get_html(&owner, SCREEN).await;
    app.regenerate_token(&owner, "acme", "1h").await;
    let (_, html) = app.get_html(&owner, SCREEN).await;
    let history = html.split("id=\"history-heading\"").nth(1).unwrap();
    for expected in [
        "Token generated",
        "Token revealed again",
        "Token regenerated",
        "owner",
        "127.0.0.1",
        "old token valid for 1 more hour",
    ] {
        assert!(history.contains(expected), "history lacks {expected}");
    }
    let actions: Vec<String> = app.with_conn(|conn| {
        audit_events::table
            .order(audit_events::id)
            .select(audit_events::action)
            .load(conn)
            .unwrap()
    });
    assert_eq!(
        actions,
        ["token.generated", "token.revealed", "token.regenerated"]
    );
}

#[tokio::test]
async fn a_grace_period_keeps_the_old_token_working_and_says_so() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let old = app.generate_token(&owner, "acme").await;
    let response = app.regenerate_token(&owner, "acme", "24h").await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, html) = app.get_html(&owner, SCREEN).await;
    let new = shown_token(&html).unwrap();
    assert_eq!(app.whoami_status(&old).await, 200);
    assert_eq!(app.whoami_status(&new).await, 200);
    assert!(html.contains("keeps working until"));
    assert!(html.contains(&old[..10]));
    assert_eq!(active_count(&app), 1);
}

/// GET the screen presenting exactly `cookies`, as a browser that has (or lacks) each of them.
async fn page_with_cookies(app: &TestApp, cookies: &[(&str, &str)]) -> String {
    let header = cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    reqwest::Client::new()
        .get(app.url(SCREEN))
        .header("Cookie", header)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn revealing_needs_both_the_generating_session_and_its_short_lived_cookie() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let response = app.post_form(&owner, GENERATE, SCREEN, &[]).await;
    let reveal = response
        .cookies()
        .find(|c| c.name() == "pulse_reveal")
        .expect("reveal cookie");
    assert!(reveal.http_only());
    assert!(reveal.same_site_strict());
    assert_eq!(reveal.path(), Some(SCREEN));
    assert_eq!(reveal.max_age(), Some(std::time::Duration::from_secs(300)));
    let reveal_key = reveal.value().to_owned();
    let session = session_cookie(&response).expect("session cookie");
    let session_name = pulse::state::SESSION_COOKIE;

    let both = page_with_cookies(
        &app,
        &[(session_name, &session), ("pulse_reveal", &reveal_key)],
    )
    .await;
    let token = shown_token(&both).expect("generator with both halves sees it");
    let session_only = page_with_cookies(&app, &[(session_name, &session)]).await;
    assert!(!session_only.contains(&token));
    assert!(
        session_only.contains(&token[..10]),
        "still the owner's page"
    );

    // The same person signed in elsewhere, presenting the stolen cookie, sees nothing either.
    let elsewhere = browser();
    let login = app
        .login_as(&elsewhere, "owner@acme.example", PASSWORD)
        .await;
    let other_session = session_cookie(&login).unwrap();
    let mixed = page_with_cookies(
        &app,
        &[
            (session_name, &other_session),
            ("pulse_reveal", &reveal_key),
        ],
    )
    .await;
    assert!(mixed.contains(&token[..10]));
    assert!(!mixed.contains(&token));
    // Neither half is in the database in a usable form: the row holds only a ciphertext.
    let stored: Option<String> = app.with_conn(|conn| {
        api_tokens::table
            .select(api_tokens::reveal_ciphertext)
            .first(conn)
            .unwrap()
    });
    let stored = stored.expect("ciphertext during the window");
    assert!(!stored.contains(&token[6..]) && !stored.contains(&reveal_key));
}

#[tokio::test]
async fn copies_are_recorded_only_for_whoever_can_see_the_token() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.member("admin@acme.example", "acme", Role::Admin);
    let admin = app.signed_in("admin@acme.example").await;
    const COPIED: &str = "/orgs/acme/settings/api/copied";
    // Nothing to copy yet.
    let none = app.post_form(&owner, COPIED, SCREEN, &[]).await;
    assert_eq!(none.status().as_u16(), 404);
    let token = app.generate_token(&owner, "acme").await;
    let (_, html) = app.get_html(&owner, SCREEN).await;
    assert!(html.contains("data-copy-audit"));
    let copied = app.post_form(&owner, COPIED, SCREEN, &[]).await;
    assert_eq!(copied.status().as_u16(), 204);
    let refused = app.post_form(&admin, COPIED, SCREEN, &[]).await;
    assert_eq!(refused.status().as_u16(), 403);
    let forged = app
        .post_raw(&owner, COPIED, &[("csrf_token", "forged")])
        .await;
    assert_eq!(forged.status().as_u16(), 403);
    let (_, html) = app.get_html(&admin, SCREEN).await;
    assert!(html.contains("Token copied"));
    assert!(!html.contains(&token));
    let copies: i64 = app.with_conn(|conn| {
        audit_events::table
            .filter(audit_events::action.eq("token.copied"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(copies, 1);
}
