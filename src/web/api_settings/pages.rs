//! The askama pages of the API authentication screen and its confirmation steps.
use askama::Template;

use crate::domain::api_tokens::{Expiry, Grace};
use crate::web::access_request::AskPanel;
use crate::web::api_settings::view::{Revealed, ScreenView, TokenView};
use crate::web::layout::Nav;

/// What an action's redirect back to the screen says (`?done=`).
pub fn notice(done: &str) -> Option<&'static str> {
    match done {
        "revoked" => Some(
            "The token was revoked: the API refuses it from now on. Generate a new one when you \
             need it.",
        ),
        "grace-ended" => {
            Some("The previous token's grace period has ended: the API refuses it now.")
        }
        "access-requested" => {
            Some("Your request was sent to Clientshare. You will hear by mail when they answer.")
        }
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "orgs/api.html")]
pub struct ApiPage {
    pub nav: Option<Nav>,
    pub csrf_token: String,
    pub name: String,
    pub slug: String,
    pub api_enabled: bool,
    pub reveal_minutes: i64,
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

/// What a confirmation step (Regenerate, Revoke) shows about the token it would change.
pub struct Step {
    pub csrf_token: String,
    pub name: String,
    pub slug: String,
    pub token: TokenView,
    /// The replaced token still in its grace period, which the step also stops.
    pub in_grace: Option<TokenView>,
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
