//! The second factor as a person with an authenticator app gives it, for `TestApp::signed_in`
//! and the two-factor tests.
use chrono::{Duration, NaiveDateTime};

use crate::helpers::{TestApp, extract_csrf};

impl TestApp {
    /// On the second-factor step, submits the authenticator's current code: from the account's
    /// secret, or from the key the enrolment page shows.
    pub async fn give_second_factor(
        &self,
        client: &reqwest::Client,
        email: &str,
    ) -> reqwest::Response {
        let (_, page) = self.get_html(client, "/login/two-factor").await;
        let code = self.totp_now(email, &page);
        let token = extract_csrf(&page).expect("form token");
        let fields = [("csrf_token", token.as_str()), ("code", code.as_str())];
        self.post_raw(client, "/login/two-factor", &fields).await
    }

    /// Turns two-factor sign-in on from the account page, as `email` would: the page shows the
    /// key, the app gives the code.
    pub async fn turn_on_two_factor(
        &self,
        client: &reqwest::Client,
        email: &str,
    ) -> reqwest::Response {
        let (_, page) = self.get_html(client, "/account/two-factor").await;
        let code = self.totp_now(email, &page);
        let fields = [("code", code.as_str())];
        self.post_form(
            client,
            "/account/two-factor",
            "/account/two-factor",
            &fields,
        )
        .await
    }

    /// The code an authenticator app shows now for `email` (its enrolled secret, or else the key
    /// on `enrol_page`). If this time step's code was used already, the clock moves on a step,
    /// as a person would wait for the next code.
    pub fn totp_now(&self, email: &str, enrol_page: &str) -> String {
        let user = self.with_conn(|conn| {
            pulse::repo::users::find_by_email(conn, email)
                .unwrap()
                .expect("user")
        });
        let secret = user.totp_secret.clone().unwrap_or_else(|| {
            let doc = scraper::Html::parse_document(enrol_page);
            let key = scraper::Selector::parse("p.muted code").unwrap();
            doc.select(&key).next().expect("enrolment key").inner_html()
        });
        let step = |at: NaiveDateTime| at.and_utc().timestamp() / 30;
        if user
            .totp_last_step
            .is_some_and(|used| i64::from(used) >= step(self.now()))
        {
            self.advance(Duration::seconds(30));
        }
        totp_code(&secret, self.now())
    }
}

/// The RFC 6238 code (SHA-1, 6 digits, 30 s) of base32 `secret` at `at`, as an app computes it.
pub fn totp_code(secret: &str, at: NaiveDateTime) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        0,
        30,
        bytes,
        None,
        String::new(),
    );
    totp.generate(at.and_utc().timestamp() as u64)
}
