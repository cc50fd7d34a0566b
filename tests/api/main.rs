//! One integration-test binary: each test spawns the real server on port 0 with a fresh database.
mod databases;
mod helpers;
mod server_process;

mod auth;
mod backend;
mod cli;
mod data_csv;
mod data_feedback;
mod data_fixtures;
mod data_scores_api;
mod data_scores_sql;
mod data_web;
mod multi_instance;
mod proxy;
mod rate_limit;
mod schema_drift;
mod scores_grouping;
mod scores_rollups;
mod security;
mod staff;
mod token_leaks;
mod token_screen;
mod token_screen_refusals;
mod tokens;
