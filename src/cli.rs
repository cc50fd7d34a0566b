//! The `pulse` command line (the commands are listed in README.md).
use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Config;
use crate::db::sqlite_file;
use crate::db::{Database, DatabaseUrl};
use crate::domain::accounts::{self, NewAccount};
use crate::domain::role::Role;
use crate::domain::{demo, organisations, scores};
use crate::keys::{self, RevealKeySource};
use crate::operator::{self, KeysCommand, UserCommand, password_from_env_or_prompt};
use crate::startup::Application;

#[derive(Parser)]
#[command(
    name = "pulse",
    version,
    about = "Pulse API access console and data API"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve HTTP (the default).
    Serve {
        /// Fill an empty database with demo data first and print how to sign in (creating a
        /// SQLite file that does not exist yet).
        #[arg(long)]
        demo: bool,
        /// Create the SQLite file (and its directory) if it does not exist, instead of refusing
        /// a path that may be mistyped.
        #[arg(long)]
        create: bool,
    },
    /// Apply pending migrations and exit (creating a SQLite file and its directory if needed).
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
    /// Invite EMAIL to the organisation as ROLE and print the invitation's link (for a server
    /// that sends no mail yet; the message is queued in the outbox too).
    Invite {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = clap::value_parser!(RoleArg))]
        role: RoleArg,
    },
    /// Fill an empty database with sample organisations, users and feedback.
    SeedDemo {
        /// Instead, give the demo accounts of an earlier seed a new password (PULSE_PASSWORD,
        /// else generated) and print it: how to get in when the first one is lost.
        #[arg(long)]
        reset_password: bool,
    },
    /// Recompute the daily score rollups from the feedback, e.g. after loading rows with the
    /// database's triggers switched off.
    RebuildRollups,
    /// Write a consistent copy of the SQLite database (and its reveal key file) to PATH, while
    /// the server runs.
    Backup { path: String },
    /// Replace the SQLite database (and its reveal key file) with the backup at PATH. Stop the
    /// server first.
    Restore { path: String },
    /// Account recovery: set-password, reset-two-factor, unlock, disable, enable.
    #[command(subcommand)]
    User(UserCommand),
    /// Key rotation: rotate-cookie, rotate-reveal.
    #[command(subcommand)]
    Keys(KeysCommand),
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

/// What a command does with a SQLite file that is not there yet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Missing {
    /// Create it, and its directory (`migrate`, `serve --create`).
    CreateWithDirectory,
    /// Create it in an existing directory (commands that put the first data in).
    Create,
    /// Refuse: the command needs data, so the path must be mistyped.
    Refuse,
}

/// Checks a SQLite path as `missing` says, before anything opens it.
fn check_sqlite_file(config: &Config, missing: Missing) -> anyhow::Result<()> {
    if let DatabaseUrl::Sqlite(path) = DatabaseUrl::parse(&config.database_url) {
        match missing {
            Missing::CreateWithDirectory => sqlite_file::create_directory(&path)?,
            Missing::Create => sqlite_file::check(&path)?,
            Missing::Refuse => sqlite_file::must_exist(&path)?,
        }
    }
    Ok(())
}

fn open_database(config: &Config, missing: Missing) -> anyhow::Result<Database> {
    check_sqlite_file(config, missing)?;
    let db = Database::open(&config.database_url, config.db_pool_size)?;
    db.migrate()?;
    Ok(db)
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        let config = Config::from_env()?;
        let command = self.command.unwrap_or(Command::Serve {
            demo: false,
            create: false,
        });
        match command {
            Command::Serve { demo, create } => {
                let missing = match (create, demo) {
                    (true, _) => Missing::CreateWithDirectory,
                    (false, true) => Missing::Create,
                    (false, false) => Missing::Refuse,
                };
                check_sqlite_file(&config, missing)?;
                serve(config, demo).await?;
            }
            Command::Migrate => {
                let reveal_key = RevealKeySource::from_config(&config);
                let db = open_database(&config, Missing::CreateWithDirectory)?;
                // Without a key (PostgreSQL needs PULSE_REVEAL_KEY) `serve` seals them instead.
                if let Ok(source) = reveal_key {
                    let key = source.finish(&mut *db.conn()?)?;
                    keys::seal_plaintext_secrets(&db, &key)?;
                }
                println!("Migrations applied.");
            }
            Command::Backup { path } => operator::backup(&config, &path)?,
            Command::Restore { path } => operator::restore(&config, &path)?,
            Command::User(command) => {
                operator::user(&open_database(&config, Missing::Refuse)?, command)?;
            }
            Command::Keys(command) => {
                let db = open_database(&config, Missing::Refuse)?;
                operator::keys(&config, &db, command)?;
            }
            Command::CreateOrg {
                name,
                slug,
                api_enabled,
            } => {
                let db = open_database(&config, Missing::Create)?;
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
            Command::Invite { org, email, role } => {
                let db = open_database(&config, Missing::Refuse)?;
                operator::invite(&config, &db, (&org, &email, Role::from(role)))?;
            }
            Command::RebuildRollups => {
                let db = open_database(&config, Missing::Refuse)?;
                scores::rebuild_rollups(&mut *db.conn()?)?;
                println!("Score rollups rebuilt from the feedback.");
            }
            Command::SeedDemo { reset_password } => {
                let db = open_database(&config, Missing::Create)?;
                let (conn, now) = (&mut *db.conn()?, Clock::system().now());
                let outcome = match reset_password {
                    true => demo::reset_password(conn, now)?,
                    false => demo::seed(conn, now)?,
                };
                print_seed_outcome(outcome, &format!("http://{}", config.bind));
            }
        }
        Ok(())
    }
}

async fn serve(config: Config, seed_demo: bool) -> anyhow::Result<()> {
    let app = Application::build(config, Clock::system())?;
    tokio::spawn(app.shutdown().on_signals()?);
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

/// Creates the user (asking for its password), and adds it to the organisation `membership`
/// names. An existing address is refused, unless the command adds it to an organisation: then
/// only the membership is added (its password and name stay).
fn create_user(
    config: &Config,
    email: &str,
    name: &str,
    is_staff: bool,
    membership: Option<(String, Role)>,
) -> anyhow::Result<()> {
    let db = open_database(config, Missing::Create)?;
    let mut conn = db.conn()?;
    let now = Clock::system().now();
    let email = accounts::normalise_email(email)?;
    let user = match crate::repo::users::find_by_email(&mut conn, &email)? {
        Some(user) if membership.is_some() => {
            println!(
                "{} <{}> exists already; adding the membership.",
                user.name, user.email
            );
            user
        }
        Some(_) => anyhow::bail!(
            "an account with email {email} exists already; nothing was changed. To add it to an \
             organisation pass --org and --role; to set its password use \
             `pulse user set-password --email {email}`"
        ),
        None => {
            let password = password_from_env_or_prompt()?;
            let account = NewAccount {
                email: &email,
                name,
                password: &password,
                is_staff,
            };
            let (user, _) = accounts::create_or_find_user(&mut conn, &account, now)?;
            let staff = if user.is_staff() { " (staff)" } else { "" };
            println!("Created user {} <{}>{staff}.", user.name, user.email);
            user
        }
    };
    if let Some((slug, role)) = membership {
        accounts::add_to_organisation(&mut conn, user.id, &slug, role, now)?;
        println!("Added {} to {} as {}.", user.email, slug, role);
    }
    Ok(())
}

fn print_seed_outcome(outcome: demo::SeedOutcome, address: &str) {
    match outcome {
        demo::SeedOutcome::AlreadyPopulated => {
            println!(
                "The database already has users; demo data was not added. Sign in at \
                 {address}/login with the password printed the first time; lost it? Run \
                 `pulse seed-demo --reset-password` to give the demo accounts a new one."
            );
        }
        demo::SeedOutcome::NoDemoAccounts => {
            println!(
                "None of the demo accounts exists in this database; nothing was changed. To set \
                 a password of another account: `pulse user set-password --email …`."
            );
        }
        demo::SeedOutcome::Seeded { password, accounts } => {
            println!("The demo accounts are ready. Sign in at {address}/login with:");
            for (email, what) in accounts {
                println!("  {email:<28} {what}");
            }
            println!("Password for every demo account: {}", password.expose());
        }
    }
}
