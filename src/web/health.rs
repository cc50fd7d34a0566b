//! Health for balancers and orchestrators (README, "Health"): `/livez` says the process answers;
//! `/readyz` that this instance should get traffic: the database answers and takes a write,
//! every migration this release knows is applied, and the instance is not draining after
//! SIGTERM. `/healthz`, the older check, stays what it was (the process and a read from the
//! database), so that existing monitors and the benchmark's baseline (`bench/run.sh`) keep their
//! meaning. GET and HEAD.
use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::domain::readiness::{self, Readiness};
use crate::state::AppState;

pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "live"}))
}

pub async fn check(state: web::Data<AppState>) -> HttpResponse {
    match state
        .db
        .run(|conn| Ok(conn.batch_execute("SELECT 1")?))
        .await
    {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ok", "database": "ok"})),
        Err(e) => {
            tracing::warn!(error = ?e, "health check: the database cannot be read");
            unavailable("database unavailable", "unavailable")
        }
    }
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.is_draining() {
        return unavailable("draining", "ok");
    }
    let now = state.clock.now();
    match state.db.run(move |conn| readiness::check(conn, now)).await {
        Ok(Readiness::Ready) => {
            HttpResponse::Ok().json(json!({"status": "ready", "database": "ok"}))
        }
        Ok(Readiness::MigrationsPending) => unavailable("migrations pending", "behind"),
        Err(e) => {
            tracing::warn!(error = ?e, "readiness: the database cannot be read or written");
            unavailable("database unavailable", "unavailable")
        }
    }
}

fn unavailable(reason: &str, database: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header(("retry-after", "5"))
        .json(json!({"status": "unavailable", "reason": reason, "database": database}))
}
