use chrono::Duration;
use pulse::domain::accounts::{MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_PLACE};
use pulse::domain::housekeeping;
use pulse::domain::role::Role;

use crate::helpers::{PASSWORD, body, browser, session_cookie, spawn_app, spawn_app_with};

#[tokio::test]
async fn sign_in_with_the_right_password_starts_a_session() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let client = browser();
    let response = app.login_as(&client, "Ann@Example.com", PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("pulse_session="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let home = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status().as_u16(), 200);
    assert!(body(home).await.contains("Your organisations"));
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_message() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    for (email, password) in [
        ("ann@example.com", "wrong password!"),
        ("nobody@example.com", PASSWORD),
    ] {
        let response = app.login_as(&browser(), email, password).await;
        assert_eq!(response.status().as_u16(), 401);
        let body = body(response).await;
        assert!(
            body.contains("The email or password is incorrect."),
            "{body}"
        );
    }
}

#[tokio::test]
async fn pages_redirect_to_sign_in_when_signed_out() {
    let app = spawn_app().await;
    let response = browser().get(app.url("/staff/orgs")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "/login?next=%2Fstaff%2Forgs"
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_account_even_for_the_right_password() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let client = browser();
    for _ in 0..MAX_FAILURES_PER_PLACE {
        let response = app
            .login_as(&client, "ann@example.com", "not the password")
            .await;
        assert_eq!(response.status().as_u16(), 401);
    }
    let locked = app.login_as(&client, "ann@example.com", PASSWORD).await;
    assert_eq!(locked.status().as_u16(), 429);
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60);
    // Another account from elsewhere is unaffected by this account's lock.
    app.create_user("bob@example.com", false);
    assert_eq!(
        app.login_as(&browser(), "bob@example.com", PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
}

#[tokio::test]
async fn sign_out_ends_the_session_for_a_replayed_cookie() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let client = browser();
    let response = app.login_as(&client, "ann@example.com", PASSWORD).await;
    let cookie = session_cookie(&response).unwrap();
    let logout = app.post_form(&client, "/logout", "/", &[]).await;
    assert_eq!(logout.status().as_u16(), 303);
    // A copy of the old cookie, replayed by another client, is refused.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/"))
        .header("Cookie", format!("pulse_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status().as_u16(), 303);
    assert!(
        replay.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

#[tokio::test]
async fn sign_in_only_redirects_within_the_site() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let client = browser();
    let response = app
        .post_form(
            &client,
            "/login",
            "/login",
            &[
                ("email", "ann@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/phish"),
            ],
        )
        .await;
    assert_eq!(response.headers()["location"], "/");
}

#[tokio::test]
async fn org_pages_follow_the_role_matrix() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    app.create_org("other", true);
    app.member("owner@acme.example", "acme", Role::Owner);
    app.member("admin@acme.example", "acme", Role::Admin);
    app.member("member@acme.example", "acme", Role::Member);
    app.member("outsider@other.example", "other", Role::Owner);
    app.create_user("staff@pulse.example", true);
    let cases = [
        ("owner@acme.example", 200, 200, 403),
        ("admin@acme.example", 200, 200, 403),
        ("member@acme.example", 200, 403, 403),
        ("outsider@other.example", 404, 404, 403),
        ("staff@pulse.example", 404, 404, 200),
    ];
    for (email, home, settings, staff) in cases {
        let client = app.signed_in(email).await;
        for (path, expected) in [
            ("/orgs/acme", home),
            ("/orgs/acme/settings", settings),
            ("/staff/orgs", staff),
        ] {
            let status = app.status_of(&client, path).await;
            assert_eq!(status, expected, "{email} GET {path}");
        }
    }
    // Members see no link to settings they cannot open.
    let member = app.signed_in("member@acme.example").await;
    let (_, page) = app.get_html(&member, "/orgs/acme").await;
    assert!(!page.contains("/orgs/acme/settings"));
    let owner = app.signed_in("owner@acme.example").await;
    let (_, page) = app.get_html(&owner, "/orgs/acme").await;
    assert!(page.contains("/orgs/acme/settings"));
}

#[tokio::test]
async fn idle_sessions_expire() {
    let app = spawn_app_with(|c| c.session_idle = Duration::minutes(30)).await;
    app.create_user("ann@example.com", false);
    let client = app.signed_in("ann@example.com").await;
    app.advance(Duration::minutes(29));
    assert_eq!(
        app.status_of(&client, "/").await,
        200,
        "active within the idle time"
    );
    app.advance(Duration::minutes(31));
    assert_eq!(app.status_of(&client, "/").await, 303);
}

#[tokio::test]
async fn sessions_end_at_the_absolute_timeout_even_when_active() {
    let app = spawn_app_with(|c| {
        c.session_idle = Duration::minutes(30);
        c.session_absolute = Duration::hours(2);
    })
    .await;
    app.create_user("ann@example.com", false);
    let client = app.signed_in("ann@example.com").await;
    // Active every 20 minutes, never idle for long, yet signed out two hours after sign-in.
    for _ in 0..5 {
        app.advance(Duration::minutes(20));
        assert_eq!(app.status_of(&client, "/").await, 200);
    }
    app.advance(Duration::minutes(21));
    assert_eq!(app.status_of(&client, "/").await, 303);
}

#[tokio::test]
async fn many_failures_from_one_address_are_throttled_across_accounts() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let client = browser();
    for i in 0..MAX_FAILURES_PER_ADDRESS {
        let response = app
            .login_as(&client, &format!("guess{i}@example.com"), "nope nope")
            .await;
        assert_eq!(response.status().as_u16(), 401);
    }
    assert_eq!(
        app.login_as(&client, "ann@example.com", PASSWORD)
            .await
            .status()
            .as_u16(),
        429
    );
}

#[tokio::test]
async fn housekeeping_removes_expired_sessions() {
    let app = spawn_app_with(|c| c.session_idle = Duration::minutes(30)).await;
    app.create_user("ann@example.com", false);
    let _client = app.signed_in("ann@example.com").await;
    let now = app.now();
    let retention = housekeeping::Retention::default();
    let kept = app.with_conn(|conn| housekeeping::sweep(conn, &retention, now).unwrap());
    assert_eq!(kept.sessions, 0, "a live session stays");
    let later = now + Duration::minutes(31);
    let swept = app.with_conn(|conn| housekeeping::sweep(conn, &retention, later).unwrap());
    assert!(swept.sessions >= 1);
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let laptop = app.signed_in("ann@example.com").await;
    let phone = app.signed_in("ann@example.com").await;
    let wrong = app
        .post_form(
            &laptop,
            "/account/password",
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("new_password", "a brand new passphrase"),
                ("new_password_again", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(
        wrong.status().as_u16(),
        401,
        "a wrong password, as at sign-in"
    );
    assert_eq!(app.status_of(&phone, "/").await, 200);
    let changed = app
        .post_form(
            &laptop,
            "/account/password",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
                ("new_password_again", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status().as_u16(), 303);
    assert_eq!(changed.headers()["location"], "/account?saved=password");
    let (_, account) = app.get_html(&laptop, "/account?saved=password").await;
    assert!(account.contains("Every other session was signed out"));
    assert_eq!(app.status_of(&laptop, "/").await, 200);
    assert_eq!(app.status_of(&phone, "/").await, 303);
    let old = app.login_as(&browser(), "ann@example.com", PASSWORD).await;
    assert_eq!(old.status().as_u16(), 401);
    let new = app
        .login_as(&browser(), "ann@example.com", "a brand new passphrase")
        .await;
    assert_eq!(new.status().as_u16(), 303);
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_and_count_towards_the_sign_in_lock() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let client = app.signed_in("ann@example.com").await;
    let change = |current: &'static str| {
        let (app, client) = (&app, &client);
        async move {
            let fields = [
                ("current_password", current),
                ("new_password", "a brand new passphrase"),
                ("new_password_again", "a brand new passphrase"),
            ];
            let path = "/account/password";
            app.post_form(client, path, path, &fields).await.status()
        }
    };
    for _ in 0..MAX_FAILURES_PER_PLACE {
        assert_eq!(change("a wrong guess").await, 401);
    }
    // Locked: even the right password is refused now, here and at sign-in.
    assert_eq!(change(PASSWORD).await, 429);
    let login = app.login_as(&browser(), "ann@example.com", PASSWORD).await;
    assert_eq!(login.status(), 429);
}
