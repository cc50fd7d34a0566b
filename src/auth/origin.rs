//! The app's public origin: what forms must come from (the CSRF `Origin` check) and what API
//! examples show. It comes from configuration, never from request headers, except behind a
//! trusted proxy (`PULSE_TRUST_PROXY`) with no `PULSE_PUBLIC_URL`, where the proxy's
//! `X-Forwarded-Proto`/`X-Forwarded-Host` name it.
use actix_web::{HttpRequest, web};

use crate::state::AppState;

pub fn public_origin(req: &HttpRequest) -> String {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return String::new();
    };
    match &state.config.public_url {
        Some(url) => url.clone(),
        None if state.config.trust_proxy => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
        None => state.listen_url.clone(),
    }
}
