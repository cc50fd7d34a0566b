//! Where sign-in sends the browser afterwards: only paths of this site, whatever `next` holds.
use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn next_never_leaves_the_site_and_never_breaks_the_redirect() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let cases = [
        ("/orgs/acme?tab=1", "/orgs/acme?tab=1"),
        ("//evil.example/phish", "/"),
        // Browsers drop tabs and newlines, then read `//evil.example`.
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        // Control characters and non-ASCII cannot go in a Location header at all.
        ("/\nx", "/"),
        ("/\u{1}x", "/"),
        ("/caf\u{e9}", "/"),
        ("/ x", "/"),
    ];
    for (next, expected) in cases {
        let client = crate::helpers::browser();
        let fields = [
            ("email", "ann@example.com"),
            ("password", PASSWORD),
            ("next", next),
        ];
        let response = app.post_form(&client, "/login", "/login", &fields).await;
        assert_eq!(response.status().as_u16(), 303, "next={next:?}");
        assert_eq!(response.headers()["location"], expected, "next={next:?}");
        assert_eq!(app.status_of(&client, "/").await, 200, "signed in");
    }
}

#[tokio::test]
async fn the_sign_in_form_carries_only_a_safe_next() {
    let app = spawn_app().await;
    let (status, html) = app
        .get_html(&crate::helpers::browser(), "/login?next=/%09/evil.example")
        .await;
    assert_eq!(status, 200);
    let next = crate::helpers::attr_of(&html, r#"input[name="next"]"#, "value");
    assert_eq!(next.as_deref(), Some("/"), "{html}");
}
