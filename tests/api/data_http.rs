//! HTTP done properly on the data API: compression, validators and 304, caching, `Accept`
//! quality values, HEAD, 405 with `Allow`, and the forms of time a tool may send.
use chrono::Duration;
use reqwest::Method;

use crate::data_fixtures::{acme_with_feedback, add_feedback, at, set_updated_at};
use crate::helpers::{body, json, spawn_app};

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn answers_are_compressed_when_asked_and_only_then() {
    let rows: Vec<(&str, i32, _)> = (0..300)
        .map(|i| ("Globex", i % 11, at("2026-01-05")))
        .collect();
    let (app, token) = acme_with_feedback(&rows).await;
    let path = "/api/v1/feedback?limit=300";
    let plain = app.api_request(&token, Method::GET, path, &[]).await;
    assert_eq!(header(&plain, "content-encoding"), None);
    let plain_etag = header(&plain, "etag").unwrap();
    let plain_len = plain.bytes().await.unwrap().len();
    for coding in ["gzip", "br"] {
        let encoded = app
            .api_request(&token, Method::GET, path, &[("Accept-Encoding", coding)])
            .await;
        assert_eq!(
            header(&encoded, "content-encoding").as_deref(),
            Some(coding)
        );
        // A compressed body is another representation: its strong ETag says which.
        let etag = header(&encoded, "etag").unwrap();
        assert_eq!(
            etag,
            format!("{}-{coding}\"", plain_etag.trim_end_matches('"'))
        );
        let len = encoded.bytes().await.unwrap().len();
        assert!(len * 5 < plain_len, "{coding}: {len} of {plain_len} bytes");
        let again = app
            .api_request(
                &token,
                Method::GET,
                path,
                &[("Accept-Encoding", coding), ("If-None-Match", &etag)],
            )
            .await;
        assert_eq!(again.status(), 304, "{coding}");
        assert_eq!(header(&again, "etag"), Some(etag));
    }
    // Pages are never compressed (they carry CSRF tokens).
    let page = reqwest::Client::new()
        .get(app.url("/login"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&page, "content-encoding"), None);
}

#[tokio::test]
async fn scores_clients_and_feedback_pages_revalidate_with_304() {
    let (app, token) = acme_with_feedback(&[("Globex", 9, at("2026-01-05"))]).await;
    // Last-Modified waits until the last change has settled (see the next test).
    app.advance(Duration::seconds(11));
    for path in [
        "/api/v1/scores?group_by=month&until=2026-02-01",
        "/api/v1/clients",
        "/api/v1/feedback?limit=5",
        "/api/v1/scores?format=csv",
        "/api/v1/scores.csv?group_by=client",
        "/api/v1/clients.csv",
    ] {
        let first = app.api_get(&token, path).await;
        assert_eq!(first.status(), 200, "{path}");
        assert_eq!(
            header(&first, "cache-control").as_deref(),
            Some("private, no-cache")
        );
        let etag = header(&first, "etag").unwrap();
        assert!(
            etag.starts_with('"') && !etag.starts_with("W/"),
            "strong: {etag}"
        );
        let modified = header(&first, "last-modified").expect("Last-Modified");
        let same = body(first).await;
        let with = |name: &'static str, value: String| {
            let (app, token) = (&app, &token);
            async move {
                app.api_request(token, Method::GET, path, &[(name, &value)])
                    .await
            }
        };
        let cached = with("If-None-Match", etag.clone()).await;
        assert_eq!(cached.status(), 304, "{path}");
        assert_eq!(header(&cached, "etag"), Some(etag.clone()));
        assert!(body(cached).await.is_empty());
        assert_eq!(
            with("If-Modified-Since", modified.clone()).await.status(),
            304
        );
        assert_eq!(
            with("If-None-Match", "\"other\"".into()).await.status(),
            200
        );
        assert_eq!(
            body(app.api_get(&token, path).await).await,
            same,
            "{path} is stable"
        );
    }
    // New data: new validators, so the cached copies are refreshed.
    let before = header(&app.api_get(&token, "/api/v1/scores").await, "etag").unwrap();
    add_feedback(&app, "acme", &[("Globex", 2, at("2026-01-06"))]);
    let after = app
        .api_request(
            &token,
            Method::GET,
            "/api/v1/scores",
            &[("If-None-Match", &before)],
        )
        .await;
    assert_eq!(after.status(), 200);
    assert_ne!(header(&after, "etag").unwrap(), before);
    // Pages keep no-store.
    let page = reqwest::get(app.url("/login")).await.unwrap();
    assert_eq!(header(&page, "cache-control").as_deref(), Some("no-store"));
}

/// HTTP dates have whole seconds: a date taken while rows are still being added in its second
/// (or committed late with an earlier stamp) would call a copy current that misses them. So no
/// `Last-Modified` until the last change is ten seconds old, and no 304 by date before then.
#[tokio::test]
async fn no_stale_304_for_a_change_in_the_same_second() {
    let (app, token) = acme_with_feedback(&[("Globex", 9, at("2026-01-05"))]).await;
    set_updated_at(&app, "acme", app.now());
    let now_as_http_date = || {
        let at = app.now().and_utc();
        at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    };
    let path = "/api/v1/clients";
    let fresh = app.api_get(&token, path).await;
    assert_eq!(header(&fresh, "last-modified"), None, "changed just now");
    let seen_at = now_as_http_date();
    // Another response lands in the same second as the copy the client holds.
    add_feedback(&app, "acme", &[("Globex", 2, at("2026-01-06"))]);
    set_updated_at(&app, "acme", app.now());
    let revalidated = app
        .api_request(
            &token,
            Method::GET,
            path,
            &[("If-Modified-Since", &seen_at)],
        )
        .await;
    assert_eq!(revalidated.status(), 200, "not a stale 304");
    assert!(body(revalidated).await.contains("\"responses\":2"));

    // Once settled, the date is given and honoured.
    app.advance(Duration::seconds(10));
    let settled = app.api_get(&token, path).await;
    let modified = header(&settled, "last-modified").expect("Last-Modified once settled");
    let cached = app
        .api_request(
            &token,
            Method::GET,
            path,
            &[("If-Modified-Since", &modified)],
        )
        .await;
    assert_eq!(cached.status(), 304);
}

/// Months up to now grow with the calendar, not with the data: a date would call a copy from
/// last month current, so only the ETag (a digest of the months listed) revalidates it.
#[tokio::test]
async fn open_ended_periods_have_no_last_modified() {
    let (app, token) = acme_with_feedback(&[("Globex", 9, at("2026-01-05"))]).await;
    let first = app.api_get(&token, "/api/v1/scores?group_by=month").await;
    assert_eq!(header(&first, "last-modified"), None);
    let etag = header(&first, "etag").unwrap();
    app.advance(Duration::days(40));
    let later = app
        .api_request(
            &token,
            Method::GET,
            "/api/v1/scores?group_by=month",
            &[("If-None-Match", &etag)],
        )
        .await;
    assert_eq!(later.status(), 200, "a new month is listed");
    assert_ne!(header(&later, "etag"), Some(etag));
}

#[tokio::test]
async fn accept_quality_values_choose_the_format() {
    let (app, token) = acme_with_feedback(&[("Globex", 9, at("2026-01-05"))]).await;
    let kind = |accept: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            let response = app
                .api_request(token, Method::GET, "/api/v1/clients", &[("Accept", accept)])
                .await;
            header(&response, "content-type").unwrap()
        }
    };
    assert_eq!(kind("text/csv").await, "text/csv; charset=utf-8");
    assert_eq!(
        kind("application/json;q=0.5, text/csv").await,
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        kind("text/csv;q=0.5, application/json").await,
        "application/json"
    );
    assert_eq!(kind("text/csv;q=0, */*").await, "application/json");
    assert_eq!(kind("*/*").await, "application/json");
}

#[tokio::test]
async fn head_works_and_other_methods_get_405_with_allow() {
    let (app, token) = acme_with_feedback(&[("Globex", 9, at("2026-01-05"))]).await;
    for path in [
        "/api/v1/feedback",
        "/api/v1/scores",
        "/api/v1/clients",
        "/api/v1/whoami",
    ] {
        let head = app.api_request(&token, Method::HEAD, path, &[]).await;
        assert_eq!(head.status(), 200, "{path}");
        assert_eq!(
            header(&head, "content-type").as_deref(),
            Some("application/json")
        );
        assert!(body(head).await.is_empty());
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
            let refused = app.api_request(&token, method.clone(), path, &[]).await;
            assert_eq!(refused.status(), 405, "{method} {path}");
            assert_eq!(header(&refused, "allow").as_deref(), Some("GET, HEAD"));
            assert_eq!(
                header(&refused, "content-type").as_deref(),
                Some("application/problem+json")
            );
        }
    }
    let unknown = app.api_get(&token, "/api/v1/nothing").await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn unix_seconds_and_fractional_seconds_are_accepted() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    let noon = at("2026-03-01");
    add_feedback(
        &app,
        "acme",
        &[
            ("Globex", 9, noon),
            ("Globex", 3, noon + chrono::Duration::seconds(1)),
        ],
    );
    let count = |query: String| {
        let (app, token) = (&app, &token);
        async move {
            let page = json(
                app.api_get(token, &format!("/api/v1/feedback?{query}"))
                    .await,
            )
            .await;
            page["data"].as_array().unwrap().len()
        }
    };
    let unix = noon.and_utc().timestamp();
    assert_eq!(count(format!("since={unix}")).await, 2);
    assert_eq!(count(format!("since={unix}.5")).await, 1);
    assert_eq!(count(format!("until={unix}.5")).await, 1);
    assert_eq!(count("since=2026-03-01T12:00:00.250Z".into()).await, 1);
    assert_eq!(count("until=2026-03-01T13:00:00.5%2B01:00".into()).await, 1);
    assert_eq!(count("updated_since=0".into()).await, 2);
    let bad = app.api_get(&token, "/api/v1/feedback?since=12.3.4").await;
    assert_eq!(bad.status(), 400);
}
