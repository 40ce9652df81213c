use clap::{Parser, Subcommand};
use township_stats::config::Config;
use township_stats::startup::{prepare_database, Application};
use township_stats::{db, openapi, seed};

/// Open-data API of statistics about Chinese townships.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Prepare the database (create, migrate, seed) and serve the API (the default).
    Serve,
    /// Create the database if missing and apply pending migrations.
    Migrate,
    /// Load the seed files; skipped when they are unchanged unless --force.
    Seed {
        #[arg(long)]
        force: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    if let Err(e) = run(Cli::parse()) {
        eprintln!("township-stats: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => print!("{}", openapi::to_pretty_json()),
        Command::Migrate => {
            let config = Config::from_env()?;
            db::ensure_database(&config.database_url)?;
            db::migrate(&mut db::connect(&config.database_url)?)?;
        }
        Command::Seed { force } => {
            let config = Config::from_env()?;
            let summary = seed::load(&mut db::connect(&config.database_url)?, force)?;
            println!("{summary:?}");
        }
        Command::Serve => {
            let config = Config::from_env()?;
            prepare_database(&config)?;
            let app = Application::build(&config)?;
            log::info!("listening on http://{}", config.bind);
            actix_web::rt::System::new().block_on(app.run_until_stopped())?;
        }
    }
    Ok(())
}
