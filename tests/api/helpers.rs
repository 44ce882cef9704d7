//! Starting the real server on a free port against a fresh database, and talking to it.

use std::collections::HashMap;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use muni::config::Config;
use muni::startup::Application;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@phuong.test";
pub const ADMIN_PASSWORD: &str = "mat-khau-quan-tri-2026";
pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";
pub const PASSWORD: &str = "mat-khau-bien-tap-2026";

/// A fresh database for one test: a SQLite file in a temporary folder, or, when
/// `TEST_DATABASE_URL` is a postgres URL, a new database on that server, dropped afterwards.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
            Some(admin_url) => {
                let name = format!("muni_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = admin_connection(&admin_url);
                conn.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
                let url = replace_database(&admin_url, &name);
                TestDb { url, dir, pg: Some((admin_url, name)) }
            }
            None => {
                let url = format!("sqlite://{}", dir.path().join("muni.db").display());
                TestDb { url, dir, pg: None }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// Removes the database under the running server.
    pub fn destroy(&self) {
        match &self.pg {
            Some((admin_url, name)) => {
                let mut conn = admin_connection(admin_url);
                conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .expect("drop test database");
            }
            None => {
                let path = self.dir.path().join("muni.db");
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
        }
    }

    /// A direct connection, to check what was stored.
    pub fn connect(&self) -> muni::db::DbConn {
        let url = muni::db::DatabaseUrl::parse(&self.url).expect("test database URL");
        muni::db::connect(&url).expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.pg.is_some() {
            self.destroy();
        }
    }
}

/// A connection to the database `TEST_DATABASE_URL` names, which is created first when it does not
/// exist yet (through the server's `postgres` database), so that any name works.
fn admin_connection(admin_url: &str) -> diesel::PgConnection {
    if let Ok(conn) = diesel::PgConnection::establish(admin_url) {
        return conn;
    }
    let wanted = admin_url.split('?').next().and_then(|base| base.rsplit('/').next()).unwrap_or("test").to_owned();
    let mut server = diesel::PgConnection::establish(&replace_database(admin_url, "postgres"))
        .expect("connect to TEST_DATABASE_URL's server (its `postgres` database)");
    // Several test threads may get here at once: a database created meanwhile is as good.
    let _ = server.batch_execute(&format!("CREATE DATABASE \"{}\"", wanted.replace('"', "")));
    diesel::PgConnection::establish(admin_url).expect("connect to TEST_DATABASE_URL")
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

pub struct TestApp {
    pub address: String,
    /// The separate metrics address, when `MUNI_METRICS_ADDR` is set.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub db: TestDb,
    /// The environment the server started with.
    pub env: HashMap<String, String>,
}

/// The environment a test server starts with.
pub fn test_env(db: &TestDb) -> HashMap<String, String> {
    let data_dir = db.dir.path().join("data");
    [
        ("DATABASE_URL", db.url.clone()),
        ("MUNI_DATA_DIR", data_dir.display().to_string()),
        ("MUNI_PORT", "0".into()),
        ("MUNI_WORKERS", "1".into()),
        ("MUNI_DB_POOL_SIZE", "4".into()),
        ("JWT_SECRET", JWT_SECRET.into()),
        ("MUNI_ADMIN_EMAIL", ADMIN_EMAIL.into()),
        ("MUNI_ADMIN_PASSWORD", ADMIN_PASSWORD.into()),
        ("MUNI_SITE_CODE", "phuong-hoa-binh".into()),
        ("MUNI_SITE_NAME", "Phường Hòa Bình".into()),
        ("MUNI_PUBLIC_WRITE_RATE_PER_MINUTE", "10000".into()),
        // The webhook tests turn the delivery worker on; elsewhere it would only poll.
        ("MUNI_WEBHOOK_WORKER", "off".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the server with the test environment, changed by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    let db = TestDb::new();
    let mut env = test_env(&db);
    tweak(&mut env);
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test configuration");
    let app = Application::build(config).expect("build the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_address().map(|a| format!("http://{a}"));
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("HTTP client");
    TestApp { address, metrics_address, client, db, env }
}

impl TestApp {
    /// The server's media store (its data folder, or its bucket).
    pub fn media_store(&self) -> muni::media::store::Store {
        let config = Config::from_lookup(|k| self.env.get(k).cloned()).expect("test configuration");
        muni::media::store::Store::from_settings(&config.media).expect("the media store")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// A list's answer once it finds something: a search the index answers sees a commit within
    /// a second, not at once.
    pub async fn get_found(&self, path: &str) -> serde_json::Value {
        let mut body = serde_json::Value::Null;
        for _ in 0..100 {
            body = self.get(path).await.json().await.expect("a JSON answer");
            if body["meta"]["total"].as_i64().is_some_and(|n| n > 0) {
                return body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{path} found nothing: {body}");
    }

    /// The helpers below check every response against the OpenAPI document (see `contract`).
    pub async fn get(&self, path: &str) -> Response {
        let res = self.request(Method::GET, path, None).send().await.expect("GET");
        crate::contract::checked(&Method::GET, path, res).await
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Response {
        let res = self.request(Method::GET, path, Some(token)).send().await.expect("GET");
        crate::contract::checked(&Method::GET, path, res).await
    }

    pub async fn send_json(&self, method: Method, path: &str, body: &Value, token: Option<&str>) -> Response {
        let res = self.request(method.clone(), path, token).json(body).send().await.expect("request");
        crate::contract::checked(&method, path, res).await
    }

    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        self.send_json(Method::POST, path, body, token).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        self.send_json(Method::PATCH, path, body, token).await
    }

    /// Signs in and returns the whole token response.
    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json("/api/v1/auth/login", &json!({"email": email, "password": password}), None).await
    }

    pub async fn login_ok(&self, email: &str, password: &str) -> Value {
        let res = self.login(email, password).await;
        assert_eq!(res.status(), 200, "login of {email}");
        res.json().await.expect("token JSON")
    }

    pub async fn admin_token(&self) -> String {
        access_token(&self.login_ok(ADMIN_EMAIL, ADMIN_PASSWORD).await)
    }

    /// Creates a user through the API and returns its id.
    pub async fn create_user(&self, email: &str, role: &str, site_id: Option<i64>) -> i64 {
        let admin = self.admin_token().await;
        let body = json!({"email": email, "display_name": "Cán bộ thử", "role": role, "site_id": site_id, "password": PASSWORD});
        let res = self.post_json("/api/v1/users", &body, Some(&admin)).await;
        assert_eq!(res.status(), 201, "create {email}");
        res.json::<Value>().await.expect("user JSON")["id"].as_i64().expect("user id")
    }

    /// An access token for a new user with `role`, bound to no site.
    pub async fn token_for(&self, role: &str) -> String {
        if role == "admin" {
            return self.admin_token().await;
        }
        let email = format!("{role}-{}@phuong.test", uuid::Uuid::new_v4().simple());
        self.create_user(&email, role, None).await;
        access_token(&self.login_ok(&email, PASSWORD).await)
    }
}

pub fn access_token(tokens: &Value) -> String {
    tokens["access_token"].as_str().expect("access_token").to_owned()
}

pub fn refresh_token(tokens: &Value) -> String {
    tokens["refresh_token"].as_str().expect("refresh_token").to_owned()
}

/// Asserts an RFC 9457 problem response with `status`, and returns its body.
pub async fn assert_problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "status of {}", res.url());
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(content_type, "application/problem+json", "content type of a {status}");
    let body: Value = res.json().await.expect("problem JSON");
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().is_some_and(|t| t.starts_with("urn:muni:problem:")), "type in {body}");
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()), "title in {body}");
    assert!(body["detail"].as_str().is_some_and(|t| !t.is_empty()), "detail in {body}");
    body
}

/// The codes of the field errors of a problem, as `field:code`.
pub fn field_errors(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| format!("{}:{}", e["field"].as_str().unwrap_or(""), e["code"].as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default()
}
