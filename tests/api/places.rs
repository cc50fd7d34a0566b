//! Browsers at chosen client addresses, as a trusted load balancer (`PULSE_TRUST_PROXY`) reports
//! them in `X-Forwarded-For`, for the throttling tests.
use reqwest::header::{HeaderMap, HeaderValue};

use crate::helpers::TestApp;

/// A browser (own cookies, redirects not followed) whose requests come from `addr`.
pub fn browser_at(addr: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert("X-Forwarded-For", HeaderValue::from_str(addr).unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

impl TestApp {
    /// The status of a sign-in as `email` with `password` from `addr`, in a fresh browser.
    pub async fn sign_in_status_from(&self, addr: &str, email: &str, password: &str) -> u16 {
        let client = browser_at(addr);
        self.login_as(&client, email, password)
            .await
            .status()
            .as_u16()
    }
}
