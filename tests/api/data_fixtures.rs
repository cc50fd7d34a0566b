//! Feedback fixtures for the data API tests, inserted straight through the repo.
use chrono::{NaiveDate, NaiveDateTime};
use pulse::repo::feedback::{self, Answer, NewFeedback};
use pulse::repo::{clients, organisations};

use crate::helpers::{TestApp, spawn_app};

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
                client_id: clients::find_or_create(conn, org.id, client, app.now())
                    .unwrap()
                    .id,
                answer: Answer {
                    respondent_name: format!("Respondent {i}"),
                    respondent_email: format!("r{i}@{slug}.example"),
                    score: *score,
                    comment: None,
                    survey: "fixture".into(),
                    submitted_at: *submitted_at,
                },
            })
            .collect();
        feedback::insert_all(conn, &new).unwrap();
    });
}

/// Sets `updated_at` of every response of organisation `slug` (the database keeps an explicit
/// value), as if they had been written at `at` (in whole seconds, as the database writes it).
pub fn set_updated_at(app: &TestApp, slug: &str, at: NaiveDateTime) {
    use diesel::prelude::*;
    use pulse::db::schema::feedback as f;
    let org = app.org_id(slug);
    app.with_conn(|conn| {
        diesel::update(f::table.filter(f::organisation_id.eq(org)))
            .set(f::updated_at.eq(pulse::domain::instants::whole_seconds(at)))
            .execute(conn)
            .unwrap();
    });
}

/// A server with organisation `acme` (API access on), its responses `rows`, and a token for it.
pub async fn acme_with_feedback(rows: &[(&str, i32, NaiveDateTime)]) -> (TestApp, String) {
    let app = spawn_app().await;
    app.create_org("acme", true);
    let token = app.issue_token("acme");
    add_feedback(&app, "acme", rows);
    (app, token)
}
