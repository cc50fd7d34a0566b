//! Importing feedback from CSV: every row is checked first, and a file with any bad row imports
//! nothing, so a fixed file can simply be uploaded again. A response already there (same client,
//! respondent email, survey and submitted time) is skipped and counted as a duplicate, so
//! uploading the same file twice adds nothing the second time. Clients are matched by their exact
//! name; a name the organisation does not have yet (a new client, or a misspelt one) is created
//! only once the person has confirmed the list of new names.
use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::domain::instants::{parse_instant, whole_seconds};
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
/// The longest text a cell may hold (names, comments, survey names).
pub const MAX_TEXT: usize = 2000;
/// The largest file imported at once: 16 MiB, well over 100,000 rows of ordinary feedback.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// A mistake in a row: the row's line in the file as an editor counts it (the header is line 1;
/// a quoted value spanning lines counts them all), and what is wrong. A row with several mistakes
/// has one `RowError` for each.
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
    /// How many rows were added, and how many were skipped as already there.
    Imported {
        added: usize,
        duplicates: usize,
    },
    Rejected(Vec<RowError>),
    /// The file is fine, but names clients the organisation does not have: nothing was imported
    /// until the person confirms these names (by their exact spelling).
    NewClients(Vec<String>),
}

/// The row, or every mistake in it.
fn check_row(
    record: &csv::StringRecord,
    index: &HashMap<&str, usize>,
    now: NaiveDateTime,
) -> Result<Row, Vec<String>> {
    let field = |name: &str| record.get(index[name]).unwrap_or("").trim();
    let mut errors = Vec::new();
    let mut text = |name: &str, required: bool| -> String {
        let value = field(name);
        if required && value.is_empty() {
            errors.push(format!("{name} is empty"));
        } else if value.chars().count() > MAX_TEXT {
            errors.push(format!("{name} is longer than {MAX_TEXT} characters"));
        }
        value.to_owned()
    };
    let client = text("client", true);
    let respondent_name = text("respondent_name", true);
    let respondent_email = text("respondent_email", true);
    let comment = text("comment", false);
    let survey = text("survey", true);
    if !respondent_email.is_empty() && !respondent_email.contains('@') {
        errors.push(format!(
            "respondent_email {respondent_email:?} is not an email address"
        ));
    }
    let score = field("score")
        .parse::<i32>()
        .ok()
        .filter(|s| (0..=10).contains(s));
    if score.is_none() {
        errors.push(format!(
            "score {:?} is not a whole number from 0 to 10",
            field("score")
        ));
    }
    let submitted_at = parse_instant(field("submitted_at"));
    match submitted_at {
        None => errors.push(format!(
            "submitted_at {:?} is not an RFC 3339 time or a date (YYYY-MM-DD)",
            field("submitted_at")
        )),
        Some(at) if at > now => errors.push("submitted_at is in the future".into()),
        Some(_) => {}
    }
    match (score, submitted_at) {
        (Some(score), Some(submitted_at)) if errors.is_empty() => Ok(Row {
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
        }),
        _ => Err(errors),
    }
}

/// The line (1 = first) of the record the csv crate places at byte `offset` of `text`. It places
/// a record where the previous one's line end stopped, before any blank lines it skipped: the
/// record itself starts at the first byte after those.
fn line_at(text: &str, offset: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
        start += 1;
    }
    bytes[..start].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

/// Checks every row of `csv_text`; imports all of them into `org_id` in one transaction, or none.
/// Clients new to the organisation are created only if `confirmed` lists every one of them;
/// otherwise the answer is the list to confirm.
pub fn import(
    conn: &mut DbConn,
    org_id: i32,
    (csv_text, confirmed): (&str, &[String]),
    now: NaiveDateTime,
) -> Result<Outcome, AppError> {
    if csv_text.len() > MAX_FILE_BYTES {
        return Err(AppError::invalid(format!(
            "The file is {:.1} MB; at most {} MB are imported at once. Split it into smaller \
             files (each keeps the header row).",
            csv_text.len() as f64 / (1024.0 * 1024.0),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let rows = match read(csv_text, now)? {
        Ok(rows) => rows,
        Err(errors) => return Ok(Outcome::Rejected(errors)),
    };
    let known: HashSet<String> = clients::list(conn, org_id)?
        .into_iter()
        .map(|client| client.name)
        .collect();
    let mut new: Vec<String> = rows
        .iter()
        .map(|row| &row.client)
        .filter(|name| !known.contains(*name))
        .collect::<HashSet<_>>()
        .into_iter()
        .cloned()
        .collect();
    if new.iter().any(|name| !confirmed.contains(name)) {
        new.sort();
        return Ok(Outcome::NewClients(new));
    }
    store(conn, org_id, rows, now)
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
    // The csv crate's own line numbers do not count lines inside quoted values or blank lines;
    // the byte where a record starts does.
    let line_of =
        |position: Option<&csv::Position>| line_at(csv_text, position.map_or(0, |p| p.byte()));
    for result in reader.records() {
        match result {
            // An unquoted comma splits a value in two: say that, not what the shifted fields
            // then look like.
            Ok(record) if record.len() != header.len() => {
                let (found, expected) = (record.len(), header.len());
                let hint = if found > expected {
                    ": quote values that contain commas (\"Smith, Jones\")"
                } else {
                    ""
                };
                errors.push(RowError {
                    line: line_of(record.position()),
                    reason: format!("{found} values, expected {expected}{hint}"),
                });
            }
            Ok(record) => match check_row(&record, &index, now) {
                Ok(row) => rows.push(row),
                Err(reasons) => {
                    let line = line_of(record.position());
                    errors.extend(reasons.into_iter().map(|reason| RowError { line, reason }));
                }
            },
            Err(e) => errors.push(RowError {
                line: line_of(e.position()),
                reason: "not valid CSV (check the quotes)".into(),
            }),
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

/// Inserts checked rows in one transaction, creating clients met for the first time and
/// skipping responses already there (or met earlier in the same file). Imports into one
/// organisation take turns (`feedback::lock_imports`).
fn store(
    conn: &mut DbConn,
    org_id: i32,
    rows: Vec<Row>,
    now: NaiveDateTime,
) -> Result<Outcome, AppError> {
    conn.write_transaction(|conn| {
        // Before the duplicate check reads: two imports of one file must not both find their
        // rows new.
        feedback::lock_imports(conn, org_id)?;
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
        let total = new.len();
        let new = without_duplicates(conn, org_id, new)?;
        let added = feedback::insert_all(conn, &new)?;
        Ok(Outcome::Imported {
            added,
            duplicates: total - added,
        })
    })
}

/// What identifies a response: who answered which survey for which client, and when.
fn key(row: &NewFeedback) -> feedback::AnswerKey {
    let a = &row.answer;
    (
        row.client_id,
        a.respondent_email.clone(),
        a.survey.clone(),
        a.submitted_at,
    )
}

/// `rows` less those the organisation already has, and less repeats within `rows`.
fn without_duplicates(
    conn: &mut DbConn,
    org_id: i32,
    rows: Vec<NewFeedback>,
) -> Result<Vec<NewFeedback>, AppError> {
    let times = rows.iter().map(|r| r.answer.submitted_at);
    let (Some(from), Some(to)) = (times.clone().min(), times.max()) else {
        return Ok(rows);
    };
    let mut seen: HashSet<feedback::AnswerKey> = feedback::keys_between(conn, org_id, from, to)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .filter(|row| seen.insert(key(row)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_as_the_file_shows_them() {
        let now =
            NaiveDateTime::parse_from_str("2026-06-01 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let text = format!(
            "\u{feff}{}\r\nGlobex,Ann,ann@globex.example,9,\"one\r\ntwo\r\nthree\",Q1,2026-01-05\r\n\r\n,Ben,b@x,5,,Q1,2026-01-05\r\n",
            COLUMNS.join(",")
        );
        let Ok(Err(errors)) = read(&text, now) else {
            panic!("errors expected")
        };
        assert_eq!(errors[0].line, 6, "{errors:?}");
    }

    #[test]
    fn an_unquoted_comma_is_named_as_such() {
        let now =
            NaiveDateTime::parse_from_str("2026-06-01 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let text = format!(
            "{}\nGlobex,Ann,ann@globex.example,9,Good, fast,Q1,2026-01-05\n",
            COLUMNS.join(",")
        );
        let Ok(Err(errors)) = read(&text, now) else {
            panic!("errors expected")
        };
        assert_eq!(
            errors,
            [RowError {
                line: 2,
                reason: "8 values, expected 7: quote values that contain commas (\"Smith, Jones\")"
                    .into()
            }]
        );
    }
}
