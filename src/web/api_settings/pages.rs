//! The askama pages of the API authentication screen and its review pages.
use askama::Template;

use crate::domain::api_tokens::{Expiry, Grace};
use crate::web::access_request::AskPanel;
use crate::web::api_settings::view::{Revealed, ScreenView, TokenView};
use crate::web::layout::Nav;

#[derive(Template)]
#[template(path = "orgs/api.html")]
pub struct ApiPage {
    pub nav: Option<Nav>,
    pub csrf_token: String,
    pub name: String,
    pub slug: String,
    pub api_enabled: bool,
    /// How long a new token is shown in full, in words.
    pub reveal_window: String,
    pub screen: ScreenView,
    /// Where the history's pages are (this screen).
    pub history_url: String,
    pub revealed: Option<Revealed>,
    pub notice: Option<&'static str>,
    pub error: Option<String>,
    pub expiry_choices: &'static [(&'static str, &'static str)],
    /// Asking for API access, while it is off.
    pub ask: Option<AskPanel>,
}

impl ApiPage {
    pub const EXPIRY_CHOICES: &'static [(&'static str, &'static str)] = &Expiry::CHOICES;
}

/// What a review page (Regenerate, Revoke, End now) shows about the token it would stop.
pub struct Step {
    pub csrf_token: String,
    pub name: String,
    pub slug: String,
    pub token: TokenView,
    /// Beside the current token: the replaced one still in its grace period, which Regenerate
    /// and Revoke also stop.
    pub in_grace: Option<TokenView>,
    /// Beside a token in its grace period: the current token that replaced it.
    pub replacement: Option<TokenView>,
}

#[derive(Template)]
#[template(path = "orgs/api_regenerate.html")]
pub struct RegeneratePage {
    pub nav: Option<Nav>,
    pub step: Step,
    pub grace_choices: &'static [(&'static str, &'static str)],
    pub expiry_choices: &'static [(&'static str, &'static str)],
}

impl RegeneratePage {
    pub const GRACE_CHOICES: &'static [(&'static str, &'static str)] = &Grace::CHOICES;
}

#[derive(Template)]
#[template(path = "orgs/api_revoke.html")]
pub struct RevokePage {
    pub nav: Option<Nav>,
    pub step: Step,
}

#[derive(Template)]
#[template(path = "orgs/api_end_grace.html")]
pub struct EndGracePage {
    pub nav: Option<Nav>,
    pub step: Step,
}
