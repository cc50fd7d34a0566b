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
    assert!(code[2].contains("UrlFetchApp.fetch") && code[3].contains("pd.read_csv"));
    assert!(code[4].contains("updated_since") && code[4].contains("sort"));
    // Markdown rendered, not shown raw.
    assert!(!html.contains("`format=csv`") && html.contains("<code>bom=true</code>"));
    // The Apps Script's formula guard catches a tab or carriage return before a formula too.
    assert!(code[2].contains(r"/^[=+\-@\t\r]/"), "{}", code[2]);
}

/// The text between `start` and the next `end` in `text`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {text}"))
        + start.len();
    let len = text[from..].find(end).unwrap();
    &text[from..from + len]
}

/// The quoted strings of a Power Query list or record literal.
fn quoted(text: &str) -> Vec<&str> {
    text.split('"').skip(1).step_by(2).collect()
}

/// The Power Query recipe keeps the token in the credential store (Basic, token as the
/// password), pages with an empty first cursor, and names its columns so that zero rows still
/// make a typed table. Power Query cannot run here: this makes the requests it makes, as it
/// makes them, and checks the columns and types against what the API answers.
#[tokio::test]
async fn the_power_query_recipe_uses_the_credential_store_and_survives_zero_rows() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    let html = connect_page(&app, &owner).await;
    let recipe = snippets(&html).remove(0);
    for absent in ["Authorization", "Headers", "Token", "pulse_"] {
        assert!(!recipe.contains(absent), "{absent} in the query: {recipe}");
    }
    let text: String = scraper::Html::parse_document(&html)
        .root_element()
        .text()
        .collect();
    for instruction in [
        "choose Basic",
        "password: your token",
        "Data source credentials",
        "Authentication method Basic",
        "Scheduled refresh",
    ] {
        assert!(text.contains(instruction), "the page says: {instruction}");
    }

    let base = between(&recipe, "BaseUrl = \"", "\"");
    let path = between(&recipe, "RelativePath = \"", "\"");
    assert_eq!(base, app.address);
    assert!(recipe.contains("Query = [limit = \"1000\", cursor = cursor]"));
    assert!(recipe.contains("GetPage(\"\")") && recipe.contains("GetPage(_[next_cursor])"));
    let columns = quoted(between(&recipe, "Columns = {", "}"));
    assert!(
        recipe.contains("Table.FromRecords(List.Combine(Pages), Columns, MissingField.UseNull)")
    );
    let typed = between(&recipe, "Table.TransformColumnTypes(", "in\n");
    let typed_columns: Vec<&str> = quoted(typed).into_iter().collect();
    assert!(
        typed_columns.iter().all(|c| columns.contains(c)),
        "{typed_columns:?}"
    );

    // As Power BI sends it: Basic credentials from its store, the query's own parameters.
    let token = token.as_str();
    let get_page = |cursor: String| {
        let url = format!("{base}/{path}?limit=1000&cursor={cursor}");
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .basic_auth("pulse", Some(token))
                .send()
                .await
                .unwrap();
            json(response).await
        }
    };
    // Zero rows: an empty page, and the recipe's columns are the table's.
    let empty = get_page(String::new()).await;
    assert_eq!(empty, serde_json::json!({"data": [], "next_cursor": null}));

    crate::data_fixtures::add_feedback(
        &app,
        "acme",
        &[("Globex", 9, app.now()), ("Globex", 2, app.now())],
    );
    let mut rows = Vec::new();
    let mut page = get_page(String::new()).await;
    loop {
        rows.extend(page["data"].as_array().unwrap().clone());
        let Some(next) = page["next_cursor"].as_str() else {
            break;
        };
        page = get_page(next.to_owned()).await;
    }
    assert_eq!(rows.len(), 2);
    let mut fields: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = columns.clone();
    fields.sort_unstable();
    expected.sort_unstable();
    assert_eq!(fields, expected, "Columns names every field of a response");
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
