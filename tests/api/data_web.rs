//! The "Import feedback" and "Analytics" pages (owners and admins).
use pulse::domain::role::Role;
use pulse::domain::scores;
use pulse::repo::feedback::{self, Filter};

use crate::data_fixtures::add_feedback;
use crate::helpers::{TestApp, body, spawn_app};

fn responses(app: &TestApp, slug: &str) -> i64 {
    let org = app.org_id(slug);
    app.with_conn(|conn| {
        scores::totals(conn, org, &Filter::default())
            .unwrap()
            .responses
    })
}

/// Posts `csv` through the Import feedback page as `client`.
async fn import(app: &TestApp, client: &reqwest::Client, csv: &str) -> reqwest::Response {
    const PAGE: &str = "/orgs/acme/import";
    app.post_form(client, PAGE, PAGE, &[("csv", csv)]).await
}

const HEADER: &str = "client,respondent_name,respondent_email,score,comment,survey,submitted_at";

#[tokio::test]
async fn a_valid_file_is_imported_whole() {
    let app = spawn_app().await;
    let client = app.owner_of("acme").await;
    let csv = format!(
        "{HEADER}\n\
         \"Globex, Inc.\",Zoë,zoe@globex.example,10,\"Great, \"\"really\"\"\nthanks\",Q1,2026-01-05T10:00:00Z\n\
         Initech,Bob,bob@initech.example,3,,Q1,2026-01-06\n"
    );
    let response = import(&app, &client, &csv).await;
    assert_eq!(response.status(), 200);
    assert!(body(response).await.contains("Imported 2 responses"));
    assert_eq!(responses(&app, "acme"), 2);
    let org = app.org_id("acme");
    let rows = app.with_conn(|conn| {
        feedback::page(conn, org, &Filter::default(), &Default::default(), 10).unwrap()
    });
    assert_eq!(rows[1].client_name, "Globex, Inc.");
    assert_eq!(
        rows[1].answer.comment.as_deref(),
        Some("Great, \"really\"\nthanks")
    );
    assert_eq!(rows[0].answer.comment, None);
}

#[tokio::test]
async fn a_file_with_bad_rows_lists_them_and_imports_nothing() {
    let app = spawn_app().await;
    let client = app.owner_of("acme").await;
    let future = (app.now() + chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let csv = format!(
        "{HEADER}\n\
         Globex,Ann,ann@globex.example,9,,Q1,2026-01-05\n\
         Globex,Ben,ben@globex.example,11,,Q1,2026-01-05\n\
         ,Cy,cy@globex.example,5,,Q1,2026-01-05\n\
         Globex,Di,not-an-email,5,,Q1,2026-01-05\n\
         Globex,Ed,ed@globex.example,5,,Q1,last tuesday\n\
         Globex,Fay,fay@globex.example,5,,Q1,{future}\n"
    );
    let response = import(&app, &client, &csv).await;
    assert_eq!(response.status(), 422);
    let html = body(response).await;
    for expected in [
        "Line 3: score &#34;11&#34; is not a whole number from 0 to 10",
        "Line 4: client is empty",
        "Line 5: respondent_email",
        "Line 6: submitted_at",
        "Line 7: submitted_at is in the future",
        "Nothing was imported: 5 row(s)",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in {html}");
    }
    assert!(!html.contains("Line 2:"));
    assert_eq!(responses(&app, "acme"), 0);

    let missing_column = import(&app, &client, "client,score\nGlobex,9\n").await;
    assert_eq!(missing_column.status(), 422);
    assert!(
        body(missing_column)
            .await
            .contains("Line 1: the header row lacks")
    );
}

#[tokio::test]
async fn members_cannot_import_or_see_analytics() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    app.member("member@acme.example", "acme", Role::Member);
    let client = app.signed_in("member@acme.example").await;
    for path in ["/orgs/acme/import", "/orgs/acme/analytics"] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 403, "{path}");
    }
}

#[tokio::test]
async fn analytics_draws_the_monthly_nps_as_svg() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    app.member("owner@acme.example", "acme", Role::Owner);
    let recent = app.now() - chrono::Duration::days(1);
    add_feedback(
        &app,
        "acme",
        &[
            ("Globex", 10, recent),
            ("Globex", 10, recent),
            ("Globex", 0, recent),
        ],
    );
    let client_http = app.signed_in("owner@acme.example").await;
    let response = client_http
        .get(app.url("/orgs/acme/analytics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = body(response).await;
    let page = scraper::Html::parse_document(&html);
    let select = |css: &str| scraper::Selector::parse(css).unwrap();
    assert_eq!(page.select(&select("svg.chart")).count(), 1);
    // One point for the one month with responses: 2 of 3 promoters, 1 detractor → 33.3.
    let points: Vec<_> = page.select(&select("circle.nps-point")).collect();
    assert_eq!(points.len(), 1);
    assert!(points[0].text().collect::<String>().contains("NPS 33.3"));
    assert_eq!(page.select(&select("tbody tr")).count(), 12);
    // CSP: no inline style or script anywhere on the page.
    assert!(!html.contains("style=") && !html.contains("<style") && !html.contains("<script>"));

    // One client at a time; another organisation's client shows nothing of it.
    app.create_org("rival", true);
    add_feedback(&app, "acme", &[("Initech", 0, recent)]);
    add_feedback(&app, "rival", &[("Hidden", 10, recent)]);
    let id_of = |slug: &str, name: &str| {
        let org = app.org_id(slug);
        app.with_conn(|conn| {
            pulse::repo::clients::find_by_name(conn, org, name)
                .unwrap()
                .unwrap()
                .id
        })
    };
    let page_for = |client: i32| {
        let path = format!("/orgs/acme/analytics?client={client}");
        let (app, client_http) = (&app, &client_http);
        async move { app.get_html(client_http, &path).await.1 }
    };
    let initech = page_for(id_of("acme", "Initech")).await;
    assert!(initech.contains("Last 12 months: 1 responses, NPS <strong>-100.0</strong>"));
    let hidden = page_for(id_of("rival", "Hidden")).await;
    assert!(hidden.contains("Last 12 months: 0 responses"));
    assert!(!hidden.contains("Hidden"));
}

#[tokio::test]
async fn api_docs_list_every_endpoint_with_curl_for_this_server() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    app.member("owner@acme.example", "acme", Role::Owner);
    let client = app.signed_in("owner@acme.example").await;
    let screen = client
        .get(app.url("/orgs/acme/settings/api"))
        .send()
        .await
        .unwrap();
    assert!(body(screen).await.contains("href=\"/orgs/acme/api-docs\""));
    let (_, html) = app.get_html(&client, "/orgs/acme/api-docs").await;
    for path in [
        "/api/v1/feedback",
        "/api/v1/scores",
        "/api/v1/clients",
        "/api/v1/whoami",
    ] {
        assert!(html.contains(&format!("GET {path}")), "{path} missing");
        assert!(
            html.contains(&format!("{}{path}", app.url(""))),
            "no curl for {path}"
        );
    }
    assert!(html.contains("<code>group_by</code>"));
}
