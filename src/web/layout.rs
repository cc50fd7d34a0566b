use crate::auth::extractors::{OrgMember, SignedIn};
use crate::web::time::TimeView;

/// What the shared layout shows about the signed-in user.
pub struct Nav {
    pub user_name: String,
    pub is_staff: bool,
    pub csrf_token: String,
    pub banner: Option<ExpiryBanner>,
}

/// On an organisation's pages, for owners and admins: the API token expires soon, or has.
pub struct ExpiryBanner {
    pub prefix: String,
    pub at: TimeView,
    pub expired: bool,
    pub screen: String,
}

impl From<&SignedIn> for Nav {
    fn from(signed_in: &SignedIn) -> Self {
        Nav {
            user_name: signed_in.user.name.clone(),
            is_staff: signed_in.user.is_staff(),
            csrf_token: signed_in.csrf_token.clone(),
            banner: None,
        }
    }
}

impl Nav {
    /// The layout of an organisation's page, with the expiry banner when it is due.
    pub fn for_member(member: &OrgMember) -> Self {
        let banner = member.token_expiry.as_ref().map(|expiry| ExpiryBanner {
            prefix: expiry.prefix.clone(),
            at: expiry.at.into(),
            expired: expiry.expired,
            screen: format!("/orgs/{}/settings/api", member.org.slug),
        });
        Nav {
            banner,
            ..Nav::from(&member.signed_in)
        }
    }
}
