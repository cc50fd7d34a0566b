//! Who uses a token: the latest five distinct (client address, User-Agent) pairs with first and
//! last seen, each written at most once a minute, named readably, shown on the card and on the
//! regenerate and revoke confirmations.
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use pulse::db::schema::token_clients;

use crate::helpers::{TestApp, spawn_app_with};

const SCREEN: &str = "/orgs/acme/settings/api";

/// A request with `token` from `addr` (as the trusted proxy reports it) by `agent`.
async fn call(app: &TestApp, token: &str, addr: &str, agent: &str) {
    let response = reqwest::Client::new()
        .get(app.url("/api/v1/whoami"))
        .bearer_auth(token)
        .header("User-Agent", agent)
        .header("X-Forwarded-For", addr)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

fn last_seen(app: &TestApp, agent: &str) -> Option<NaiveDateTime> {
    app.with_conn(|conn| {
        token_clients::table
            .filter(token_clients::user_agent.eq(agent))
            .select(token_clients::last_seen)
            .first(conn)
            .optional()
            .unwrap()
    })
}

const POWER_BI: &str = "Microsoft.Data.Mashup (https://go.microsoft.com/fwlink/?LinkID=304225)";

#[tokio::test]
async fn the_latest_five_clients_are_kept_written_at_most_once_a_minute_and_shown() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    let clients = [
        ("203.0.113.1", "curl/8.5.0"),
        ("203.0.113.2", "Wget/1.21"),
        ("203.0.113.3", "Go-http-client/1.1"),
        ("203.0.113.4", "python-requests/2.32.3"),
        ("203.0.113.5", "Google-Apps-Script"),
        ("203.0.113.6", POWER_BI),
    ];
    for (addr, agent) in clients {
        app.advance(Duration::minutes(1));
        call(&app, &token, addr, agent).await;
    }
    let kept: i64 = app.with_conn(|conn| token_clients::table.count().get_result(conn).unwrap());
    assert_eq!(kept, 5, "the oldest client is forgotten");
    assert_eq!(last_seen(&app, "curl/8.5.0"), None);

    // Within a minute the same client writes nothing; after it, its last seen moves.
    let seen = last_seen(&app, POWER_BI).unwrap();
    app.advance(Duration::seconds(59));
    call(&app, &token, "203.0.113.6", POWER_BI).await;
    assert_eq!(last_seen(&app, POWER_BI), Some(seen), "within the minute");
    app.advance(Duration::seconds(2));
    call(&app, &token, "203.0.113.6", POWER_BI).await;
    assert!(last_seen(&app, POWER_BI).unwrap() > seen);

    let (_, card) = app.get_html(&owner, SCREEN).await;
    for name in [
        "Power BI / Excel (Power Query)",
        "Google Sheets (Apps Script)",
        "Python (requests)",
        "203.0.113.6",
    ] {
        assert!(card.contains(name), "the card shows {name}");
    }
    let listed = card
        .split("class=\"clients\"")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap();
    assert_eq!(listed.matches("<li>").count(), 5);
    assert!(!listed.contains("203.0.113.1:"), "forgotten");
    let (_, confirm) = app.get_html(&owner, &format!("{SCREEN}/regenerate")).await;
    assert!(confirm.contains("Power BI / Excel (Power Query)"));
}
