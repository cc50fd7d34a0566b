//! The account page lists the user's sessions and ends any or all of the others.
use crate::helpers::{PASSWORD, TestApp, attr_of, spawn_app};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1";

/// A browser with `user_agent`, signed in as `email`.
async fn device(app: &TestApp, email: &str, user_agent: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .build()
        .unwrap();
    let response = app.login_as(&client, email, PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303);
    client
}

/// The handle of the first session on the account page that is not the viewer's own.
async fn other_handle(app: &TestApp, client: &reqwest::Client) -> String {
    let (_, page) = app.get_html(client, "/account").await;
    attr_of(&page, r#"input[name="handle"]"#, "value").expect("another session to end")
}

/// Asks, from `client`, to end the session `handle`; the response's status.
async fn end(app: &TestApp, client: &reqwest::Client, handle: &str) -> u16 {
    let fields = [("handle", handle)];
    app.post_form(client, "/account/sessions/end", "/account", &fields)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_account_page_lists_sessions_with_device_address_and_last_seen() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let laptop = device(&app, "ann@example.com", FIREFOX).await;
    let _phone = device(&app, "ann@example.com", IPHONE).await;
    let (status, page) = app.get_html(&laptop, "/account").await;
    assert_eq!(status, 200);
    assert!(page.contains("Firefox on Linux"), "{page}");
    assert!(page.contains("Safari on iOS"), "{page}");
    assert!(page.contains("127.0.0.1"));
    assert_eq!(page.matches("This browser").count(), 1);
    assert_eq!(
        page.matches("<time").count(),
        4,
        "signed in and last seen, twice"
    );
    // Only the other session has a button, and no page shows the row id or the cookie.
    assert_eq!(page.matches(r#"name="handle""#).count(), 1);
}

#[tokio::test]
async fn ending_another_session_signs_that_browser_out_only() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let laptop = device(&app, "ann@example.com", FIREFOX).await;
    let phone = device(&app, "ann@example.com", IPHONE).await;
    let handle = other_handle(&app, &laptop).await;
    assert_eq!(end(&app, &laptop, &handle).await, 303);
    assert_eq!(
        app.status_of(&phone, "/").await,
        303,
        "the phone is signed out"
    );
    assert_eq!(app.status_of(&laptop, "/").await, 200, "the laptop is not");
    // Ending it again is a clear refusal.
    assert_eq!(end(&app, &laptop, &handle).await, 400, "already ended");
}

#[tokio::test]
async fn nobody_can_end_someone_elses_session_or_their_own_by_handle() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    app.create_user("bob@example.com", false);
    let ann = device(&app, "ann@example.com", FIREFOX).await;
    let ann_phone = device(&app, "ann@example.com", IPHONE).await;
    let bob = device(&app, "bob@example.com", FIREFOX).await;
    let anns_other = other_handle(&app, &ann).await;
    assert_eq!(end(&app, &bob, &anns_other).await, 400);
    assert_eq!(app.status_of(&ann_phone, "/").await, 200, "nothing ended");
    // The laptop's page shows the phone's handle; the phone cannot end itself by it.
    let phones_own = other_handle(&app, &ann).await;
    assert_eq!(end(&app, &ann_phone, &phones_own).await, 400);
    assert_eq!(app.status_of(&ann_phone, "/").await, 200);
    let missing = app
        .post_form(&ann, "/account/sessions/end", "/account", &[])
        .await;
    assert_eq!(missing.status().as_u16(), 400);
}

#[tokio::test]
async fn sign_out_everywhere_else_keeps_only_this_browser() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let laptop = device(&app, "ann@example.com", FIREFOX).await;
    let others = [
        device(&app, "ann@example.com", IPHONE).await,
        device(&app, "ann@example.com", "curl/8.0").await,
    ];
    let ended = app
        .post_form(&laptop, "/account/sessions/end-others", "/account", &[])
        .await;
    assert_eq!(ended.status().as_u16(), 303);
    for other in &others {
        assert_eq!(app.status_of(other, "/").await, 303);
    }
    let (_, page) = app.get_html(&laptop, "/account").await;
    assert_eq!(
        page.matches("<tr>").count(),
        2,
        "header and this browser: {page}"
    );
}
