//! SQLite takes one writer at a time: concurrent imports and sign-ins must queue for the write
//! lock (`BEGIN IMMEDIATE` with a busy timeout), never fail with "database is locked" (503).
//! On PostgreSQL the same load must pass too: two imports that meet the same new client at once
//! must agree on one row, not fail on the unique name (500), and two of the same file must add
//! each response once.
use tokio::sync::Barrier;

use crate::helpers::{PASSWORD, TestApp, browser, spawn_app};

const IMPORT: &str = "/orgs/acme/import";

const IMPORTERS: usize = 4;
const ROUNDS: usize = 6;
const CLIENTS_PER_ROUND: usize = 3;

/// Twenty responses of the writer's own respondents, for three clients that every writer's
/// file of the same round names: new clients met by all the importers at once.
fn csv(writer: usize, round: usize) -> String {
    let mut text =
        String::from("client,respondent_name,respondent_email,score,comment,survey,submitted_at\n");
    for row in 0..20 {
        text.push_str(&format!(
            "Client {round}-{},R,r{writer}-{round}-{row}@example.com,{},fine,Q1,2026-0{}-1{}T10:00:00Z\n",
            row % CLIENTS_PER_ROUND,
            row % 11,
            1 + row % 9,
            row % 10
        ));
    }
    text
}

/// Imports the file `file_of(round)` each round, all importers sending theirs at the same
/// moment (`start`), so that their transactions meet the round's new clients together.
async fn importer(app: &TestApp, file_of: impl Fn(usize) -> String, start: &Barrier) -> Vec<u16> {
    let client = app.signed_in("owner@acme.example").await;
    let mut statuses = Vec::new();
    for round in 0..ROUNDS {
        let csrf_token = app.csrf_token(&client, IMPORT).await;
        let file = file_of(round);
        start.wait().await;
        // The round's client names, confirmed up front: every importer meets them as new.
        let names: Vec<String> = (0..CLIENTS_PER_ROUND)
            .map(|c| format!("Client {round}-{c}"))
            .collect();
        let confirmed = serde_json::to_string(&names).unwrap();
        let form = [
            ("csrf_token", csrf_token.as_str()),
            ("csv", &file),
            ("new_clients", &confirmed),
        ];
        let response = app.post_raw(&client, IMPORT, &form).await;
        statuses.push(response.status().as_u16());
    }
    statuses
}

/// A server with the organisation `acme` and its owner, who imports.
async fn acme_with_an_owner() -> TestApp {
    let app = spawn_app().await;
    app.create_org("acme", true);
    app.member(
        "owner@acme.example",
        "acme",
        pulse::domain::role::Role::Owner,
    );
    app
}

async fn signer_in(app: &TestApp, email: String) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let response = app.login_as(&browser(), &email, PASSWORD).await;
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_imports_and_sign_ins_queue_instead_of_failing() {
    let app = acme_with_an_owner().await;
    for n in 0..4 {
        app.create_user(&format!("user{n}@example.com"), false);
    }
    let start = Barrier::new(IMPORTERS);
    let importers = (0..IMPORTERS).map(|writer| importer(&app, move |r| csv(writer, r), &start));
    let signers = (0..4).map(|n| signer_in(&app, format!("user{n}@example.com")));
    let (imports, sign_ins) = tokio::join!(
        futures_util::future::join_all(importers),
        futures_util::future::join_all(signers)
    );
    for statuses in &imports {
        assert!(statuses.iter().all(|s| *s == 200), "imports: {imports:?}");
    }
    for statuses in &sign_ins {
        assert!(statuses.iter().all(|s| *s == 303), "sign-ins: {sign_ins:?}");
    }
    let (rows, client_names) = app.with_conn(|conn| {
        use diesel::prelude::*;
        use pulse::db::schema::{clients, feedback};
        let rows = feedback::table.count().get_result::<i64>(conn).unwrap();
        let names = clients::table
            .select(clients::name)
            .load::<String>(conn)
            .unwrap();
        (rows, names)
    });
    assert_eq!(
        rows,
        (IMPORTERS * ROUNDS * 20) as i64,
        "every import wrote all its rows"
    );
    let distinct: std::collections::BTreeSet<&String> = client_names.iter().collect();
    assert_eq!(
        (client_names.len(), distinct.len()),
        (ROUNDS * CLIENTS_PER_ROUND, ROUNDS * CLIENTS_PER_ROUND),
        "one client per name: {client_names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_imports_of_the_same_file_add_each_response_once() {
    // Someone pressing Import twice, or two admins with the same export: every importer sends
    // the round's same file at once. Each import's check for responses already there must see
    // the others' (SQLite: one writer at a time; PostgreSQL: imports of an organisation take
    // turns), else both add them.
    let app = acme_with_an_owner().await;
    // The clients exist already: inserting a new one would make the second import wait for the
    // first's commit on the unique name, which hides the race.
    let acme = app.org_id("acme");
    app.with_conn(|conn| {
        for round in 0..ROUNDS {
            for n in 0..CLIENTS_PER_ROUND {
                let name = format!("Client {round}-{n}");
                pulse::repo::clients::find_or_create(conn, acme, &name, app.now()).unwrap();
            }
        }
    });
    let start = Barrier::new(IMPORTERS);
    let importers = (0..IMPORTERS).map(|_| importer(&app, |r| csv(0, r), &start));
    let imports = futures_util::future::join_all(importers).await;
    for statuses in &imports {
        assert!(statuses.iter().all(|s| *s == 200), "imports: {imports:?}");
    }
    let rows: i64 = app.with_conn(|conn| {
        use diesel::prelude::*;
        pulse::db::schema::feedback::table
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(rows, (ROUNDS * 20) as i64, "each response once");
}

#[test]
fn every_writing_transaction_takes_the_write_lock_first() {
    // `DbConn::write_transaction` is the one way to open a transaction outside `src/db/`:
    // a plain `transaction` would be deferred on SQLite.
    let mut offenders = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("db") {
                    stack.push(path);
                }
            } else if std::fs::read_to_string(&path)
                .unwrap()
                .contains(".transaction(")
            {
                offenders.push(path.display().to_string());
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "use write_transaction in {offenders:?}"
    );
}
