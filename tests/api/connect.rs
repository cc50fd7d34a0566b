//! The "Connect your reports" page and the API documentation page: Markdown rendered, a Copy
//! button on every snippet, and snippets that carry this server's address and the token's prefix.
use pulse::domain::role::Role;

use crate::helpers::{TestApp, json, spawn_app, spawn_app_with};

fn select<'a>(page: &'a scraper::Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    page.select(&scraper::Selector::parse(css).unwrap())
        .collect()
}

/// The code of every snippet on a page, checking each has its Copy button.
fn snippets(html: &str) -> Vec<String> {
    let page = scraper::Html::parse_document(html);
    let blocks = select(&page, "div.snippet");
    assert!(!blocks.is_empty());
    blocks
        .iter()
        .map(|block| {
            let inner = scraper::Html::parse_fragment(&block.html());
            assert_eq!(select(&inner, "button[data-copy-snippet]").len(), 1);
            select(&inner, "pre code")[0].text().collect()
        })
        .collect()
}

async fn connect_page(app: &TestApp, client: &reqwest::Client) -> String {
    let (status, html) = app.get_html(client, "/orgs/acme/connect").await;
    assert_eq!(status, 200);
    html
}

#[tokio::test]
async fn recipes_carry_this_servers_address_and_the_tokens_prefix() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let (_, screen) = app.get_html(&owner, "/orgs/acme/settings/api").await;
    assert!(screen.contains("href=\"/orgs/acme/connect\""));
    assert!(
        connect_page(&app, &owner)
            .await
            .contains("has no API token yet")
    );

    let token = app.generate_token(&owner, "acme").await;
    let html = connect_page(&app, &owner).await;
    assert!(!html.contains("has no API token yet"));
    assert!(
        html.contains(&format!("<code>{}</code>", &token[..10])),
        "prefix shown"
    );
    let code = snippets(&html);
    assert_eq!(
        code.len(),
        5,
        "Power Query, From Web URL, Apps Script, two Python"
    );
    for snippet in &code {
        assert!(snippet.contains(&app.address), "{snippet}");
        assert!(!snippet.contains(&token), "never the token itself");
    }
    let power_query = &code[0];
    for needle in [
        "Web.Contents(",
        "Headers = [Authorization = \"Bearer \" & Token]",
        "List.Generate(",
        "next_cursor",
        "GetPage(\"\")",
    ] {
        assert!(power_query.contains(needle), "{needle} in {power_query}");
    }
    assert!(code[2].contains("UrlFetchApp.fetch") && code[3].contains("pd.read_csv"));
    assert!(code[4].contains("updated_since") && code[4].contains("sort"));
    // Markdown rendered, not shown raw.
    assert!(!html.contains("`format=csv`") && html.contains("<code>format=csv</code>"));

    // What the Power Query recipe does: first page with an empty cursor, then next_cursor.
    crate::data_fixtures::add_feedback(
        &app,
        "acme",
        &[("Globex", 9, app.now()), ("Globex", 2, app.now())],
    );
    let first = json(
        app.api_get(&token, "/api/v1/feedback?limit=1&cursor=")
            .await,
    )
    .await;
    let next = first["next_cursor"].as_str().unwrap();
    let second = json(
        app.api_get(&token, &format!("/api/v1/feedback?limit=1&cursor={next}"))
            .await,
    )
    .await;
    assert_ne!(first["data"][0]["id"], second["data"][0]["id"]);
}

#[tokio::test]
async fn members_see_the_recipes_for_the_public_address_and_outsiders_do_not() {
    let app = spawn_app_with(|c| c.public_url = Some("https://pulse.example.com".into())).await;
    app.create_org("acme", true);
    app.member("member@acme.example", "acme", Role::Member);
    app.create_org("rival", true);
    app.member("owner@rival.example", "rival", Role::Owner);
    let member = app.signed_in("member@acme.example").await;
    let code = snippets(&connect_page(&app, &member).await);
    assert!(code.iter().all(|c| c.contains("https://pulse.example.com")));
    let outsider = app.signed_in("owner@rival.example").await;
    assert_eq!(app.status_of(&outsider, "/orgs/acme/connect").await, 404);
}

#[tokio::test]
async fn the_api_documentation_renders_markdown_and_every_example_can_be_copied() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let (_, html) = app.get_html(&owner, "/orgs/acme/api-docs").await;
    let page = scraper::Html::parse_document(&html);
    let text: String = select(&page, "main")[0].text().collect();
    let code_text: String = select(&page, "main pre")
        .iter()
        .flat_map(|e| e.text())
        .collect();
    let backticks = text.matches('`').count() - code_text.matches('`').count();
    assert_eq!(backticks, 0, "raw Markdown backticks on the page");
    assert!(html.contains("<code>next_cursor</code>"));
    assert!(snippets(&html).len() >= 5);
    assert!(html.contains("href=\"/orgs/acme/connect\""));
}
