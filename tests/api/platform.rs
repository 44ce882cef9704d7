//! The platform: readiness, migrations, durability, the command line and the OpenAPI document.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use muni::config::{Config, Environment};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn liveness_and_readiness_answer_when_all_is_well() {
    let app = spawn_app().await;
    let health: Value = app.get("/healthz").await.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.headers()["cache-control"], "no-store");
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let engine = if app.db.is_postgres() { "postgresql" } else { "sqlite" };
    assert_eq!(ready["database"], engine);
}

#[tokio::test]
async fn readiness_reports_a_missing_database() {
    let app = spawn_app().await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.db.destroy();
    let res = app.get("/readyz").await;
    let problem = assert_problem(res, 503).await;
    assert!(!problem["detail"].as_str().unwrap().contains(&app.db.url), "no internals in {problem}");
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn migrations_apply_on_an_empty_database_and_again_do_nothing() {
    let db = TestDb::new();
    let url = muni::db::DatabaseUrl::parse(&db.url).unwrap();
    let database = muni::db::Database::new(url, 2);
    let applied = database.migrate().unwrap();
    assert!(!applied.is_empty());
    assert!(database.migrate().unwrap().is_empty());
    database.check_ready().unwrap();
    let mut conn = db.connect();
    let tables: i64 = muni::db::schema::sites::table.count().get_result(&mut conn).unwrap();
    assert_eq!(tables, 0);
}

#[test]
fn production_refuses_to_start_without_a_strong_secret() {
    let production = |secret: Option<&str>| {
        let secret = secret.map(str::to_owned);
        Config::from_lookup(move |key| match key {
            "MUNI_ENV" => Some("production".into()),
            "JWT_SECRET" => secret.clone(),
            "MUNI_DATA_KEY" => Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()),
            _ => None,
        })
    };
    let missing = production(None).unwrap_err().to_string();
    assert_eq!(missing, "JWT_SECRET must be set to at least 32 bytes when MUNI_ENV=production");
    assert!(production(Some("short")).is_err());
    let ok = production(Some(JWT_SECRET)).unwrap();
    assert_eq!(ok.environment, Environment::Production);
    let no_data_key = Config::from_lookup(|key| match key {
        "MUNI_ENV" => Some("production".into()),
        "JWT_SECRET" => Some(JWT_SECRET.into()),
        _ => None,
    });
    assert!(no_data_key.unwrap_err().to_string().starts_with("MUNI_DATA_KEY must be set"));
}

#[test]
fn development_generates_a_secret_once_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data").display().to_string();
    let load = || {
        let data_dir = data_dir.clone();
        Config::from_lookup(move |key| (key == "MUNI_DATA_DIR").then(|| data_dir.clone())).unwrap()
    };
    let first = load();
    let second = load();
    assert!(first.jwt_secret.len() >= 32);
    assert_eq!(first.jwt_secret, second.jwt_secret);
    assert!(dir.path().join("data/jwt_secret").exists());
    assert!(matches!(first.database_url, muni::db::DatabaseUrl::Sqlite(ref p) if p.ends_with("data/muni.db")));
}

#[test]
fn database_urls_choose_the_engine() {
    use muni::db::DatabaseUrl;
    assert!(matches!(DatabaseUrl::parse("postgres://u:p@h/db"), Ok(DatabaseUrl::Postgres(_))));
    assert!(matches!(DatabaseUrl::parse("postgresql://h/db"), Ok(DatabaseUrl::Postgres(_))));
    assert_eq!(DatabaseUrl::parse("sqlite://data/x.db"), Ok(DatabaseUrl::Sqlite("data/x.db".into())));
    assert_eq!(DatabaseUrl::parse("sqlite:x.db"), Ok(DatabaseUrl::Sqlite("x.db".into())));
    assert_eq!(DatabaseUrl::parse("/var/lib/muni.db"), Ok(DatabaseUrl::Sqlite("/var/lib/muni.db".into())));
    assert!(DatabaseUrl::parse("mysql://h/db").is_err());
    assert!(DatabaseUrl::parse(":memory:").is_err());
    assert_eq!(DatabaseUrl::parse("postgres://muni:secret@db/muni").unwrap().redacted(), "postgres://muni:***@db/muni");
}

#[tokio::test]
async fn the_served_openapi_document_equals_the_checked_in_file() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    let served = res.text().await.unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        served == checked_in,
        "openapi/openapi.json is out of date: regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
    let doc: Value = serde_json::from_str(&served).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
}

#[tokio::test]
async fn every_write_in_the_document_asks_for_a_bearer_token_or_is_rate_limited() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if method == "get" {
                continue;
            }
            let secured = op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            let rate_limited = op["responses"].get("429").is_some();
            assert!(secured || rate_limited, "{method} {path} is neither guarded nor rate-limited");
            if secured {
                assert!(
                    op["responses"].get("401").is_some() && op["responses"].get("403").is_some(),
                    "{method} {path}"
                );
            }
        }
    }
}

#[tokio::test]
async fn swagger_ui_is_served_without_internet() {
    let app = spawn_app().await;
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status(), 308);
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger-ui"));
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
    let initializer = app.get("/docs/swagger-initializer.js").await.text().await.unwrap();
    assert!(initializer.contains("/api/v1/openapi.json"), "{initializer}");
}

/// The real binary, started with the test environment.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(db: &TestDb) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_muni"));
        command.envs(test_env(db)).env("RUST_LOG", "info").stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("start muni");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let address = loop {
            let line = lines.next().expect("muni exited before listening").unwrap();
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Server { child, address }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn an_acknowledged_write_survives_kill_9() {
    let db = TestDb::new();
    let mut server = Server::start(&db);
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{}/api/v1/auth/login", server.address))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = access_token(&login);
    let mut acknowledged = vec![];
    for i in 0..20 {
        let code = format!("xa-ben-vung-{i}");
        let res = client
            .post(format!("{}/api/v1/sites", server.address))
            .bearer_auth(&token)
            .json(&json!({"code": code, "name": format!("Xã Bền Vững {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        acknowledged.push(code);
    }
    // SIGKILL: no shutdown hook runs.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let mut conn = db.connect();
    use muni::db::schema::sites;
    let stored: Vec<String> = sites::table.select(sites::code).load(&mut conn).unwrap();
    for code in acknowledged {
        assert!(stored.contains(&code), "{code} was acknowledged but lost");
    }
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let db = TestDb::new();
    let mut server = Server::start(&db);
    let res = reqwest::get(format!("{}/healthz", server.address)).await.unwrap();
    assert_eq!(res.status(), 200);
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(waited < Duration::from_secs(20), "muni did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
        waited += Duration::from_millis(100);
    };
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn the_cli_creates_a_user_who_can_sign_in() {
    let db = TestDb::new();
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_muni"))
            .args(args)
            .envs(test_env(&db))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let migrate = run(&["migrate"], "");
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    let out = run(
        &[
            "users",
            "create",
            "--email",
            "Bien.Tap@phuong.test",
            "--role",
            "editor",
            "--site",
            "phuong-hoa-binh",
            "--password-stdin",
        ],
        "mat-khau-tu-dong-lenh\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = run(
        &["users", "create", "--email", "bien.tap@phuong.test", "--role", "editor", "--password-stdin"],
        "mat-khau-tu-dong-lenh\n",
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad_role = run(
        &["users", "create", "--email", "x@phuong.test", "--role", "root", "--password-stdin"],
        "mat-khau-tu-dong-lenh\n",
    );
    assert!(!bad_role.status.success());
    // Without a terminal, the password is not silently read as empty.
    let no_terminal = run(&["users", "create", "--email", "y@phuong.test", "--role", "editor"], "");
    assert!(!no_terminal.status.success());
    assert!(String::from_utf8_lossy(&no_terminal.stderr).contains("--password-stdin"));

    let server = Server::start(&db);
    let login: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", server.address))
        .json(&json!({"email": "bien.tap@phuong.test", "password": "mat-khau-tu-dong-lenh"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["user"]["role"], "editor");
    assert_eq!(login["user"]["site"]["code"], "phuong-hoa-binh");
}

#[test]
fn the_cli_prints_the_openapi_document() {
    let out = Command::new(env!("CARGO_BIN_EXE_muni")).arg("openapi").env("JWT_SECRET", JWT_SECRET).output().unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["paths"]["/api/v1/auth/login"]["post"].is_object());
}

#[tokio::test]
async fn a_taken_port_is_named_with_the_setting_to_change() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let db = TestDb::new();
    let mut env = test_env(&db);
    env.insert("MUNI_PORT".into(), port.to_string());
    let config = muni::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let error = muni::startup::Application::build(config).err().expect("the port is taken");
    let message = error.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")) && message.contains("MUNI_PORT"), "{message}");
}
