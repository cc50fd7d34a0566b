//! Incremental sync: `updated_at` kept by the database, `updated_since` + `sort=updated_at`
//! oldest change first with a gap-free cursor, and `Link: <…>; rel="next"`.
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use pulse::db::schema::feedback as f;

use crate::data_fixtures::{acme_with_feedback, add_feedback, at, set_updated_at};
use crate::helpers::{TestApp, json};

fn time(value: &serde_json::Value) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .naive_utc()
}

/// Every page of `path` (which must already have a query string), following `next_cursor`;
/// checks that the `Link` header names the same next page.
async fn walk(app: &TestApp, token: &str, path: &str) -> Vec<serde_json::Value> {
    let mut items = Vec::new();
    let mut url = path.to_owned();
    loop {
        let response = app.api_get(token, &url).await;
        let link = response
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let page = json(response).await;
        items.extend(page["data"].as_array().unwrap().iter().cloned());
        let Some(next) = page["next_cursor"].as_str() else {
            assert_eq!(link, None, "no Link on the last page");
            return items;
        };
        let link = link.expect("a Link header beside next_cursor");
        let target = link
            .strip_prefix('<')
            .and_then(|l| l.strip_suffix(">; rel=\"next\""))
            .unwrap_or_else(|| panic!("not an RFC 8288 next link: {link}"));
        let relative = target.strip_prefix(&app.address).expect("absolute URL");
        assert!(relative.ends_with(&format!("cursor={next}")), "{relative}");
        url = relative.to_owned();
    }
}

#[tokio::test]
async fn the_database_sets_updated_at_on_insert_and_on_change() {
    let (app, token) = acme_with_feedback(&[("Globex", 9, at("2025-01-10"))]).await;
    let before = app.now();
    let item = &json(app.api_get(&token, "/api/v1/feedback").await).await["data"][0];
    let inserted = time(&item["updated_at"]);
    assert!(
        (inserted - before).num_seconds().abs() <= 5,
        "{inserted} vs {before}"
    );

    let old = at("2025-06-01");
    set_updated_at(&app, "acme", old);
    app.with_conn(|conn| {
        diesel::update(f::table)
            .set(f::score.eq(3))
            .execute(conn)
            .unwrap();
    });
    let item = &json(app.api_get(&token, "/api/v1/feedback").await).await["data"][0];
    assert_eq!(item["score"], 3);
    assert!(time(&item["updated_at"]) > old + Duration::days(300));
}

#[tokio::test]
async fn a_late_import_of_old_responses_reaches_an_incremental_refresh() {
    let base = at("2026-01-01");
    let rows: Vec<(&str, i32, _)> = (0..9)
        .map(|i| ("Globex", i, base + Duration::hours(i64::from(i))))
        .collect();
    let (app, token) = acme_with_feedback(&rows).await;
    set_updated_at(&app, "acme", app.now() - Duration::days(1));

    // First full load, oldest change first, three at a time.
    let first = walk(&app, &token, "/api/v1/feedback?sort=updated_at&limit=3").await;
    assert_eq!(first.len(), 9);
    let ids: Vec<i64> = first.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ties go by id: {ids:?}"
    );
    let stored = first.last().unwrap()["updated_at"]
        .as_str()
        .unwrap()
        .to_owned();

    // Today someone imports a response from last January, and changes an old one.
    add_feedback(&app, "acme", &[("Initech", 10, at("2026-01-15"))]);
    app.with_conn(|conn| {
        diesel::update(f::table.filter(f::id.eq(ids[0] as i32)))
            .set(f::comment.eq(Some("edited")))
            .execute(conn)
            .unwrap();
    });
    let refresh = format!("/api/v1/feedback?sort=updated_at&updated_since={stored}");
    // A submitted_at window misses the late import; updated_since does not.
    let by_submitted = json(
        app.api_get(&token, "/api/v1/feedback?since=2026-01-16")
            .await,
    )
    .await;
    assert_eq!(by_submitted["data"].as_array().unwrap().len(), 0);
    // Changes of the last seconds are held back, so none is skipped while still being saved.
    let fresh = walk(&app, &token, &refresh).await;
    assert!(fresh.iter().all(|i| i["comment"] != "edited"), "{fresh:?}");
    app.advance(Duration::seconds(11));
    let refreshed = walk(&app, &token, &refresh).await;
    let changed: Vec<&serde_json::Value> = refreshed
        .iter()
        .filter(|i| time(&i["updated_at"]) > time(&serde_json::json!(stored)))
        .collect();
    assert_eq!(changed.len(), 2, "{refreshed:?}");
    assert!(changed.iter().any(|i| i["client_name"] == "Initech"));
    assert!(changed.iter().any(|i| i["comment"] == "edited"));
}

#[tokio::test]
async fn the_default_order_pages_with_link_headers_and_cursors_keep_their_order() {
    let base = at("2026-02-01");
    let rows: Vec<(&str, i32, _)> = (0..7)
        .map(|i| ("Globex", 5, base + Duration::minutes(i64::from(i / 2))))
        .collect();
    let (app, token) = acme_with_feedback(&rows).await;
    let all = walk(&app, &token, "/api/v1/feedback?client=1&limit=2").await;
    assert_eq!(all.len(), 7);
    let first = json(app.api_get(&token, "/api/v1/feedback?limit=2").await).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let other = app
        .api_get(
            &token,
            &format!("/api/v1/feedback?limit=2&sort=updated_at&cursor={cursor}"),
        )
        .await;
    assert_eq!(other.status(), 400);
    let problem: serde_json::Value = other.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("sort"));
    let bad_sort = app.api_get(&token, "/api/v1/feedback?sort=score").await;
    assert_eq!(bad_sort.status(), 400);
}

#[tokio::test]
async fn json_keeps_a_missing_comment_apart_from_an_empty_one() {
    let (app, token) = acme_with_feedback(&[
        ("Globex", 9, at("2026-01-01")),
        ("Globex", 9, at("2026-01-02")),
    ])
    .await;
    app.with_conn(|conn| {
        diesel::update(f::table.filter(f::submitted_at.eq(at("2026-01-02"))))
            .set(f::comment.eq(Some("")))
            .execute(conn)
            .unwrap();
    });
    let page = json(app.api_get(&token, "/api/v1/feedback").await).await;
    assert_eq!(page["data"][0]["comment"], serde_json::json!(""));
    assert_eq!(page["data"][1]["comment"], serde_json::Value::Null);
}
