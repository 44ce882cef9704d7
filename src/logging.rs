//! The process's logger: env_logger, as text lines (the default) or, with
//! `MUNI_LOG_FORMAT=json`, one JSON object per line for log shippers: `time`, `level`, `target`,
//! `message`, and the record's fields (a request's `method`, `route`, `path`, `status`, `bytes`,
//! `duration_ms`, `request_id`, `client`).
//!
//! The HTTP layer's reports of clients' malformed requests (a bad request line, a header block over
//! the limit) are moved from ERROR to DEBUG. They are the client's fault, answered with a 400 or
//! 431 and a closed connection; at ERROR anyone could fill the log and bury the errors that are ours.

use std::io::Write;

use log::kv::{self, VisitSource};
use log::{Level, Log, Metadata, Record};
use serde_json::{Map, Value};

/// How log records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    /// `MUNI_LOG_FORMAT`: `text` (or unset) or `json`.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("MUNI_LOG_FORMAT").ok().as_deref().map(str::trim) {
            None | Some("") | Some("text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => Err(format!("MUNI_LOG_FORMAT must be `text` or `json`, not `{other}`")),
        }
    }
}

/// Installs the logger; `RUST_LOG` filters as env_logger documents (default `info`).
pub fn init(format: Format) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info,actix_server=warn"));
    if format == Format::Json {
        builder.format(|buf, record| {
            let line = json_line(record, chrono::Utc::now());
            writeln!(buf, "{line}")
        });
    }
    let inner = builder.build();
    let max = inner.filter();
    if log::set_boxed_logger(Box::new(ClientFaultsDemoted { inner })).is_ok() {
        log::set_max_level(max);
    }
}

/// A record as one JSON object; its fields after the fixed ones (a field named like a fixed one
/// keeps the fixed one).
fn json_line(record: &Record<'_>, time: chrono::DateTime<chrono::Utc>) -> Value {
    let mut object = Map::new();
    object.insert("time".into(), time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).into());
    object.insert("level".into(), record.level().as_str().into());
    object.insert("target".into(), record.target().into());
    object.insert("message".into(), record.args().to_string().into());
    let mut fields = Fields(&mut object);
    let _ = record.key_values().visit(&mut fields);
    Value::Object(object)
}

struct Fields<'a>(&'a mut Map<String, Value>);

impl<'kvs> VisitSource<'kvs> for Fields<'_> {
    fn visit_pair(&mut self, key: kv::Key<'kvs>, value: kv::Value<'kvs>) -> Result<(), kv::Error> {
        let value = serde_json::to_value(&value).unwrap_or_else(|_| Value::String(value.to_string()));
        self.0.entry(key.as_str().to_owned()).or_insert(value);
        Ok(())
    }
}

struct ClientFaultsDemoted {
    inner: env_logger::Logger,
}

/// Whether a record is the HTTP layer reporting a request it could not parse.
fn is_client_fault(record: &Record<'_>) -> bool {
    record.level() == Level::Error && record.target().starts_with("actix_http::h1") && {
        let text = record.args().to_string();
        text.starts_with("stream error") || text.starts_with("MAX_BUFFER_SIZE")
    }
}

impl Log for ClientFaultsDemoted {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if is_client_fault(record) {
            let demoted = Record::builder()
                .level(Level::Debug)
                .target(record.target())
                .args(*record.args())
                .key_values(record.key_values())
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build();
            self.inner.log(&demoted);
        } else {
            self.inner.log(record);
        }
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(level: Level, target: &'static str, text: std::fmt::Arguments<'_>, check: impl FnOnce(&Record<'_>)) {
        check(&Record::builder().level(level).target(target).args(text).build());
    }

    #[test]
    fn only_the_http_layers_reports_of_malformed_requests_are_demoted() {
        record(Level::Error, "actix_http::h1::dispatcher", format_args!("stream error: {}", "invalid token"), |r| {
            assert!(is_client_fault(r))
        });
        record(
            Level::Error,
            "actix_http::h1::decoder",
            format_args!("MAX_BUFFER_SIZE unprocessed data reached"),
            |r| assert!(is_client_fault(r)),
        );
        record(Level::Error, "muni::db", format_args!("stream error: ours"), |r| assert!(!is_client_fault(r)));
        record(Level::Error, "actix_http::h1::dispatcher", format_args!("the service failed"), |r| {
            assert!(!is_client_fault(r))
        });
        record(Level::Warn, "actix_http::h1::dispatcher", format_args!("stream error: x"), |r| {
            assert!(!is_client_fault(r))
        });
    }

    #[test]
    fn a_json_line_has_the_fixed_fields_then_the_records_own() {
        let fields: &[(&str, kv::Value<'_>)] = &[
            ("status", kv::Value::from(404u16)),
            ("route", kv::Value::from("/api/v1/articles/{key}")),
            ("duration_ms", kv::Value::from(1.25f64)),
            ("bytes", kv::Value::from_serde(&None::<u64>)),
            ("level", kv::Value::from("spoofed")),
        ];
        let record = Record::builder()
            .level(Level::Info)
            .target("muni::request")
            .args(format_args!("a \"quoted\" line"))
            .key_values(&fields)
            .build();
        let time = chrono::DateTime::parse_from_rfc3339("2026-12-02T08:00:00.5Z").unwrap().to_utc();
        let line = json_line(&record, time).to_string();
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({
                "time": "2026-12-02T08:00:00.500000Z", "level": "INFO", "target": "muni::request",
                "message": "a \"quoted\" line", "status": 404, "route": "/api/v1/articles/{key}",
                "duration_ms": 1.25, "bytes": null
            })
        );
    }
}
