//! Demo data so a newcomer can sign in and look around straight away.
use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::domain::accounts::{self, NewAccount};
use crate::domain::password::Password;
use crate::domain::recovery::{self, Recovery};
use crate::domain::role::Role;
use crate::domain::{demo_feedback, organisations, secret};
use crate::error::AppError;
use crate::repo::users;

pub enum SeedOutcome {
    AlreadyPopulated,
    /// `reset_password` found none of the demo accounts.
    NoDemoAccounts,
    /// Seeded, or the demo accounts' password reset: every demo account signs in with it.
    Seeded {
        password: Password,
        accounts: Vec<(&'static str, &'static str)>,
    },
}

/// (email, name, membership as (organisation slug, role) or none for staff, description)
type DemoAccount = (
    &'static str,
    &'static str,
    Option<(&'static str, Role)>,
    &'static str,
);

const ACCOUNTS: [DemoAccount; 5] = [
    (
        "staff@pulse.example",
        "Sam Staff",
        None,
        "platform staff: staff console",
    ),
    (
        "owner@acme.example",
        "Olivia Owner",
        Some(("acme", Role::Owner)),
        "owner of Acme Consulting",
    ),
    (
        "admin@acme.example",
        "Adam Admin",
        Some(("acme", Role::Admin)),
        "admin of Acme Consulting",
    ),
    (
        "member@acme.example",
        "Mia Member",
        Some(("acme", Role::Member)),
        "member of Acme Consulting",
    ),
    (
        "owner@northwind.example",
        "Nora North",
        Some(("northwind", Role::Owner)),
        "owner of Northwind Advisory",
    ),
];

/// The demo's password: `PULSE_PASSWORD` if set, else generated.
fn demo_password() -> Password {
    Password::new(std::env::var("PULSE_PASSWORD").unwrap_or_else(|_| secret::random_base62(16)))
}

fn listed(emails: impl Iterator<Item = &'static str>) -> Vec<(&'static str, &'static str)> {
    emails
        .filter_map(|email| ACCOUNTS.iter().find(|a| a.0 == email))
        .map(|(email, _, _, what)| (*email, *what))
        .collect()
}

/// Gives every demo account that still exists a new password (`PULSE_PASSWORD` if set, else
/// generated), ends its sessions and lifts its lock, so that someone who lost the password a
/// first `serve --demo` printed can get in again. Other accounts are left alone.
pub fn reset_password(conn: &mut DbConn, now: NaiveDateTime) -> Result<SeedOutcome, AppError> {
    let password = demo_password();
    let mut reset = Vec::new();
    for (email, ..) in ACCOUNTS {
        if users::find_by_email(conn, email)?.is_some() {
            recovery::set_password(conn, email, &password, now)?;
            recovery::apply(conn, email, Recovery::Unlock, now)?;
            reset.push(email);
        }
    }
    if reset.is_empty() {
        return Ok(SeedOutcome::NoDemoAccounts);
    }
    Ok(SeedOutcome::Seeded {
        password,
        accounts: listed(reset.into_iter()),
    })
}

/// Seeds an empty database. The password is `PULSE_PASSWORD` if set, else generated.
pub fn seed(conn: &mut DbConn, now: NaiveDateTime) -> Result<SeedOutcome, AppError> {
    if users::count(conn)? > 0 {
        return Ok(SeedOutcome::AlreadyPopulated);
    }
    let password = demo_password();
    conn.write_transaction(|conn| {
        let acme = organisations::create(conn, "Acme Consulting", "acme", true, now)?;
        let northwind = organisations::create(conn, "Northwind Advisory", "northwind", false, now)?;
        for org in [&acme, &northwind] {
            demo_feedback::seed(conn, org.id, &org.slug, now)?;
        }
        for (email, name, membership, _) in ACCOUNTS {
            let (user, _) = accounts::create_or_find_user(
                conn,
                &NewAccount {
                    email,
                    name,
                    password: &password,
                    is_staff: membership.is_none(),
                },
                now,
            )?;
            if let Some((slug, role)) = membership {
                accounts::add_to_organisation(conn, user.id, slug, role, now)?;
            }
        }
        Ok::<_, AppError>(())
    })?;
    Ok(SeedOutcome::Seeded {
        password,
        accounts: listed(ACCOUNTS.iter().map(|a| a.0)),
    })
}
