//! Prometheus metrics: requests by route template, method and status with their latency, the
//! connection pool, the response cache, background work, the process and the build. One registry
//! per server, so that servers in one process (the tests) count apart.
//!
//! Requests are counted as they finish ([`Metrics::observe_request`], from the outermost
//! middleware); the pool, the cache and the process are read when the metrics are scraped
//! ([`Metrics::render`]). Routes are labelled by their template (`/api/v1/articles/{key}`), never
//! by the raw path, so the number of series stays bounded whatever clients send.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use prometheus::{
    Counter, Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use crate::cache::CacheStats;
use crate::db::Database;

/// The `Content-Type` of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The label of requests that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// Latency buckets, in seconds: from a cached answer (well under a millisecond) to a slow search.
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    in_flight: IntGauge,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
    pool_checkouts: IntCounter,
    pool_waits: IntCounter,
    pool_wait_seconds: Counter,
    pool_timeouts: IntCounter,
    cache_hits: IntCounter,
    cache_misses: IntCounter,
    cache_entries: IntGauge,
    cache_bytes: IntGauge,
    cache_budget: IntGauge,
    background_runs: IntCounterVec,
    background_last_success: GaugeVec,
    erased: IntCounter,
    resident_memory: IntGauge,
    open_fds: IntGauge,
    /// Counters read from elsewhere catch up under this lock, one scrape at a time.
    scrape: Mutex<()>,
}

/// What a metric is built from: its name and help.
fn opts(name: &str, help: &str) -> Opts {
    Opts::new(name, help)
}

impl Metrics {
    /// A registry with every metric, and the build's: `version` of this program, `engine` of the
    /// database.
    pub fn new(version: &str, engine: &str) -> Self {
        let registry = Registry::new();
        macro_rules! register {
            ($metric:expr) => {{
                let metric = $metric.expect("a valid metric definition");
                registry.register(Box::new(metric.clone())).expect("a metric registered once");
                metric
            }};
        }
        let requests = register!(IntCounterVec::new(
            opts("muni_http_requests_total", "HTTP requests answered, by method, route template and status"),
            &["method", "route", "status"]
        ));
        let durations = register!(HistogramVec::new(
            HistogramOpts::new(
                "muni_http_request_duration_seconds",
                "Time from a request's arrival to its response head, by method and route template"
            )
            .buckets(BUCKETS.to_vec()),
            &["method", "route"]
        ));
        let in_flight = register!(IntGauge::with_opts(opts("muni_http_requests_in_flight", "Requests being answered")));
        let pool_connections = register!(IntGaugeVec::new(
            opts("muni_db_pool_connections", "Open database connections of this node, by state (in_use, idle)"),
            &["state"]
        ));
        let pool_max = register!(IntGauge::with_opts(opts(
            "muni_db_pool_max_connections",
            "The most database connections this node opens (MUNI_DB_POOL_SIZE)"
        )));
        let pool_checkouts = register!(IntCounter::with_opts(opts(
            "muni_db_pool_checkouts_total",
            "Database connections taken from the pool"
        )));
        let pool_waits = register!(IntCounter::with_opts(opts(
            "muni_db_pool_waits_total",
            "Checkouts that waited over 5 ms for a connection (all connections busy, or a new one being opened)"
        )));
        let pool_wait_seconds = register!(Counter::with_opts(opts(
            "muni_db_pool_wait_seconds_total",
            "Time spent getting connections from the pool"
        )));
        let pool_timeouts = register!(IntCounter::with_opts(opts(
            "muni_db_pool_timeouts_total",
            "Checkouts that found no connection within 5 s (answered 503)"
        )));
        let cache_hits = register!(IntCounter::with_opts(opts(
            "muni_cache_hits_total",
            "Requests answered from the response cache (304s included)"
        )));
        let cache_misses = register!(IntCounter::with_opts(opts(
            "muni_cache_misses_total",
            "Shareable responses computed and kept by the response cache"
        )));
        let cache_entries =
            register!(IntGauge::with_opts(opts("muni_cache_entries", "Responses kept in the response cache")));
        let cache_bytes = register!(IntGauge::with_opts(opts("muni_cache_bytes", "Memory the kept responses take")));
        let cache_budget = register!(IntGauge::with_opts(opts(
            "muni_cache_budget_bytes",
            "The response cache's memory budget (MUNI_CACHE_MB; 0: no cache)"
        )));
        let background_runs = register!(IntCounterVec::new(
            opts("muni_background_runs_total", "Runs of background work, by task and outcome (ok, error)"),
            &["task", "outcome"]
        ));
        let background_last_success = register!(GaugeVec::new(
            opts("muni_background_last_success_timestamp_seconds", "When each background task last succeeded"),
            &["task"]
        ));
        let erased = register!(IntCounter::with_opts(opts(
            "muni_feedback_personal_data_erased_total",
            "Closed feedback submissions whose personal data the retention period erased"
        )));
        let resident_memory =
            register!(IntGauge::with_opts(opts("process_resident_memory_bytes", "Resident memory of the process")));
        let open_fds = register!(IntGauge::with_opts(opts("process_open_fds", "Open file descriptors of the process")));
        let start = register!(Gauge::with_opts(opts("muni_start_time_seconds", "When this server started")));
        start.set(unix_seconds(SystemTime::now()));
        let build = register!(IntGaugeVec::new(
            opts("muni_build_info", "The program's version and the database engine; always 1"),
            &["version", "engine"]
        ));
        build.with_label_values(&[version, engine]).set(1);
        Self {
            registry,
            requests,
            durations,
            in_flight,
            pool_connections,
            pool_max,
            pool_checkouts,
            pool_waits,
            pool_wait_seconds,
            pool_timeouts,
            cache_hits,
            cache_misses,
            cache_entries,
            cache_bytes,
            cache_budget,
            background_runs,
            background_last_success,
            erased,
            resident_memory,
            open_fds,
            scrape: Mutex::new(()),
        }
    }

    /// Counts a request from its arrival; the guard counts it out when dropped.
    pub fn request_started(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }

    /// Counts a finished request: `route` is its template (or [`UNMATCHED`]).
    pub fn observe_request(&self, method: &str, route: &str, status: &str, elapsed: Duration) {
        self.requests.with_label_values(&[method, route, status]).inc();
        self.durations.with_label_values(&[method, route]).observe(elapsed.as_secs_f64());
    }

    /// Counts a run of a background task.
    pub fn background_run(&self, task: &str, ok: bool) {
        self.background_runs.with_label_values(&[task, if ok { "ok" } else { "error" }]).inc();
        if ok {
            self.background_last_success.with_label_values(&[task]).set(unix_seconds(SystemTime::now()));
        }
    }

    /// Counts submissions whose personal data the retention period erased.
    pub fn personal_data_erased(&self, count: u64) {
        self.erased.inc_by(count);
    }

    /// The metrics in the text exposition format, with the pool, the cache and the process read now.
    pub fn render(&self, db: &Database, cache: Option<CacheStats>) -> String {
        let _one_at_a_time = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        let state = db.pool.state();
        let idle = i64::from(state.idle_connections);
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        self.pool_connections.with_label_values(&["in_use"]).set(i64::from(state.connections) - idle);
        self.pool_max.set(i64::from(db.pool.max_size()));
        let pool = db.stats.read();
        catch_up(&self.pool_checkouts, pool.checkouts);
        catch_up(&self.pool_waits, pool.waits);
        catch_up(&self.pool_timeouts, pool.timeouts);
        let waited = pool.wait_micros as f64 / 1e6;
        if waited > self.pool_wait_seconds.get() {
            self.pool_wait_seconds.inc_by(waited - self.pool_wait_seconds.get());
        }
        if let Some(cache) = cache {
            catch_up(&self.cache_hits, cache.hits);
            catch_up(&self.cache_misses, cache.misses);
            self.cache_entries.set(i64::try_from(cache.entries).unwrap_or(i64::MAX));
            self.cache_bytes.set(i64::try_from(cache.bytes).unwrap_or(i64::MAX));
            self.cache_budget.set(i64::try_from(cache.budget).unwrap_or(i64::MAX));
        }
        if let Some(resident) = resident_memory() {
            self.resident_memory.set(resident);
        }
        if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
            self.open_fds.set(i64::try_from(fds.count()).unwrap_or(i64::MAX));
        }
        let mut text = Vec::with_capacity(16 * 1024);
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            log::error!("cannot encode the metrics: {e}");
        }
        String::from_utf8(text).unwrap_or_default()
    }
}

/// Counts a request out when the request is done, however it ends.
pub struct InFlight<'a>(&'a IntGauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Advances a counter to a running total kept elsewhere.
fn catch_up(counter: &IntCounter, total: u64) {
    let seen = counter.get();
    if total > seen {
        counter.inc_by(total - seen);
    }
}

fn unix_seconds(time: SystemTime) -> f64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Resident memory from `/proc/self/statm` (Linux), in bytes.
fn resident_memory() -> Option<i64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: i64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a configuration value. (`c_long` is i64 only on 64-bit targets.)
    #[allow(clippy::useless_conversion)]
    let page_size = i64::from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) });
    Some(pages * page_size.max(4096))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_catches_up_with_a_running_total_and_never_goes_back() {
        let counter = IntCounter::new("c", "c").unwrap();
        catch_up(&counter, 5);
        catch_up(&counter, 3);
        catch_up(&counter, 8);
        assert_eq!(counter.get(), 8);
    }
}
