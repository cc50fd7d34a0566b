//! A real `pulse serve` process on a database the test owns, for what only a separate process
//! shows: several instances sharing one database, and what a server writes to its log. It binds
//! port 0 and the test reads the address it prints; no port is probed and released.
use std::process::Stdio;
use std::time::Duration;

use pulse::db::Database;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::TestApp;
use crate::second_factor::reveal_key_for;

/// Killed when the test ends, however it ends.
pub struct ServerProcess {
    child: Child,
    pub app: TestApp,
    /// What it printed before it said where it listens.
    pub printed: Vec<String>,
}

impl ServerProcess {
    /// Starts `pulse serve` on `database_url` with `env`, its log (stderr) going to `log`, and
    /// waits until it says where it listens. On PostgreSQL it gets the suite's reveal key unless
    /// `env` names one.
    pub async fn start(database_url: &str, env: &[(&str, &str)], log: Stdio) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pulse"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("PULSE_BIND", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .envs(reveal_key_for(database_url).map(|key| ("PULSE_REVEAL_KEY", key.0)))
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start pulse serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut printed = Vec::new();
        let address = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(address) = line.strip_prefix("Pulse is listening on ") {
                    return address.to_owned();
                }
                printed.push(line);
            }
            panic!("pulse serve exited without listening");
        })
        .await
        .expect("pulse serve did not start within a minute");
        let db = Database::connect(database_url).expect("database");
        Self {
            child,
            app: TestApp::for_running_server(address, db),
            printed,
        }
    }

    /// Ends the process at once, as a crash would.
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("kill pulse serve");
    }
}
