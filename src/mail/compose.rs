//! The words of each notice (`domain::notices::Notice`): its subject, what happened, the facts
//! (who, when in UTC, from which address), the page that shows it, and why the reader gets it.
//! Rendered as plain text and HTML by `mail::render`. Never a token or any other secret: only a
//! password-reset link carries one, in its URL.
use chrono::NaiveDateTime;

use crate::domain::account_notices::sessions_signed_out;
use crate::domain::members::with_article;
use crate::domain::notices::{Done, Notice, OrgRef, StaffChange};
use crate::domain::role::Role;

/// A message ready to render: everything in it is plain text (the HTML part escapes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    pub facts: Vec<(&'static str, String)>,
    /// The page that shows what happened: (what the link says, absolute URL).
    pub action: Option<(String, String)>,
    pub footer: String,
}

/// A time as mail shows it: UTC, with the zone named.
pub fn utc(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Why the reader gets a notice about an organisation's token, and whether it can be turned off.
fn manager_footer(org: &OrgRef, optional: bool, base_url: &str) -> String {
    let why = format!(
        "You receive this because you are an owner or admin of {} in Pulse.",
        org.name
    );
    if optional {
        format!(
            "{why} To stop notices like this one, change your mail settings at {base_url}/account#notifications."
        )
    } else {
        format!("{why} Security notices like this one are always sent.")
    }
}

const PERSONAL_FOOTER: &str =
    "This is a security notice about your own account; it is always sent.";

fn prefixes(list: &[String]) -> String {
    list.iter()
        .map(|p| format!("{p}…"))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// What differs between notices: `compose` adds the greeting, and from `About` the link and
/// the footer.
struct Body {
    subject: String,
    paragraphs: Vec<String>,
    facts: Vec<(&'static str, String)>,
}

/// What a notice is about, which decides where its link goes and why the reader gets it.
enum About<'a> {
    /// An organisation's token or API access, told to its owners and admins; `optional` ones can
    /// be turned off.
    Organisation { org: &'a OrgRef, optional: bool },
    /// The organisation's members, told to its owners.
    Members { org: &'a OrgRef },
    /// The reader's own account.
    Account,
    /// Work for Pulse staff, on the console page `path`.
    Staff { path: String },
    /// The answer to the request for API access an owner of `org` made.
    Request { org: &'a OrgRef },
    /// A single-use link to `path` (a password reset, an invitation): labelled `label`,
    /// with its secret while the message still holds it; `footer` says what ignoring it means.
    Link {
        label: &'static str,
        path: &'static str,
        secret: Option<String>,
        footer: &'static str,
    },
}

impl<'a> About<'a> {
    fn security(org: &'a OrgRef) -> Self {
        About::Organisation {
            org,
            optional: false,
        }
    }

    fn optional(org: &'a OrgRef) -> Self {
        About::Organisation {
            org,
            optional: true,
        }
    }
}

/// The subject alone (for the staff view of the outbox).
pub fn subject(notice: &Notice) -> String {
    body(notice, None).0.subject
}

/// The whole message for `recipient_name`, with links starting at `base_url` (`PULSE_PUBLIC_URL`
/// or the listen address). `link_secret` is the secret of the single-use link a reset carries.
pub fn compose(
    notice: &Notice,
    recipient_name: &str,
    link_secret: Option<&str>,
    base_url: &str,
) -> Email {
    let (body, about) = body(notice, link_secret);
    let (action, footer) = match about {
        About::Organisation { org, optional } => (
            Some((
                "Open the API authentication page".to_owned(),
                format!("{base_url}/orgs/{}/settings/api", org.slug),
            )),
            manager_footer(org, optional, base_url),
        ),
        About::Members { org } => (
            Some((
                "Open the members page".to_owned(),
                format!("{base_url}/orgs/{}/settings/members", org.slug),
            )),
            format!(
                "You receive this because you are an owner of {} in Pulse. Notices of changes \
                 to its members are always sent.",
                org.name
            ),
        ),
        About::Account => (
            Some((
                "Review your account".to_owned(),
                format!("{base_url}/account"),
            )),
            format!("{PERSONAL_FOOTER} {}", if_not_you(base_url)),
        ),
        About::Staff { path } => (
            Some((
                "Open the staff console".to_owned(),
                format!("{base_url}{path}"),
            )),
            "You receive this because you are Pulse staff.".to_owned(),
        ),
        About::Request { org } => (
            Some((
                "Open the API authentication page".to_owned(),
                format!("{base_url}/orgs/{}/settings/api", org.slug),
            )),
            format!(
                "You receive this because you are an owner of {} in Pulse, which asked for API \
                 access.",
                org.name
            ),
        ),
        About::Link {
            label,
            path,
            secret,
            footer,
        } => (
            secret.map(|secret| (label.to_owned(), format!("{base_url}{path}?token={secret}"))),
            footer.to_owned(),
        ),
    };
    let greeting = match recipient_name.trim() {
        "" => "Hello,".to_owned(),
        name => format!("Hello {name},"),
    };
    Email {
        subject: body.subject,
        greeting,
        paragraphs: body.paragraphs,
        facts: body.facts,
        action,
        footer,
    }
}

fn if_not_you(base_url: &str) -> String {
    format!(
        "If this was not you, reset your password now at {base_url}/forgot-password and tell the \
         owner of your organisation."
    )
}

/// `facts`, then who did it, when and from where.
fn with_done(mut facts: Vec<(&'static str, String)>, done: &Done) -> Vec<(&'static str, String)> {
    facts.extend([
        ("By", done.by.clone()),
        ("When", utc(done.at)),
        ("From address", done.from.clone()),
    ]);
    facts
}

/// When and from where the reader's own account was changed.
fn account_facts(from: &str, at: NaiveDateTime) -> Vec<(&'static str, String)> {
    vec![("When", utc(at)), ("From address", from.to_owned())]
}

fn body<'a>(notice: &'a Notice, link_secret: Option<&str>) -> (Body, About<'a>) {
    match notice {
        Notice::TokenGenerated {
            org,
            prefix,
            expires_at,
            done,
        } => {
            let expires = expires_at.map_or_else(|| "Never".to_owned(), utc);
            let body = Body {
                subject: format!("New API token generated for {}", org.name),
                paragraphs: vec![
                    format!("{} generated a new API token for {}.", done.by, org.name),
                    "Reports and tools that read the organisation's feedback through the API \
                     need it. If you did not expect this, check the history on the API \
                     authentication page and revoke the token."
                        .into(),
                ],
                facts: with_done(
                    vec![("Token", format!("{prefix}…")), ("Expires", expires)],
                    done,
                ),
            };
            (body, About::security(org))
        }
        Notice::TokenRegenerated {
            org,
            prefix,
            replaced,
            old_stops_at,
            done,
        } => {
            let stops = if *old_stops_at <= done.at {
                "at once".to_owned()
            } else {
                format!("at {} (its grace period)", utc(*old_stops_at))
            };
            let body = Body {
                subject: format!("API token of {} regenerated", org.name),
                paragraphs: vec![
                    format!(
                        "{} replaced the API token {replaced}… of {} with a new token, {prefix}….",
                        done.by, org.name
                    ),
                    format!(
                        "The old token stops working {stops}: put the new token into every \
                         report and tool that uses the old one."
                    ),
                ],
                facts: with_done(
                    vec![
                        ("New token", format!("{prefix}…")),
                        ("Replaced token", format!("{replaced}…")),
                        ("Old token stops", stops),
                    ],
                    done,
                ),
            };
            (body, About::security(org))
        }
        Notice::TokenRevoked {
            org,
            prefixes: list,
            done,
        } => {
            let tokens = prefixes(list);
            let body = Body {
                subject: format!("API token of {} revoked", org.name),
                paragraphs: vec![
                    format!(
                        "{} revoked the API token {tokens} of {}.",
                        done.by, org.name
                    ),
                    "It no longer works: reports using it get errors until an owner or admin \
                     generates a new token and puts it into them."
                        .into(),
                ],
                facts: with_done(vec![("Token", tokens)], done),
            };
            (body, About::security(org))
        }
        Notice::GraceEnded {
            org,
            prefixes: list,
            done,
        } => {
            let tokens = prefixes(list);
            let body = Body {
                subject: format!("Old API token of {} stopped early", org.name),
                paragraphs: vec![
                    format!(
                        "{} ended the grace period of the replaced API token {tokens} of {} early.",
                        done.by, org.name
                    ),
                    "It no longer works: reports still using it get errors until they use the \
                     current token."
                        .into(),
                ],
                facts: with_done(vec![("Replaced token", tokens)], done),
            };
            (body, About::security(org))
        }
        Notice::TokenExpiring {
            org,
            prefix,
            expires_at,
            days_left,
        } => {
            let days = match days_left {
                1 => "1 day".to_owned(),
                n => format!("{n} days"),
            };
            let body = Body {
                subject: format!("API token of {} expires in {days}", org.name),
                paragraphs: vec![
                    format!(
                        "The API token {prefix}… of {} expires on {}.",
                        org.name,
                        utc(*expires_at)
                    ),
                    "Reports using it will get errors from then on. Regenerate it before then \
                     (a grace period keeps the old token working while you update your reports)."
                        .into(),
                ],
                facts: vec![
                    ("Token", format!("{prefix}…")),
                    ("Expires", utc(*expires_at)),
                ],
            };
            (body, About::optional(org))
        }
        Notice::TokenExpired {
            org,
            prefix,
            expired_at,
        } => {
            let body = Body {
                subject: format!("API token of {} has expired", org.name),
                paragraphs: vec![
                    format!(
                        "The API token {prefix}… of {} expired on {}.",
                        org.name,
                        utc(*expired_at)
                    ),
                    "The API refuses it, so reports using it get errors. Regenerate it and put \
                     the new token into your reports."
                        .into(),
                ],
                facts: vec![
                    ("Token", format!("{prefix}…")),
                    ("Expired", utc(*expired_at)),
                ],
            };
            (body, About::optional(org))
        }
        Notice::TokenExposed {
            org,
            prefix,
            location,
            at,
        } => {
            let body = Body {
                subject: format!("API token of {} found in public and revoked", org.name),
                paragraphs: vec![
                    format!(
                        "A secret-scanning report found the API token {prefix}… of {} in a \
                         public place, so Pulse revoked it at once: anyone could have copied it.",
                        org.name
                    ),
                    "Remove the token from where it was found. Reports using it get errors \
                     until an owner or admin generates a new token and puts it into them."
                        .into(),
                ],
                facts: vec![
                    ("Token", format!("{prefix}…")),
                    ("Found at", location.clone()),
                    ("Revoked", utc(*at)),
                ],
            };
            (body, About::security(org))
        }
        Notice::ApiAccessChanged {
            org,
            enabled,
            by,
            at,
        } => {
            let (state, meaning) = if *enabled {
                (
                    "on",
                    "The organisation's API token works again, and owners and admins can \
                     generate or regenerate it.",
                )
            } else {
                (
                    "off",
                    "The API refuses every request made with the organisation's token until API \
                     access is switched on again; the token is kept.",
                )
            };
            let body = Body {
                subject: format!("API access switched {state} for {}", org.name),
                paragraphs: vec![
                    format!(
                        "{by} of Pulse staff switched API access {state} for {}.",
                        org.name
                    ),
                    meaning.into(),
                ],
                facts: vec![("By", format!("{by} (Pulse staff)")), ("When", utc(*at))],
            };
            (body, About::optional(org))
        }
        Notice::PasswordChanged { by_reset, from, at } => {
            let how = if *by_reset {
                "with a password-reset link sent to this address"
            } else {
                "on your account page"
            };
            let body = Body {
                subject: "Your Pulse password was changed".into(),
                paragraphs: vec![format!(
                    "The password of your Pulse account was changed {how}. Every session signed \
                     in with the old password has ended."
                )],
                facts: account_facts(from, *at),
            };
            (body, About::Account)
        }
        Notice::TwoFactorChanged {
            enabled,
            sessions_ended,
            from,
            at,
        } => {
            let (state, meaning) = if *enabled {
                (
                    "on",
                    "Signing in now asks for a code from your authenticator app as well as your \
                     password.",
                )
            } else {
                ("off", "Signing in now asks only for your password.")
            };
            let body = Body {
                subject: format!("Two-factor sign-in turned {state} for your Pulse account"),
                paragraphs: vec![format!(
                    "Two-factor sign-in was turned {state} for your Pulse account. {meaning}{}",
                    sessions_signed_out(*sessions_ended)
                )],
                facts: account_facts(from, *at),
            };
            (body, About::Account)
        }
        Notice::PasswordGuessed { place, at } => {
            let body = Body {
                subject: "Wrong passwords were tried on your Pulse account".into(),
                paragraphs: vec![format!(
                    "Many wrong passwords were entered for your Pulse account, the latest from \
                     {place}. Signing in from there is slowed down; your usual places are not \
                     affected. Nobody got in with them; if your password is short or used \
                     elsewhere, change it."
                )],
                facts: vec![("Latest from", place.clone()), ("When", utc(*at))],
            };
            (body, About::Account)
        }
        Notice::SecondFactorGuessed { place, at } => {
            let body = Body {
                subject: "Someone may have your Pulse password".into(),
                paragraphs: vec![format!(
                    "The right password for your Pulse account was followed by wrong \
                     second-factor codes, the latest from {place}. If that was not you, \
                     someone has your password: change it now."
                )],
                facts: vec![("Latest from", place.clone()), ("When", utc(*at))],
            };
            (body, About::Account)
        }
        Notice::OtherSessionsEnded { count, from, at } => {
            let sessions = match count {
                1 => "1 other session".to_owned(),
                n => format!("{n} other sessions"),
            };
            let body = Body {
                subject: "You were signed out of your other Pulse sessions".into(),
                paragraphs: vec![format!(
                    "Someone signed in to your Pulse account chose \"Sign out everywhere else\": \
                     {sessions} ended."
                )],
                facts: account_facts(from, *at),
            };
            (body, About::Account)
        }
        Notice::PasswordReset {
            expires_at,
            sent_by,
        } => {
            let why = match sent_by {
                None => "Someone, hopefully you, asked to reset the password of the Pulse \
                         account with this address."
                    .to_owned(),
                Some(staff) => format!(
                    "{staff} of Pulse staff sent you this link to reset the password of your \
                     Pulse account."
                ),
            };
            let body = Body {
                subject: "Reset your Pulse password".into(),
                paragraphs: vec![
                    format!("{why} Follow the link to choose a new one."),
                    format!(
                        "The link works once, until {} (one hour), and stops working when a newer \
                         one is sent.",
                        utc(*expires_at)
                    ),
                ],
                facts: vec![("Link valid until", utc(*expires_at))],
            };
            let link = About::Link {
                label: "Choose a new password",
                path: "/reset-password",
                secret: link_secret.map(str::to_owned),
                footer: "If you did not ask, ignore this message: your password stays as it is.",
            };
            (body, link)
        }
        Notice::RecoveredByStaff {
            change,
            sessions_ended,
            by,
            from,
            at,
        } => {
            let (subject, what) = match change {
                StaffChange::TwoFactorReset => (
                    "Two-factor sign-in of your Pulse account was reset",
                    "reset the two-factor sign-in of your Pulse account: your authenticator app \
                     and recovery codes no longer work. Staff set up a new authenticator at \
                     their next sign-in; anyone else signs in with their password and may turn \
                     two-factor sign-in on again on the account page.",
                ),
                StaffChange::Unlocked => (
                    "Your Pulse account can sign in again",
                    "lifted the sign-in lock of your Pulse account that too many wrong passwords \
                     or codes had set.",
                ),
                StaffChange::SignedOut => (
                    "You were signed out of Pulse everywhere",
                    "signed your Pulse account out everywhere: sign in again to go on.",
                ),
            };
            let ended = match sessions_ended {
                0 => String::new(),
                1 => " 1 session ended.".to_owned(),
                n => format!(" {n} sessions ended."),
            };
            let mut facts = vec![("By", format!("{by} (Pulse staff)"))];
            facts.extend(account_facts(from, *at));
            let body = Body {
                subject: subject.into(),
                paragraphs: vec![format!("{by} of Pulse staff {what}{ended}")],
                facts,
            };
            (body, About::Account)
        }
        Notice::AccessRequested {
            org,
            by,
            by_email,
            note,
            at,
        } => {
            let mut paragraphs = vec![format!(
                "{by} ({by_email}), an owner of {}, asked for API access to be switched on.",
                org.name
            )];
            if !note.is_empty() {
                paragraphs.push(format!("Their note: {note}"));
            }
            paragraphs.push(
                "Switch API access on in the staff console to answer, or decline the request \
                 with a reason; the owners are told either way."
                    .into(),
            );
            let body = Body {
                subject: format!("{} asks for API access", org.name),
                paragraphs,
                facts: vec![
                    ("Organisation", format!("{} ({})", org.name, org.slug)),
                    ("Asked by", format!("{by} <{by_email}>")),
                    ("When", utc(*at)),
                ],
            };
            let path = format!("/staff/orgs/{}", org.slug);
            (body, About::Staff { path })
        }
        Notice::AccessRequestAnswered {
            org,
            asked_at,
            declined,
            by,
            at,
        } => {
            let asked = utc(*asked_at);
            let (subject, paragraphs) = match declined {
                None => (
                    format!("API access switched on for {}", org.name),
                    vec![
                        format!(
                            "{by} of Pulse staff switched API access on for {}, as asked on \
                             {asked}.",
                            org.name
                        ),
                        "Owners and admins can now generate a token on the API authentication \
                         page and put it into their reports."
                            .into(),
                    ],
                ),
                Some(reason) => (
                    format!("Request for API access of {} declined", org.name),
                    vec![
                        format!(
                            "{by} of Pulse staff declined the request for API access of {} \
                             made on {asked}.",
                            org.name
                        ),
                        format!("The reason given: {reason}"),
                        "API access stays off. You may ask again from the API authentication \
                         page."
                            .into(),
                    ],
                ),
            };
            let body = Body {
                subject,
                paragraphs,
                facts: vec![
                    ("Asked", asked),
                    ("Answered by", format!("{by} (Pulse staff)")),
                    ("When", utc(*at)),
                ],
            };
            (body, About::Request { org })
        }
        Notice::Invitation {
            org,
            role,
            invited_by,
            expires_at,
        } => {
            let body = Body {
                subject: format!("{invited_by} invited you to {} in Pulse", org.name),
                paragraphs: vec![
                    format!(
                        "{invited_by} invited you to join {} in Pulse as {}.",
                        org.name,
                        role.parse::<Role>()
                            .map_or_else(|_| role.clone(), with_article)
                    ),
                    format!(
                        "The link works once, for this address only, until {} (7 days). \
                         If it has expired, ask {invited_by} to send a new one.",
                        utc(*expires_at)
                    ),
                ],
                facts: vec![
                    ("Organisation", org.name.clone()),
                    ("Role", role.clone()),
                    ("Invited by", invited_by.clone()),
                    ("Link valid until", utc(*expires_at)),
                ],
            };
            let link = About::Link {
                label: "Accept the invitation",
                path: "/invitation",
                secret: link_secret.map(str::to_owned),
                footer: "If you do not know why you were invited, ignore this message: \
                         nothing happens unless the link is followed.",
            };
            (body, link)
        }
        Notice::MembersChanged { org, what, done } => {
            let body = Body {
                subject: format!("Members of {} changed", org.name),
                paragraphs: vec![what.clone()],
                facts: with_done(vec![("Organisation", org.name.clone())], done),
            };
            (body, About::Members { org })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn times_are_utc_with_the_zone_named() {
        assert_eq!(utc(at()), "2027-01-15 08:00 UTC");
    }

    #[test]
    fn subjects_say_what_happened_and_to_which_organisation() {
        let org = OrgRef {
            name: "Acme Consulting".into(),
            slug: "acme".into(),
        };
        let notice = Notice::ApiAccessChanged {
            org,
            enabled: false,
            by: "Sam".into(),
            at: at(),
        };
        assert_eq!(
            subject(&notice),
            "API access switched off for Acme Consulting"
        );
        let email = compose(&notice, "Olivia", None, "https://pulse.example.com");
        assert_eq!(email.greeting, "Hello Olivia,");
        assert_eq!(
            email.action.unwrap().1,
            "https://pulse.example.com/orgs/acme/settings/api"
        );
        assert!(
            email.footer.contains("/account#notifications"),
            "{}",
            email.footer
        );
    }

    #[test]
    fn only_a_reset_carries_its_link_secret() {
        let notice = Notice::PasswordReset {
            expires_at: at(),
            sent_by: None,
        };
        let email = compose(&notice, "Ann", Some("S3cr3t"), "http://127.0.0.1:8080");
        assert_eq!(
            email.action.unwrap().1,
            "http://127.0.0.1:8080/reset-password?token=S3cr3t"
        );
        assert_eq!(compose(&notice, "Ann", None, "http://x").action, None);
    }
}
