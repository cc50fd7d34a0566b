use clap::Parser;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    pulse::telemetry::init();
    pulse::cli::Cli::parse().run().await
}
