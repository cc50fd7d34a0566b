//! The API authentication screen over real HTTP: the first display of a new token, revealing it
//! again (owners and admins, after their password), copying, the history.
use chrono::Duration;
use diesel::prelude::*;
use pulse::db::DatabaseUrl;
use pulse::db::schema::{api_tokens, audit_events};
use pulse::domain::reveal::RevealKey;
use pulse::domain::role::Role;

use crate::helpers::{PASSWORD, TestApp, body, shown_token, spawn_app, spawn_app_with};

pub const SCREEN: &str = "/orgs/acme/settings/api";
const COPIED: &str = "/orgs/acme/settings/api/copied";

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

pub fn audit_actions(app: &TestApp) -> Vec<String> {
    app.with_conn(|conn| {
        audit_events::table
            .order(audit_events::id)
            .select(audit_events::action)
            .load(conn)
            .unwrap()
    })
}

#[tokio::test]
async fn a_new_token_is_shown_once_then_masked_and_after_the_window_kept_only_as_a_hash() {
    // Housekeeping runs often here, so the test sees it clear the ciphertext.
    let app = spawn_app_with(|c| c.housekeeping_every = std::time::Duration::from_millis(50)).await;
    let owner = app.owner_of("acme").await;
    app.member("admin@acme.example", "acme", Role::Admin);
    let admin = app.signed_in("admin@acme.example").await;

    let (status, before) = app.get_html(&owner, SCREEN).await;
    assert_eq!(status, 200);
    assert!(before.contains("Generate token") && before.contains("No current token"));
    assert!(shown_token(&before).is_none());

    let token = app.generate_token(&owner, "acme").await;
    assert_eq!(app.whoami_status(&token).await, 200);

    // Shown once: a reload, the same person in another session, another admin: all masked,
    // with Reveal offered while the window is open.
    let second_session = app.signed_in("owner@acme.example").await;
    for client in [&owner, &second_session, &admin] {
        let (_, html) = app.get_html(client, SCREEN).await;
        assert!(!html.contains(&token), "masked after the first display");
        assert!(html.contains(&format!("{}…", &token[..10])));
        assert!(html.contains("Reveal token") && html.contains("by owner"));
        // Until when, with the time left (a reload keeps saying it).
        assert!(html.contains("data-countdown-until") && html.contains("5 minutes"));
    }

    // After the window nobody can reveal it, and housekeeping soon deletes the ciphertext.
    assert!(ciphertexts(&app)[0].is_some());
    app.advance(Duration::seconds(301));
    let (_, later) = app.get_html(&owner, SCREEN).await;
    assert!(!later.contains(&token) && !later.contains("Reveal token"));
    assert!(
        later.contains("Pulse keeps only a hash of this token") && later.contains(&token[..10])
    );
    let (refused, html) = app.reveal(&owner, "acme", &[]).await;
    assert_eq!(refused, 409);
    assert!(!html.contains(&token));
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
}

#[tokio::test]
async fn owners_and_admins_reveal_and_copy_inside_the_window_after_their_password() {
    let app = spawn_app_with(|c| c.reveal_window = Duration::minutes(30)).await;
    let owner = app.owner_of("acme").await;
    app.member("admin@acme.example", "acme", Role::Admin);
    let admin = app.signed_in("admin@acme.example").await;
    let token = app.generate_token(&owner, "acme").await;
    // Signing in counts as entering the password: within ten minutes, Reveal just shows it.
    let (posted, shown) = app.reveal(&admin, "acme", &[]).await;
    assert_eq!(posted, 303);
    assert_eq!(shown_token(&shown).as_deref(), Some(token.as_str()));
    // Later, it asks for the password again first.
    app.advance(Duration::minutes(11));
    let (status, prompt) = app.reveal(&admin, "acme", &[]).await;
    assert_eq!(status, 200);
    assert!(prompt.contains("Confirm your password") && !prompt.contains(&token));
    let (wrong, html) = app
        .reveal(&admin, "acme", &[("password", "not the password")])
        .await;
    assert_eq!(wrong, 401, "a wrong password has one status everywhere");
    assert!(!html.contains(&token));
    let (posted, html) = app.reveal(&admin, "acme", &[("password", PASSWORD)]).await;
    assert_eq!(posted, 303);
    assert_eq!(shown_token(&html).as_deref(), Some(token.as_str()));
    assert!(html.contains("data-copy-audit"));
    // Copying is recorded for whoever can see it; a member cannot record one.
    assert_eq!(
        app.post_form(&admin, COPIED, SCREEN, &[]).await.status(),
        204
    );
    let member = app.member("member@acme.example", "acme", Role::Member);
    let member = app.signed_in(&member.email).await;
    assert_eq!(app.post_form(&member, COPIED, "/", &[]).await.status(), 403);
    let (_, screen) = app.get_html(&owner, SCREEN).await;
    let history = screen.split("id=\"history-heading\"").nth(1).unwrap();
    assert!(history.contains("Token revealed") && history.contains("Token copied"));
    assert!(history.contains("admin"));
    assert_eq!(
        audit_actions(&app),
        [
            "token.generated",
            "token.revealed",
            "token.revealed",
            "token.copied"
        ]
    );
}

#[tokio::test]
async fn a_copy_is_accepted_only_within_the_password_window() {
    let app = spawn_app_with(|c| c.reveal_window = Duration::minutes(30)).await;
    let owner = app.owner_of("acme").await;
    app.generate_token(&owner, "acme").await;
    assert_eq!(
        app.post_form(&owner, COPIED, SCREEN, &[]).await.status(),
        204
    );
    // The token could still be revealed (30 minutes), but the password is 11 minutes old.
    app.advance(Duration::minutes(11));
    assert_eq!(
        app.post_form(&owner, COPIED, SCREEN, &[]).await.status(),
        403
    );
    assert_eq!(audit_actions(&app), ["token.generated", "token.copied"]);
}

#[tokio::test]
async fn the_database_alone_never_reveals_a_token() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    let (id, org, stored): (i32, i32, Option<String>) = app.with_conn(|conn| {
        api_tokens::table
            .select((
                api_tokens::id,
                api_tokens::organisation_id,
                api_tokens::reveal_ciphertext,
            ))
            .first(conn)
            .unwrap()
    });
    let stored = stored.expect("sealed during the window");
    assert!(!stored.contains(&token[6..]));
    let digest = pulse::domain::secret::sha256_hex(token.as_bytes());
    // Any key but the server's opens nothing; the server's key is not in the database.
    assert!(
        RevealKey::generate()
            .open(&stored, (org, id), &digest)
            .is_none()
    );
    if let DatabaseUrl::Sqlite(path) = app.db.url() {
        let key = std::fs::read_to_string(format!("{path}.reveal-key")).expect("key file");
        let key = RevealKey::from_base64(&key).unwrap();
        let opened = key
            .open(&stored, (org, id), &digest)
            .expect("the server's key opens it");
        assert_eq!(opened.expose(), token);
        // Bound to its row: the same ciphertext under another token id opens nothing.
        assert!(key.open(&stored, (org, id + 1), &digest).is_none());
        let database = std::fs::read(path).unwrap();
        let needle = key.to_base64();
        assert!(
            !database
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
        );
    }
}

#[tokio::test]
async fn the_new_token_cookie_alone_shows_nothing() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let generated = app
        .post_form(&owner, "/orgs/acme/settings/api/generate", SCREEN, &[])
        .await;
    let marker = generated
        .cookies()
        .find(|c| c.name() == "pulse_new_token")
        .expect("new-token cookie");
    assert!(marker.http_only() && marker.same_site_strict());
    assert_eq!(marker.path(), Some(SCREEN));
    // Another session of the same person presenting the marker sees only the prefix.
    let elsewhere = app.signed_in("owner@acme.example").await;
    let html = elsewhere
        .get(app.url(SCREEN))
        .header("Cookie", format!("pulse_new_token={}", marker.value()))
        .send()
        .await
        .unwrap();
    let html = body(html).await;
    assert!(shown_token(&html).is_none());
    // The generating session sees it once.
    let (_, first) = app.get_html(&owner, SCREEN).await;
    assert!(shown_token(&first).is_some());
}

#[tokio::test]
async fn history_pages_beyond_the_latest_25_events_and_labels_its_cells() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.generate_token(&owner, "acme").await;
    for _ in 0..30 {
        assert_eq!(
            app.post_form(&owner, COPIED, SCREEN, &[]).await.status(),
            204
        );
    }
    let (_, first) = app.get_html(&owner, SCREEN).await;
    let rows = |html: &str| {
        let doc = scraper::Html::parse_document(html);
        let selector = scraper::Selector::parse("table.history tbody tr").unwrap();
        doc.select(&selector).count()
    };
    assert_eq!(rows(&first), 25);
    assert!(first.contains(r#"data-label="When""#) && first.contains(r#"data-label="Who""#));
    let older = crate::helpers::attr_of(&first, "p.pager a", "href").expect("older page link");
    let (status, second) = app.get_html(&owner, &older).await;
    assert_eq!(status, 200);
    assert_eq!(rows(&second), 6, "31 events: 25 + 6");
    assert!(second.contains("Token generated") && second.contains("Newest events"));
    let (status, _) = app
        .get_html(&owner, &format!("{SCREEN}?before=garbage"))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn viewing_the_screen_writes_nothing() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.generate_token(&owner, "acme").await;
    let snapshot = || {
        app.with_conn(|conn| {
            let tokens: Vec<(i32, Option<String>, Option<chrono::NaiveDateTime>)> =
                api_tokens::table
                    .select((
                        api_tokens::id,
                        api_tokens::reveal_ciphertext,
                        api_tokens::revoked_at,
                    ))
                    .load(conn)
                    .unwrap();
            (tokens, audit_actions(&app))
        })
    };
    let before = snapshot();
    // Past the reveal window too: clearing the ciphertext is housekeeping's job, not a GET's.
    app.advance(Duration::seconds(301));
    for path in [
        SCREEN,
        "/orgs/acme/settings/api/regenerate",
        "/orgs/acme/settings/api/revoke",
    ] {
        assert_eq!(app.status_of(&owner, path).await, 200, "{path}");
    }
    assert_eq!(snapshot(), before);
}

#[tokio::test]
async fn the_first_display_is_a_single_use_nonce_that_cannot_be_replayed() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    app.member("owner@acme.example", "acme", Role::Owner);
    // A browser whose cookie jar the test can write to, as an attacker at the keyboard could.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let owner = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = app.login_as(&owner, "owner@acme.example", PASSWORD).await;
    assert_eq!(signed_in.status(), 303);
    let generated = app
        .post_form(&owner, "/orgs/acme/settings/api/generate", SCREEN, &[])
        .await;
    let nonce = generated
        .cookies()
        .find(|c| c.name() == "pulse_new_token")
        .expect("new-token cookie")
        .value()
        .to_owned();
    assert!(
        nonce.len() >= 43 && nonce.parse::<i64>().is_err(),
        "{nonce}"
    );
    let (_, first) = app.get_html(&owner, SCREEN).await;
    assert!(shown_token(&first).is_some(), "shown once");
    let history = audit_actions(&app);
    // Setting the cookie again, to the nonce or to the token's id, shows nothing more.
    let screen_url: reqwest::Url = app.url(SCREEN).parse().unwrap();
    for value in [nonce, current_token_id(&app)] {
        let cookie = format!("pulse_new_token={value}; Path={SCREEN}");
        jar.add_cookie_str(&cookie, &screen_url);
        let (status, html) = app.get_html(&owner, SCREEN).await;
        assert_eq!(status, 200);
        assert!(shown_token(&html).is_none(), "replayed with {value}");
    }
    assert_eq!(audit_actions(&app), history);
}
