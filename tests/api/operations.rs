//! Operations: `/metrics` read by a Prometheus text parser, request ids, JSON logs from the real
//! binary, and backups taken under concurrent writes that restore with every acknowledged write.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue};
use serde_json::{Value, json};

use crate::helpers::*;

const METRICS_TOKEN: &str = "metrics-token-0123456789";

type Exposition = MetricsExposition<PrometheusType, PrometheusValue>;

async fn scrape(app: &TestApp, base: &str, token: Option<&str>) -> Exposition {
    let mut request = app.client.get(format!("{base}/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let res = request.send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let text = res.text().await.unwrap();
    openmetrics_parser::prometheus::parse_prometheus(&text)
        .unwrap_or_else(|e| panic!("the metrics do not parse as the Prometheus text format: {e:?}\n{text}"))
}

/// The value of the series of `family` with these labels (a histogram's count), if there is one.
fn value(exposition: &Exposition, family: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let family = exposition.families.get(family)?;
    family.iter_samples().find_map(|sample| {
        let set = sample.get_labelset().ok()?;
        if !labels.iter().all(|(name, value)| set.get_label_value(name) == Some(*value)) {
            return None;
        }
        Some(match &sample.value {
            PrometheusValue::Counter(c) => c.value.as_f64(),
            PrometheusValue::Gauge(g) | PrometheusValue::Unknown(g) => g.as_f64(),
            PrometheusValue::Histogram(h) => h.count.unwrap_or(0) as f64,
            PrometheusValue::Summary(s) => s.count.unwrap_or(0) as f64,
        })
    })
}

fn route_labels(exposition: &Exposition) -> Vec<String> {
    let family = &exposition.families["muni_http_requests_total"];
    family
        .iter_samples()
        .filter_map(|s| s.get_labelset().ok().and_then(|set| set.get_label_value("route").map(str::to_owned)))
        .collect()
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_behind_a_token() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_METRICS_TOKEN".into(), METRICS_TOKEN.into());
    })
    .await;
    // Not for the public: no token, or a wrong one, is a 401 problem.
    assert_problem(app.get("/metrics").await, 401).await;
    let wrong = app.client.get(app.url("/metrics")).bearer_auth("metrics-token-9876543210").send().await.unwrap();
    assert_problem(wrong, 401).await;

    for slug in ["khong-co-bai-nay", "cung-khong-co", "x%3Cscript%3E"] {
        assert_eq!(app.get(&format!("/api/v1/articles/{slug}")).await.status(), 404);
    }
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/categories").await.status(), 200);
    }
    assert_eq!(app.get("/khong/co/duong/nay").await.status(), 404);
    let metrics = scrape(&app, &app.address, Some(METRICS_TOKEN)).await;

    let by_key = [("method", "GET"), ("route", "/api/v1/articles/{key}"), ("status", "404")];
    assert_eq!(value(&metrics, "muni_http_requests_total", &by_key), Some(3.0));
    let listing = [("method", "GET"), ("route", "/api/v1/categories"), ("status", "200")];
    assert_eq!(value(&metrics, "muni_http_requests_total", &listing), Some(3.0));
    let latency = [("method", "GET"), ("route", "/api/v1/categories")];
    assert_eq!(value(&metrics, "muni_http_request_duration_seconds", &latency), Some(3.0));
    // Routes by template only: a raw path never becomes a label.
    let routes = route_labels(&metrics);
    assert!(routes.iter().any(|r| r == "unmatched"), "{routes:?}");
    assert!(routes.iter().all(|r| !r.contains("khong") && !r.contains("script")), "{routes:?}");

    // The cache, the pool, the process and the build are there too.
    assert!(value(&metrics, "muni_cache_hits_total", &[]).is_some_and(|hits| hits >= 2.0));
    assert!(value(&metrics, "muni_cache_misses_total", &[]).is_some_and(|misses| misses >= 1.0));
    assert!(value(&metrics, "muni_cache_bytes", &[]).is_some_and(|bytes| bytes > 0.0));
    assert_eq!(value(&metrics, "muni_db_pool_max_connections", &[]), Some(4.0));
    assert!(value(&metrics, "muni_db_pool_checkouts_total", &[]).is_some_and(|n| n >= 1.0));
    assert!(value(&metrics, "muni_db_pool_connections", &[("state", "idle")]).is_some());
    assert!(value(&metrics, "process_resident_memory_bytes", &[]).is_some_and(|bytes| bytes > 1e6));
    let engine = if app.db.is_postgres() { "postgresql" } else { "sqlite" };
    let build = [("version", env!("CARGO_PKG_VERSION")), ("engine", engine)];
    assert_eq!(value(&metrics, "muni_build_info", &build), Some(1.0));
    // The scrape itself is counted by the next one.
    let again = scrape(&app, &app.address, Some(METRICS_TOKEN)).await;
    let scraped = [("method", "GET"), ("route", "/metrics"), ("status", "200")];
    assert_eq!(value(&again, "muni_http_requests_total", &scraped), Some(1.0));
}

#[tokio::test]
async fn metrics_are_not_served_without_a_token_and_alone_on_their_own_address() {
    let app = spawn_app().await;
    let res = app.get("/metrics").await;
    assert_problem(res, 404).await;

    let app = spawn_app_with(|env| {
        env.insert("MUNI_METRICS_ADDR".into(), "127.0.0.1:0".into());
    })
    .await;
    let metrics_address = app.metrics_address.clone().expect("a metrics address");
    assert_ne!(metrics_address, app.address);
    assert_eq!(app.get("/api/v1/sites").await.status(), 200);
    let metrics = scrape(&app, &metrics_address, None).await;
    let sites = [("method", "GET"), ("route", "/api/v1/sites"), ("status", "200")];
    assert_eq!(value(&metrics, "muni_http_requests_total", &sites), Some(1.0));
    // Only the metrics there, and not on the public address without a token.
    let api = app.client.get(format!("{metrics_address}/api/v1/sites")).send().await.unwrap();
    assert_problem(api, 404).await;
    assert_problem(app.get("/metrics").await, 404).await;

    let off = spawn_app_with(|env| {
        env.insert("MUNI_METRICS".into(), "off".into());
        env.insert("MUNI_METRICS_TOKEN".into(), METRICS_TOKEN.into());
    })
    .await;
    let res = off.client.get(off.url("/metrics")).bearer_auth(METRICS_TOKEN).send().await.unwrap();
    assert_problem(res, 404).await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_that_only_a_trusted_proxy_may_set() {
    let app = spawn_app().await;
    let mut seen = vec![];
    for path in ["/healthz", "/api/v1/categories", "/api/v1/categories", "/khong-co", "/api/v1/articles?x=0"] {
        let res = app.client.get(app.url(path)).header("x-request-id", "from-the-client").send().await.unwrap();
        // Errors too, as every response, carry the security headers.
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 32, "{path}: {id}");
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{path}: {id}");
        seen.push(id);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "a cached answer gets its own id too");

    let behind_proxy = spawn_app_with(|env| {
        env.insert("MUNI_TRUST_PROXY".into(), "true".into());
    })
    .await;
    let id = |res: reqwest::Response| res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let kept = behind_proxy.client.get(behind_proxy.url("/healthz")).header("x-request-id", "lb-7f3a.42").send();
    assert_eq!(id(kept.await.unwrap()), "lb-7f3a.42");
    let odd = behind_proxy.client.get(behind_proxy.url("/healthz")).header("x-request-id", "a b <c>").send();
    assert_eq!(id(odd.await.unwrap()).len(), 32);
}

/// Starts `muni serve` with JSON logs on a free port, makes requests, stops it with SIGTERM, and
/// reads every line it logged.
#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_requests_fields() {
    let db = TestDb::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_muni"))
        .arg("serve")
        .envs(test_env(&db))
        .env("MUNI_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .current_dir(db.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start muni serve");
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut lines = vec![];
    let started = loop {
        let line = lines_rx.recv_timeout(Duration::from_secs(60)).expect("the server logs that it listens");
        let parsed: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        lines.push(parsed.clone());
        if parsed["message"].as_str().is_some_and(|m| m.contains("listening")) {
            break parsed;
        }
    };
    assert_eq!(started["level"], "INFO");
    assert_eq!(started["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(started["engine"], if db.is_postgres() { "postgresql" } else { "sqlite" });
    let address = format!("http://{}", started["address"].as_str().unwrap());

    let client = reqwest::Client::new();
    let res = client.get(format!("{address}/api/v1/articles/khong-co?x=1")).send().await.unwrap();
    assert_eq!(res.status(), 400, "an unknown query parameter");
    let bad_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let res = client.get(format!("{address}/api/v1/categories")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let ok_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();

    // SAFETY: kill only sends a signal to the child this test started.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert!(status.success(), "muni serve exits cleanly on SIGTERM: {status}");
    reader.join().unwrap();
    for line in lines_rx.try_iter() {
        lines.push(serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")));
    }
    for line in &lines {
        for field in ["time", "level", "target", "message"] {
            assert!(line[field].is_string(), "{field} in {line}");
        }
    }
    let request = |id: &str| lines.iter().find(|l| l["request_id"] == id).cloned().expect("a log line per request");
    let bad = request(&bad_id);
    assert_eq!(bad["target"], "muni::request");
    assert_eq!(bad["method"], "GET");
    assert_eq!(bad["route"], "/api/v1/articles/{key}");
    assert_eq!(bad["path"], "/api/v1/articles/khong-co");
    assert_eq!(bad["status"], 400);
    assert!(bad["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{bad}");
    assert_eq!(bad["client"], "127.0.0.1");
    let ok = request(&ok_id);
    assert_eq!((ok["route"].as_str(), ok["status"].as_u64()), (Some("/api/v1/categories"), Some(200)));
    assert!(ok["bytes"].as_u64().is_some_and(|b| b > 0), "{ok}");
    let last = lines.last().unwrap();
    assert_eq!(last["message"], "muni stopped", "the last line says the server stopped: {last}");
}

fn muni(db: &TestDb, args: &[&str], env: &[(&str, String)]) -> std::process::Output {
    TestDbRef::of(db).run(args, env)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Writers create articles as fast as they can while `muni backup` copies the database; the copy,
/// restored elsewhere, passes its integrity check and holds every article acknowledged before the
/// backup began. A restore over the database a server is using is refused.
#[tokio::test]
async fn a_backup_taken_under_writes_restores_with_every_acknowledged_write() {
    let app = spawn_app().await;
    let backup_file = app.db.dir.path().join("backups").join("muni-backup.db");
    std::fs::create_dir_all(backup_file.parent().unwrap()).unwrap();
    let backup_path = backup_file.display().to_string();
    if app.db.is_postgres() {
        let out = muni(&app.db, &["backup", &backup_path], &[]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"), "{out:?}");
        return;
    }
    let editor = app.token_for("editor").await;
    let category = crate::categories::create_category(&app, &editor, json!({"name": "Tin tức"})).await;
    let app = Arc::new(app);
    let acknowledged: Arc<Mutex<Vec<(i64, Instant)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = vec![];
    for writer in 0..4 {
        let (app, acknowledged, stop, editor) = (app.clone(), acknowledged.clone(), stop.clone(), editor.clone());
        let category_id = category["id"].clone();
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let body = json!({"title": format!("Tin {writer}-{n}"), "category_id": category_id, "body": "<p>Nội dung.</p>"});
                let res = app.post_json("/api/v1/articles", &body, Some(&editor)).await;
                assert_eq!(res.status(), 201);
                let created: Value = res.json().await.unwrap();
                acknowledged.lock().unwrap().push((created["id"].as_i64().unwrap(), Instant::now()));
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let began = Instant::now();
    let db_for_backup = TestDbRef::of(&app.db);
    let backup_args = backup_path.clone();
    let out = tokio::task::spawn_blocking(move || db_for_backup.run(&["backup", &backup_args], &[])).await.unwrap();
    let finished = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("integrity check passed"));
    let acknowledged = acknowledged.lock().unwrap().clone();
    let before: Vec<i64> = acknowledged.iter().filter(|(_, at)| *at < began).map(|(id, _)| *id).collect();
    let during = acknowledged.iter().filter(|(_, at)| *at >= began && *at <= finished).count();
    let after = acknowledged.iter().filter(|(_, at)| *at > finished).count();
    assert!(before.len() >= 4, "writes before the backup: {}", before.len());
    assert!(after > 0, "the server kept writing after the backup");
    eprintln!("acknowledged before the backup {}, during {during}, after {after}", before.len());

    // A backup never overwrites.
    let again = muni(&app.db, &["backup", &backup_path], &[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));

    // Restoring over the database the running server uses is refused.
    let refused = muni(&app.db, &["restore", &backup_path], &[]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("a muni server is using"), "{refused:?}");

    // Restored elsewhere, under the same data key: every acknowledged write is there.
    let restored = app.db.dir.path().join("restored").join("muni.db");
    let restored_url = ("DATABASE_URL", format!("sqlite://{}", restored.display()));
    let out = muni(&app.db, &["restore", &backup_path], std::slice::from_ref(&restored_url));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    muni::db::backup::check_integrity(&restored).expect("the restored database passes its integrity check");
    let url = muni::db::DatabaseUrl::parse(&restored_url.1).unwrap();
    let mut conn = muni::db::connect(&url).unwrap();
    let stored: Vec<i64> =
        diesel::sql_query("SELECT id FROM articles").load::<Id>(&mut conn).unwrap().into_iter().map(|r| r.id).collect();
    let missing: Vec<&i64> = before.iter().filter(|id| !stored.contains(id)).collect();
    assert!(missing.is_empty(), "acknowledged before the backup but not restored: {missing:?}");
    drop(conn);

    // Restoring again over a stopped database keeps the replaced one beside it.
    let out = muni(&app.db, &["restore", &backup_path], std::slice::from_ref(&restored_url));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let kept = std::fs::read_dir(restored.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("muni.db.before-restore-"));
    assert!(kept, "the replaced database is kept");

    // A backup sealed under another data key, or a file that is no database, is refused.
    let other_key = ("MUNI_DATA_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_owned());
    let elsewhere = ("DATABASE_URL", format!("sqlite://{}", app.db.dir.path().join("other").join("muni.db").display()));
    let out = muni(&app.db, &["restore", &backup_path], &[elsewhere.clone(), other_key]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("MUNI_DATA_KEY"), "{out:?}");
    let junk = app.db.dir.path().join("junk.db");
    std::fs::write(&junk, "not a database").unwrap();
    let out = muni(&app.db, &["restore", &junk.display().to_string()], &[elsewhere]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("junk.db"), "{out:?}");
}

/// What a blocking task needs to run `muni` against a test database.
struct TestDbRef {
    env: std::collections::HashMap<String, String>,
    dir: std::path::PathBuf,
}

impl TestDbRef {
    fn of(db: &TestDb) -> Self {
        Self { env: test_env(db), dir: db.dir.path().to_owned() }
    }

    fn run(&self, args: &[&str], env: &[(&str, String)]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_muni"))
            .args(args)
            .envs(&self.env)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("RUST_LOG", "warn")
            .current_dir(&self.dir)
            .output()
            .expect("run muni")
    }
}
