use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;

use crate::state::AppState;

/// Liveness plus a round trip to the database.
pub async fn check(state: web::Data<AppState>) -> HttpResponse {
    let database = state
        .db
        .run(|conn| Ok(conn.batch_execute("SELECT 1")?))
        .await;
    match database {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok", "database": "ok"})),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "unavailable", "database": "unreachable"}))
        }
    }
}
