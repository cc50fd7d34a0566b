//! The token as HTTP Basic credentials, for credential stores that hold only a user name and a
//! password (Power BI's and Excel's "Basic"): the token as the user name with an empty password,
//! or as the password with any user name. Refusals are the bearer ones, code for code.
use pulse::domain::api_tokens::{Expiry, Grace};
use pulse::domain::role::Role;
use pulse::domain::token::PlainToken;

use crate::helpers::{TestApp, assert_problem, json, spawn_app, spawn_app_with};

async fn get(app: &TestApp, path: &str, authorization: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(path))
        .header("Authorization", authorization)
        .send()
        .await
        .unwrap()
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let pair = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

#[tokio::test]
async fn the_token_works_as_the_user_name_or_as_the_password() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    let bearer = json(get(&app, "/api/v1/feedback", &format!("Bearer {token}")).await).await;
    for authorization in [
        basic(&token, ""),
        basic("report", &token),
        basic("", &token),
        // A password wins over the user name: Power BI's service asks for both.
        basic("pulse_not-a-token", &token),
    ] {
        let me = json(get(&app, "/api/v1/whoami", &authorization).await).await;
        assert_eq!(me["organisation"]["slug"], "acme", "{authorization}");
        let page = json(get(&app, "/api/v1/feedback", &authorization).await).await;
        assert_eq!(page, bearer);
    }
    // reqwest's own Basic (as any HTTP library writes it) with no password at all.
    let no_password = reqwest::Client::new()
        .get(app.url("/api/v1/whoami"))
        .basic_auth(&token, None::<&str>)
        .send()
        .await
        .unwrap();
    assert_eq!(no_password.status(), 200);
}

#[tokio::test]
async fn basic_refusals_are_the_bearer_refusals() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let owner = app.member("owner@acme.example", "acme", Role::Owner);
    let (first, first_id) = app.issue_as("acme", owner.id, Expiry::NEVER).unwrap();
    let (current, _) = app
        .regenerate_as("acme", owner.id, first_id, Grace::None)
        .unwrap();
    let unknown = PlainToken::generate().expose().to_owned();
    let cases = [
        (first.as_str(), "token_revoked"),
        (unknown.as_str(), "token_unknown"),
        ("pulse_short", "token_malformed"),
    ];
    for (token, code) in cases {
        let by_bearer = get(&app, "/api/v1/whoami", &format!("Bearer {token}")).await;
        let by_basic = get(&app, "/api/v1/whoami", &basic("report", token)).await;
        let challenge = by_basic.headers()["www-authenticate"].clone();
        assert_eq!(by_bearer.headers()["www-authenticate"], challenge);
        assert!(
            challenge
                .to_str()
                .unwrap()
                .ends_with(r#"Basic realm="pulse", charset="UTF-8""#),
            "{challenge:?}"
        );
        let (by_bearer, by_basic) = (
            assert_problem(by_bearer, 401).await,
            assert_problem(by_basic, 401).await,
        );
        assert_eq!(by_basic["code"], code);
        assert_eq!(by_basic, by_bearer);
    }
    for garbage in ["Basic", "Basic %%%", "Basic cHVsc2U="] {
        let refused = assert_problem(get(&app, "/api/v1/whoami", garbage).await, 401).await;
        assert_eq!(refused["code"], "token_malformed", "{garbage}");
    }

    let staff = app.create_user("staff@pulse.example", true);
    app.set_api_access("acme", false, staff.id);
    let disabled = get(&app, "/api/v1/whoami", &basic(&current, "")).await;
    assert_eq!(assert_problem(disabled, 403).await["code"], "api_disabled");
}

#[tokio::test]
async fn basic_and_bearer_draw_on_the_same_rate_limit() {
    let app = spawn_app_with(|config| config.api_rate_limit = 2).await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    assert_eq!(app.whoami_status(&token).await, 200);
    let second = get(&app, "/api/v1/whoami", &basic("report", &token)).await;
    assert_eq!(second.status(), 200);
    let third = get(&app, "/api/v1/whoami", &basic(&token, "")).await;
    assert_eq!(assert_problem(third, 429).await["code"], "rate_limited");
}
