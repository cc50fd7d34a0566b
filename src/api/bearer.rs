//! `Bearer`: the extractor every `/api/v1` data handler takes; `Bearer::run` authenticates the
//! request's token and gives the handler its `ApiCaller`. The token comes as bearer credentials
//! or, for credential stores that hold only a user name and password (Power BI's and Excel's
//! "Basic"), as HTTP Basic credentials.
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDateTime;

use crate::api::error::ApiError;
use crate::auth::client_addr::ClientAddr;
use crate::db::DbConn;
use crate::domain::api_tokens::Refusal;
use crate::domain::api_tokens::{
    self,
    usage::{self, Client},
};
use crate::domain::rate_limit::{self, Allowance};
use crate::domain::token::PlainToken;
use crate::error::AppError;
use crate::state::AppState;

/// Who is calling the API: the organisation whose token authenticated the request, and that
/// token. Only `Bearer::run` makes one, for a working token of an organisation with API access
/// on; every query must be scoped to `organisation_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCaller {
    pub organisation_id: i32,
    /// The organisation's short name in addresses, e.g. `acme`.
    pub organisation_slug: String,
    pub organisation_name: String,
    pub token_id: i32,
    /// The token's public start, as the API authentication screen shows it.
    pub token_prefix: String,
}

/// The expiry of the token a request authenticated with; `api::routes` turns it into the
/// `Pulse-Token-Expires` header of the response, whatever the response is.
#[derive(Debug, Clone, Copy)]
pub struct TokenExpiry(pub NaiveDateTime);

/// Reads the token from `Authorization` — `Bearer <token>`, or `Basic` with the token as the
/// user name and an empty password, or as the password with any user name — and checks its
/// shape and checksum. Runs before any database work, so garbage (including a huge header)
/// costs nothing but this.
fn request_token(req: &HttpRequest) -> Result<PlainToken, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(ApiError::MissingToken);
    };
    let value = value.to_str().map_err(|_| ApiError::MalformedToken)?;
    let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
    let credentials = credentials.trim();
    let parsed = if scheme.eq_ignore_ascii_case("bearer") {
        PlainToken::parse(credentials)
    } else if scheme.eq_ignore_ascii_case("basic") {
        let pair = STANDARD
            .decode(credentials)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(ApiError::MalformedToken)?;
        let (user, password) = pair.split_once(':').ok_or(ApiError::MalformedToken)?;
        PlainToken::parse(if password.is_empty() { user } else { password })
    } else {
        return Err(ApiError::MissingToken);
    };
    parsed.map_err(|_| ApiError::MalformedToken)
}

fn client(req: &HttpRequest) -> Client {
    let agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Client::new(ClientAddr::of(req).0, agent)
}

/// A request's token (bearer or Basic credentials), read and checked for shape without the
/// database. `run` authenticates it and does the handler's database work in the same trip to
/// the blocking pool: an API request hands over to a blocking thread once, not once to
/// authenticate and again to query.
pub struct Bearer {
    token: Result<PlainToken, ApiError>,
    client: Client,
    req: HttpRequest,
}

impl FromRequest for Bearer {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self {
            token: request_token(req),
            client: client(req),
            req: req.clone(),
        }))
    }
}

/// What the response must say about an authenticated token, whatever `work` made of the
/// request: its expiry and its rate-limit budget.
struct Admission {
    expires_at: Option<NaiveDateTime>,
    allowance: Allowance,
}

impl Bearer {
    /// Authenticates the token (a refusal is 401 or 403), records its use (at most once a
    /// minute per client), counts it against its rate limit (in memory; 429 over it), then
    /// runs `work` for the caller on the same connection. A token is checked before anything
    /// else about the request, so `work` is where the handler's own parameter errors surface.
    pub async fn run<T, W>(
        self,
        state: &web::Data<AppState>,
        work: W,
    ) -> Result<(ApiCaller, T), ApiError>
    where
        T: Send + 'static,
        W: FnOnce(&mut DbConn, &ApiCaller) -> Result<T, ApiError> + Send + 'static,
    {
        let Self { token, client, req } = self;
        let token = token?;
        let at = state.clock.now();
        let app = state.clone();
        let (admission, outcome) = state
            .db
            .run(move |conn| {
                let (token, organisation) = match api_tokens::authenticate(conn, &token, at) {
                    Ok(found) => found,
                    Err(Refusal::Failed(e)) => return Err(e),
                    Err(refusal) => return Ok((None, Err(ApiError::from(refusal)))),
                };
                if app.usage.due(token.id, &client, at) {
                    usage::record_use(conn, &token, &client, at)?;
                }
                let decision = rate_limit::admit(conn, &app.api_limiter, token.id, at)?;
                let admission = Admission {
                    expires_at: token.expires_at,
                    allowance: match &decision {
                        Ok(allowance) => *allowance,
                        Err(refusal) => refusal.allowance,
                    },
                };
                if let Err(refusal) = decision {
                    return Ok((Some(admission), Err(AppError::from(refusal).into())));
                }
                let caller = ApiCaller {
                    organisation_id: organisation.id,
                    organisation_slug: organisation.slug,
                    organisation_name: organisation.name,
                    token_id: token.id,
                    token_prefix: token.display_prefix,
                };
                let done = work(conn, &caller);
                Ok((Some(admission), done.map(|value| (caller, value))))
            })
            .await?;
        if let Some(admission) = admission {
            let mut extensions = req.extensions_mut();
            extensions.insert(admission.allowance);
            if let Some(at) = admission.expires_at {
                extensions.insert(TokenExpiry(at));
            }
        }
        outcome
    }
}
