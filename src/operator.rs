//! The operator's commands (README, "Command line"): account recovery (`pulse user …`), key
//! rotation (`pulse keys …`), backups (`pulse backup`, `pulse restore`). Each prints what it did
//! and fails with a clear error, never silently.
use anyhow::{Context, bail};
use clap::Subcommand;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{Database, DatabaseUrl, backup};
use crate::domain::invitations;
use crate::domain::members::Acting;
use crate::domain::password::Password;
use crate::domain::recovery::{self, Recovery};
use crate::domain::reveal::RevealKey;
use crate::domain::role::Role;
use crate::keys;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Set a new password (from PULSE_PASSWORD, else prompted) and end the person's sessions.
    SetPassword {
        #[arg(long)]
        email: String,
    },
    /// Remove the person's authenticator and recovery codes (staff enrol again at their next
    /// sign-in) and end their sessions.
    ResetTwoFactor {
        #[arg(long)]
        email: String,
    },
    /// Lift the sign-in lock after too many failed attempts.
    Unlock {
        #[arg(long)]
        email: String,
    },
    /// Keep the person from signing in and end their sessions; their organisations' API
    /// tokens keep working.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Let a disabled person sign in again.
    Enable {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Replace the session cookie key: everyone is signed out. Restart every instance after.
    RotateCookie,
    /// Re-seal everything sealed with the reveal key under a new one (from PULSE_NEW_REVEAL_KEY,
    /// else generated). Stop every instance first.
    RotateReveal,
}

/// The password from `PULSE_PASSWORD`, else asked for at the terminal.
pub fn password_from_env_or_prompt() -> anyhow::Result<Password> {
    if let Ok(password) = std::env::var("PULSE_PASSWORD") {
        return Ok(Password::new(password));
    }
    let password = rpassword::prompt_password("Password: ").context("reading the password")?;
    Ok(Password::new(password))
}

pub fn user(db: &Database, command: UserCommand) -> anyhow::Result<()> {
    let now = Clock::system().now();
    let mut conn = db.conn()?;
    let (email, recovery, done) = match command {
        UserCommand::SetPassword { email } => {
            let password = password_from_env_or_prompt()?;
            let user = recovery::set_password(&mut conn, &email, &password, now)?;
            println!(
                "Set a new password for {}; their sessions ended.",
                user.email
            );
            return Ok(());
        }
        UserCommand::ResetTwoFactor { email } => (
            email,
            Recovery::ResetTwoFactor,
            "two-factor sign-in reset (staff enrol again at their next sign-in); sessions ended",
        ),
        UserCommand::Unlock { email } => (email, Recovery::Unlock, "sign-in lock lifted"),
        UserCommand::Disable { email } => (
            email,
            Recovery::Disable,
            "disabled: they cannot sign in, their sessions ended, API tokens unaffected",
        ),
        UserCommand::Enable { email } => {
            (email, Recovery::Enable, "enabled: they may sign in again")
        }
    };
    let user = recovery::apply(&mut conn, &email, recovery, now)?;
    println!("{}: {done}.", user.email);
    Ok(())
}

pub fn keys(config: &Config, db: &Database, command: KeysCommand) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    match command {
        KeysCommand::RotateCookie => {
            let ended = keys::rotate_cookie(&mut conn)?;
            println!(
                "Rotated the session cookie key; {ended} sessions ended. Restart every instance now: \
                 until then they sign people in with the old key."
            );
        }
        KeysCommand::RotateReveal => {
            let new = std::env::var("PULSE_NEW_REVEAL_KEY")
                .ok()
                .map(|text| {
                    RevealKey::from_base64(&text)
                        .context("PULSE_NEW_REVEAL_KEY must be the base64 of 32 bytes")
                })
                .transpose()?;
            let given = new.is_some();
            let rotation = keys::rotate_reveal(config, &mut conn, new)?;
            for (column, count) in &rotation.resealed {
                println!("Re-sealed {count} values of {column}.");
            }
            match (&rotation.key_file, given) {
                (Some(file), _) => println!("The new reveal key is in {file}."),
                (None, true) => println!(
                    "Set PULSE_REVEAL_KEY to the value of PULSE_NEW_REVEAL_KEY on every instance, \
                     then start them."
                ),
                (None, false) => println!(
                    "New reveal key (set PULSE_REVEAL_KEY to it on every instance, then start them): {}",
                    rotation.new_key.to_base64()
                ),
            }
        }
    }
    Ok(())
}

fn sqlite_path(config: &Config, what: &str) -> anyhow::Result<String> {
    match DatabaseUrl::parse(&config.database_url) {
        DatabaseUrl::Sqlite(path) => Ok(path),
        DatabaseUrl::Postgres(_) => bail!(
            "pulse {what} is for SQLite; for PostgreSQL use pg_dump and pg_restore (README, \"Backups\")"
        ),
    }
}

pub fn backup(config: &Config, target: &str) -> anyhow::Result<()> {
    let database = sqlite_path(config, "backup")?;
    let done = backup::backup(&database, target)?;
    println!("Backed up {database} to {target}.");
    match done.key_file {
        Some(key) => println!("The reveal key file went with it: {key} (keep the two together)."),
        None => println!("Keep PULSE_REVEAL_KEY with the backup: sealed values need it."),
    }
    Ok(())
}

pub fn restore(config: &Config, source: &str) -> anyhow::Result<()> {
    let database = sqlite_path(config, "restore")?;
    let done = backup::restore(source, &database)?;
    println!("Restored {database} from {source}.");
    if let Some(key) = done.key_file {
        println!("The reveal key file came with it: {key}.");
    }
    Ok(())
}

/// `pulse invite`: invites `email` to organisation `slug` as `role` and prints the link (from
/// `PULSE_PUBLIC_URL`, else the listen address), for a server that sends no mail yet.
pub fn invite(
    config: &Config,
    db: &Database,
    (slug, email, role): (&str, &str, Role),
) -> anyhow::Result<()> {
    let now = Clock::system().now();
    let mut conn = db.conn()?;
    let org = crate::repo::organisations::find_by_slug(&mut conn, slug)?
        .with_context(|| format!("there is no organisation with slug {slug:?}"))?;
    let by = Acting {
        user_id: None,
        role: Role::Owner,
        addr: "command line".to_owned(),
    };
    let sent = invitations::invite(&mut conn, org.id, (email, role), &by, now)?;
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.bind));
    println!(
        "Invited {} to {} as {role}; the link works once, for that address, until {} UTC:",
        sent.invitation.email,
        org.name,
        sent.invitation.expires_at.format("%Y-%m-%d %H:%M")
    );
    println!("{base}/invitation?token={}", sent.secret);
    Ok(())
}
