use std::process::Stdio;
use std::time::Duration;

use diesel::prelude::*;
use pulse::db::Database;
use pulse::db::schema::{memberships, organisations, users};

use crate::commands::{pulse, run, succeeded};
use crate::databases::TestDatabase;
use crate::helpers::browser;
use crate::second_factor::reveal_key_for;
use crate::server_process::ServerProcess;

/// `pulse ARGS` on `db_path`, with a password for the accounts it creates.
fn pulse_with_password(db_path: &str, args: &[&str]) -> std::process::Output {
    run(pulse(db_path, args).env("PULSE_PASSWORD", "a long enough password"))
}

#[test]
fn cli_creates_organisations_and_users_with_roles() {
    // SQLite file or fresh PostgreSQL database, like every other test.
    let storage = TestDatabase::fresh();
    let path = storage.url().to_owned();
    succeeded(&pulse_with_password(&path, &["migrate"]));
    let out = succeeded(&pulse_with_password(
        &path,
        &[
            "create-org",
            "--name",
            "Acme Consulting",
            "--slug",
            "acme",
            "--api-enabled",
        ],
    ));
    assert!(out.contains("API access enabled"), "{out}");
    succeeded(&pulse_with_password(
        &path,
        &[
            "create-user",
            "--email",
            "Ann@Acme.example",
            "--name",
            "Ann",
            "--org",
            "acme",
            "--role",
            "admin",
        ],
    ));
    succeeded(&pulse_with_password(
        &path,
        &[
            "create-user",
            "--email",
            "sam@pulse.example",
            "--name",
            "Sam",
            "--staff",
        ],
    ));
    // An existing user is added to an organisation, not duplicated.
    succeeded(&pulse_with_password(
        &path,
        &[
            "create-user",
            "--email",
            "ann@acme.example",
            "--name",
            "Ann",
            "--org",
            "acme",
            "--role",
            "owner",
        ],
    ));

    let bad_slug = pulse_with_password(
        &path,
        &["create-org", "--name", "Bad", "--slug", "Not A Slug"],
    );
    assert!(!bad_slug.status.success());
    let bad_role = pulse_with_password(
        &path,
        &[
            "create-user",
            "--email",
            "x@acme.example",
            "--name",
            "X",
            "--org",
            "acme",
            "--role",
            "root",
        ],
    );
    assert!(!bad_role.status.success());

    let db = Database::connect(&path).unwrap();
    let mut conn = db.conn().unwrap();
    let api_enabled: i32 = organisations::table
        .select(organisations::api_enabled)
        .first(&mut conn)
        .unwrap();
    assert_eq!(api_enabled, 1);
    let people: Vec<(String, i32)> = users::table
        .select((users::email, users::is_staff))
        .order(users::email)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        people,
        [
            ("ann@acme.example".to_owned(), 0),
            ("sam@pulse.example".to_owned(), 1)
        ]
    );
    let roles: Vec<String> = memberships::table
        .select(memberships::role)
        .load(&mut conn)
        .unwrap();
    assert_eq!(roles, ["owner"]);
    let org_count: i64 = organisations::table.count().get_result(&mut conn).unwrap();
    assert_eq!(org_count, 1);
}

#[test]
fn seed_demo_fills_an_empty_database_once_and_prints_how_to_sign_in() {
    // SQLite file or fresh PostgreSQL database, like every other test.
    let storage = TestDatabase::fresh();
    let path = storage.url().to_owned();
    let out = succeeded(&pulse_with_password(&path, &["seed-demo"]));
    assert!(
        out.contains("owner@acme.example") && out.contains("staff@pulse.example"),
        "{out}"
    );
    assert!(out.contains("a long enough password"), "{out}");
    let again = succeeded(&pulse_with_password(&path, &["seed-demo"]));
    assert!(again.contains("already has users"), "{again}");
    // A second run says how to get in: a new password for the demo accounts.
    assert!(
        again.contains("pulse seed-demo --reset-password"),
        "{again}"
    );
    let reset = succeeded(&run(pulse(&path, &["seed-demo", "--reset-password"])
        .env("PULSE_PASSWORD", "another long enough password")));
    assert!(
        reset.contains("owner@acme.example")
            && reset.contains("Password for every demo account: another long enough password"),
        "{reset}"
    );
    let db = Database::connect(&path).unwrap();
    let count: i64 = users::table
        .count()
        .get_result(&mut db.conn().unwrap())
        .unwrap();
    assert_eq!(count, 5);
    let owner = pulse::repo::users::find_by_email(&mut db.conn().unwrap(), "owner@acme.example")
        .unwrap()
        .unwrap();
    let new = pulse::domain::password::Password::new("another long enough password".into());
    assert!(pulse::domain::password::verify(&new, Some(&owner.password_hash)).unwrap());
}

#[test]
fn rebuild_rollups_recounts_feedback_loaded_outside_the_app() {
    use pulse::domain::scores;
    use pulse::repo::feedback::Filter;
    let storage = TestDatabase::fresh();
    let path = storage.url().to_owned();
    succeeded(&pulse_with_password(&path, &["seed-demo"]));
    let db = Database::connect(&path).unwrap();
    let conn = &mut db.conn().unwrap();
    let acme = pulse::repo::organisations::find_by_slug(conn, "acme")
        .unwrap()
        .unwrap()
        .id;
    let before = scores::totals(conn, acme, &Filter::default()).unwrap();
    assert!(before.responses > 100);
    // Rows restored without their rollups, as a load with the triggers off would leave them.
    diesel::delete(pulse::db::schema::feedback_daily::table)
        .execute(conn)
        .unwrap();
    diesel::delete(pulse::db::schema::feedback_by_client::table)
        .execute(conn)
        .unwrap();
    assert_eq!(
        scores::totals(conn, acme, &Filter::default())
            .unwrap()
            .responses,
        0
    );
    let out = succeeded(&pulse_with_password(&path, &["rebuild-rollups"]));
    assert!(out.contains("rebuilt"), "{out}");
    assert_eq!(
        scores::totals(conn, acme, &Filter::default()).unwrap(),
        before
    );
}

/// `pulse serve --demo` on `db_path`, as a newcomer runs it (on PostgreSQL with the suite's
/// reveal key), started and read until it listens.
async fn serve_demo(db_path: &str) -> ServerProcess {
    let mut command = pulse(db_path, &["serve", "--demo"]);
    command.envs(reveal_key_for(db_path).map(|key| ("PULSE_REVEAL_KEY", key.0)));
    ServerProcess::spawn(command.into(), db_path, Stdio::null()).await
}

/// Issue 20 (16): a second `pulse serve --demo` on the same database says how to get in, and the
/// command it names gives the demo accounts a password that signs in on the running server.
#[tokio::test]
async fn a_second_serve_demo_says_how_to_get_in() {
    let storage = TestDatabase::fresh();
    let path = storage.url().to_owned();
    let stopped_within = Duration::from_secs(30);
    let mut first = serve_demo(&path).await;
    let said = first.printed.join("\n");
    assert!(
        said.contains("owner@acme.example") && said.contains("Password for every demo account: "),
        "{said}"
    );
    first.terminate();
    let status = first.exited(stopped_within).await;
    assert!(status.success(), "{status:?}");

    let mut second = serve_demo(&path).await;
    let said = second.printed.join("\n");
    assert!(said.contains("already has users"), "{said}");
    assert!(
        said.contains(&format!(
            "Sign in at {}/login",
            second.app.url("").trim_end_matches('/')
        )),
        "{said}"
    );
    assert!(said.contains("pulse seed-demo --reset-password"), "{said}");
    assert!(!said.contains("Password for every demo account"), "{said}");

    let reset = succeeded(&run(pulse(&path, &["seed-demo", "--reset-password"])
        .env("PULSE_PASSWORD", "a new long enough password")));
    assert!(
        reset.contains("Password for every demo account: a new long enough password"),
        "{reset}"
    );
    let signed_in = second
        .app
        .login_as(
            &browser(),
            "owner@acme.example",
            "a new long enough password",
        )
        .await;
    assert_eq!(signed_in.status().as_u16(), 303);
    assert_eq!(signed_in.headers()["location"], "/");
    second.terminate();
    assert!(second.exited(stopped_within).await.success());
}
