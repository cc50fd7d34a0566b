use std::fmt;
use std::str::FromStr;

/// A member's role in an organisation, ordered by power: `Owner > Admin > Member`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// Owners and admins manage the organisation's settings, including API tokens.
    pub fn can_manage(self) -> bool {
        self >= Role::Admin
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            other => Err(format!(
                "unknown role {other:?}: use owner, admin or member"
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Member);
        assert!(Role::Admin.can_manage() && !Role::Member.can_manage());
    }

    #[test]
    fn parses_only_known_roles() {
        assert_eq!("owner".parse::<Role>(), Ok(Role::Owner));
        assert!("root".parse::<Role>().is_err());
    }
}
