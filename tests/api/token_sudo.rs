//! Sudo mode: Generate, Regenerate, Revoke and End now need the password entered within the
//! last ten minutes; otherwise a prompt asks for it and then carries the action out. Wrong
//! guesses count towards the sign-in lock.
use chrono::Duration;
use pulse::domain::accounts::MAX_FAILURES_PER_PLACE;

use crate::helpers::{PASSWORD, TestApp, attr_of, body, browser, spawn_app};
use crate::token_screen::{SCREEN, current_token_id, token_rows};

const GENERATE: &str = "/orgs/acme/settings/api/generate";

/// The fields of the prompt's form, as a browser would post them with `password`.
fn prompt_fields(html: &str, password: &str) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("main form input[type=hidden]").unwrap();
    let mut fields: Vec<(String, String)> = doc
        .select(&selector)
        .filter_map(|input| {
            let name = input.value().attr("name")?;
            Some((name.to_owned(), input.value().attr("value")?.to_owned()))
        })
        .collect();
    fields.push(("password".into(), password.into()));
    fields
}

pub async fn submit_prompt(
    app: &TestApp,
    client: &reqwest::Client,
    prompt: &str,
    password: &str,
) -> reqwest::Response {
    let action = attr_of(prompt, "main form", "action").expect("the prompt posts somewhere");
    let fields = prompt_fields(prompt, password);
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.post_raw(client, &action, &fields).await
}

#[tokio::test]
async fn an_old_password_entry_gets_a_prompt_that_then_carries_the_action_out() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.advance(Duration::minutes(11));
    let prompt = app
        .post_form(&owner, GENERATE, SCREEN, &[("expiry", "90")])
        .await;
    assert_eq!(prompt.status(), 200);
    let prompt = body(prompt).await;
    assert!(prompt.contains("Confirm your password") && prompt.contains("generate the token"));
    assert!(
        token_rows(&app).is_empty(),
        "nothing happens before the password"
    );
    let done = submit_prompt(&app, &owner, &prompt, PASSWORD).await;
    assert_eq!(done.status(), 303);
    let (_, screen) = app.get_html(&owner, SCREEN).await;
    assert!(
        screen.contains("Expires on"),
        "the choice made before the prompt is kept"
    );
    // Now within ten minutes: no prompt for the next action.
    let regenerated = app.regenerate_token(&owner, "acme", "none").await;
    assert_eq!(regenerated.status(), 303);
}

#[tokio::test]
async fn an_empty_password_on_the_prompt_is_no_password() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.advance(Duration::minutes(11));
    let prompt = body(app.post_form(&owner, GENERATE, SCREEN, &[]).await).await;
    let empty = submit_prompt(&app, &owner, &prompt, "").await;
    assert_eq!(empty.status(), 400);
    let again = body(empty).await;
    assert!(again.contains("Confirm your password") && again.contains("Enter your password."));
    assert!(token_rows(&app).is_empty(), "nothing was generated");
}

#[tokio::test]
async fn regenerate_revoke_and_end_now_ask_for_the_password_too() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.generate_token(&owner, "acme").await;
    app.regenerate_token(&owner, "acme", "24h").await;
    app.advance(Duration::minutes(11));
    let before = token_rows(&app);
    let current = current_token_id(&app);
    let actions = [
        (
            "regenerate",
            vec![("current", current.as_str()), ("grace", "none")],
        ),
        ("revoke", vec![("current", current.as_str())]),
        ("grace/end", vec![]),
        ("reveal", vec![]),
    ];
    for (action, fields) in actions {
        let path = format!("{SCREEN}/{action}");
        let response = app.post_form(&owner, &path, SCREEN, &fields).await;
        assert_eq!(response.status(), 200, "{action}");
        assert!(
            body(response).await.contains("Confirm your password"),
            "{action}"
        );
    }
    assert_eq!(token_rows(&app), before, "nothing changed");
}

#[tokio::test]
async fn wrong_passwords_on_the_prompt_count_towards_the_sign_in_lock() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.advance(Duration::minutes(11));
    let prompt = body(app.post_form(&owner, GENERATE, SCREEN, &[]).await).await;
    for _ in 0..MAX_FAILURES_PER_PLACE {
        let wrong = submit_prompt(&app, &owner, &prompt, "a wrong guess").await;
        assert_eq!(
            wrong.status(),
            401,
            "a wrong password has one status everywhere"
        );
        assert!(body(wrong).await.contains("The password is incorrect"));
    }
    let locked = submit_prompt(&app, &owner, &prompt, PASSWORD).await;
    assert_eq!(locked.status(), 429);
    let login = app
        .login_as(&browser(), "owner@acme.example", PASSWORD)
        .await;
    assert_eq!(login.status(), 429);
    assert!(token_rows(&app).is_empty());
}
