//! The "Import feedback" and "Analytics" pages (owners and admins).
use chrono::Datelike;
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

/// Posts `csv` through the Import feedback page as `client`, with the client names it holds
/// confirmed (as the page asks a person to, once they have checked the spelling).
async fn import(app: &TestApp, client: &reqwest::Client, csv: &str) -> reqwest::Response {
    const PAGE: &str = "/orgs/acme/import";
    let confirmed = serde_json::to_string(&client_names(csv)).unwrap();
    app.post_form(
        client,
        PAGE,
        PAGE,
        &[("csv", csv), ("new_clients", &confirmed)],
    )
    .await
}

/// The values of the `client` column of `csv`.
pub fn client_names(csv: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv.as_bytes());
    let Some(column) = reader
        .headers()
        .ok()
        .and_then(|h| h.iter().position(|name| name == "client"))
    else {
        return Vec::new();
    };
    reader
        .records()
        .filter_map(|r| r.ok()?.get(column).map(|name| name.trim().to_owned()))
        .collect()
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
        "Nothing was imported: 5 rows need fixing (5 mistakes)",
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
async fn errors_name_the_line_the_file_shows_and_every_mistake_of_a_row() {
    let app = spawn_app().await;
    let client = app.owner_of("acme").await;
    // A BOM, CRLF line ends, a comment over three lines and a blank line before the bad row.
    let csv = format!(
        "\u{feff}{HEADER}\r\n\
         Globex,Ann,ann@globex.example,9,\"one\r\ntwo\r\nthree\",Q1,2026-01-05\r\n\
         \r\n\
         ,Ben,not-an-email,11,,Q1,someday\r\n"
    );
    let response = import(&app, &client, &csv).await;
    assert_eq!(response.status(), 422);
    let html = body(response).await;
    for expected in [
        "Line 6: client is empty",
        "Line 6: respondent_email &#34;not-an-email&#34; is not an email address",
        "Line 6: score &#34;11&#34; is not a whole number from 0 to 10",
        "Line 6: submitted_at &#34;someday&#34; is not",
        "Nothing was imported: 1 row needs fixing (4 mistakes)",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in {html}");
    }
    assert_eq!(responses(&app, "acme"), 0);
}

#[tokio::test]
async fn importing_the_same_file_again_reports_duplicates_and_adds_nothing() {
    let app = spawn_app().await;
    let client = app.owner_of("acme").await;
    let csv = format!(
        "{HEADER}\n\
         Globex,Ann,ann@globex.example,9,,Q1,2026-01-05T10:00:00Z\n\
         Globex,Ben,ben@globex.example,3,,Q1,2026-01-05T10:00:00Z\n"
    );
    let first = body(import(&app, &client, &csv).await).await;
    assert!(first.contains("Imported 2 responses."), "{first}");
    assert!(!first.contains("duplicates"));
    let again = body(import(&app, &client, &csv).await).await;
    assert!(
        again.contains(
            "Imported 0 responses.\n2 responses were already there (duplicates) and were not added again."
        ),
        "{again}"
    );
    assert_eq!(responses(&app, "acme"), 2);
    // One new row beside a known one; a row repeated inside the file counts once.
    let more = format!(
        "{HEADER}\n\
         Globex,Ann,ann@globex.example,9,,Q1,2026-01-05T10:00:00Z\n\
         Globex,Cy,cy@globex.example,7,,Q1,2026-01-06\n\
         Globex,Cy,cy@globex.example,7,,Q1,2026-01-06\n"
    );
    let html = body(import(&app, &client, &more).await).await;
    assert!(
        html.contains("Imported 1 response.\n2 responses were already there"),
        "{html}"
    );
    assert_eq!(responses(&app, "acme"), 3);
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
async fn analytics_draws_nps_and_shares_on_their_own_axes_with_named_months() {
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
    let (status, html) = app.get_html(&client_http, "/orgs/acme/analytics").await;
    assert_eq!(status, 200);
    let page = scraper::Html::parse_document(&html);
    let select = |css: &str| scraper::Selector::parse(css).unwrap();
    let texts = |css: &str| -> Vec<String> {
        page.select(&select(css))
            .map(|e| e.text().collect())
            .collect()
    };
    // Accessible charts: a title and a description each, and the table as the alternative.
    for chart in ["svg.nps-chart", "svg.share-chart"] {
        let svg = page.select(&select(chart)).next().expect(chart);
        assert_eq!(svg.value().attr("role"), Some("img"));
        let title = svg.value().attr("aria-labelledby").unwrap();
        let desc = svg.value().attr("aria-describedby").unwrap();
        assert_eq!(texts(&format!("{chart} title#{title}")).len(), 1);
        assert_eq!(texts(&format!("{chart} desc#{desc}")).len(), 1);
    }
    assert!(texts("svg.nps-chart desc")[0].contains("NPS in 1 of 12 months: 33.3 in"));
    assert_eq!(texts("table#months-table caption").len(), 1);
    // Months by name with years: on the axis and in the table.
    // The current month is marked as not over yet.
    let this_month = app.now().format("%B %Y (so far)").to_string();
    assert_eq!(texts("tbody th[scope=row]").last(), Some(&this_month));
    let axis = texts("svg.nps-chart text.axis-label");
    assert!(axis.contains(&app.now().format("%b").to_string()));
    assert!(
        axis.iter().any(|t| t.len() == 4 && t.starts_with("20")),
        "a year: {axis:?}"
    );
    // NPS on −100…100; shares on 0–100 %, 2 of 3 promoters filling two thirds of the height.
    assert_eq!(
        texts("svg.nps-chart text.axis-label")[..5],
        ["100", "50", "0", "−50", "−100"]
    );
    assert_eq!(
        texts("svg.share-chart text.axis-label")[..5],
        ["100 %", "75 %", "50 %", "25 %", "0 %"]
    );
    let promoters = page
        .select(&select("svg.share-chart rect.promoters[height=\"133.3\"]"))
        .count();
    assert_eq!(promoters, 1);
    let points: Vec<_> = page.select(&select("circle.nps-point")).collect();
    assert_eq!(points.len(), 1);
    assert!(points[0].text().collect::<String>().contains("NPS 33.3"));
    // Numbers right-aligned; 12 months.
    assert_eq!(page.select(&select("tbody tr")).count(), 12);
    assert_eq!(page.select(&select("tbody td.num")).count(), 12 * 5);
    assert!(html.contains("(66.7 %)"));
    // CSP: no inline style or script anywhere on the page.
    assert!(!html.contains("style=") && !html.contains("<style") && !html.contains("<script>"));
}

#[tokio::test]
async fn analytics_shows_one_client_at_a_time_and_only_its_own() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    app.member("owner@acme.example", "acme", Role::Owner);
    app.create_org("rival", true);
    let recent = app.now() - chrono::Duration::days(1);
    add_feedback(
        &app,
        "acme",
        &[("Globex", 10, recent), ("Initech", 0, recent)],
    );
    add_feedback(&app, "rival", &[("Hidden", 10, recent)]);
    let client_http = app.signed_in("owner@acme.example").await;
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
    assert!(
        initech.contains(
            "(months in UTC; the current month so far): 1 response, NPS <strong>−100.0</strong>"
        ),
        "singular"
    );
    let hidden = page_for(id_of("rival", "Hidden")).await;
    assert!(hidden.contains("so far): 0 responses"));
    assert!(!hidden.contains("Hidden"));
}

#[tokio::test]
async fn analytics_states_the_window_the_api_gives_the_same_numbers_for() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    let now = app.now();
    // One response just inside the window, one just before it.
    let first = chrono::NaiveDate::from_ymd_opt(now.year(), now.month(), 1)
        .unwrap()
        .checked_sub_months(chrono::Months::new(11))
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    add_feedback(
        &app,
        "acme",
        &[
            ("Globex", 10, first),
            ("Globex", 0, first - chrono::Duration::seconds(1)),
            ("Globex", 3, now),
        ],
    );
    let owner = app.signed_in("owner@acme.example").await;
    let (_, html) = app.get_html(&owner, "/orgs/acme/analytics").await;
    let request = html
        .split("<code>GET ")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the API request")
        .replace("&amp;", "&");
    assert!(
        request.contains(&format!("since={}", first.format("%Y-%m-%d"))),
        "{request}"
    );
    assert!(html.contains(&format!("{} – ", first.format("%-d %B %Y"))));
    assert!(
        html.contains(": 2 responses, NPS <strong>0.0</strong>"),
        "window counts 2"
    );
    let api = crate::helpers::json(app.api_get(&token, &request).await).await;
    assert_eq!(api["overall"]["responses"], 2);
    assert_eq!(api["overall"]["nps"], 0.0);

    // The CSV download is the table shown, for a spreadsheet: BOM, CRLF, dated name.
    let response = owner
        .get(app.url("/orgs/acme/analytics/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let today = now.format("%Y-%m-%d");
    assert_eq!(
        response.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"acme-analytics-{today}.csv\"")
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()) && bytes.ends_with(b"\r\n"));
    let mut reader = csv::Reader::from_reader(&bytes[..]);
    assert_eq!(&reader.headers().unwrap()[0], "month");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 12);
    assert_eq!(&rows[0][0], first.format("%Y-%m").to_string().as_str());
    assert_eq!(
        (&rows[0][1], &rows[0][5], &rows[0][8]),
        ("1", "100.0", "100.0")
    );
    assert_eq!((&rows[1][1], &rows[1][8]), ("0", ""));
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
