//! The second factor as a person with an authenticator app gives it, for `TestApp::signed_in`
//! and the two-factor tests.
use chrono::{Duration, NaiveDateTime};
use pulse::config::SecretText;
use pulse::db::DatabaseUrl;
use pulse::domain::reveal::RevealKey;

use crate::helpers::{TestApp, extract_csrf};

/// The reveal key of test servers on PostgreSQL, which must be given one (`PULSE_REVEAL_KEY`);
/// on SQLite the server keeps its key in a file beside the database.
const POSTGRES_REVEAL_KEY: &str = "dGVzdCByZXZlYWwga2V5IG9mIHRoZSBzdWl0ZSEhISE=";

pub fn reveal_key_for(database_url: &str) -> Option<SecretText> {
    match DatabaseUrl::parse(database_url) {
        DatabaseUrl::Postgres(_) => Some(SecretText(POSTGRES_REVEAL_KEY.into())),
        DatabaseUrl::Sqlite(_) => None,
    }
}

/// The key the server seals tokens and second-factor secrets with.
pub fn server_key(app: &TestApp) -> RevealKey {
    let text = match app.db.url() {
        DatabaseUrl::Postgres(_) => POSTGRES_REVEAL_KEY.to_owned(),
        DatabaseUrl::Sqlite(path) => {
            std::fs::read_to_string(format!("{path}.reveal-key")).expect("reveal key file")
        }
    };
    RevealKey::from_base64(&text).expect("a reveal key")
}

/// The base32 TOTP secret stored (sealed) for `user`, as their authenticator app holds it.
pub fn totp_secret_of(app: &TestApp, user: &pulse::repo::users::User) -> Option<String> {
    let sealed = user.totp_secret.as_deref()?;
    let opened = server_key(app)
        .open_bytes(
            sealed.strip_prefix("sealed-v1:").expect("sealed"),
            &format!("pulse-totp-v1:{}", user.id),
        )
        .expect("the server's key opens the secret");
    Some(String::from_utf8(opened).unwrap())
}

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

    /// Turns two-factor sign-in on for `email` from their account page, with the code their
    /// authenticator shows for the key on the page, and `extra` fields (the password, when the
    /// sudo prompt asks for it).
    pub async fn turn_on_two_factor(
        &self,
        client: &reqwest::Client,
        email: &str,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let settings = "/account/two-factor";
        let (_, page) = self.get_html(client, settings).await;
        let code = self.totp_now(email, &page);
        let mut fields = vec![("code", code.as_str())];
        fields.extend_from_slice(extra);
        self.post_form(client, settings, settings, &fields).await
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
        let secret = totp_secret_of(self, &user).unwrap_or_else(|| {
            let doc = scraper::Html::parse_document(enrol_page);
            let key = scraper::Selector::parse("p.muted code").unwrap();
            // Shown in groups of four; authenticator apps ignore the spaces.
            let shown = doc.select(&key).next().expect("enrolment key").inner_html();
            shown.replace(' ', "")
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
