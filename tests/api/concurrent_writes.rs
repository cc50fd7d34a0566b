//! SQLite takes one writer at a time: concurrent imports and sign-ins must queue for the write
//! lock (`BEGIN IMMEDIATE` with a busy timeout), never fail with "database is locked" (503).
//! On PostgreSQL the same load must pass too.
use crate::helpers::{PASSWORD, TestApp, browser, spawn_app};

const IMPORT: &str = "/orgs/acme/import";

fn csv(writer: usize, round: usize) -> String {
    let mut text =
        String::from("client,respondent_name,respondent_email,score,comment,survey,submitted_at\n");
    for row in 0..20 {
        text.push_str(&format!(
            "Client {writer}-{},R,r{writer}-{round}-{row}@example.com,{},fine,Q1,2026-0{}-1{}T10:00:00Z\n",
            row % 3,
            row % 11,
            1 + row % 9,
            row % 10
        ));
    }
    text
}

async fn importer(app: &TestApp, writer: usize) -> Vec<u16> {
    let client = app.signed_in("owner@acme.example").await;
    let mut statuses = Vec::new();
    for round in 0..6 {
        let response = app
            .post_form(&client, IMPORT, IMPORT, &[("csv", &csv(writer, round))])
            .await;
        statuses.push(response.status().as_u16());
    }
    statuses
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
    let app = spawn_app().await;
    app.create_org("acme", true);
    app.member(
        "owner@acme.example",
        "acme",
        pulse::domain::role::Role::Owner,
    );
    for n in 0..4 {
        app.create_user(&format!("user{n}@example.com"), false);
    }
    let importers = (0..4).map(|writer| importer(&app, writer));
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
    let rows = app.with_conn(|conn| {
        use diesel::prelude::*;
        pulse::db::schema::feedback::table
            .count()
            .get_result::<i64>(conn)
            .unwrap()
    });
    assert_eq!(rows, 4 * 6 * 20, "every import wrote all its rows");
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
