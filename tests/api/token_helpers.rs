//! `TestApp` methods that make API tokens: through the API authentication screen as a browser
//! would, or straight through the domain when a test only needs a token to call the API with.
use chrono::Duration;
use pulse::db::DbConn;
use pulse::domain::actor::Actor;
use pulse::domain::api_tokens::{self, Expiry, Grace, Issued, Issuer, Terms};
use pulse::domain::reveal::RevealKey;
use pulse::domain::role::Role;
use pulse::error::AppError;

use crate::helpers::{TestApp, attr_of, shown_token};

impl TestApp {
    /// Generates `slug`'s token through its API authentication screen and returns the token the
    /// following page shows.
    #[track_caller]
    pub fn generate_token<'a>(
        &'a self,
        client: &'a reqwest::Client,
        slug: &'a str,
    ) -> impl Future<Output = String> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let screen = format!("/orgs/{slug}/settings/api");
            let generate = format!("{screen}/generate");
            let response = self.post_form(client, &generate, &screen, &[]).await;
            assert_eq!(response.status().as_u16(), 303, "generate (at {caller})");
            assert_eq!(response.headers()["location"], screen.as_str());
            let (_, html) = self.get_html(client, &screen).await;
            shown_token(&html)
                .unwrap_or_else(|| panic!("the new token is not shown in full (at {caller})"))
        }
    }

    /// Reveal on `slug`'s screen as a browser does it: POST `…/reveal` with `fields` (e.g. the
    /// password), then, when it answers 303, GET the page it names. The POST's status and the
    /// page the browser ends on.
    pub async fn reveal(
        &self,
        client: &reqwest::Client,
        slug: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String) {
        let screen = format!("/orgs/{slug}/settings/api");
        let posted = self
            .post_form(client, &format!("{screen}/reveal"), &screen, fields)
            .await;
        let status = posted.status().as_u16();
        if status != 303 {
            return (status, posted.text().await.unwrap());
        }
        let location = posted.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(
            location,
            format!("{screen}/reveal"),
            "a reveal shows its own page"
        );
        let (shown, html) = self.get_html(client, &location).await;
        assert_eq!(shown, 200);
        (status, html)
    }

    /// The form of `slug`'s regenerate review page, as a browser would submit it.
    pub async fn regenerate_form(
        &self,
        client: &reqwest::Client,
        slug: &str,
        grace: &str,
    ) -> Vec<(String, String)> {
        let path = format!("/orgs/{slug}/settings/api/regenerate");
        let (status, html) = self.get_html(client, &path).await;
        assert_eq!(status, 200, "confirmation step");
        let field = |name: &str| {
            attr_of(&html, &format!(r#"input[name="{name}"]"#), "value")
                .unwrap_or_else(|| panic!("no {name} on the confirmation step: {html}"))
        };
        vec![
            ("csrf_token".into(), field("csrf_token")),
            ("current".into(), field("current")),
            ("grace".into(), grace.into()),
        ]
    }

    /// Posts a regenerate form (from `regenerate_form`) for `slug`.
    pub async fn post_regenerate(
        &self,
        client: &reqwest::Client,
        slug: &str,
        form: &[(String, String)],
    ) -> reqwest::Response {
        let fields: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let path = format!("/orgs/{slug}/settings/api/regenerate");
        self.post_raw(client, &path, &fields).await
    }

    /// Regenerates `slug`'s token through the confirmation step; returns the response to the POST.
    pub async fn regenerate_token(
        &self,
        client: &reqwest::Client,
        slug: &str,
        grace: &str,
    ) -> reqwest::Response {
        let form = self.regenerate_form(client, slug, grace).await;
        self.post_regenerate(client, slug, &form).await
    }

    /// A bearer token for organisation `slug` (which must have API access), issued straight
    /// through the domain for a fresh owner.
    pub fn issue_token(&self, slug: &str) -> String {
        let owner = self.member(&format!("owner@{slug}.example"), slug, Role::Owner);
        self.issue_as(slug, owner.id, Expiry::NEVER)
            .expect("generate token")
            .0
    }

    /// Generates `slug`'s first token through the domain as `user_id`: (plaintext, id).
    pub fn issue_as(
        &self,
        slug: &str,
        user_id: i32,
        expiry: Expiry,
    ) -> Result<(String, i32), AppError> {
        let org = self.org_id(slug);
        self.with_conn(|conn| {
            self.issue_on(conn, user_id, expiry, |conn, issuer| {
                api_tokens::generate(conn, org, issuer)
            })
        })
    }

    /// Replaces `slug`'s token `current` through the domain as `user_id`: (plaintext, id).
    pub fn regenerate_as(
        &self,
        slug: &str,
        user_id: i32,
        current: i32,
        grace: Grace,
    ) -> Result<(String, i32), AppError> {
        let org = self.org_id(slug);
        self.with_conn(|conn| self.regenerate_in(conn, org, user_id, current, grace))
    }

    /// Replaces token `current` of organisation `org` through the domain as `user_id`, on
    /// `conn` (e.g. inside a transaction of the test's own): (plaintext, id).
    pub fn regenerate_in(
        &self,
        conn: &mut DbConn,
        org: i32,
        user_id: i32,
        current: i32,
        grace: Grace,
    ) -> Result<(String, i32), AppError> {
        self.issue_on(conn, user_id, Expiry::NEVER, |conn, issuer| {
            api_tokens::regenerate(conn, org, current, grace, issuer)
        })
    }

    fn issue_on(
        &self,
        conn: &mut DbConn,
        user_id: i32,
        expiry: Expiry,
        issue: impl FnOnce(&mut DbConn, &Issuer) -> Result<Issued, AppError>,
    ) -> Result<(String, i32), AppError> {
        let actor = Actor {
            user_id,
            session: "issued-by-test".into(),
            client_addr: "127.0.0.1".into(),
        };
        let terms = Terms {
            reveal_window: Duration::seconds(300),
            expiry,
        };
        // A key of the test's own: these tokens are used, never revealed.
        let key = RevealKey::generate();
        let issuer = Issuer {
            actor: &actor,
            terms,
            key: &key,
            at: self.now(),
        };
        let issued = issue(conn, &issuer)?;
        Ok((issued.token.expose().to_owned(), issued.record.id))
    }
}
