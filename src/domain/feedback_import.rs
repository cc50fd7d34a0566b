//! Importing feedback from CSV: every row is checked first, and a file with any bad row imports
//! nothing, so a fixed file can simply be uploaded again.
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::Connection;

use crate::db::DbConn;
use crate::domain::feedback::{parse_instant, whole_seconds};
use crate::error::AppError;
use crate::repo::clients;
use crate::repo::feedback::{self, Answer, NewFeedback};

/// The columns an import file must have, in any order (extra columns are ignored).
pub const COLUMNS: [&str; 7] = [
    "client",
    "respondent_name",
    "respondent_email",
    "score",
    "comment",
    "survey",
    "submitted_at",
];
const MAX_TEXT: usize = 2000;

/// A bad row: its line in the file (1 is the header) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
}

/// A checked row, not yet tied to a client id.
struct Row {
    client: String,
    new: NewFeedback,
}

pub enum Outcome {
    Imported(usize),
    Rejected(Vec<RowError>),
}

fn check_row(
    record: &csv::StringRecord,
    index: &HashMap<&str, usize>,
    now: NaiveDateTime,
) -> Result<Row, String> {
    let field = |name: &str| record.get(index[name]).unwrap_or("").trim();
    let text = |name: &str, required: bool| -> Result<String, String> {
        let value = field(name);
        if required && value.is_empty() {
            return Err(format!("{name} is empty"));
        }
        if value.chars().count() > MAX_TEXT {
            return Err(format!("{name} is longer than {MAX_TEXT} characters"));
        }
        Ok(value.to_owned())
    };
    let client = text("client", true)?;
    let respondent_name = text("respondent_name", true)?;
    let respondent_email = text("respondent_email", true)?;
    if !respondent_email.contains('@') {
        return Err(format!(
            "respondent_email {respondent_email:?} is not an email address"
        ));
    }
    let score = field("score")
        .parse::<i32>()
        .ok()
        .filter(|s| (0..=10).contains(s))
        .ok_or_else(|| {
            format!(
                "score {:?} is not a whole number from 0 to 10",
                field("score")
            )
        })?;
    let comment = text("comment", false)?;
    let survey = text("survey", true)?;
    let submitted_at = parse_instant(field("submitted_at")).ok_or_else(|| {
        format!(
            "submitted_at {:?} is not an RFC 3339 time or a date (YYYY-MM-DD)",
            field("submitted_at")
        )
    })?;
    if submitted_at > now {
        return Err("submitted_at is in the future".into());
    }
    Ok(Row {
        client,
        new: NewFeedback {
            organisation_id: 0,
            client_id: 0,
            answer: Answer {
                respondent_name,
                respondent_email,
                score,
                comment: (!comment.is_empty()).then_some(comment),
                survey,
                submitted_at: whole_seconds(submitted_at),
            },
        },
    })
}

/// Checks every row of `csv_text`; imports all of them into `org_id` in one transaction, or none.
pub fn import(
    conn: &mut DbConn,
    org_id: i32,
    csv_text: &str,
    now: NaiveDateTime,
) -> Result<Outcome, AppError> {
    match read(csv_text, now)? {
        Ok(rows) => Ok(Outcome::Imported(store(conn, org_id, rows, now)?)),
        Err(errors) => Ok(Outcome::Rejected(errors)),
    }
}

/// The file's rows, checked; or every row error (a missing column is an error of line 1).
fn read(csv_text: &str, now: NaiveDateTime) -> Result<Result<Vec<Row>, Vec<RowError>>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let header = reader
        .headers()
        .map_err(|_| AppError::invalid("The file is not readable as CSV."))?
        .clone();
    let index: HashMap<&str, usize> = COLUMNS
        .iter()
        .filter_map(|c| header.iter().position(|h| h.trim() == *c).map(|i| (*c, i)))
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| !index.contains_key(*c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Ok(Err(vec![RowError {
            line: 1,
            reason: format!("the header row lacks the column(s): {}", missing.join(", ")),
        }]));
    }
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for result in reader.records() {
        let checked = match result {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                check_row(&record, &index, now).map_err(|reason| RowError { line, reason })
            }
            Err(e) => Err(RowError {
                line: e.position().map_or(0, |p| p.line()),
                reason: "not valid CSV (check the quotes)".into(),
            }),
        };
        match checked {
            Ok(row) => rows.push(row),
            Err(error) => errors.push(error),
        }
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(AppError::invalid(
            "The file has a header row but no feedback rows.",
        ));
    }
    Ok(if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    })
}

/// Inserts checked rows in one transaction, creating clients met for the first time.
fn store(
    conn: &mut DbConn,
    org_id: i32,
    rows: Vec<Row>,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    conn.transaction(|conn| {
        let mut ids: HashMap<String, i32> = HashMap::new();
        let mut new = Vec::with_capacity(rows.len());
        for Row {
            client,
            new: mut row,
        } in rows
        {
            let id = match ids.get(&client) {
                Some(id) => *id,
                None => {
                    let id = clients::find_or_create(conn, org_id, &client, now)?.id;
                    ids.insert(client, id);
                    id
                }
            };
            row.organisation_id = org_id;
            row.client_id = id;
            new.push(row);
        }
        Ok(feedback::insert_all(conn, &new)?)
    })
}
