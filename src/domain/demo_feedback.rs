//! A year of made-up feedback for the demo organisations, with a different story per client, so
//! the API and the analytics page have something worth looking at. Deterministic: the same seed
//! gives the same responses (relative to today).
use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::DbConn;
use crate::domain::instants::whole_seconds;
use crate::domain::nps::Category;
use crate::error::AppError;
use crate::repo::clients;
use crate::repo::feedback::{self, Answer, NewFeedback};

/// (client name, mean score a year ago, mean score now, responses per month)
type DemoClient = (&'static str, f64, f64, u32);

const ACME_CLIENTS: [DemoClient; 4] = [
    ("Globex Corporation", 6.0, 9.0, 40), // won over during the year
    ("Initech", 8.8, 5.5, 30),            // slipping away
    ("Umbrella Health", 8.0, 8.2, 25),    // steady, mostly passive
    ("Stark Logistics, Ltd.", 9.2, 9.4, 15), // happy; the comma tests CSV quoting
];

const NORTHWIND_CLIENTS: [DemoClient; 3] = [
    ("Contoso", 7.0, 7.5, 20),
    ("Fabrikam", 5.0, 3.5, 12),
    ("Müller & Söhne GmbH", 8.5, 9.5, 10),
];

const FIRST_NAMES: [&str; 8] = ["Ada", "Ben", "Chloé", "Dev", "Eun", "Femi", "Greta", "Hugo"];
const LAST_NAMES: [&str; 6] = ["Okafor", "Smith", "Nguyen", "García", "Kowalski", "Berg"];
const COMMENTS: [(i32, &str); 6] = [
    (9, "Great team, quick answers."),
    (9, "Would recommend to colleagues."),
    (7, "Fine overall; reports could be clearer."),
    (7, "Good, but \"on time\" meant a week late once."),
    (0, "Slow to respond,\nand the invoice was wrong."),
    (0, "We are reconsidering the contract."),
];

pub fn seed(
    conn: &mut DbConn,
    org_id: i32,
    org_slug: &str,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let (list, seed): (&[DemoClient], u64) = match org_slug {
        "acme" => (&ACME_CLIENTS, 1),
        _ => (&NORTHWIND_CLIENTS, 2),
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let start = now - Duration::days(365);
    let mut rows = Vec::new();
    for (name, from, to, per_month) in list {
        let client = clients::find_or_create(conn, org_id, name, start)?;
        for _ in 0..(per_month * 12) {
            let offset = rng.random_range(0..365 * 86_400);
            let progress = offset as f64 / (365.0 * 86_400.0);
            let mean = from + (to - from) * progress;
            // Triangular noise of ±3 around the trend, clamped to the scale.
            let noise = rng.random_range(-1.5..1.5) + rng.random_range(-1.5..1.5);
            let score = (mean + noise).round().clamp(0.0, 10.0) as i32;
            let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
            // A comment in three of ten responses, in the tone of the score.
            let fitting: Vec<&str> = COMMENTS
                .iter()
                .filter(|(like, _)| Category::of(*like) == Category::of(score))
                .map(|(_, text)| *text)
                .collect();
            let comment = rng
                .random_bool(0.3)
                .then(|| fitting[rng.random_range(0..fitting.len())].to_owned());
            let submitted_at = whole_seconds(start + Duration::seconds(offset));
            rows.push(NewFeedback {
                organisation_id: org_id,
                client_id: client.id,
                answer: Answer {
                    respondent_name: format!("{first} {last}"),
                    respondent_email: format!(
                        "{}.{}@{}.example",
                        first.to_lowercase(),
                        last.to_lowercase(),
                        name.split_whitespace()
                            .next()
                            .unwrap_or("client")
                            .to_lowercase()
                    ),
                    score,
                    comment,
                    survey: format!(
                        "{} {}",
                        submitted_at.format("%Y"),
                        quarter_label(submitted_at)
                    ),
                    submitted_at,
                },
            });
        }
    }
    Ok(feedback::insert_all(conn, &rows)?)
}

fn quarter_label(at: NaiveDateTime) -> String {
    use chrono::Datelike;
    format!("Q{} survey", at.month0() / 3 + 1)
}
