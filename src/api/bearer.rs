//! `ApiCaller`: the extractor that authenticates every `/api/v1` request by its bearer token.
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::NaiveDateTime;

use crate::api::error::ApiError;
use crate::api::rate_limit;
use crate::auth::client_addr::ClientAddr;
use crate::domain::api_tokens::{
    self,
    usage::{self, Client},
};
use crate::domain::token::PlainToken;
use crate::state::AppState;

/// Who is calling the API: the organisation whose token authenticated the request, and that
/// token. A handler taking `ApiCaller` only ever runs for a working token of an organisation
/// with API access on, and must scope every query to `organisation_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiCaller {
    pub organisation_id: i32,
    pub token_id: i32,
}

/// The expiry of the token a request authenticated with; `api::routes` turns it into the
/// `Pulse-Token-Expires` header of the response, whatever the response is.
#[derive(Debug, Clone, Copy)]
pub struct TokenExpiry(pub NaiveDateTime);

/// Reads `Authorization: Bearer <token>` and checks the token's shape and checksum. Runs before
/// any database work, so garbage (including a huge header) costs nothing but this.
fn bearer_token(req: &HttpRequest) -> Result<PlainToken, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(ApiError::MissingToken);
    };
    let value = value.to_str().map_err(|_| ApiError::MalformedToken)?;
    let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::MissingToken);
    }
    PlainToken::parse(credentials.trim()).map_err(|_| ApiError::MalformedToken)
}

fn client(req: &HttpRequest) -> Client {
    let agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Client::new(ClientAddr::of(req).0, agent)
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let client = client(req);
        let state = req
            .app_data::<web::Data<AppState>>()
            .expect("AppState is registered")
            .clone();
        let req = req.clone();
        Box::pin(async move {
            let token = token?;
            let at = state.clock.now();
            let app = state.clone();
            let token = state
                .db
                .run(move |conn| {
                    let token = match api_tokens::authenticate(conn, &token, at)? {
                        Ok(token) => token,
                        Err(refusal) => return Ok(Err(refusal)),
                    };
                    if app.usage.due(token.id, &client, at) {
                        usage::record_use(conn, &token, &client, at)?;
                    }
                    Ok(Ok(token))
                })
                .await?
                .map_err(ApiError::Refused)?;
            if let Some(expires_at) = token.expires_at {
                req.extensions_mut().insert(TokenExpiry(expires_at));
            }
            // Only a working token is counted (in memory); refusals cost the caller nothing here.
            rate_limit::count(&req, &state, token.id, at)?;
            Ok(ApiCaller {
                organisation_id: token.organisation_id,
                token_id: token.id,
            })
        })
    }
}
