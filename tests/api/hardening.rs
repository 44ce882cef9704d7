//! What an outside probe found, kept fixed: shared responses that request headers could poison,
//! check-then-write races (run on PostgreSQL, where they showed), control characters, the login
//! throttle, slow clients, repeated submissions, the data key, and the headers a public API sends.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use muni::config::Config;
use muni::startup::Application;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn seeded() -> TestApp {
    let app = spawn_app().await;
    muni::seed::seed_demo(&mut app.db.connect(), 1, &app.media_store()).unwrap();
    app
}

fn link(res: &reqwest::Response) -> String {
    res.headers().get("link").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn request_headers_cannot_poison_what_the_cache_serves_to_others() {
    let app = seeded().await;
    let path = "/api/v1/procedures?per_page=3";
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let forged: [(&str, String); 5] = [
        ("x-forwarded-host", "evil.example".into()),
        ("x-forwarded-proto", "javascript".into()),
        ("forwarded", "host=evil.example;proto=javascript".into()),
        ("x-forwarded-prefix", "/evil".into()),
        ("host", format!("a\"><script>x</script>:{port}")),
    ];
    let mut poisoned = app.client.get(app.url(path));
    for (name, value) in &forged {
        poisoned = poisoned.header(*name, value);
    }
    let first = poisoned.send().await.unwrap();
    assert_eq!(first.status(), 200);
    let first_link = link(&first);
    assert!(first_link.starts_with("</api/v1/procedures?"), "relative references only: {first_link}");
    for bad in ["evil", "javascript", "script"] {
        assert!(!first_link.contains(bad), "`{bad}` reflected in {first_link}");
    }
    // The next clean request is answered from the cache, and gets the same clean links.
    let clean = app.get(path).await;
    assert!(clean.headers().contains_key("age"), "answered from the cache");
    assert_eq!(link(&clean), first_link);
    let body = clean.text().await.unwrap();
    assert!(!body.contains("evil") && !body.contains("javascript"), "{body}");

    // Behind a trusted proxy too: absolute links come from the configured public URL alone.
    let app = spawn_app_with(|env| {
        env.insert("MUNI_TRUST_PROXY".into(), "true".into());
        env.insert("MUNI_PUBLIC_URL".into(), "https://api.phuong-hoa-binh.gov.vn".into());
    })
    .await;
    muni::seed::seed_demo(&mut app.db.connect(), 1, &app.media_store()).unwrap();
    let mut request = app.client.get(app.url(path));
    for (name, value) in &forged[..4] {
        request = request.header(*name, value);
    }
    let proxied = link(&request.send().await.unwrap());
    assert!(proxied.starts_with("<https://api.phuong-hoa-binh.gov.vn/api/v1/procedures?"), "{proxied}");
    assert!(!proxied.contains("evil") && !proxied.contains("javascript"), "{proxied}");
}

#[tokio::test]
async fn a_public_url_that_is_not_http_is_refused_at_start() {
    let db = TestDb::new();
    for bad in ["javascript://x", "ftp://api.example", "https://api.example/?q=1", "not a url"] {
        let mut env = test_env(&db);
        env.insert("MUNI_PUBLIC_URL".into(), bad.into());
        let error = Config::from_lookup(|k| env.get(k).cloned()).err().unwrap_or_else(|| panic!("{bad} accepted"));
        assert!(error.0.contains("MUNI_PUBLIC_URL"), "{}", error.0);
    }
}

struct Desk {
    app: TestApp,
    editor: String,
    category: i64,
}

async fn desk() -> Desk {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let res = app.post_json("/api/v1/categories", &json!({"name": "Tin hoạt động"}), Some(&editor)).await;
    assert_eq!(res.status(), 201);
    let category = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    Desk { app, editor, category }
}

impl Desk {
    async fn article(&self, title: &str) -> reqwest::Response {
        let body = json!({"title": title, "category_id": self.category, "body": "<p>Nội dung.</p>"});
        self.app.post_json("/api/v1/articles", &body, Some(&self.editor)).await
    }
}

/// Sends `n` copies of a request at once and counts the answers by status.
async fn at_once(n: usize, make: impl Fn(usize) -> reqwest::RequestBuilder) -> (HashMap<u16, usize>, Vec<Value>) {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let request = make(i);
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let res = request.send().await.unwrap();
                let status = res.status().as_u16();
                (status, res.json::<Value>().await.unwrap_or(Value::Null))
            })
        })
        .collect();
    let (mut counts, mut bodies) = (HashMap::new(), vec![]);
    for task in tasks {
        let (status, body) = task.await.unwrap();
        *counts.entry(status).or_insert(0) += 1;
        bodies.push(body);
    }
    (counts, bodies)
}

#[tokio::test]
async fn concurrent_patches_with_one_if_match_let_exactly_one_through() {
    let desk = desk().await;
    for trial in 0..5 {
        let article: Value = desk.article(&format!("Bài thử {trial}")).await.json().await.unwrap();
        let path = format!("/api/v1/articles/{}", article["id"]);
        let etag = desk.app.get_as(&path, &desk.editor).await.headers()["etag"].to_str().unwrap().to_owned();
        let (counts, _) = at_once(10, |i| {
            desk.app
                .request(Method::PATCH, &path, Some(&desk.editor))
                .header("if-match", &etag)
                .json(&json!({"title": format!("Sửa bởi người thứ {i}")}))
        })
        .await;
        assert_eq!(counts.get(&200), Some(&1), "trial {trial}: {counts:?}");
        assert_eq!(counts.get(&412), Some(&9), "trial {trial}: {counts:?}");
    }
}

#[tokio::test]
async fn concurrent_lifecycle_steps_take_effect_once() {
    let desk = desk().await;
    let article: Value = desk.article("Kế hoạch tiêm chủng").await.json().await.unwrap();
    let path = format!("/api/v1/articles/{}/publish", article["id"]);
    let (counts, _) = at_once(10, |_| desk.app.request(Method::POST, &path, Some(&desk.editor))).await;
    assert_eq!((counts.get(&200), counts.get(&409)), (Some(&1), Some(&9)), "{counts:?}");

    let event =
        json!({"title": "Họp giao ban", "starts_at": "2027-01-04T08:00:00+07:00", "chair": "Chủ tịch UBND phường"});
    let res = desk.app.post_json("/api/v1/events", &event, Some(&desk.editor)).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].clone();
    let path = format!("/api/v1/events/{id}/cancel");
    let (counts, bodies) = at_once(10, |_| desk.app.request(Method::POST, &path, Some(&desk.editor))).await;
    assert_eq!((counts.get(&200), counts.get(&409)), (Some(&1), Some(&9)), "{counts:?}");
    let cancelled = bodies.iter().find(|b| b["status"] == "cancelled").unwrap();
    assert_eq!(cancelled["sequence"], 1, "one change, one new sequence number");
}

#[tokio::test]
async fn concurrent_same_names_get_unique_slugs_on_both_engines() {
    let desk = desk().await;
    let (counts, bodies) = at_once(50, |_| {
        desk.app.request(Method::POST, "/api/v1/categories", Some(&desk.editor)).json(&json!({"name": "Thông báo"}))
    })
    .await;
    assert_eq!(counts.get(&201), Some(&50), "{counts:?}");
    let slugs: std::collections::HashSet<_> = bodies.iter().map(|b| b["slug"].as_str().unwrap().to_owned()).collect();
    assert_eq!(slugs.len(), 50);

    let (counts, bodies) = at_once(30, |_| {
        let body = json!({"title": "Lịch tiếp công dân", "category_id": desk.category, "body": "<p>Nội dung.</p>"});
        desk.app.request(Method::POST, "/api/v1/articles", Some(&desk.editor)).json(&body)
    })
    .await;
    assert_eq!(counts.get(&201), Some(&30), "{counts:?}");
    let slugs: std::collections::HashSet<_> = bodies.iter().map(|b| b["slug"].as_str().unwrap().to_owned()).collect();
    assert_eq!(slugs.len(), 30);
}

#[tokio::test]
async fn concurrent_imports_of_one_procedure_all_succeed() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let row = json!([{"code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "field": "Hộ tịch",
                      "agency": "Ủy ban nhân dân cấp xã", "processing_time": "Trong ngày", "level": "full"}]);
    let (counts, _) = at_once(20, |_| {
        app.request(Method::POST, "/api/v1/procedures/import", Some(&editor))
            .header("content-type", "application/json")
            .body(row.to_string())
    })
    .await;
    assert_eq!(counts.get(&200), Some(&20), "{counts:?}");
    let listed = app.get_found("/api/v1/procedures?q=khai+sinh").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn control_characters_are_refused_everywhere_and_never_stored() {
    let app = seeded().await;
    for path in [
        "/api/v1/sites/a%00",
        "/api/v1/articles?site=a%00",
        "/api/v1/events?chair=%00",
        "/api/v1/feedback/track/a%00",
        "/open311/v2/services/a%00.json",
        "/api/v1/procedures?q=x%7F",
        "/api/v1/articles/a%0Ab",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 400, "{path}");
        assert_problem(res, 400).await;
    }
    let editor = app.token_for("editor").await;
    let res = app.login("admin\u{0}@phuong.test", "x").await;
    assert_eq!(field_errors(&assert_problem(res, 422).await), ["email:invalid_characters"]);
    let res = app.post_json("/api/v1/categories", &json!({"name": "Cat\u{0}nul"}), Some(&editor)).await;
    assert_eq!(field_errors(&assert_problem(res, 422).await), ["name:invalid_characters"]);
    let res = app
        .post_json(
            "/api/v1/articles",
            &json!({"title": "A\u{8}", "category_id": 1, "body": "<p>x\u{0}</p>"}),
            Some(&editor),
        )
        .await;
    assert_eq!(field_errors(&assert_problem(res, 422).await), ["body:invalid_characters", "title:invalid_characters"]);
    let question = json!({"title": "Hỏi", "question": "x\u{0}", "asker": {"name": "A\u{1}"}, "consent": true});
    let res = app.post_json("/api/v1/questions", &question, None).await;
    assert_eq!(
        field_errors(&assert_problem(res, 422).await),
        ["asker.name:invalid_characters", "question:invalid_characters"]
    );
    let feedback = json!({"kind": "other", "title": "T", "content": "line one\nline two\u{0}", "consent": true});
    let res = app.post_json("/api/v1/feedback", &feedback, None).await;
    assert_eq!(field_errors(&assert_problem(res, 422).await), ["content:invalid_characters"]);
    let form = [("service_code", "x"), ("description", "a\u{0}b")];
    let res = app.client.post(app.url("/open311/v2/requests.json")).form(&form).send().await.unwrap();
    assert_eq!(field_errors(&assert_problem(res, 422).await), ["description:invalid_characters"]);
    // Line breaks and tabs are text, not controls.
    let res = app.post_json("/api/v1/categories", &json!({"name": "Hai\tdòng"}), Some(&editor)).await;
    assert_eq!(res.status(), 201);

    use muni::db::schema::categories;
    let names: Vec<String> = categories::table.select(categories::name).load(&mut app.db.connect()).unwrap();
    assert!(names.iter().all(|n| !n.contains('\0')), "{names:?}");
}

#[tokio::test]
async fn login_input_is_bounded_and_the_throttle_store_keeps_fixed_size_keys() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_TRUST_PROXY".into(), "true".into());
    })
    .await;
    let long = format!("{}@phuong.test", "a".repeat(2_800));
    let problem = assert_problem(app.login(&long, "wrong").await, 422).await;
    assert_eq!(field_errors(&problem), ["email:too_long"]);
    for i in 0..30 {
        let email = format!("{}-{i}@phuong.test", "b".repeat(230));
        let res = app
            .request(Method::POST, "/api/v1/auth/login", None)
            .header("x-forwarded-for", format!("127.0.3.{i}"))
            .json(&json!({"email": email, "password": "wrong"}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 401).await;
    }
    use muni::db::schema::login_throttles;
    let keys: Vec<String> = login_throttles::table.select(login_throttles::key).load(&mut app.db.connect()).unwrap();
    assert!(!keys.is_empty());
    assert!(keys.iter().all(|k| k.len() <= 80), "keys are hashes, not the emails sent: {keys:?}");
    assert!(keys.iter().all(|k| !k.contains("bbbb") && !k.contains("phuong")), "{keys:?}");
}

#[tokio::test]
async fn wrong_passwords_from_other_addresses_cannot_keep_the_owner_out() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_TRUST_PROXY".into(), "true".into());
        env.insert("MUNI_LOGIN_MAX_FAILURES".into(), "3".into());
    })
    .await;
    let login_from = |address: &str, password: &str| {
        app.request(Method::POST, "/api/v1/auth/login", None)
            .header("x-forwarded-for", address)
            .json(&json!({"email": ADMIN_EMAIL, "password": password}))
            .send()
    };
    // The owner has signed in from their office before.
    assert_eq!(login_from("127.0.0.9", ADMIN_PASSWORD).await.unwrap().status(), 200);
    // One attacker hammers from one address: that address is stopped, with the right password too.
    for _ in 0..2 {
        assert_problem(login_from("127.0.5.1", "guess").await.unwrap(), 401).await;
    }
    let res = login_from("127.0.5.1", "guess").await.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429).await;
    assert_problem(login_from("127.0.5.1", ADMIN_PASSWORD).await.unwrap(), 429).await;
    // Many addresses, a couple of tries each: the account is never locked.
    for i in 0..12 {
        for _ in 0..2 {
            assert_problem(login_from(&format!("127.0.6.{i}"), "guess").await.unwrap(), 401).await;
        }
    }
    assert_eq!(login_from("127.0.0.9", ADMIN_PASSWORD).await.unwrap().status(), 200, "from a known address");
    // From a new address it is slowed down (by at most 2 s: `auth::handlers` tests the delays, not
    // this noisy clock) and still gets in.
    assert_eq!(login_from("127.0.7.1", ADMIN_PASSWORD).await.unwrap().status(), 200, "from a new address");
}

/// Writes `head` and then one byte of the body every `pace`, until the server answers or closes;
/// returns what it answered and when.
fn dribble(address: &str, head: &str, pace: Duration, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(address.trim_start_matches("http://")).unwrap();
    stream.set_read_timeout(Some(pace)).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while started.elapsed() < limit {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buffer[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                if stream.write_all(b"x").is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    (String::from_utf8_lossy(&answer).into_owned(), started.elapsed())
}

#[tokio::test]
async fn slow_clients_are_cut_off_and_do_not_hold_the_server() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_REQUEST_TIMEOUT_SECS".into(), "2".into());
        env.insert("MUNI_MAX_CONNECTIONS".into(), "64".into());
    })
    .await;
    let address = app.address.clone();
    let body_head = "POST /api/v1/feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{";
    let head_only = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    let (a, b) = (address.clone(), address.clone());
    let slow_body = tokio::task::spawn_blocking(move || {
        dribble(&a, body_head, Duration::from_millis(300), Duration::from_secs(20))
    });
    let slow_head = tokio::task::spawn_blocking(move || {
        dribble(&b, head_only, Duration::from_millis(300), Duration::from_secs(20))
    });
    // Held connections do not stop others from being served.
    assert_eq!(app.get("/healthz").await.status(), 200);
    let (answer, took) = slow_body.await.unwrap();
    assert!(took < Duration::from_secs(8), "the body's deadline held for {took:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    let (_, took) = slow_head.await.unwrap();
    assert!(took < Duration::from_secs(8), "the head's deadline held for {took:?}");
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn malformed_requests_get_an_answer_not_a_hang() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let answers = tokio::task::spawn_blocking(move || {
        let cases: [&[u8]; 3] = [
            b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
            b"POST /api/v1/feedback HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            b"GET /api/v1/articles?q=%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ];
        cases
            .iter()
            .map(|request| {
                let mut stream = TcpStream::connect(&address).unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                stream.write_all(request).unwrap();
                let mut answer = Vec::new();
                let _ = stream.read_to_end(&mut answer);
                String::from_utf8_lossy(&answer).into_owned()
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert!(answers[0].starts_with("HTTP/1.1 400"), "{}", answers[0]);
    assert!(answers[1].starts_with("HTTP/1.1 400"), "{}", answers[1]);
    assert!(answers[2].starts_with("HTTP/1.1 400") && answers[2].contains("problem+json"), "{}", answers[2]);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn responses_carry_the_headers_a_public_api_sends() {
    let app = spawn_app().await;
    for path in ["/healthz", "/api/v1/articles", "/api/v1/sites/khong-co", "/openapi.json"] {
        let res = app.get(path).await;
        let headers = res.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
    let docs = app.get("/docs/").await;
    assert_eq!(docs.status(), 200);
    let csp = docs.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"), "{csp}");
}

const KEY_A: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const KEY_B: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

fn build_with_key(db: &TestDb, key: &str) -> std::io::Result<Application> {
    let mut env = test_env(db);
    env.insert("MUNI_DATA_KEY".into(), key.into());
    Application::build(Config::from_lookup(|k| env.get(k).cloned()).unwrap())
}

#[tokio::test]
async fn a_wrong_data_key_is_refused_at_start_and_the_key_can_be_rotated() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_DATA_KEY".into(), KEY_A.into());
    })
    .await;
    let moderator = app.token_for("moderator").await;
    let topic = json!({"code": "moi-truong", "name": "Môi trường"});
    assert_eq!(app.post_json("/api/v1/feedback/topics", &topic, Some(&moderator)).await.status(), 201);
    let submission = json!({"kind": "other", "topic": "moi-truong", "title": "Đèn đường hỏng", "content": "Đèn ở ngõ 5 không sáng.",
        "submitter": {"type": "person", "name": "Trần Thị Mai", "phone": "0987 654 321"}, "consent": true, "consent_notice_version": "2026-01"});
    let res = app.post_json("/api/v1/feedback", &submission, None).await;
    assert_eq!(res.status(), 201);

    let refused = build_with_key(&app.db, KEY_B).err().expect("another key is refused");
    assert!(refused.to_string().contains("MUNI_DATA_KEY"), "{refused}");

    let mut env = test_env(&app.db);
    env.insert("MUNI_DATA_KEY".into(), KEY_A.into());
    env.insert("MUNI_NEW_DATA_KEY".into(), KEY_B.into());
    let out = Command::new(env!("CARGO_BIN_EXE_muni"))
        .arg("rotate-data-key")
        .envs(&env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("1 feedback"), "{said}");

    let old = build_with_key(&app.db, KEY_A).err().expect("the old key is refused after rotation");
    assert!(old.to_string().contains("MUNI_DATA_KEY"), "{old}");
    let rotated = build_with_key(&app.db, KEY_B).expect("the new key opens the data");
    let address = format!("http://127.0.0.1:{}", rotated.port());
    tokio::spawn(rotated.run_until_stopped());
    // The server started with the new key reads what the old one sealed.
    let read = |path: String| app.client.get(format!("{address}{path}")).bearer_auth(&moderator).send();
    let list: Value = read("/api/v1/feedback".into()).await.unwrap().json().await.unwrap();
    let id = list["data"][0]["id"].as_i64().unwrap();
    let detail: Value = read(format!("/api/v1/feedback/{id}")).await.unwrap().json().await.unwrap();
    assert_eq!(detail["submitter"]["name"], "Trần Thị Mai");
    assert_eq!(detail["submitter"]["phone"], "0987654321");
}

#[tokio::test]
async fn open311_names_the_ward_by_jurisdiction_and_topics_are_bounded() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let res = app.post_json("/api/v1/sites", &json!({"code": "xa-tan-lap", "name": "Xã Tân Lập"}), Some(&admin)).await;
    let second = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let long = json!({"code": "dai", "name": "Dài", "description": "x".repeat(300_000), "site_id": second});
    let res = app.post_json("/api/v1/feedback/topics", &long, Some(&admin)).await;
    assert!([413, 422].contains(&res.status().as_u16()), "{}", res.status());
    let long = json!({"code": "dai", "name": "Dài", "description": "x".repeat(2_001), "site_id": second});
    let problem = assert_problem(app.post_json("/api/v1/feedback/topics", &long, Some(&admin)).await, 422).await;
    assert_eq!(field_errors(&problem), ["description:too_long"]);
    let topic = json!({"code": "moi-truong", "name": "Môi trường", "site_id": second});
    assert_eq!(app.post_json("/api/v1/feedback/topics", &topic, Some(&admin)).await.status(), 201);

    let form = |jurisdiction: Option<&'static str>| {
        let mut form = vec![
            ("service_code", "moi-truong"),
            ("description", "Cây đổ chắn ngang đường liên xã."),
            ("first_name", "Lê Văn"),
            ("last_name", "Hùng"),
            ("phone", "0912 000 111"),
            ("attribute[consent]", "true"),
            ("attribute[consent_notice_version]", "2026-01"),
        ];
        form.extend(jurisdiction.map(|j| ("jurisdiction_id", j)));
        app.client.post(app.url("/open311/v2/requests.json")).form(&form).send()
    };
    let problem = assert_problem(form(None).await.unwrap(), 422).await;
    assert_eq!(field_errors(&problem), ["jurisdiction_id:required"]);
    let res = form(Some("xa-tan-lap")).await.unwrap();
    assert_eq!(res.status(), 201);
    assert!(res.json::<Value>().await.unwrap()[0]["service_request_id"].is_string());
    let problem = assert_problem(form(Some("khong-co")).await.unwrap(), 422).await;
    assert_eq!(field_errors(&problem), ["jurisdiction_id:not_found"]);
}

#[test]
fn the_data_key_check_does_not_reveal_the_key() {
    let vault = muni::crypto::Vault::new(&[7u8; 32]);
    let check = vault.key_check();
    assert_eq!(check, muni::crypto::Vault::new(&[7u8; 32]).key_check());
    assert_ne!(check, muni::crypto::Vault::new(&[8u8; 32]).key_check());
    assert!(!check.contains("BwcHBwcH"), "{check}");
}
