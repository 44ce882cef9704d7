//! The shared response cache: two API nodes (two server processes) on one database, each keeping
//! responses, and every change, made through either node or by the CLI, visible on the next request.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use reqwest::{Client, Method, Response};
use serde_json::{Value, json};

use crate::helpers::*;

/// A `muni serve` process on its own port.
pub(crate) struct Node {
    pub(crate) child: Child,
    pub(crate) address: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_node(db: &TestDb) -> Node {
    start_node_with(db, &[])
}

/// A node with more settings than the tests' own.
pub(crate) fn start_node_with(db: &TestDb, extra: &[(&str, &str)]) -> Node {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_muni"))
        .arg("serve")
        .envs(test_env(db))
        .env("MUNI_PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .envs(extra.iter().copied())
        .current_dir(db.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start muni serve");
    Node { child, address: format!("http://127.0.0.1:{port}") }
}

pub(crate) async fn wait_ready(client: &Client, node: &mut Node) {
    for _ in 0..300 {
        if let Ok(Some(status)) = node.child.try_wait() {
            panic!("the node at {} exited: {status}", node.address);
        }
        if client.get(format!("{}/readyz", node.address)).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the node at {} did not become ready", node.address);
}

struct Cluster {
    client: Client,
    a: Node,
    b: Node,
    token: String,
    db: TestDb,
}

impl Cluster {
    /// Two nodes started at the same moment on a new database: they also take turns migrating it.
    async fn start() -> Self {
        let db = TestDb::new();
        let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let (mut a, mut b) = (start_node(&db), start_node(&db));
        wait_ready(&client, &mut a).await;
        wait_ready(&client, &mut b).await;
        let login = client
            .post(format!("{}/api/v1/auth/login", a.address))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200);
        let token = access_token(&login.json().await.unwrap());
        Cluster { client, a, b, token, db }
    }

    async fn write(&self, node: &Node, method: Method, path: &str, body: Value) -> Value {
        let res = self
            .client
            .request(method, format!("{}{path}", node.address))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap_or(Value::Null)
    }

    async fn get(&self, node: &Node, path: &str) -> Response {
        self.client.get(format!("{}{path}", node.address)).send().await.unwrap()
    }

    /// A public GET asked twice: the second answer must come from the node's cache (it carries
    /// `Age`), and both must agree. Returns the body.
    async fn get_cached(&self, node: &Node, path: &str) -> Value {
        let first = self.get(node, path).await;
        assert_eq!(first.status(), 200, "{path}");
        let first: Value = first.json().await.unwrap();
        let second = self.get(node, path).await;
        assert_eq!(second.status(), 200, "{path}");
        assert!(second.headers().contains_key("age"), "the repeat of {path} was not served from the cache");
        assert_eq!(second.json::<Value>().await.unwrap(), first, "{path}");
        first
    }
}

fn titles(list: &Value) -> Vec<&str> {
    list["data"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn two_nodes_serve_every_change_on_the_next_request() {
    let cluster = Cluster::start().await;
    let (a, b) = (&cluster.a, &cluster.b);
    let category = cluster.write(a, Method::POST, "/api/v1/categories", json!({"name": "Tin tức"})).await;
    let article = json!({"title": "Lịch tiếp công dân tháng 12", "body": "<p>Thứ Năm hằng tuần.</p>",
                         "category_id": category["id"], "status": "published"});
    let article = cluster.write(a, Method::POST, "/api/v1/articles", article).await;
    let path = format!("/api/v1/articles/{}", article["slug"].as_str().unwrap());
    let list = "/api/v1/articles?per_page=10";

    // Node B keeps both responses...
    assert_eq!(titles(&cluster.get_cached(b, list).await), ["Lịch tiếp công dân tháng 12"]);
    assert_eq!(cluster.get_cached(b, &path).await["body"], "<p>Thứ Năm hằng tuần.</p>");

    // ...and an edit through node A is what B serves next.
    let id = article["id"].as_i64().unwrap();
    cluster
        .write(a, Method::PATCH, &format!("/api/v1/articles/{id}"), json!({"body": "<p>Thứ Năm và thứ Sáu.</p>"}))
        .await;
    assert_eq!(cluster.get_cached(b, &path).await["body"], "<p>Thứ Năm và thứ Sáu.</p>");

    // A new article published through B appears in A's kept list at once.
    assert_eq!(titles(&cluster.get_cached(a, list).await).len(), 1);
    let second = json!({"title": "Thông báo nghỉ lễ", "category_id": category["id"], "status": "published",
                        "body": "<p>Nghỉ một ngày.</p>"});
    cluster.write(b, Method::POST, "/api/v1/articles", second).await;
    assert_eq!(titles(&cluster.get_cached(a, list).await), ["Thông báo nghỉ lễ", "Lịch tiếp công dân tháng 12"]);

    // Unpublishing and deleting through A end B's kept answers.
    cluster.write(a, Method::POST, &format!("/api/v1/articles/{id}/unpublish"), json!({})).await;
    assert_eq!(cluster.get(b, &path).await.status(), 404);
    assert_eq!(titles(&cluster.get_cached(b, list).await), ["Thông báo nghỉ lễ"]);
    cluster.write(a, Method::POST, &format!("/api/v1/articles/{id}/publish"), json!({})).await;
    assert_eq!(titles(&cluster.get_cached(b, list).await).len(), 2);
    let deleted = cluster
        .client
        .delete(format!("{}/api/v1/articles/{id}", a.address))
        .bearer_auth(&cluster.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(cluster.get(b, &path).await.status(), 404);
    assert_eq!(titles(&cluster.get_cached(b, list).await), ["Thông báo nghỉ lễ"]);

    // A renamed category shows in B's kept category list.
    assert_eq!(cluster.get_cached(b, "/api/v1/categories").await["data"][0]["name"], "Tin tức");
    cluster
        .write(
            a,
            Method::PATCH,
            &format!("/api/v1/categories/{}", category["id"]),
            json!({"name": "Tin tức - Sự kiện"}),
        )
        .await;
    assert_eq!(cluster.get_cached(b, "/api/v1/categories").await["data"][0]["name"], "Tin tức - Sự kiện");
}

#[tokio::test]
async fn a_scheduled_article_appears_on_time_on_every_node() {
    let cluster = Cluster::start().await;
    let (a, b) = (&cluster.a, &cluster.b);
    let category = cluster.write(a, Method::POST, "/api/v1/categories", json!({"name": "Thông báo"})).await;
    let due = Utc::now() + chrono::Duration::seconds(2);
    let scheduled = json!({"title": "Lịch cắt điện", "category_id": category["id"], "status": "published",
                           "published_at": due.to_rfc3339(), "body": "<p>Từ 7 giờ đến 11 giờ.</p>"});
    cluster.write(a, Method::POST, "/api/v1/articles", scheduled).await;
    for node in [a, b] {
        assert!(titles(&cluster.get_cached(node, "/api/v1/articles").await).is_empty());
    }
    tokio::time::sleep((due - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(200)).await;
    for node in [a, b] {
        assert_eq!(titles(&cluster.get_cached(node, "/api/v1/articles").await), ["Lịch cắt điện"]);
    }
}

#[tokio::test]
async fn a_procedure_imported_by_the_cli_is_served_at_once() {
    let cluster = Cluster::start().await;
    let b = &cluster.b;
    let file = cluster.db.dir.path().join("procedures.json");
    let import = |name: &str| {
        let record = json!([{"code": "1.000001", "name": name, "field": "Hộ tịch", "agency": "Ủy ban nhân dân cấp xã",
                             "level": "partial"}]);
        std::fs::write(&file, record.to_string()).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_muni"))
            .args(["import", "procedures"])
            .arg(&file)
            .envs(test_env(&cluster.db))
            .current_dir(cluster.db.dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    import("Đăng ký khai sinh");
    assert_eq!(cluster.get_cached(b, "/api/v1/procedures/1.000001").await["name"], "Đăng ký khai sinh");
    import("Đăng ký khai sinh có yếu tố nước ngoài");
    assert_eq!(
        cluster.get_cached(b, "/api/v1/procedures/1.000001").await["name"],
        "Đăng ký khai sinh có yếu tố nước ngoài"
    );
}

#[tokio::test]
async fn only_anonymous_public_answers_are_kept() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let category = crate::categories::create_category(&app, &editor, json!({"name": "Tin tức"})).await;
    let draft = json!({"title": "Bản nháp", "category_id": category["id"], "body": "<p>Chưa đăng.</p>"});
    let draft: Value = app.post_json("/api/v1/articles", &draft, Some(&editor)).await.json().await.unwrap();
    let path = format!("/api/v1/articles/{}", draft["slug"].as_str().unwrap());
    // The editor's view of the draft is neither kept nor served to anyone else.
    for _ in 0..2 {
        let seen = app.get_as(&path, &editor).await;
        assert_eq!(seen.status(), 200);
        assert!(!seen.headers().contains_key("age"));
    }
    assert_problem(app.get(&path).await, 404).await;
    // Conditional requests are answered from the cache too, with the validator the client holds.
    app.post_json(&format!("/api/v1/articles/{}/publish", draft["id"]), &json!({}), Some(&editor)).await;
    let first = app.get(&path).await;
    let etag = first.headers()["etag"].clone();
    let again = app.request(Method::GET, &path, None).header("if-none-match", etag.clone()).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag);
    assert!(again.headers().contains_key("age"));
    // Each encoding is kept apart.
    let gzip = app.request(Method::GET, &path, None).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let identity = app.get(&path).await;
    assert!(!identity.headers().contains_key("content-encoding"));
    assert_eq!(identity.json::<Value>().await.unwrap()["title"], "Bản nháp");
}
