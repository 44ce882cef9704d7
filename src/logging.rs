//! The process's logger: env_logger, with the HTTP layer's reports of clients' malformed requests
//! (a bad request line, a header block over the limit) moved from ERROR to DEBUG. They are the
//! client's fault, answered with a 400 or 431 and a closed connection; at ERROR anyone could fill
//! the log and bury the errors that are ours.

use log::{Level, Log, Metadata, Record};

/// Installs the logger; `RUST_LOG` filters as env_logger documents (default `info`).
pub fn init() {
    let inner =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info,actix_server=warn")).build();
    let max = inner.filter();
    if log::set_boxed_logger(Box::new(ClientFaultsDemoted { inner })).is_ok() {
        log::set_max_level(max);
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
}
