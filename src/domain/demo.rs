//! Demo data so a newcomer can sign in and look around straight away.
use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::domain::accounts::{self, NewAccount};
use crate::domain::password::Password;
use crate::domain::role::Role;
use crate::domain::{demo_feedback, organisations, secret};
use crate::error::AppError;
use crate::repo::users;

pub enum SeedOutcome {
    AlreadyPopulated,
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

/// Seeds an empty database. The password is `PULSE_PASSWORD` if set, else generated.
pub fn seed(conn: &mut DbConn, now: NaiveDateTime) -> Result<SeedOutcome, AppError> {
    if users::count(conn)? > 0 {
        return Ok(SeedOutcome::AlreadyPopulated);
    }
    let password = Password::new(
        std::env::var("PULSE_PASSWORD").unwrap_or_else(|_| secret::random_base62(16)),
    );
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
        accounts: ACCOUNTS
            .iter()
            .map(|(email, _, _, what)| (*email, *what))
            .collect(),
    })
}
