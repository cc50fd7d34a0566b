//! A real `pulse serve` process on a database the test owns, for what only a separate process
//! shows: several instances sharing one database, what a server writes to its log, signals,
//! the binary away from its source tree. It binds port 0 (unless told otherwise) and the test
//! reads the address it prints; no port is probed and released.
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
    /// The rest of what the process prints on stdout after its address.
    _stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

/// `pulse serve --create` with a test's usual environment: quiet logs, port 0, and on
/// PostgreSQL the suite's reveal key unless `env` names one.
pub fn serve_command(database_url: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pulse"));
    command
        .args(["serve", "--create"])
        .env("DATABASE_URL", database_url)
        .env("PULSE_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .envs(reveal_key_for(database_url).map(|key| ("PULSE_REVEAL_KEY", key.0)))
        .envs(env.iter().copied());
    command
}

impl ServerProcess {
    /// Starts `pulse serve` on `database_url` with `env`, its log (stderr) going to `log`, and
    /// waits until it says where it listens. On PostgreSQL it gets the suite's reveal key unless
    /// `env` names one.
    pub async fn start(database_url: &str, env: &[(&str, &str)], log: Stdio) -> Self {
        Self::spawn(serve_command(database_url, env), database_url, log).await
    }

    /// Runs `command` (a `pulse serve` however started) and waits until it says where it
    /// listens; the test's helpers then reach its database at `database_url`.
    pub async fn spawn(mut command: Command, database_url: &str, log: Stdio) -> Self {
        let mut child = command
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
            _stdout: lines,
        }
    }

    /// Ends the process at once, as a crash would.
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("kill pulse serve");
    }

    /// Sends SIGTERM, as systemd or an orchestrator stopping the service does.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("still running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {pid}");
    }

    /// Waits (at most `within`) for the process to exit, and returns its status.
    pub async fn exited(&mut self, within: Duration) -> std::process::ExitStatus {
        tokio::time::timeout(within, self.child.wait())
            .await
            .expect("pulse serve did not exit in time")
            .expect("wait for pulse serve")
    }
}
