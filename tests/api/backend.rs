//! Which database the suite runs on, said out loud so that a skipped PostgreSQL run is visible.
use pulse::db::DatabaseUrl;

use crate::databases::{POSTGRES_ENV, postgres_server, say};
use crate::helpers::spawn_app;

#[tokio::test]
async fn postgres_backend_is_selected_or_skipped() {
    let app = spawn_app().await;
    match postgres_server() {
        Some(server) => {
            say(&format!(
                "integration suite running on PostgreSQL at {server}"
            ));
            assert!(matches!(app.db.url(), DatabaseUrl::Postgres(_)));
        }
        None => {
            say(&format!(
                "PostgreSQL run SKIPPED: {POSTGRES_ENV} is unset, suite running on SQLite \
                 (set e.g. {POSTGRES_ENV}=postgres://postgres@127.0.0.1:5432)"
            ));
            assert!(matches!(app.db.url(), DatabaseUrl::Sqlite(_)));
        }
    }
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
}
