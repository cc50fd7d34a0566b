//! The `pulse` command line (the commands are listed in README.md).
use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Database;
use crate::domain::accounts::{self, NewAccount};
use crate::domain::password::Password;
use crate::domain::role::Role;
use crate::domain::{demo, organisations, scores};
use crate::keys;
use crate::startup::Application;

#[derive(Parser)]
#[command(name = "pulse", about = "Pulse API access console and data API")]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve HTTP (the default).
    Serve {
        /// Fill an empty database with demo data first and print how to sign in.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Create an organisation.
    CreateOrg {
        #[arg(long)]
        name: String,
        #[arg(long)]
        slug: String,
        #[arg(long)]
        api_enabled: bool,
    },
    /// Create a user, or add an existing one to an organisation. Password from PULSE_PASSWORD,
    /// else prompted.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        staff: bool,
        #[arg(long, requires = "role")]
        org: Option<String>,
        #[arg(long, requires = "org", value_parser = clap::value_parser!(RoleArg))]
        role: Option<RoleArg>,
    },
    /// Fill an empty database with sample organisations, users and feedback.
    SeedDemo,
    /// Recompute the daily score rollups from the feedback, e.g. after loading rows with the
    /// database's triggers switched off.
    RebuildRollups,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Owner,
    Admin,
    Member,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Owner => Role::Owner,
            RoleArg::Admin => Role::Admin,
            RoleArg::Member => Role::Member,
        }
    }
}

fn open_database(config: &Config) -> anyhow::Result<Database> {
    let db = Database::connect(&config.database_url)?;
    db.migrate()?;
    Ok(db)
}

fn password_from_env_or_prompt() -> anyhow::Result<Password> {
    if let Ok(password) = std::env::var("PULSE_PASSWORD") {
        return Ok(Password::new(password));
    }
    let password = rpassword::prompt_password("Password: ").context("reading the password")?;
    Ok(Password::new(password))
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        let config = Config::from_env()?;
        match self.command.unwrap_or(Command::Serve { demo: false }) {
            Command::Serve { demo } => serve(config, demo).await?,
            Command::Migrate => {
                let db = open_database(&config)?;
                // Without a key (PostgreSQL needs PULSE_REVEAL_KEY) `serve` seals them instead.
                if let Ok(key) = keys::reveal_key(&config) {
                    keys::seal_plaintext_secrets(&db, &key)?;
                }
                println!("Migrations applied.");
            }
            Command::CreateOrg {
                name,
                slug,
                api_enabled,
            } => {
                let db = open_database(&config)?;
                let now = Clock::system().now();
                let org = organisations::create(&mut *db.conn()?, &name, &slug, api_enabled, now)?;
                let access = if org.api_enabled() {
                    "enabled"
                } else {
                    "disabled"
                };
                println!(
                    "Created organisation {} ({}), API access {access}.",
                    org.name, org.slug
                );
            }
            Command::CreateUser {
                email,
                name,
                staff,
                org,
                role,
            } => {
                let membership = org.zip(role.map(Role::from));
                create_user(&config, &email, &name, staff, membership)?;
            }
            Command::RebuildRollups => {
                let db = open_database(&config)?;
                scores::rebuild_rollups(&mut *db.conn()?)?;
                println!("Score rollups rebuilt from the feedback.");
            }
            Command::SeedDemo => {
                let db = open_database(&config)?;
                let outcome = demo::seed(&mut *db.conn()?, Clock::system().now())?;
                print_seed_outcome(outcome, &format!("http://{}", config.bind));
            }
        }
        Ok(())
    }
}

async fn serve(config: Config, seed_demo: bool) -> anyhow::Result<()> {
    let app = Application::build(config, Clock::system())?;
    let address = format!("http://{}", app.address());
    if seed_demo {
        let outcome = demo::seed(&mut *app.db().conn()?, Clock::system().now())?;
        print_seed_outcome(outcome, &address);
    }
    // So a newcomer can open an invitation or a reset message without a mail server.
    println!("{}", app.mail().describe());
    // Scripts and tests read this line to learn the port when PULSE_BIND ends in :0.
    println!("Pulse is listening on {address}");
    app.run_until_stopped().await?;
    Ok(())
}

/// Creates the user (asking for a password only then), or finds the existing one, and adds it
/// to the organisation `membership` names.
fn create_user(
    config: &Config,
    email: &str,
    name: &str,
    is_staff: bool,
    membership: Option<(String, Role)>,
) -> anyhow::Result<()> {
    let db = open_database(config)?;
    let mut conn = db.conn()?;
    let now = Clock::system().now();
    let existing = accounts::normalise_email(email)
        .ok()
        .map(|e| crate::repo::users::find_by_email(&mut conn, &e))
        .transpose()?
        .flatten();
    let (user, created) = match existing {
        Some(user) => (user, false),
        None => {
            let password = password_from_env_or_prompt()?;
            let account = NewAccount {
                email,
                name,
                password: &password,
                is_staff,
            };
            accounts::create_or_find_user(&mut conn, &account, now)?
        }
    };
    let found = if created { "Created" } else { "Found existing" };
    let staff = if user.is_staff() { " (staff)" } else { "" };
    println!("{found} user {} <{}>{staff}.", user.name, user.email);
    if let Some((slug, role)) = membership {
        accounts::add_to_organisation(&mut conn, user.id, &slug, role, now)?;
        println!("Added {} to {} as {}.", user.email, slug, role);
    }
    Ok(())
}

fn print_seed_outcome(outcome: demo::SeedOutcome, address: &str) {
    match outcome {
        demo::SeedOutcome::AlreadyPopulated => {
            println!("The database already has users; demo data was not added.");
        }
        demo::SeedOutcome::Seeded { password, accounts } => {
            println!("Demo data created. Sign in at {address}/login with:");
            for (email, what) in accounts {
                println!("  {email:<28} {what}");
            }
            println!("Password for every demo account: {}", password.expose());
        }
    }
}
