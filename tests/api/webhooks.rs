//! Webhooks: endpoints managed by site admins, events signed as Standard Webhooks says (checked
//! with its published Rust library), delivered in order, retried, failed and disabled, never to an
//! internal address, again after the server is killed mid-delivery, and never twice by two nodes.
//! Every receiver listens on loopback; the servers that send to it run with
//! `MUNI_WEBHOOK_ALLOW_PRIVATE=true`, and the refusals are tested on servers without it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::cache::{start_node_with, wait_ready};
use crate::helpers::*;

/// How the receiver answers one request.
#[derive(Clone, Debug)]
enum Reply {
    Status(u16),
    /// A redirect, which must not be followed.
    Redirect(String),
    /// No answer at all, until the connection is dropped.
    Hang,
    /// 200 and a body of 50 MB, written until the client stops reading.
    Huge,
}

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: http::HeaderMap,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A webhook receiver on a loopback port: it records every request and answers with the replies
/// queued (200 when none is left).
#[derive(Clone)]
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    replies: Arc<Mutex<VecDeque<Reply>>>,
    /// Bytes of huge bodies the client took before it hung up.
    huge_written: Arc<std::sync::atomic::AtomicUsize>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}/hooks/muni", listener.local_addr().unwrap().port());
        let receiver =
            Receiver { url, received: Arc::default(), replies: Arc::default(), huge_written: Arc::default() };
        let shared = receiver.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let shared = shared.clone();
                tokio::spawn(async move { shared.serve(stream).await });
            }
        });
        receiver
    }

    async fn serve(&self, mut stream: tokio::net::TcpStream) {
        loop {
            let mut buffer = Vec::new();
            let head_end = loop {
                if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                    break end + 4;
                }
                let mut chunk = [0u8; 4096];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            };
            let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
            let mut headers = http::HeaderMap::new();
            for line in head.lines().skip(1).filter(|l| !l.is_empty()) {
                let (name, value) = line.split_once(':').unwrap();
                headers.insert(
                    http::HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
                    http::HeaderValue::from_str(value.trim()).unwrap(),
                );
            }
            let length: usize = headers.get("content-length").map_or(0, |v| v.to_str().unwrap().parse().unwrap());
            let mut body = buffer[head_end..].to_vec();
            while body.len() < length {
                let mut chunk = [0u8; 4096];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => body.extend_from_slice(&chunk[..n]),
                }
            }
            self.received.lock().unwrap().push(Received { headers, body: String::from_utf8(body).unwrap() });
            let reply = self.replies.lock().unwrap().pop_front().unwrap_or(Reply::Status(200));
            let answer = match reply {
                Reply::Status(code) => format!("HTTP/1.1 {code} Whatever\r\ncontent-length: 2\r\n\r\nok"),
                Reply::Redirect(to) => format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\n\r\n"),
                Reply::Hang => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return;
                }
                Reply::Huge => {
                    let size = 50 * 1024 * 1024;
                    let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n");
                    if stream.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    let chunk = vec![b'x'; 64 * 1024];
                    let mut written = 0;
                    while written < size && stream.write_all(&chunk).await.is_ok() {
                        written += chunk.len();
                        self.huge_written.store(written, std::sync::atomic::Ordering::SeqCst);
                    }
                    return;
                }
            };
            if stream.write_all(answer.as_bytes()).await.is_err() {
                return;
            }
        }
    }

    fn reply(&self, replies: impl IntoIterator<Item = Reply>) {
        self.replies.lock().unwrap().extend(replies);
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `enough` holds for what was received, and returns it.
    async fn wait_for(&self, what: &str, enough: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if enough(&received) {
                return received;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "waited 30 s for {what}; received {received:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The event types of the bodies received, in order.
fn types(received: &[Received]) -> Vec<String> {
    received.iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect()
}

/// Checks a request with the Standard Webhooks library, as a receiver would.
fn verify(secret: &str, received: &Received) {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(received.body.as_bytes(), &received.headers)
        .unwrap_or_else(|e| panic!("the signature does not verify: {e:?}"));
}

/// A server that sends webhooks to loopback, quickly.
async fn sending_app(tweak: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    spawn_app_with(|env| {
        env.insert("MUNI_WEBHOOK_WORKER".into(), "on".into());
        env.insert("MUNI_WEBHOOK_ALLOW_PRIVATE".into(), "true".into());
        env.insert("MUNI_WEBHOOK_POLL".into(), "50ms".into());
        env.insert("MUNI_WEBHOOK_TIMEOUT".into(), "2s".into());
        tweak(env);
    })
    .await
}

/// Registers an endpoint and returns it with its secret.
async fn register(app: &TestApp, token: &str, body: Value) -> Value {
    let res = app.post_json("/api/v1/webhooks", &body, Some(token)).await;
    assert_eq!(res.status(), 201, "register {body}");
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/api/v1/webhooks/"));
    res.json().await.unwrap()
}

async fn category(app: &TestApp, token: &str) -> Value {
    crate::categories::create_category(app, token, json!({"name": "Tin tức"})).await
}

async fn article(app: &TestApp, token: &str, category: &Value, title: &str) -> i64 {
    let body =
        json!({"title": title, "category_id": category["id"], "body": "<p>Nội dung.</p>", "status": "published"});
    let res = app.post_json("/api/v1/articles", &body, Some(token)).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// The endpoint's deliveries, newest first.
async fn deliveries(app: &TestApp, token: &str, endpoint: &Value, query: &str) -> Vec<Value> {
    let res = app.get_as(&format!("/api/v1/webhooks/{}/deliveries?per_page=100{query}", endpoint["id"]), token).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"].as_array().unwrap().clone()
}

async fn wait_for_delivery(
    app: &TestApp,
    token: &str,
    endpoint: &Value,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let list = deliveries(app, token, endpoint, "").await;
        if done(&list) {
            return list;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "waited 30 s for {what}: {list:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn site_admins_manage_endpoints_and_see_the_secret_once() {
    let app = sending_app(|_| {}).await;
    let receiver = Receiver::start().await;
    let admin = app.admin_token().await;
    let created = register(
        &app,
        &admin,
        json!({"url": receiver.url, "description": "Cổng thông tin", "event_types": ["article.published", "article.updated"]}),
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["status"], "active");
    assert_eq!(created["event_types"], json!(["article.published", "article.updated"]));
    let path = format!("/api/v1/webhooks/{}", created["id"]);
    let read: Value = app.get_as(&path, &admin).await.json().await.unwrap();
    assert!(read.get("secret").is_none(), "the secret is shown once: {read}");
    assert!(!read.to_string().contains(&secret[6..]));
    let list: Value = app.get_as("/api/v1/webhooks", &admin).await.json().await.unwrap();
    assert_eq!(list["meta"]["total"], 1);

    // Changes; a ping arrives signed with the secret.
    let res = app.patch_json(&path, &json!({"description": "Cổng tỉnh", "event_types": []}), Some(&admin)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["event_types"], json!([]));
    let res = app.request(Method::POST, &format!("{path}/ping"), Some(&admin)).send().await.unwrap();
    assert_eq!(res.status(), 202);
    let ping = &receiver.wait_for("the ping", |r| !r.is_empty()).await[0];
    verify(&secret, ping);
    assert_eq!(ping.json()["type"], "webhook.ping");

    // A new secret: the old one no longer verifies.
    let rotated: Value = app
        .request(Method::POST, &format!("{path}/rotate-secret"), Some(&admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    app.request(Method::POST, &format!("{path}/ping"), Some(&admin)).send().await.unwrap();
    let second = receiver.wait_for("the second ping", |r| r.len() == 2).await[1].clone();
    verify(&new_secret, &second);
    assert!(standardwebhooks::Webhook::new(&secret).unwrap().verify(second.body.as_bytes(), &second.headers).is_err());

    // Pause and resume are steps with a 409 when not allowed.
    let res = app.request(Method::POST, &format!("{path}/pause"), Some(&admin)).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "paused");
    assert_problem(app.request(Method::POST, &format!("{path}/pause"), Some(&admin)).send().await.unwrap(), 409).await;
    let res = app.request(Method::POST, &format!("{path}/resume"), Some(&admin)).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "active");
    assert_problem(app.request(Method::POST, &format!("{path}/resume"), Some(&admin)).send().await.unwrap(), 409).await;

    // Who may not: no token, an editor, an admin bound to another site.
    let body = json!({"url": receiver.url});
    assert_problem(app.post_json("/api/v1/webhooks", &body, None).await, 401).await;
    let editor = app.token_for("editor").await;
    assert_problem(app.post_json("/api/v1/webhooks", &body, Some(&editor)).await, 403).await;
    assert_problem(app.get_as(&path, &editor).await, 403).await;
    let other: Value = app
        .post_json("/api/v1/sites", &json!({"code": "xa-an-binh", "name": "Xã An Bình"}), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    app.create_user("admin-xa@phuong.test", "admin", other["id"].as_i64()).await;
    let other_admin = access_token(&app.login_ok("admin-xa@phuong.test", PASSWORD).await);
    assert_problem(app.get_as(&path, &other_admin).await, 403).await;
    let theirs: Value = app.get_as("/api/v1/webhooks", &other_admin).await.json().await.unwrap();
    assert_eq!(theirs["meta"]["total"], 0, "a site's admins see their site's endpoints only");
    let own = register(&app, &other_admin, json!({"url": receiver.url})).await;
    assert_eq!(own["site"]["code"], "xa-an-binh");

    // Bad input, every fault at once.
    let problem = assert_problem(
        app.post_json(
            "/api/v1/webhooks",
            &json!({"url": "ftp://example.vn/x", "description": "x".repeat(501), "event_types": ["webhook.ping"]}),
            Some(&admin),
        )
        .await,
        422,
    )
    .await;
    let fields = field_errors(&problem);
    for field in ["url", "description", "event_types"] {
        assert!(fields.iter().any(|f| f.starts_with(field)), "{field}: {problem}");
    }
    let problem = assert_problem(
        app.post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "event_types": ["article.eaten"]}),
            Some(&admin),
        )
        .await,
        422,
    )
    .await;
    assert!(field_errors(&problem).iter().any(|f| f.starts_with("event_types")), "{problem}");

    let types: Value = app.get_as("/api/v1/webhooks/event-types", &admin).await.json().await.unwrap();
    assert!(types.as_array().unwrap().iter().any(|t| t["name"] == "event.cancelled"));

    let res = app.request(Method::DELETE, &path, Some(&admin)).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as(&path, &admin).await, 404).await;
}

#[tokio::test]
async fn internal_addresses_are_refused_without_the_setting() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://127.1:9/hook",
        "http://2130706433:9/hook",
        "http://[::1]:9/hook",
        "http://0x7f.0.0.1:9/hook",
        "http://[::ffff:127.0.0.1]:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.8/hook",
        "http://192.168.1.10/hook",
    ] {
        let problem =
            assert_problem(app.post_json("/api/v1/webhooks", &json!({"url": url}), Some(&admin)).await, 422).await;
        let detail = problem["errors"][0].to_string();
        assert_eq!(problem["errors"][0]["field"], "url", "{url}: {problem}");
        assert!(
            ["loopback", "private", "link-local"].iter().any(|w| detail.contains(w)),
            "{url} is refused and says why: {problem}"
        );
    }
    let list: Value = app.get_as("/api/v1/webhooks", &admin).await.json().await.unwrap();
    assert_eq!(list["meta"]["total"], 0);
}

/// An endpoint stored before the setting was turned off (or whose name now resolves inside) is
/// refused when the worker sends, and the receiver gets nothing.
#[tokio::test]
async fn the_worker_refuses_internal_addresses_at_delivery_too() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_WEBHOOK_WORKER".into(), "on".into());
        env.insert("MUNI_WEBHOOK_POLL".into(), "50ms".into());
    })
    .await;
    let receiver = Receiver::start().await;
    let admin = app.admin_token().await;
    let mut conn = app.db.connect();
    let url = receiver.url.replace("127.0.0.1", "localhost");
    use diesel::RunQueryDsl;
    diesel::sql_query(format!(
        "INSERT INTO webhook_endpoints (url, description, event_types, secret_sealed, status, created_at, updated_at) \
         VALUES ('{url}', '', '[]', 'sealed', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    ))
    .execute(&mut conn)
    .unwrap();
    let list: Value = app.get_as("/api/v1/webhooks", &admin).await.json().await.unwrap();
    let endpoint = list["data"][0].clone();
    let path = format!("/api/v1/webhooks/{}", endpoint["id"]);
    app.request(Method::POST, &format!("{path}/ping"), Some(&admin)).send().await.unwrap();
    let list = wait_for_delivery(&app, &admin, &endpoint, "the refused attempt", |d| {
        d.first().is_some_and(|d| d["attempt_count"].as_i64() >= Some(1))
    })
    .await;
    let error = list[0]["last_error"].as_str().unwrap();
    assert!(error.contains("loopback"), "{error}");
    assert_eq!(list[0]["last_status_code"], Value::Null);
    assert!(receiver.received().is_empty(), "nothing reached the receiver");
}

#[tokio::test]
async fn events_arrive_signed_in_order_and_without_personal_data() {
    let (app, _moderator) = crate::feedback::with_topic(|env| {
        env.insert("MUNI_WEBHOOK_WORKER".into(), "on".into());
        env.insert("MUNI_WEBHOOK_ALLOW_PRIVATE".into(), "true".into());
        env.insert("MUNI_WEBHOOK_POLL".into(), "50ms".into());
    })
    .await;
    let receiver = Receiver::start().await;
    let admin = app.admin_token().await;
    let editor = app.token_for("editor").await;
    app.patch_json(
        "/api/v1/sites/phuong-hoa-binh",
        &json!({"public_url": "https://phuong.example.vn", "page_urls": {"article": "/tin-tuc/{slug}"}}),
        Some(&admin),
    )
    .await;
    let endpoint = register(&app, &admin, json!({"url": receiver.url})).await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();

    let news = category(&app, &editor).await;
    let id = article(&app, &editor, &news, "Lịch tiếp công dân tháng 12").await;
    // `object` is the resource as the public sees it when the event is sent (within moments of
    // the commit; a later change may overtake it, as in the change feed).
    let published = receiver.wait_for("the publication", |r| r.len() >= 2).await[1].json();
    assert_eq!(published["data"]["id"], id);
    assert_eq!(published["data"]["object"]["title"], "Lịch tiếp công dân tháng 12");
    assert_eq!(published["data"]["site"]["code"], "phuong-hoa-binh");
    assert!(
        published["data"]["url"].as_str().unwrap().starts_with("https://phuong.example.vn/tin-tuc/"),
        "{published}"
    );
    let res = app
        .patch_json(&format!("/api/v1/articles/{id}"), &json!({"title": "Lịch tiếp công dân (sửa)"}), Some(&editor))
        .await;
    assert_eq!(res.status(), 200);
    let res =
        app.request(Method::POST, &format!("/api/v1/articles/{id}/unpublish"), Some(&editor)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let draft = json!({"title": "Bản nháp", "category_id": news["id"], "body": "<p>x</p>", "status": "draft"});
    assert_eq!(app.post_json("/api/v1/articles", &draft, Some(&editor)).await.status(), 201);
    let event =
        crate::events::create_event(&app, &editor, json!({"title": "Tiếp công dân", "starts_at": "2026-12-03T08:00"}))
            .await;
    let res = app
        .request(Method::POST, &format!("/api/v1/events/{}/cancel", event["id"]), Some(&editor))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let submitted = app.post_json("/api/v1/feedback", &crate::feedback::submission("Rác ở đầu ngõ"), None).await;
    assert_eq!(submitted.status(), 201);

    let expected = [
        "category.created",
        "article.published",
        "article.updated",
        "article.unpublished",
        "event.published",
        "event.cancelled",
        "feedback.received",
    ];
    let received = receiver.wait_for("every event", |r| r.len() >= expected.len()).await;
    assert_eq!(types(&received), expected, "in commit order; the draft told nobody");
    for r in &received {
        verify(&secret, r);
        assert!(r.header("webhook-id").starts_with("msg_"));
    }
    assert_eq!(received[3].json()["data"]["object"], Value::Null, "an unpublished article is not sent");
    let feedback = &received[6];
    assert_eq!(feedback.json()["data"]["object"], Value::Null);
    for personal in ["Nguyễn Văn Bình", "0912", "Rác ở đầu ngõ"] {
        assert!(!feedback.body.contains(personal), "feedback.received carries no personal data: {}", feedback.body);
    }
    // The cursors follow the change log's order.
    let cursors: Vec<(i64, i64)> = received
        .iter()
        .map(|r| {
            let c = r.json()["data"]["cursor"].as_str().unwrap().to_owned();
            let (t, i) = c.split_once('.').unwrap();
            (t.parse().unwrap(), i.parse().unwrap())
        })
        .collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");

    // Each delivery is listed with the endpoint's answer, and one can be sent again as it was.
    let list = wait_for_delivery(&app, &admin, &endpoint, "all delivered", |d| {
        d.len() == expected.len() && d.iter().all(|d| d["status"] == "delivered")
    })
    .await;
    assert!(list.iter().all(|d| d["last_status_code"] == 200 && d["attempt_count"] == 1));
    let first = list.last().unwrap();
    let detail: Value = app
        .get_as(&format!("/api/v1/webhooks/{}/deliveries/{}", endpoint["id"], first["id"]), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(detail["payload"]["type"], "category.created");
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/webhooks/{}/deliveries/{}/redeliver", endpoint["id"], first["id"]),
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let again = receiver.wait_for("the redelivery", |r| r.len() > expected.len()).await;
    let again = again.last().unwrap();
    assert_eq!(again.header("webhook-id"), received[0].header("webhook-id"), "the same message");
    assert_eq!(again.body, received[0].body);
    verify(&secret, again);
}

#[tokio::test]
async fn failures_are_retried_redirects_are_not_followed_and_a_failing_endpoint_is_disabled() {
    let app = sending_app(|env| {
        env.insert("MUNI_WEBHOOK_RETRY_SCHEDULE".into(), "100ms,100ms,100ms".into());
        env.insert("MUNI_WEBHOOK_DISABLE_AFTER".into(), "1h".into());
    })
    .await;
    let receiver = Receiver::start().await;
    let elsewhere = Receiver::start().await;
    let admin = app.admin_token().await;
    let editor = app.token_for("editor").await;
    let endpoint = register(&app, &admin, json!({"url": receiver.url, "event_types": ["article.published"]})).await;
    receiver.reply([Reply::Status(500), Reply::Redirect(elsewhere.url.clone()), Reply::Status(503)]);
    let news = category(&app, &editor).await;
    let first = article(&app, &editor, &news, "Bài một").await;
    let second = article(&app, &editor, &news, "Bài hai").await;
    let received = receiver.wait_for("four attempts and the next event", |r| r.len() >= 5).await;
    let ids: Vec<i64> = received.iter().map(|r| r.json()["data"]["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [first, first, first, first, second], "the second waits behind the first");
    assert!(elsewhere.received().is_empty(), "the redirect was not followed");
    let list =
        wait_for_delivery(&app, &admin, &endpoint, "both delivered", |d| d.iter().all(|d| d["status"] == "delivered"))
            .await;
    let detail: Value = app
        .get_as(&format!("/api/v1/webhooks/{}/deliveries/{}", endpoint["id"], list[1]["id"]), &admin)
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<Value> = detail["attempts"].as_array().unwrap().iter().map(|a| a["status_code"].clone()).collect();
    assert_eq!(codes, [json!(500), json!(302), json!(503), json!(200)]);

    // An endpoint that keeps failing: the delivery fails after the schedule, and once it has
    // failed for longer than allowed, the endpoint is disabled and says why.
    let app = sending_app(|env| {
        env.insert("MUNI_WEBHOOK_RETRY_SCHEDULE".into(), "100ms,100ms".into());
        env.insert("MUNI_WEBHOOK_DISABLE_AFTER".into(), "150ms".into());
    })
    .await;
    let admin = app.admin_token().await;
    let editor = app.token_for("editor").await;
    let broken = Receiver::start().await;
    broken.reply(std::iter::repeat_n(Reply::Status(500), 100));
    let endpoint = register(&app, &admin, json!({"url": broken.url, "event_types": ["article.published"]})).await;
    let news = category(&app, &editor).await;
    article(&app, &editor, &news, "Bài ba").await;
    let path = format!("/api/v1/webhooks/{}", endpoint["id"]);
    let started = Instant::now();
    let disabled = loop {
        let read: Value = app.get_as(&path, &admin).await.json().await.unwrap();
        if read["status"] == "disabled" {
            break read;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "not disabled: {read}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(disabled["disabled_reason"].as_str().unwrap().contains("500"), "{disabled}");
    assert!(disabled["failing_since"].is_string());
    let failed = deliveries(&app, &admin, &endpoint, "&status=failed").await;
    let pending = deliveries(&app, &admin, &endpoint, "&status=pending").await;
    assert_eq!(failed.len() + pending.len(), 1);
    // Resumed, it is active again and its failing streak forgotten.
    let resumed: Value =
        app.request(Method::POST, &format!("{path}/resume"), Some(&admin)).send().await.unwrap().json().await.unwrap();
    assert_eq!(resumed["status"], "active");
    assert_eq!(resumed["failing_since"], Value::Null);
}

#[tokio::test]
async fn answers_are_bounded_in_time_and_size() {
    let app = sending_app(|env| {
        env.insert("MUNI_WEBHOOK_TIMEOUT".into(), "500ms".into());
        env.insert("MUNI_WEBHOOK_RETRY_SCHEDULE".into(), "100ms".into());
    })
    .await;
    let receiver = Receiver::start().await;
    let admin = app.admin_token().await;
    let endpoint = register(&app, &admin, json!({"url": receiver.url})).await;
    let path = format!("/api/v1/webhooks/{}", endpoint["id"]);
    receiver.reply([Reply::Hang, Reply::Huge]);
    app.request(Method::POST, &format!("{path}/ping"), Some(&admin)).send().await.unwrap();
    let list = wait_for_delivery(&app, &admin, &endpoint, "the ping delivered", |d| {
        d.first().is_some_and(|d| d["status"] == "delivered")
    })
    .await;
    let detail: Value = app.get_as(&format!("{path}/deliveries/{}", list[0]["id"]), &admin).await.json().await.unwrap();
    let attempts = detail["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{detail}");
    assert_eq!(attempts[0]["status_code"], Value::Null);
    assert!(attempts[0]["error"].as_str().unwrap().contains("timed out"), "{detail}");
    assert!(attempts[0]["duration_ms"].as_i64().unwrap() < 5_000);
    assert_eq!(attempts[1]["status_code"], 200);
    // The 50 MB answer was not read: the worker hung up after its cap (what the socket buffers took aside).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let written = receiver.huge_written.load(std::sync::atomic::Ordering::SeqCst);
    assert!(written < 20 * 1024 * 1024, "{written} bytes were taken");
}

#[tokio::test]
async fn a_scheduled_article_tells_its_endpoints_when_it_comes_due() {
    let app = sending_app(|_| {}).await;
    let receiver = Receiver::start().await;
    let admin = app.admin_token().await;
    let editor = app.token_for("editor").await;
    register(&app, &admin, json!({"url": receiver.url, "event_types": ["article.published"]})).await;
    let news = category(&app, &editor).await;
    let due = chrono::Utc::now() + chrono::Duration::seconds(2);
    let body = json!({"title": "Thông báo hẹn giờ", "category_id": news["id"], "body": "<p>x</p>",
                      "status": "published", "published_at": due.to_rfc3339()});
    let res = app.post_json("/api/v1/articles", &body, Some(&editor)).await;
    assert_eq!(res.status(), 201);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(receiver.received().is_empty(), "nothing before it is due");
    let received = receiver.wait_for("the release", |r| !r.is_empty()).await;
    assert!(chrono::Utc::now() >= due);
    assert_eq!(types(&received), ["article.published"]);
    assert_eq!(received[0].json()["data"]["object"]["title"], "Thông báo hẹn giờ");
}

/// Two API nodes (processes) on one database, both running the worker: every event reaches the
/// endpoint once, in commit order.
#[tokio::test]
async fn two_nodes_never_send_an_event_twice() {
    let db = TestDb::new();
    let settings =
        [("MUNI_WEBHOOK_WORKER", "on"), ("MUNI_WEBHOOK_ALLOW_PRIVATE", "true"), ("MUNI_WEBHOOK_POLL", "20ms")];
    let (mut a, mut b) = (start_node_with(&db, &settings), start_node_with(&db, &settings));
    let client = reqwest::Client::new();
    wait_ready(&client, &mut a).await;
    wait_ready(&client, &mut b).await;
    let login = client
        .post(format!("{}/api/v1/auth/login", a.address))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = access_token(&login.json().await.unwrap());
    let receivers = [Receiver::start().await, Receiver::start().await];
    for receiver in &receivers {
        let res = client
            .post(format!("{}/api/v1/webhooks", a.address))
            .bearer_auth(&token)
            .json(&json!({"url": receiver.url, "event_types": ["article.published"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let news: Value = client
        .post(format!("{}/api/v1/categories", b.address))
        .bearer_auth(&token)
        .json(&json!({"name": "Tin tức"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Writers on both nodes at once.
    let mut writers = tokio::task::JoinSet::new();
    for (n, node) in [a.address.clone(), b.address.clone()].into_iter().cycle().take(4).enumerate() {
        let (client, token, category) = (client.clone(), token.clone(), news["id"].clone());
        writers.spawn(async move {
            let mut ids = Vec::new();
            for i in 0..10 {
                let body = json!({"title": format!("Tin {n}-{i}"), "category_id": category, "body": "<p>x</p>", "status": "published"});
                let res = client.post(format!("{node}/api/v1/articles")).bearer_auth(&token).json(&body).send().await.unwrap();
                assert_eq!(res.status(), 201);
                ids.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
            }
            ids
        });
    }
    let mut written = HashSet::new();
    while let Some(ids) = writers.join_next().await {
        written.extend(ids.unwrap());
    }
    assert_eq!(written.len(), 40);
    for receiver in &receivers {
        receiver.wait_for("40 events", |r| r.len() >= 40).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let received = receiver.received();
        let ids: Vec<String> = received.iter().map(|r| r.header("webhook-id")).collect();
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "no message twice");
        let articles: HashSet<i64> = received.iter().map(|r| r.json()["data"]["id"].as_i64().unwrap()).collect();
        assert_eq!(articles, written, "every article once");
        let cursors: Vec<(i64, i64)> = received
            .iter()
            .map(|r| {
                let c = r.json()["data"]["cursor"].as_str().unwrap().to_owned();
                let (t, i) = c.split_once('.').unwrap();
                (t.parse().unwrap(), i.parse().unwrap())
            })
            .collect();
        assert!(cursors.windows(2).all(|w| w[0] < w[1]), "in commit order: {cursors:?}");
    }
}

/// A node killed while it waits for the endpoint's answer: once its claim lapses, the restarted
/// node sends the same message again, and it is delivered.
#[tokio::test]
async fn a_delivery_in_flight_survives_a_killed_server() {
    let db = TestDb::new();
    let settings = [
        ("MUNI_WEBHOOK_WORKER", "on"),
        ("MUNI_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("MUNI_WEBHOOK_POLL", "50ms"),
        ("MUNI_WEBHOOK_TIMEOUT", "30s"),
        ("MUNI_WEBHOOK_LEASE", "1s"),
    ];
    let client = reqwest::Client::new();
    let mut node = start_node_with(&db, &settings);
    wait_ready(&client, &mut node).await;
    let login = client
        .post(format!("{}/api/v1/auth/login", node.address))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = access_token(&login.json().await.unwrap());
    let receiver = Receiver::start().await;
    receiver.reply([Reply::Hang]);
    let res = client
        .post(format!("{}/api/v1/webhooks", node.address))
        .bearer_auth(&token)
        .json(&json!({"url": receiver.url, "event_types": ["category.created"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = client
        .post(format!("{}/api/v1/categories", node.address))
        .bearer_auth(&token)
        .json(&json!({"name": "Thông báo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let first = receiver.wait_for("the first attempt", |r| !r.is_empty()).await[0].clone();
    // Killed mid-delivery: the receiver has the request and has not answered.
    node.child.kill().unwrap();
    node.child.wait().unwrap();
    let mut restarted = start_node_with(&db, &settings);
    wait_ready(&client, &mut restarted).await;
    let received = receiver.wait_for("the message again", |r| r.len() >= 2).await;
    assert_eq!(received[1].header("webhook-id"), first.header("webhook-id"));
    assert_eq!(received[1].body, first.body);
    // The restarted node records it delivered.
    let started = Instant::now();
    loop {
        let list: Value = client
            .get(format!("{}/api/v1/webhooks", restarted.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = list["data"][0]["id"].clone();
        let deliveries: Value = client
            .get(format!("{}/api/v1/webhooks/{id}/deliveries", restarted.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if deliveries["data"][0]["status"] == "delivered" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{deliveries}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
