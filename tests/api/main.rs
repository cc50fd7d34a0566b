//! One integration-test binary: each test spawns the real server on port 0 with a fresh database.
mod helpers;

mod auth;
mod cli;
mod security;
mod staff;
