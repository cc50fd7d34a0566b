//! `ClientAddr`: the address a request came from, for throttling and the audit trail.
use std::convert::Infallible;
use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use crate::state::AppState;

/// The client's IP address as text (`unknown` if the connection has none). Behind a trusted
/// load balancer (`PULSE_TRUST_PROXY`) it is the last `X-Forwarded-For` entry, the one our own
/// proxy appended; earlier entries come from the client and could be forged to dodge throttling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub String);

impl ClientAddr {
    pub fn of(req: &HttpRequest) -> Self {
        let behind_proxy = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| state.config.trust_proxy);
        let ip = behind_proxy
            .then(|| forwarded_for(req))
            .flatten()
            .or_else(|| req.peer_addr().map(|a| a.ip()));
        Self(ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()))
    }
}

impl FromRequest for ClientAddr {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

fn forwarded_for(req: &HttpRequest) -> Option<IpAddr> {
    let header = req.headers().get_all("x-forwarded-for").last()?;
    header
        .to_str()
        .ok()?
        .rsplit(',')
        .next()?
        .trim()
        .parse()
        .ok()
}
