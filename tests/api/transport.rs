//! With `Secure` cookies (the site is served over HTTPS): HSTS on every response and the
//! `__Host-` prefix on the session cookie. A browser sends `Secure` cookies only over HTTPS, so
//! this test carries them by hand over the loopback's plain HTTP.
use crate::helpers::{PASSWORD, attr_of, spawn_app, spawn_app_with};

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// `name=value` of the first cookie set, for a `Cookie` header.
fn pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[tokio::test]
async fn secure_cookies_bring_hsts_and_the_host_prefix() {
    let app = spawn_app_with(|c| c.cookie_secure = true).await;
    app.create_user("ann@example.com", false);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(
        form.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let sign_in_cookie = set_cookies(&form).remove(0);
    assert!(
        sign_in_cookie.starts_with("__Host-pulse_sign_in="),
        "{sign_in_cookie}"
    );
    let token = attr_of(
        &form.text().await.unwrap(),
        r#"input[name="csrf_token"]"#,
        "value",
    );
    let response = client
        .post(app.url("/login"))
        .header("Origin", &app.address)
        .header("Cookie", pair(&sign_in_cookie))
        .form(&[
            ("csrf_token", token.unwrap().as_str()),
            ("email", "ann@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let session = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("__Host-pulse_session="))
        .expect("session cookie with the __Host- prefix");
    for attribute in ["Secure", "HttpOnly", "Path=/", "SameSite=Lax"] {
        assert!(session.contains(attribute), "{attribute}: {session}");
    }
    assert!(!session.contains("Domain"), "{session}");
    let home = client
        .get(app.url("/"))
        .header("Cookie", pair(&session))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status().as_u16(), 200);
    assert!(home.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn plain_http_development_gets_no_hsts() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/login")).await.unwrap();
    assert!(!response.headers().contains_key("strict-transport-security"));
}
