//! The `muni` command: the server and its administrative subcommands.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use muni::auth::{Role, tokens};
use muni::config::Config;
use muni::db::{self, Database, write_transaction};
use muni::{sites, startup, users};

/// muni: a headless JSON REST API for ward, commune and province portals.
///
/// Configuration comes from the environment and, in development, from a `.env` file in the
/// working directory; see `.env.example` for every variable.
#[derive(Parser)]
#[command(name = "muni", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP server (the default). Migrations are applied first.
    Serve {
        /// Fill an empty site with the demo sections and articles before serving.
        #[arg(long)]
        demo: bool,
    },
    /// Fill the database with content.
    Seed {
        #[command(subcommand)]
        command: SeedCommand,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage staff accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Print the OpenAPI document (JSON) to standard output.
    Openapi,
    /// Import records in bulk.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Erase the personal data of feedback closed longer ago than MUNI_FEEDBACK_RETENTION_DAYS
    /// (the server also does it every ten minutes).
    PurgeFeedback,
    /// Re-seal citizens' personal data under a new key: the current key in MUNI_DATA_KEY, the new
    /// one in MUNI_NEW_DATA_KEY (32 bytes, base64). Stop the API nodes first, then start them with
    /// MUNI_DATA_KEY set to the new key: a node with the old key refuses to start.
    RotateDataKey,
    /// Copy the SQLite database to FILE while servers keep serving and writing: a consistent
    /// snapshot of every write committed before the copy began, checked before it is named.
    /// (For PostgreSQL use pg_dump; see the README.)
    Backup {
        /// Where to write the copy; must not exist.
        file: std::path::PathBuf,
    },
    /// Replace the SQLite database with the backup FILE. Refuses while a server uses the database;
    /// the replaced database is kept beside it as `<name>.before-restore-<time>`.
    Restore {
        /// A file written by `muni backup`.
        file: std::path::PathBuf,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// This node's search index.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Build the search index in MUNI_SEARCH_DIR again from the database (stop this node's server
    /// first: it holds the index). A server builds a missing index by itself at start.
    Reindex,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the audit log's hash chain from its first entry: exits 1 naming the first entry
    /// that was edited, or that follows a removed one.
    Verify,
    /// Archive the entries older than MUNI_AUDIT_RETENTION_DAYS to MUNI_AUDIT_ARCHIVE_DIR (JSON
    /// Lines, with their hashes), then remove them; the server does this every ten minutes.
    Archive,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import administrative procedures from a JSON array, JSON Lines, CSV or XLSX file (the
    /// national portal's export, with its Vietnamese column headers). Upserts by code: re-run it
    /// after the national record changes.
    Procedures {
        /// The file: .json, .jsonl (or .ndjson), .csv or .xlsx.
        file: std::path::PathBuf,
        /// The site to import into, by code; the first site when absent.
        #[arg(long)]
        site: Option<String>,
        /// Import nothing if any row is malformed.
        #[arg(long)]
        strict: bool,
        /// Rows per transaction.
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
}

#[derive(Subcommand)]
enum SeedCommand {
    /// Add the demo sections and articles to the first site (or --site), if it has no categories yet.
    Demo {
        /// The site to fill, by code; the first site when absent.
        #[arg(long)]
        site: Option<String>,
    },
    /// Add generated articles for load tests, in ten new categories, with a progress bar.
    Bench {
        /// How many articles to generate.
        #[arg(long, default_value_t = 100_000)]
        articles: usize,
        /// The site to fill, by code; the first site when absent.
        #[arg(long)]
        site: Option<String>,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a staff account. The password is asked for, or read from stdin with --password-stdin.
    Create {
        /// The account's email address; it signs in with it.
        #[arg(long)]
        email: String,
        /// What the account may do: admin, editor or moderator.
        #[arg(long, value_parser = ["admin", "editor", "moderator"])]
        role: String,
        /// Bind the account to one site by its code; without it the account covers every site.
        #[arg(long)]
        site: Option<String>,
        /// The name shown for the account; defaults to the part of the email before `@`.
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let from_dotenv = dotenvy::dotenv().ok();
    let log_format = match muni::logging::Format::from_env() {
        Ok(format) => format,
        Err(e) => {
            eprintln!("muni: {e}");
            return ExitCode::from(2);
        }
    };
    muni::logging::init(log_format);
    if let Some(path) = from_dotenv {
        log::debug!("read {}", path.display());
    }
    let command = cli.command.unwrap_or(Command::Serve { demo: false });
    if let Command::Openapi = command {
        print!("{}", muni::openapi::to_pretty_json(&startup::openapi_document()));
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("muni: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Serve { demo } => {
            if demo && let Err(e) = seed_demo(&config, None) {
                eprintln!("muni: {e}");
                return ExitCode::FAILURE;
            }
            serve(config)
        }
        Command::Seed { command: SeedCommand::Demo { site } } => seed_demo(&config, site.as_deref()),
        Command::Seed { command: SeedCommand::Bench { articles, site } } => {
            seed_bench(&config, articles, site.as_deref())
        }
        Command::Migrate => migrate(&config),
        Command::Users { command: UsersCommand::Create { email, role, site, name, password_stdin } } => {
            create_user(&config, &email, &role, site.as_deref(), name.as_deref(), password_stdin)
        }
        Command::Openapi => Ok(()),
        Command::Import { command: ImportCommand::Procedures { file, site, strict, batch } } => {
            import_procedures(&config, &file, site.as_deref(), strict, batch)
        }
        Command::PurgeFeedback => purge_feedback(&config),
        Command::RotateDataKey => rotate_data_key(&config),
        Command::Backup { file } => backup(&config, &file),
        Command::Restore { file } => restore(&config, &file),
        Command::Audit { command: AuditCommand::Verify } => verify_audit(&config),
        Command::Audit { command: AuditCommand::Archive } => archive_audit(&config),
        Command::Search { command: SearchCommand::Reindex } => reindex_search(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("muni: {e}");
            ExitCode::FAILURE
        }
    }
}

fn rotate_data_key(config: &Config) -> Result<(), String> {
    let new_key = std::env::var("MUNI_NEW_DATA_KEY")
        .map_err(|_| "set MUNI_NEW_DATA_KEY to the new key (32 bytes, base64: `openssl rand -base64 32`)".to_owned())?;
    let new_key =
        muni::config::parse_data_key(&new_key).map_err(|e| e.0.replace("MUNI_DATA_KEY", "MUNI_NEW_DATA_KEY"))?;
    if new_key == config.data_key {
        return Err("MUNI_NEW_DATA_KEY is the same as MUNI_DATA_KEY".into());
    }
    let database = Database::new(config.database_url.clone(), 1);
    startup::prepare_database(&database, config)?;
    let mut conn = db::connect(&database.url).map_err(|e| e.to_string())?;
    let (old, new) = (muni::crypto::Vault::new(&config.data_key), muni::crypto::Vault::new(&new_key));
    let rotated = muni::personal_data::rotate_data_key(&mut conn, &old, &new)?;
    println!(
        "re-sealed the personal data of {} feedback submissions and {} questions; start the server with \
         MUNI_DATA_KEY set to the new key",
        rotated.feedback, rotated.questions
    );
    Ok(())
}

fn backup(config: &Config, file: &std::path::Path) -> Result<(), String> {
    let started = std::time::Instant::now();
    let report = db::backup::backup(&config.database_url, file)?;
    println!(
        "Backed up {} to {} ({:.1} MB in {:.1} s); its integrity check passed.",
        config.database_url.redacted(),
        file.display(),
        report.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn restore(config: &Config, file: &std::path::Path) -> Result<(), String> {
    let vault = muni::crypto::Vault::new(&config.data_key);
    let report = db::backup::restore(&config.database_url, file, |conn| {
        db::run_migrations(conn)?;
        muni::personal_data::verify_data_key(conn, &vault)
            .map_err(|e| format!("{e} (the backup was made under another MUNI_DATA_KEY)"))
    })?;
    println!("Restored {} from {}.", config.database_url.redacted(), file.display());
    if let Some(previous) = report.previous {
        println!("The database it replaced is kept as {}.", previous.display());
    }
    Ok(())
}

fn serve(config: Config) -> Result<(), String> {
    let engine = config.database_url.engine();
    let url = config.database_url.redacted();
    let host = config.host.clone();
    let version = env!("CARGO_PKG_VERSION");
    actix_web::rt::System::new().block_on(async move {
        let app = startup::Application::build(config).map_err(|e| e.to_string())?;
        let address = format!("{host}:{}", app.port());
        log::info!(
            address = address.as_str(), engine = engine, version = version;
            "muni {version} listening on http://{address} ({engine}: {url}); docs at /docs"
        );
        if let Some(metrics) = app.metrics_address() {
            log::info!(address:% = metrics; "metrics at http://{metrics}/metrics");
        }
        let result = app.run_until_stopped().await.map_err(|e| e.to_string());
        match &result {
            Ok(()) => log::info!(version = version; "muni stopped"),
            Err(e) => log::error!(version = version; "muni stopped: {e}"),
        }
        result
    })
}

/// The database, migrated, and the site named by `site` (or the first one).
fn open_site(config: &Config, site: Option<&str>) -> Result<(db::DbConn, muni::sites::model::SiteRow), String> {
    let database = Database::new(config.database_url.clone(), 1);
    startup::prepare_database(&database, config)?;
    let mut conn = db::connect(&database.url).map_err(|e| e.to_string())?;
    let site = match site {
        Some(code) => sites::find_site(&mut conn, code)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("there is no site `{code}`"))?,
        None => sites::repo::list_sites(&mut conn, 0, 1)
            .map_err(|e| e.to_string())?
            .0
            .into_iter()
            .next()
            .ok_or("there is no site")?,
    };
    Ok((conn, site))
}

fn seed_bench(config: &Config, count: usize, site: Option<&str>) -> Result<(), String> {
    let (mut conn, site) = open_site(config, site)?;
    db::prepare_bulk_load(&mut conn).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let report = muni::seed::seed_bench(&mut conn, site.id, count, |done| {
        let width = 40;
        let filled = (done * width).checked_div(count).unwrap_or(width);
        eprint!("\r  [{}{}] {done}/{count} articles", "#".repeat(filled), " ".repeat(width - filled));
    })
    .map_err(|e| e.to_string())?;
    eprintln!();
    db::analyze(&mut conn, muni::seed::BENCH_TABLES)
        .map_err(|e| format!("cannot refresh the planner's statistics: {e}"))?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "Added {} articles in {} categories, {} procedures, {} calendar events and {} answered questions to the \
         site `{}` in {secs:.1} s ({:.0} articles/s).",
        report.articles,
        report.categories,
        report.procedures,
        report.events,
        report.questions,
        site.code,
        report.articles as f64 / secs.max(0.001)
    );
    Ok(())
}

fn seed_demo(config: &Config, site: Option<&str>) -> Result<(), String> {
    let (mut conn, site) = open_site(config, site)?;
    let store = muni::media::store::Store::from_settings(&config.media)
        .map_err(|e| format!("cannot open the media store {}: {e}", config.media.dir.display()))?;
    let report = muni::seed::seed_demo(&mut conn, site.id, &store).map_err(|e| e.to_string())?;
    if report.skipped {
        println!("The site `{}` already has categories and events: demo content not added.", site.code);
    } else {
        println!(
            "Added {} categories, {} articles, {} calendar events and {} procedures to the site `{}`.",
            report.categories, report.articles, report.events, report.procedures, site.code
        );
    }
    Ok(())
}

fn import_procedures(
    config: &Config,
    file: &std::path::Path,
    site: Option<&str>,
    strict: bool,
    batch: usize,
) -> Result<(), String> {
    use muni::procedures::import::{Format, parse};
    let name = file.to_string_lossy().to_string();
    let format = Format::from_path(&name).ok_or("the file must end in .json, .jsonl, .ndjson, .csv or .xlsx")?;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {name}: {e}"))?;
    let rows = parse(&bytes, format)?;
    let (mut conn, site) = open_site(config, site)?;
    let source = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or(name);
    // Each procedure changed keeps a revision that names the import as its reason.
    let witness = muni::audit::unattended(Some(format!("import of {source} (command line)")));
    let report = db::witness::watching(witness, || {
        muni::procedures::repo::import(&mut conn, site.id, rows, &source, strict, batch, |done, total| {
            let width = 40;
            let filled = (done * width).checked_div(total).unwrap_or(width);
            eprint!("\r  [{}{}] {done}/{total} procedures", "#".repeat(filled), " ".repeat(width - filled));
        })
    })
    .map_err(|e| e.to_string())?;
    eprintln!();
    db::analyze(&mut conn, &["procedures"]).map_err(|e| format!("cannot refresh the planner's statistics: {e}"))?;
    println!(
        "{} created, {} updated, {} unchanged, {} rejected (site `{}`).",
        report.created,
        report.updated,
        report.unchanged,
        report.rejected.len(),
        site.code
    );
    for rejected in &report.rejected {
        let reasons: Vec<String> = rejected.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        println!("  row {} ({}): {}", rejected.row, rejected.code.as_deref().unwrap_or("?"), reasons.join("; "));
    }
    if strict && !report.rejected.is_empty() {
        return Err("--strict: nothing was imported because of the rejected rows".into());
    }
    Ok(())
}

fn purge_feedback(config: &Config) -> Result<(), String> {
    let Some(days) = config.feedback_retention_days else {
        return Err("MUNI_FEEDBACK_RETENTION_DAYS is not set: nothing to purge".into());
    };
    let mut conn = db::connect(&config.database_url).map_err(|e| e.to_string())?;
    let erased =
        write_transaction(&mut conn, |c| muni::feedback::repo::maintain(c, Some(days))).map_err(|e| e.to_string())?;
    println!("Erased the personal data of {erased} feedback submissions closed more than {days} days ago.");
    Ok(())
}

fn archive_audit(config: &Config) -> Result<(), String> {
    let Some(days) = config.audit_retention_days else {
        return Err("MUNI_AUDIT_RETENTION_DAYS is not set: the audit log keeps every entry".into());
    };
    let mut conn = db::connect(&config.database_url).map_err(|e| e.to_string())?;
    let archived = startup::age_out_audit(&mut conn, days, &config.audit_archive_dir)?;
    println!("Archived {archived} audit entries older than {days} days to {}.", config.audit_archive_dir.display());
    Ok(())
}

fn reindex_search(config: &Config) -> Result<(), String> {
    let mut conn = db::connect(&config.database_url).map_err(|e| e.to_string())?;
    let index = muni::search::SearchIndex::open(&config.search_dir).map_err(|e| {
        format!("cannot open the search index in {} ({e}); is a server using it?", config.search_dir.display())
    })?;
    let started = std::time::Instant::now();
    let held = muni::search::sync::reindex(&mut conn, &index)?;
    println!("The search index holds {held} public resources, built in {:.1} s.", started.elapsed().as_secs_f64());
    Ok(())
}

fn verify_audit(config: &Config) -> Result<(), String> {
    let mut conn = db::connect(&config.database_url).map_err(|e| e.to_string())?;
    // What committed and awaits its seal (PostgreSQL) is sealed first, so that it is checked too.
    muni::audit::seal(&mut conn).map_err(|e| e.to_string())?;
    let anchor = muni::audit::anchor(&mut conn).map_err(|e| e.to_string())?;
    match muni::audit::verify(&mut conn).map_err(|e| e.to_string())? {
        muni::audit::Verdict::Intact { entries, awaiting } => {
            match anchor {
                Some(a) => println!(
                    "The audit log is intact: {entries} entries, each chained to the one before, from entry {} \
                     (archived to {} on {}).",
                    a.through_id,
                    a.archive,
                    a.at.format("%Y-%m-%d %H:%M")
                ),
                None => println!("The audit log is intact: {entries} entries, each chained to the one before."),
            }
            if awaiting > 0 {
                println!("{awaiting} entries committed meanwhile await their seal; they are checked next time.");
            }
            Ok(())
        }
        muni::audit::Verdict::Broken { id, reason } => Err(format!(
            "The audit log is broken at entry {id}: {reason}. It was edited, or an entry before it removed."
        )),
    }
}

fn migrate(config: &Config) -> Result<(), String> {
    let database = Database::new(config.database_url.clone(), 1);
    let applied = database.migrate()?;
    if applied.is_empty() {
        println!("The database is up to date.");
    } else {
        println!("Applied {} migration(s): {}", applied.len(), applied.join(", "));
    }
    Ok(())
}

fn create_user(
    config: &Config,
    email: &str,
    role: &str,
    site: Option<&str>,
    name: Option<&str>,
    password_stdin: bool,
) -> Result<(), String> {
    let role = Role::parse(role).ok_or("the role must be admin, editor or moderator")?;
    let email = users::model::normalize_email(email);
    let mut errors = vec![];
    users::model::validate_email(&email, &mut errors);
    if let Some(e) = errors.first() {
        return Err(format!("--email {}", e.message));
    }
    let password = read_password(password_stdin)?;
    users::model::validate_password("password", &password).map_err(|e| format!("the password {}", e.message))?;
    let database = Database::new(config.database_url.clone(), 1);
    startup::prepare_database(&database, config)?;
    let mut conn = db::connect(&database.url).map_err(|e| e.to_string())?;
    let site_id = match site {
        Some(code) => Some(
            sites::find_site(&mut conn, code)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no site `{code}`"))?
                .id,
        ),
        None => None,
    };
    let display_name = name.map(str::to_owned).unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
    let hash = tokens::hash_password(&password)?;
    let new = users::NewUser {
        email: &email,
        display_name: &display_name,
        password_hash: &hash,
        role: role.as_str(),
        site_id,
    };
    let id = write_transaction(&mut conn, |c| users::insert_user(c, &new)).map_err(|e| match e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
            format!("a user with the email {email} already exists")
        }
        other => other.to_string(),
    })?;
    println!("Created user {id}: {email} ({})", role.as_str());
    Ok(())
}

fn read_password(from_stdin: bool) -> Result<String, String> {
    if !from_stdin && !std::io::stdin().is_terminal() {
        return Err("no terminal to ask for the password: pipe it in with --password-stdin".into());
    }
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
    let second = rpassword::prompt_password("Password again: ").map_err(|e| e.to_string())?;
    if first != second {
        return Err("the passwords differ".into());
    }
    Ok(first)
}
