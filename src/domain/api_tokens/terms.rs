//! The choices people make when issuing a token: how long it lives (`Expiry`) and, when it
//! replaces another, how long the old one keeps working (`Grace`).
use chrono::Duration;

use crate::error::AppError;

/// How long a replaced token keeps working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grace {
    None,
    OneHour,
    OneDay,
    SevenDays,
}

impl Grace {
    /// Form values, in the order the form offers them.
    pub const CHOICES: [(&'static str, &'static str); 4] = [
        ("none", "No grace period: stop it now"),
        ("1h", "1 hour"),
        ("24h", "24 hours"),
        ("7d", "7 days"),
    ];

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw.trim() {
            "" | "none" => Ok(Grace::None),
            "1h" => Ok(Grace::OneHour),
            "24h" => Ok(Grace::OneDay),
            "7d" => Ok(Grace::SevenDays),
            _ => Err(AppError::invalid(
                "The grace period must be none, 1 hour, 24 hours or 7 days.",
            )),
        }
    }

    pub fn duration(self) -> Option<Duration> {
        match self {
            Grace::None => None,
            Grace::OneHour => Some(Duration::hours(1)),
            Grace::OneDay => Some(Duration::hours(24)),
            Grace::SevenDays => Some(Duration::days(7)),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Grace::None => "no grace period",
            Grace::OneHour => "old token valid for 1 more hour",
            Grace::OneDay => "old token valid for 24 more hours",
            Grace::SevenDays => "old token valid for 7 more days",
        }
    }
}

/// How long a new token lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expiry(Option<u16>);

impl Expiry {
    pub const NEVER: Expiry = Expiry(None);

    /// Form values, in the order the form offers them.
    pub const CHOICES: [(&'static str, &'static str); 4] = [
        ("never", "Never"),
        ("30", "In 30 days"),
        ("90", "In 90 days"),
        ("365", "In 365 days"),
    ];

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw.trim() {
            "" | "never" => Ok(Expiry::NEVER),
            "30" => Ok(Expiry(Some(30))),
            "90" => Ok(Expiry(Some(90))),
            "365" => Ok(Expiry(Some(365))),
            _ => Err(AppError::invalid(
                "The expiry must be never, 30, 90 or 365 days.",
            )),
        }
    }

    pub fn duration(self) -> Option<Duration> {
        self.0.map(|days| Duration::days(days.into()))
    }
}

/// What a new token is issued with.
#[derive(Clone, Copy, Debug)]
pub struct Terms {
    pub reveal_window: Duration,
    pub expiry: Expiry,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_offered_choices_parse() {
        for (value, _) in Grace::CHOICES {
            assert!(Grace::parse(value).is_ok(), "{value}");
        }
        for (value, _) in Expiry::CHOICES {
            assert!(Expiry::parse(value).is_ok(), "{value}");
        }
        for bad in ["forever", "2h", "-1", "30d"] {
            assert!(
                Grace::parse(bad).is_err() && Expiry::parse(bad).is_err(),
                "{bad}"
            );
        }
        assert_eq!(Grace::SevenDays.duration(), Some(Duration::days(7)));
        assert_eq!(
            Expiry::parse("90").unwrap().duration(),
            Some(Duration::days(90))
        );
        assert_eq!(Expiry::NEVER.duration(), None);
    }
}
