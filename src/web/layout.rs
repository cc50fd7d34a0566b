use crate::auth::extractors::SignedIn;

/// What the shared layout shows about the signed-in user.
pub struct Nav {
    pub user_name: String,
    pub is_staff: bool,
    pub csrf_token: String,
}

impl From<&SignedIn> for Nav {
    fn from(signed_in: &SignedIn) -> Self {
        Nav {
            user_name: signed_in.user.name.clone(),
            is_staff: signed_in.user.is_staff(),
            csrf_token: signed_in.csrf_token.clone(),
        }
    }
}
