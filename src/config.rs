//! Configuration: one plain struct read from the environment (and `.env` in development).
//! Every variable is listed, with a comment, in `.env.example`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use rand::RngCore;

use crate::db::DatabaseUrl;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub database_url: DatabaseUrl,
    pub data_dir: PathBuf,
    pub host: String,
    pub port: u16,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    pub db_pool_size: u32,
    /// Memory for the shared response cache, in bytes; 0 turns it off.
    pub cache_bytes: usize,
    /// Where this node keeps its search index (derived from the database; rebuilt when missing).
    pub search_dir: PathBuf,
    /// The CPU time one search may spend reading matches; past it, its counts are estimated.
    pub search_budget: Duration,
    pub jwt_secret: Vec<u8>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Allowed CORS origins; `["*"]` allows any origin.
    pub cors_origins: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Requests per minute and client IP on the rate-limited public writes (login, refresh, citizen submissions).
    pub public_write_rate_per_minute: u32,
    /// Failed logins from one client address for one account before that pair is locked for a while.
    pub login_max_failures: u32,
    /// The public base URL of the API (`https://api.phuong.example.vn`, no trailing slash) that
    /// absolute links start with; `None`: links are relative. Never taken from request headers.
    pub public_url: Option<String>,
    /// How long a client may take to send a request's body, from its head (slow clients are cut off).
    pub request_timeout: Duration,
    /// Open connections the server holds at most (all workers); `None`: from the descriptor limit.
    pub max_connections: Option<usize>,
    /// Take the client's address from `Forwarded`/`X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    pub site_code: String,
    pub site_name: String,
    pub site_time_zone: String,
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// Key (32 bytes) that encrypts citizens' personal data at rest and keys its blind index.
    pub data_key: [u8; 32],
    /// Days after a feedback submission is closed before its submitter's personal data is erased.
    pub feedback_retention_days: Option<u32>,
    /// Days the audit log keeps an entry in the database (`MUNI_AUDIT_RETENTION_DAYS`; unset: for
    /// good). Older entries are archived to `audit_archive_dir` first, then removed.
    pub audit_retention_days: Option<u32>,
    /// Where aged-out audit entries go, as JSON Lines files (`MUNI_AUDIT_ARCHIVE_DIR`, default
    /// `audit-archive` in the data folder; a shared folder when several nodes serve).
    pub audit_archive_dir: PathBuf,
    /// Whether requests are counted for `/metrics` (`MUNI_METRICS=off` turns counting off).
    pub metrics_enabled: bool,
    /// The bearer token that reads `/metrics` on the API's own address; `None`: not served there.
    pub metrics_token: Option<String>,
    /// A separate address (`127.0.0.1:9100`) that serves `/metrics` alone, without a token.
    pub metrics_addr: Option<String>,
    /// URLs in one sitemap file before the sitemap becomes an index (at most 50,000).
    pub sitemap_urls_per_file: usize,
    /// How webhooks are sent (`MUNI_WEBHOOK_*`).
    pub webhooks: WebhookSettings,
    /// Where uploads go and how large they may be (`MUNI_MEDIA_*`).
    pub media: MediaSettings,
}

/// The media library's store and limits.
#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// The local store (`MUNI_MEDIA_DIR`, `media` in the data folder by default).
    pub dir: PathBuf,
    pub max_image_bytes: u64,
    pub max_document_bytes: u64,
    /// Whether this node processes uploaded images (`MUNI_MEDIA_WORKER=off` on nodes that only serve).
    pub worker: bool,
    /// S3-compatible object storage for the files (`MUNI_MEDIA_S3_BUCKET` and its neighbours);
    /// the local folder keeps only uploads being received.
    pub s3: Option<S3Settings>,
}

/// A bucket of an S3-compatible store (AWS, MinIO, Ceph, a cloud's).
#[derive(Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// The service's address (`MUNI_MEDIA_S3_ENDPOINT`, e.g. `http://127.0.0.1:9000` for MinIO);
    /// AWS's own when unset.
    pub endpoint: Option<String>,
    pub region: String,
    /// Prepended to every object's key (`MUNI_MEDIA_S3_PREFIX`), to share a bucket.
    pub prefix: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("prefix", &self.prefix)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "(set)"))
            .finish()
    }
}

/// How this node sends webhooks.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Whether this node runs the delivery worker (`MUNI_WEBHOOK_WORKER=off` on nodes that only serve).
    pub worker: bool,
    /// Endpoints may resolve to loopback, private and link-local addresses (tests, private networks).
    pub allow_private: bool,
    /// How long one delivery may take, connection included.
    pub timeout: Duration,
    /// The waits between attempts: after the last, a delivery has failed.
    pub retry_schedule: Vec<Duration>,
    /// An endpoint whose every attempt failed for this long is disabled.
    pub disable_after: Duration,
    /// How long a worker holds an endpoint without renewing its claim (a crashed worker's claim lapses).
    pub lease: Duration,
    /// How often the worker looks for new changes and due deliveries.
    pub poll: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

const MIN_SECRET_BYTES: usize = 32;

impl Config {
    /// Reads the process environment (after `.env`, which `main` loads in development).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads configuration through `lookup`, so tests can pass their own variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |key: &str| lookup(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let environment = match get("MUNI_ENV").as_deref() {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(ConfigError(format!("MUNI_ENV must be `development` or `production`, not `{other}`")));
            }
        };
        let data_dir = PathBuf::from(get("MUNI_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = match get("DATABASE_URL") {
            Some(url) => DatabaseUrl::parse(&url).map_err(ConfigError)?,
            None => DatabaseUrl::Sqlite(data_dir.join("muni.db")),
        };
        let jwt_secret = match (get("JWT_SECRET"), environment) {
            (Some(secret), _) if secret.len() >= MIN_SECRET_BYTES => secret.into_bytes(),
            (_, Environment::Production) => {
                return Err(ConfigError(format!(
                    "JWT_SECRET must be set to at least {MIN_SECRET_BYTES} bytes when MUNI_ENV=production"
                )));
            }
            (Some(_), Environment::Development) => {
                return Err(ConfigError(format!("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")));
            }
            (None, Environment::Development) => development_file(&data_dir, "jwt_secret", "JWT_SECRET")?.into_bytes(),
        };
        let data_key = match (get("MUNI_DATA_KEY"), environment) {
            (Some(key), _) => parse_data_key(&key)?,
            (None, Environment::Production) => {
                return Err(ConfigError(
                    "MUNI_DATA_KEY must be set (32 bytes, base64) when MUNI_ENV=production: it encrypts citizens' personal data"
                        .into(),
                ));
            }
            (None, Environment::Development) => {
                let generated = development_file(&data_dir, "data_key", "MUNI_DATA_KEY")?;
                parse_data_key(&generated)?
            }
        };
        let db_pool_size = parse(&get, "MUNI_DB_POOL_SIZE", default_pool_size(&database_url))?;
        Ok(Self {
            data_key,
            feedback_retention_days: match get("MUNI_FEEDBACK_RETENTION_DAYS") {
                None => None,
                Some(v) => Some(
                    v.parse()
                        .map_err(|_| ConfigError(format!("MUNI_FEEDBACK_RETENTION_DAYS has an invalid value `{v}`")))?,
                ),
            },
            audit_retention_days: match get("MUNI_AUDIT_RETENTION_DAYS") {
                None => None,
                Some(v) => Some(
                    v.parse()
                        .map_err(|_| ConfigError(format!("MUNI_AUDIT_RETENTION_DAYS has an invalid value `{v}`")))?,
                ),
            },
            search_dir: get("MUNI_SEARCH_DIR").map_or_else(|| data_dir.join("search"), PathBuf::from),
            search_budget: Duration::from_millis(parse(&get, "MUNI_SEARCH_BUDGET_MS", 50)?),
            audit_archive_dir: get("MUNI_AUDIT_ARCHIVE_DIR").map_or_else(|| data_dir.join("audit-archive"), PathBuf::from),
            environment,
            database_url,
            host: get("MUNI_HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port: parse(&get, "MUNI_PORT", 8080)?,
            workers: parse(&get, "MUNI_WORKERS", 0)?,
            db_pool_size,
            cache_bytes: parse::<usize>(&get, "MUNI_CACHE_MB", 32)?.saturating_mul(1024 * 1024),
            jwt_secret,
            jwt_issuer: get("MUNI_JWT_ISSUER").unwrap_or_else(|| "muni".into()),
            jwt_audience: get("MUNI_JWT_AUDIENCE").unwrap_or_else(|| "muni-api".into()),
            access_token_ttl: Duration::from_secs(parse(&get, "MUNI_ACCESS_TOKEN_TTL_SECS", 900)?),
            refresh_token_ttl: Duration::from_secs(parse(&get, "MUNI_REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600)?),
            cors_origins: get("MUNI_CORS_ORIGINS")
                .map(|v| v.split(',').map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect())
                .unwrap_or_default(),
            max_body_bytes: parse(&get, "MUNI_MAX_BODY_BYTES", 1024 * 1024)?,
            public_write_rate_per_minute: parse(&get, "MUNI_PUBLIC_WRITE_RATE_PER_MINUTE", 30)?,
            login_max_failures: parse(&get, "MUNI_LOGIN_MAX_FAILURES", 5)?,
            trust_proxy: parse(&get, "MUNI_TRUST_PROXY", false)?,
            public_url: get("MUNI_PUBLIC_URL").map(|u| parse_public_url(&u)).transpose()?,
            request_timeout: Duration::from_secs(parse::<u64>(&get, "MUNI_REQUEST_TIMEOUT_SECS", 30)?.max(1)),
            max_connections: get("MUNI_MAX_CONNECTIONS")
                .map(|v| v.parse::<usize>().ok().filter(|n| *n > 0))
                .map(|v| v.ok_or_else(|| ConfigError("MUNI_MAX_CONNECTIONS must be a positive number".into())))
                .transpose()?,
            site_code: get("MUNI_SITE_CODE").unwrap_or_else(|| "default".into()),
            site_name: get("MUNI_SITE_NAME").unwrap_or_else(|| "Ủy ban nhân dân phường".into()),
            site_time_zone: get("MUNI_SITE_TIME_ZONE").unwrap_or_else(|| "Asia/Ho_Chi_Minh".into()),
            metrics_enabled: match get("MUNI_METRICS").as_deref() {
                None | Some("on") | Some("true") | Some("1") => true,
                Some("off") | Some("false") | Some("0") => false,
                Some(other) => return Err(ConfigError(format!("MUNI_METRICS must be `on` or `off`, not `{other}`"))),
            },
            metrics_token: match get("MUNI_METRICS_TOKEN") {
                Some(token) if token.len() < 16 || token.chars().any(|c| !c.is_ascii_graphic()) => {
                    return Err(ConfigError(
                        "MUNI_METRICS_TOKEN must be at least 16 printable characters without spaces".into(),
                    ));
                }
                token => token,
            },
            metrics_addr: get("MUNI_METRICS_ADDR"),
            sitemap_urls_per_file: match parse::<usize>(&get, "MUNI_SITEMAP_URLS_PER_FILE", 50_000)? {
                n @ 1..=50_000 => n,
                _ => return Err(ConfigError("MUNI_SITEMAP_URLS_PER_FILE must be from 1 to 50000".into())),
            },
            webhooks: WebhookSettings {
                worker: parse(&get, "MUNI_WEBHOOK_WORKER", OnOff(true))?.0,
                allow_private: parse(&get, "MUNI_WEBHOOK_ALLOW_PRIVATE", OnOff(false))?.0,
                timeout: duration(&get, "MUNI_WEBHOOK_TIMEOUT", "10s")?,
                retry_schedule: get("MUNI_WEBHOOK_RETRY_SCHEDULE")
                    .unwrap_or_else(|| "5s,5m,30m,2h,5h,10h,10h".into())
                    .split(',')
                    .map(|d| {
                        parse_duration(d.trim()).ok_or_else(|| {
                            ConfigError(format!(
                                "MUNI_WEBHOOK_RETRY_SCHEDULE must be a comma-separated list of durations (5s,5m,2h), not `{d}`"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?,
                disable_after: duration(&get, "MUNI_WEBHOOK_DISABLE_AFTER", "5d")?,
                lease: duration(&get, "MUNI_WEBHOOK_LEASE", "60s")?,
                poll: duration(&get, "MUNI_WEBHOOK_POLL", "500ms")?,
            },
            media: MediaSettings {
                dir: get("MUNI_MEDIA_DIR").map_or_else(|| data_dir.join("media"), PathBuf::from),
                max_image_bytes: parse::<u64>(&get, "MUNI_MEDIA_MAX_IMAGE_MB", 20)?.saturating_mul(1024 * 1024),
                max_document_bytes: parse::<u64>(&get, "MUNI_MEDIA_MAX_DOCUMENT_MB", 50)?.saturating_mul(1024 * 1024),
                worker: parse(&get, "MUNI_MEDIA_WORKER", OnOff(true))?.0,
                s3: get("MUNI_MEDIA_S3_BUCKET").filter(|b| !b.is_empty()).map(|bucket| S3Settings {
                    bucket,
                    endpoint: get("MUNI_MEDIA_S3_ENDPOINT").filter(|e| !e.is_empty()),
                    region: get("MUNI_MEDIA_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                    prefix: get("MUNI_MEDIA_S3_PREFIX").unwrap_or_default().trim_matches('/').to_owned(),
                    access_key_id: get("MUNI_MEDIA_S3_ACCESS_KEY_ID").or_else(|| get("AWS_ACCESS_KEY_ID")),
                    secret_access_key: get("MUNI_MEDIA_S3_SECRET_ACCESS_KEY").or_else(|| get("AWS_SECRET_ACCESS_KEY")),
                }),
            },
            admin_email: get("MUNI_ADMIN_EMAIL"),
            admin_password: get("MUNI_ADMIN_PASSWORD"),
            data_dir,
        })
    }
}

impl Config {
    /// The time zone of the configured site: where dates without a time (`from=2026-11-01`) and
    /// ISO weeks are taken.
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.site_time_zone.parse().unwrap_or(chrono_tz::Asia::Ho_Chi_Minh)
    }
}

/// Connections per node when `MUNI_DB_POOL_SIZE` is unset. SQLite works in this process, on these
/// cores: two connections a core (more only contend; measured in bench/). PostgreSQL works in its
/// own processes and commits concurrent writes together: eight a core.
fn default_pool_size(url: &DatabaseUrl) -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get) as u32;
    match url {
        DatabaseUrl::Sqlite(_) => (2 * cores).max(4),
        DatabaseUrl::Postgres(_) => (8 * cores).max(8),
    }
}

fn parse<T: std::str::FromStr>(get: &impl Fn(&str) -> Option<String>, key: &str, default: T) -> Result<T, ConfigError> {
    match get(key) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| ConfigError(format!("{key} has an invalid value `{v}`"))),
    }
}

/// A switch: on/off, true/false, 1/0.
struct OnOff(bool);

impl std::str::FromStr for OnOff {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "on" | "true" | "1" | "yes" => Ok(OnOff(true)),
            "off" | "false" | "0" | "no" => Ok(OnOff(false)),
            _ => Err(()),
        }
    }
}

fn duration(get: &impl Fn(&str) -> Option<String>, key: &str, default: &str) -> Result<Duration, ConfigError> {
    let value = get(key).unwrap_or_else(|| default.to_owned());
    parse_duration(&value)
        .ok_or_else(|| ConfigError(format!("{key} must be a duration such as 500ms, 10s, 5m, 2h or 5d, not `{value}`")))
}

/// `500ms`, `10s`, `5m`, `2h`, `5d`; a plain number is seconds (fractions allowed).
pub fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    let split = value.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok().filter(|n: &f64| n.is_finite() && *n >= 0.0)?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        "d" => number * 86_400.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

/// A public base URL: `http` or `https`, a host, an optional path; no query, fragment or user.
fn parse_public_url(url: &str) -> Result<String, ConfigError> {
    let invalid = || {
        ConfigError(format!(
            "MUNI_PUBLIC_URL must be an http(s) URL such as https://api.phuong.example.vn, not `{url}`"
        ))
    };
    crate::text::public_base_url(url).ok_or_else(invalid)
}

/// A data key as `MUNI_DATA_KEY` takes it: 32 bytes, base64.
pub fn parse_data_key(key: &str) -> Result<[u8; 32], ConfigError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(key.trim()))
        .map_err(|_| ConfigError("MUNI_DATA_KEY must be base64".into()))?;
    bytes.try_into().map_err(|_| ConfigError("MUNI_DATA_KEY must decode to exactly 32 bytes".into()))
}

/// In development, a missing secret is generated once (32 random bytes, base64) and kept in the
/// data folder, with a warning.
fn development_file(data_dir: &Path, name: &str, variable: &str) -> Result<String, ConfigError> {
    let path = data_dir.join(name);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= MIN_SECRET_BYTES {
            return Ok(existing.to_owned());
        }
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let keep_error =
        |e: std::io::Error| ConfigError(format!("cannot keep a generated {variable} in {}: {e}", path.display()));
    // Written whole to a file of its own, then linked into place, which fails when the file exists:
    // of two processes starting at once, both end up with the secret of the first.
    std::fs::create_dir_all(data_dir).map_err(keep_error)?;
    let staged = data_dir.join(format!(".{name}.{}", std::process::id()));
    write_private(&staged, &secret).map_err(keep_error)?;
    let linked = std::fs::hard_link(&staged, &path);
    let _ = std::fs::remove_file(&staged);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = std::fs::read_to_string(&path).map_err(keep_error)?;
            return Ok(existing.trim().to_owned());
        }
        Err(e) => return Err(keep_error(e)),
    }
    log::warn!(
        "{variable} is not set: generated one for development and kept it in {} (set {variable} in production)",
        path.display()
    );
    Ok(secret)
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}
