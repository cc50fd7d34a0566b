//! `ApiCaller`: the extractor that authenticates every `/api/v1` request by its bearer token.
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::api::error::ApiError;
use crate::api::rate_limit;
use crate::auth::client_addr::ClientAddr;
use crate::domain::api_tokens;
use crate::domain::token::PlainToken;
use crate::state::AppState;

/// Who is calling the API: the organisation whose token authenticated the request, and that
/// token. A handler taking `ApiCaller` only ever runs for a valid, usable token of an organisation
/// with API access on, and must scope every query to `organisation_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiCaller {
    pub organisation_id: i32,
    pub token_id: i32,
}

/// Reads `Authorization: Bearer <token>` and checks the token's shape and checksum. Runs before
/// any database work, so garbage (including a huge header) costs nothing but this.
fn bearer_token(req: &HttpRequest) -> Result<PlainToken, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(ApiError::MissingToken);
    };
    let value = value.to_str().map_err(|_| ApiError::InvalidToken)?;
    let (scheme, credentials) = value.split_once(' ').ok_or(ApiError::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::MissingToken);
    }
    PlainToken::parse(credentials.trim()).map_err(|_| ApiError::InvalidToken)
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        let token = bearer_token(&req);
        let ClientAddr(addr) = ClientAddr::of(&req);
        let state = req
            .app_data::<web::Data<AppState>>()
            .expect("AppState is registered")
            .clone();
        Box::pin(async move {
            let token = token?;
            let at = state.clock.now();
            let accepted = state
                .db
                .run(move |conn| api_tokens::authenticate(conn, &token, at, &addr))
                .await?;
            let caller = accepted.ok_or(ApiError::InvalidToken)?;
            // Only a usable token is counted (in memory); refusals cost the caller nothing here.
            rate_limit::count(&req, &state, caller.token_id, at)?;
            Ok(ApiCaller {
                organisation_id: caller.organisation_id,
                token_id: caller.token_id,
            })
        })
    }
}
