//! Upgrades without downtime: migrations only expand the schema, so the previous release keeps
//! working on a PostgreSQL database this release has migrated (a rolling upgrade has both
//! running at once). The previous release is built from git history
//! (`tests/upgrade/build-previous-release`).
use std::process::{Command, Stdio};

use crate::databases::{TestDatabase, postgres_required, skip_outside_ci};
use crate::helpers::{PASSWORD, browser, spawn_app_with};
use crate::server_process::ServerProcess;

const TEST: &str = "upgrade::the_previous_release_serves_a_database_migrated_by_this_one";

/// The previous release's binary, built (or found built) by the script.
fn previous_release() -> Option<String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/upgrade/build-previous-release"
    );
    let output = Command::new(script).stderr(Stdio::inherit()).output();
    if let Ok(output) = output
        && output.status.success()
    {
        return Some(String::from_utf8_lossy(&output.stdout).trim().to_owned());
    }
    skip_outside_ci(
        TEST,
        "the previous release could not be built from git history",
    );
    None
}

#[tokio::test]
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
async fn the_previous_release_serves_a_database_migrated_by_this_one() {
    postgres_required();
    let Some(previous) = previous_release() else {
        return;
    };
    let database = TestDatabase::fresh();
    // This release migrates the database and writes the data.
    let new = spawn_app_with(|c| c.database_url = database.url().to_owned()).await;
    let owner = new.owner_of("acme").await;
    let token = new.generate_token(&owner, "acme").await;

    let mut command = tokio::process::Command::new(&previous);
    command
        .arg("serve")
        .env("DATABASE_URL", database.url())
        .env("PULSE_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn");
    let old = ServerProcess::spawn(command, database.url(), Stdio::inherit()).await;
    let app = &old.app;
    for path in [
        "/api/v1/whoami",
        "/api/v1/feedback",
        "/api/v1/scores",
        "/api/v1/clients",
    ] {
        let response = app.api_get(&token, path).await;
        assert_eq!(response.status(), 200, "{path} on the previous release");
    }
    // Its writes work too: a sign-in, a page, a regenerated token that the new release accepts.
    let client = browser();
    let signed_in = app.login_as(&client, "owner@acme.example", PASSWORD).await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(app.status_of(&client, "/orgs/acme/settings/api").await, 200);
    let regenerated = app.regenerate_token(&client, "acme", "none").await;
    assert_eq!(
        regenerated.status(),
        303,
        "regenerate on the previous release"
    );
    assert_eq!(
        new.whoami_status(&token).await,
        401,
        "the old token stopped everywhere"
    );
    let ready = browser().get(new.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}
