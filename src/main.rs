use clap::{Parser, Subcommand};
use township_stats::config::Config;
use township_stats::formats::Format;
use township_stats::startup::{prepare_database, Application};
use township_stats::{db, export_files, openapi, seed, synth};

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
    /// Fill the database with synthetic observations (source `synthetic`) for the first N
    /// townships in code order; townships that have them already are skipped.
    Synth {
        #[arg(long, default_value_t = 41_352)]
        townships: usize,
        #[arg(long, default_value_t = 40)]
        indicators: usize,
        #[arg(long, default_value_t = 10)]
        years: i32,
    },
    /// Write the downloads to a directory: csv (observations, places, indicators, sources and
    /// datapackage.json), jsonstat or sdmx-csv.
    Export {
        #[arg(long, value_parser = ["csv", "jsonstat", "sdmx-csv"], default_value = "csv")]
        format: String,
        #[arg(long)]
        out: std::path::PathBuf,
        /// Scheme and host for the observation URLs in citations (default: PUBLIC_URL, or
        /// http://BIND).
        #[arg(long)]
        base_url: Option<String>,
        /// Start CSV files with a UTF-8 byte order mark, for Excel.
        #[arg(long)]
        bom: bool,
    },
    /// Import a source's figures from a CSV file (or a JSON array, by its `.json` name), checked
    /// row by row as `POST /v1/imports` checks them; prints the report as JSON.
    Import {
        #[arg(long)]
        source: String,
        file: std::path::PathBuf,
        #[arg(long, value_parser = ["upsert", "replace"], default_value = "upsert")]
        mode: String,
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        title: Option<String>,
    },
    /// Tokens for publishers: `create` prints a new one (once), `list`, `revoke`.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token and print it on the last line of stdout. Only its SHA-256 is stored:
    /// it cannot be shown again.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Every token: name, created, last used, expires, revoked.
    List,
    /// Revoke a token: writes with it are refused from now on.
    Revoke { name: String },
}

/// `RUST_LOG` when it is unset. actix-web-prom warns on every answer of a route with a path
/// parameter that middleware gives before routing (a 429 of the rate limiter, a 413), though its
/// label is right: silenced. (304s and cached answers fill the parameters in: `caching`.)
const DEFAULT_LOG: &str = "info,actix_web_prom=error";

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(DEFAULT_LOG)).init();
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
        Command::Export {
            format,
            out,
            base_url,
            bom,
        } => {
            let config = Config::from_env()?;
            let format = Format::ALL
                .into_iter()
                .find(|f| f.name() == format)
                .unwrap_or(Format::Csv);
            let base_url = base_url
                .or(config.public_url.clone())
                .unwrap_or_else(|| format!("http://{}", config.bind));
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut conn = db::connect_async(&config.database_url).await?;
                for name in export_files::write(&mut conn, format, &out, &base_url, bom).await? {
                    println!("{}", out.join(name).display());
                }
                anyhow::Ok(())
            })?;
        }
        Command::Synth {
            townships,
            indicators,
            years,
        } => {
            let config = Config::from_env()?;
            let started = std::time::Instant::now();
            let summary = synth::run(
                &mut db::connect(&config.database_url)?,
                synth::SynthOptions {
                    townships,
                    indicators,
                    years,
                    progress: true,
                },
            )?;
            println!(
                "{} townships added ({} had synthetic data already), {} observations, in {:.1?}",
                summary.townships_added,
                summary.townships_present,
                summary.observations_added,
                started.elapsed()
            );
        }
        Command::Import {
            source,
            file,
            mode,
            dry_run,
            title,
        } => {
            let config = Config::from_env()?;
            let conn = &mut db::connect(&config.database_url)?;
            db::migrate(conn)?;
            let opened = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            // A bar of the bytes read, on a terminal only.
            let bar = indicatif::ProgressBar::new(opened.metadata()?.len()).with_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} checked ({bytes_per_sec}, {eta} left)",
                )?,
            );
            let read = Box::new(bar.wrap_read(opened));
            let input = if file.extension().is_some_and(|e| e == "json") {
                township_stats::import::Input::Json(read)
            } else {
                township_stats::import::Input::Csv(read)
            };
            let options = township_stats::import::Options {
                source,
                mode: if mode == "replace" {
                    township_stats::import::Mode::Replace
                } else {
                    township_stats::import::Mode::Upsert
                },
                dry_run,
                title,
                published_by: None,
            };
            let report = township_stats::import::run(conn, &options, input);
            bar.finish_and_clear();
            match report {
                Ok(report) => println!("{}", serde_json::to_string_pretty(&report)?),
                Err(e) => {
                    println!("{}", serde_json::to_string_pretty(&e.problem())?);
                    anyhow::bail!("nothing imported: {e}");
                }
            }
        }
        Command::Token { action } => {
            let config = Config::from_env()?;
            let conn = &mut db::connect(&config.database_url)?;
            db::migrate(conn)?;
            token(conn, action)?;
        }
        Command::Serve => {
            let config = Config::from_env()?;
            if config.prepare_database {
                prepare_database(&config)?;
            } else {
                log::info!("PREPARE_DATABASE=false: serving the database as it is");
            }
            let app = Application::build(&config)?;
            log::info!("listening on http://{}", config.bind);
            actix_web::rt::System::new().block_on(app.run_until_stopped())?;
        }
    }
    Ok(())
}

fn token(conn: &mut diesel::PgConnection, action: TokenAction) -> anyhow::Result<()> {
    match action {
        TokenAction::Create {
            name,
            expires_in_days,
        } => {
            let token = township_stats::auth::create(conn, &name, expires_in_days)?;
            eprintln!("token {name:?} created; keep it secret, it is shown only this once:");
            println!("{token}");
        }
        TokenAction::List => {
            let day = |at: Option<chrono::DateTime<chrono::Utc>>| {
                at.map_or("-".to_owned(), |at| at.format("%Y-%m-%d %H:%M").to_string())
            };
            println!("name\tcreated\tlast used\texpires\trevoked");
            for t in db::tokens::list(conn)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.name,
                    day(Some(t.created_at)),
                    day(t.last_used_at),
                    day(t.expires_at),
                    day(t.revoked_at)
                );
            }
        }
        TokenAction::Revoke { name } => {
            if db::tokens::revoke(conn, &name)? == 0 {
                anyhow::bail!("no token named {name:?} that is not revoked already");
            }
            println!("token {name:?} revoked");
        }
    }
    Ok(())
}
