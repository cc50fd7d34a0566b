//! The `pulse` binary run as an operator runs it (a command, then its exit status and what it
//! printed), and the assertions on what it said.
use std::process::{Command, Output, Stdio};

/// `pulse ARGS` on the database `database_url`, with quiet logs, no terminal to prompt at and
/// no `PULSE_PASSWORD` unless the test sets one.
pub fn pulse(database_url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pulse"));
    command
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("PULSE_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .env_remove("PULSE_PASSWORD")
        .stdin(Stdio::null());
    command
}

/// Runs `command` to its end.
pub fn run(command: &mut Command) -> Output {
    command.output().expect("run pulse")
}

/// The command succeeded: what it printed on stdout.
#[track_caller]
pub fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The command failed, saying each of `says` on stderr: what it said.
#[track_caller]
pub fn refused(output: &Output, says: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "should fail: {stderr}");
    for part in says {
        assert!(stderr.contains(part), "{part:?} not in: {stderr}");
    }
    stderr
}
