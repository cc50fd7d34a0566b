use std::process::ExitCode;

use clap::Parser;
use pulse::config::LogFormat;

#[actix_web::main]
async fn main() -> ExitCode {
    let format = LogFormat::from_env();
    pulse::telemetry::init(format.as_ref().copied().unwrap_or_default());
    let outcome = match format {
        Ok(_) => pulse::cli::Cli::parse().run().await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            pulse::telemetry::fatal(&error);
            ExitCode::FAILURE
        }
    }
}
