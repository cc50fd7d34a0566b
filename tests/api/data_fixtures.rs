//! Feedback fixtures for the data API tests, inserted straight through the repo.
use chrono::{NaiveDate, NaiveDateTime};
use pulse::domain::now;
use pulse::domain::role::Role;
use pulse::repo::feedback::{self, NewFeedback};
use pulse::repo::{clients, organisations};

use crate::helpers::TestApp;

pub fn at(date: &str) -> NaiveDateTime {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

/// Adds one response per (client, score, submitted_at) to organisation `slug`.
pub fn add_feedback(app: &TestApp, slug: &str, rows: &[(&str, i32, NaiveDateTime)]) {
    app.with_conn(|conn| {
        let org = organisations::find_by_slug(conn, slug).unwrap().unwrap();
        let new: Vec<NewFeedback> = rows
            .iter()
            .enumerate()
            .map(|(i, (client, score, submitted_at))| NewFeedback {
                organisation_id: org.id,
                client_id: clients::find_or_create(conn, org.id, client, now())
                    .unwrap()
                    .id,
                respondent_name: format!("Respondent {i}"),
                respondent_email: format!("r{i}@{slug}.example"),
                score: *score,
                comment: None,
                survey: "fixture".into(),
                submitted_at: *submitted_at,
            })
            .collect();
        feedback::insert_all(conn, &new).unwrap();
    });
}

pub fn org_id(app: &TestApp, slug: &str) -> i32 {
    app.with_conn(|conn| organisations::find_by_slug(conn, slug).unwrap().unwrap().id)
}

/// A bearer token for organisation `slug` (which must have API access), issued through the
/// domain by a fresh owner.
pub fn token(app: &TestApp, slug: &str) -> String {
    use pulse::domain::api_tokens::{self, Issuer};
    let owner = app.member(&format!("owner@{slug}.example"), slug, Role::Owner);
    let org = org_id(app, slug);
    app.with_conn(|conn| {
        let issuer = Issuer {
            user_id: owner.id,
            session: "data-tests",
            client_addr: "127.0.0.1",
        };
        api_tokens::generate(conn, org, &issuer, chrono::Duration::seconds(300))
            .expect("generate token")
            .token
            .expose()
            .to_owned()
    })
}

/// GETs an API path with the token.
pub async fn api_get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

pub async fn json(response: reqwest::Response) -> serde_json::Value {
    assert_eq!(response.status(), 200, "{:?}", response.url().to_string());
    response.json().await.unwrap()
}
