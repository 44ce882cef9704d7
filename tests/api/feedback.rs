//! Citizens' feedback: submission and tracking, the staff workflow, personal data kept from the
//! public (checked on raw bodies), encrypted at rest, logged, erasable; abuse limits; Open311.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const PHONE: &str = "0912 345 678";
const EMAIL: &str = "nguyen.van.binh@example.vn";
const ADDRESS: &str = "Số 12, ngõ 34 đường Hòa Bình";
const NAME: &str = "Nguyễn Văn Bình";

/// Traces of the submitter that must never appear in a public body.
fn assert_no_personal_data(body: &str) {
    for secret in [PHONE, "0912345678", "912345678", EMAIL, ADDRESS, NAME, "Văn Bình"] {
        assert!(!body.contains(secret), "personal data `{secret}` leaked in {body}");
    }
}

pub async fn with_topic(tweak: impl FnOnce(&mut std::collections::HashMap<String, String>)) -> (TestApp, String) {
    let app = spawn_app_with(tweak).await;
    let moderator = app.token_for("moderator").await;
    let res = app
        .post_json(
            "/api/v1/feedback/topics",
            &json!({"code": "moi-truong", "name": "Môi trường, vệ sinh đô thị"}),
            Some(&moderator),
        )
        .await;
    assert_eq!(res.status(), 201);
    (app, moderator)
}

pub fn submission(title: &str) -> Value {
    json!({
        "kind": "complaint",
        "topic": "moi-truong",
        "subject": {"type": "procedure", "reference": "1.001108"},
        "title": title,
        "content": "Rác thải tập kết sai giờ ở đầu ngõ gây mất vệ sinh, đề nghị phường kiểm tra.",
        "submitter": {"type": "person", "name": NAME, "phone": PHONE, "email": EMAIL, "address": ADDRESS},
        "consent": true,
        "consent_notice_version": "2026-01"
    })
}

async fn submit(app: &TestApp, body: &Value) -> Value {
    let res = app.post_json("/api/v1/feedback", body, None).await;
    assert_eq!(res.status(), 201, "submit");
    res.json().await.unwrap()
}

async fn track(app: &TestApp, code: &str, secret: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/feedback/track/{code}")))
        .header("x-tracking-secret", secret)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_citizen_submits_and_follows_with_the_tracking_code() {
    let (app, _) = with_topic(|_| {}).await;
    let res = app.post_json("/api/v1/feedback", &submission("Rác thải ở ngõ 34"), None).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let raw = res.text().await.unwrap();
    assert_no_personal_data(&raw);
    let receipt: Value = serde_json::from_str(&raw).unwrap();
    let code = receipt["tracking_code"].as_str().unwrap();
    assert!(code.starts_with("GY-"));
    assert_eq!(location, format!("/api/v1/feedback/track/{code}"));
    assert_eq!(receipt["status"], "received");
    let secret = receipt["secret"].as_str().unwrap();

    let tracked = track(&app, code, secret).await;
    assert_eq!(tracked.status(), 200);
    assert_eq!(tracked.headers()["cache-control"], "private, no-store");
    let raw = tracked.text().await.unwrap();
    assert_no_personal_data(&raw);
    let tracked: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(tracked["status"], "received");
    assert_eq!(tracked["history"][0]["status"], "received");
    let wrong = assert_problem(track(&app, code, "not-the-secret").await, 404).await;
    let missing = assert_problem(track(&app, code, "").await, 404).await;
    let unknown = assert_problem(track(&app, "GY-XXXX-XXXX", secret).await, 404).await;
    assert_eq!(wrong["detail"], unknown["detail"], "a wrong secret says no more than an unknown code");
    assert_eq!(missing["detail"], unknown["detail"]);
}

#[tokio::test]
async fn staff_work_a_submission_through_to_a_published_reply() {
    let (app, moderator) = with_topic(|_| {}).await;
    let receipt = submit(&app, &submission("Đèn đường hỏng")).await;
    let code = receipt["tracking_code"].as_str().unwrap();
    let queue: Value = app.get_as("/api/v1/feedback?status=received", &moderator).await.json().await.unwrap();
    assert_eq!(queue["meta"]["total"], 1);
    assert_no_personal_data(&queue.to_string());
    let id = queue["data"][0]["id"].as_i64().unwrap();
    let step = |verb: &str, body: Value| {
        let app = &app;
        let moderator = moderator.clone();
        let verb = verb.to_owned();
        async move { app.post_json(&format!("/api/v1/feedback/{id}/{verb}"), &body, Some(&moderator)).await }
    };
    assert_problem(step("publish", json!({})).await, 409).await;
    let started: Value = step("start", json!({"note": "Giao cán bộ môi trường kiểm tra"})).await.json().await.unwrap();
    assert_eq!(started["status"], "in_progress");
    assert_problem(step("start", json!({})).await, 409).await;
    let problem = assert_problem(step("answer", json!({})).await, 422).await;
    assert_eq!(field_errors(&problem), ["reply:required"]);
    let answered: Value = step(
        "answer",
        json!({"reply": "Phường đã bố trí thu gom đúng giờ từ ngày 01/12.", "note": "Đã kiểm tra thực tế"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(answered["status"], "answered");
    let actions: Vec<&str> =
        answered["trail"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["received", "start", "answer"]);
    assert_eq!(answered["trail"][1]["note"], "Giao cán bộ môi trường kiểm tra");
    assert_eq!(answered["submitter"]["phone"], "0912345678");
    assert_eq!(answered["submitter"]["name"], NAME);

    // Not public until published.
    let public: Value = app.get("/api/v1/feedback/published").await.json().await.unwrap();
    assert_eq!(public["meta"]["total"], 0);
    assert_eq!(step("publish", json!({})).await.status(), 200);
    let raw = app.get("/api/v1/feedback/published").await.text().await.unwrap();
    assert_no_personal_data(&raw);
    assert!(!raw.contains("Đã kiểm tra thực tế"), "internal notes stay internal");
    let public: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(public["data"][0]["tracking_code"], code);
    assert_eq!(public["data"][0]["public_reply"], "Phường đã bố trí thu gom đúng giờ từ ngày 01/12.");
    let tracked: Value = track(&app, code, receipt["secret"].as_str().unwrap()).await.json().await.unwrap();
    let statuses: Vec<&str> =
        tracked["history"].as_array().unwrap().iter().map(|h| h["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["received", "in_progress", "answered"]);
    assert_eq!(step("unpublish", json!({})).await.status(), 200);
    let public: Value = app.get("/api/v1/feedback/published").await.json().await.unwrap();
    assert_eq!(public["meta"]["total"], 0);

    let other = submit(&app, &submission("Chuyển cơ quan khác")).await;
    let other_id = app.get_as("/api/v1/feedback?q=chuyen%20co%20quan", &moderator).await.json::<Value>().await.unwrap()
        ["data"][0]["id"]
        .as_i64()
        .unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/feedback/{other_id}/forward"),
            &json!({"forwarded_to": "Công ty Môi trường đô thị"}),
            Some(&moderator),
        )
        .await;
    let forwarded: Value = res.json().await.unwrap();
    assert_eq!(forwarded["status"], "forwarded");
    assert_eq!(forwarded["forwarded_to"], "Công ty Môi trường đô thị");
    let _ = other;
}

#[tokio::test]
async fn personal_data_is_encrypted_at_rest_and_every_read_is_logged() {
    let (app, moderator) = with_topic(|_| {}).await;
    submit(&app, &submission("Kiểm tra mã hóa")).await;
    use muni::db::schema::feedback;
    let mut conn = app.db.connect();
    let (id, name, phone, email, address): (i64, Option<String>, Option<String>, Option<String>, Option<String>) =
        feedback::table
            .select((
                feedback::id,
                feedback::submitter_name,
                feedback::submitter_phone,
                feedback::submitter_email,
                feedback::submitter_address,
            ))
            .first(&mut conn)
            .unwrap();
    let stored = format!("{name:?}{phone:?}{email:?}{address:?}");
    assert_no_personal_data(&stored);
    assert!(phone.unwrap().starts_with("v1:") && email.unwrap().starts_with("v1:"));

    let detail: Value = app.get_as(&format!("/api/v1/feedback/{id}"), &moderator).await.json().await.unwrap();
    assert_eq!(detail["submitter"]["email"], EMAIL);
    assert_eq!(detail["submitter"]["address"], ADDRESS);
    assert_eq!(detail["consent_notice_version"], "2026-01");
    let me: Value = app.get_as("/api/v1/auth/me", &moderator).await.json().await.unwrap();
    let admin = app.admin_token().await;
    let log: Value = app.get_as(&format!("/api/v1/feedback/{id}/access-log"), &admin).await.json().await.unwrap();
    assert_eq!(log[0]["user_id"], me["id"]);
    assert_eq!(log[0]["action"], "read");
    assert_problem(app.get_as(&format!("/api/v1/feedback/{id}/access-log"), &moderator).await, 403).await;
}

#[tokio::test]
async fn a_submitters_data_is_exported_and_erased_on_request() {
    let (app, moderator) = with_topic(|_| {}).await;
    submit(&app, &submission("Yêu cầu xóa dữ liệu")).await;
    let id = app.get_as("/api/v1/feedback", &moderator).await.json::<Value>().await.unwrap()["data"][0]["id"]
        .as_i64()
        .unwrap();
    let export = app.get_as(&format!("/api/v1/feedback/{id}/personal-data"), &moderator).await;
    assert!(export.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let export: Value = export.json().await.unwrap();
    assert_eq!(export["submitter"]["phone"], "0912345678");
    let res = app
        .request(Method::DELETE, &format!("/api/v1/feedback/{id}/personal-data"), Some(&moderator))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let detail: Value = app.get_as(&format!("/api/v1/feedback/{id}"), &moderator).await.json().await.unwrap();
    assert_eq!(detail["submitter"]["name"], Value::Null);
    assert_eq!(detail["submitter"]["phone"], Value::Null);
    assert!(detail["submitter"]["erased_at"].is_string());
    assert_eq!(detail["title"], "Yêu cầu xóa dữ liệu", "the feedback text stays");
    assert!(detail["trail"].as_array().unwrap().iter().any(|t| t["action"] == "personal_data_erased"));
    let admin = app.admin_token().await;
    let log: Value = app.get_as(&format!("/api/v1/feedback/{id}/access-log"), &admin).await.json().await.unwrap();
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|l| l["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["export", "erase", "read"]);
    use muni::db::schema::feedback;
    let mut conn = app.db.connect();
    let stored: (Option<String>, Option<String>, Option<String>, Option<String>) = feedback::table
        .find(id)
        .select((
            feedback::submitter_name,
            feedback::submitter_phone,
            feedback::submitter_email,
            feedback::submitter_address,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(stored, (None, None, None, None));
}

#[tokio::test]
async fn retention_erases_the_personal_data_of_long_closed_submissions() {
    let (app, moderator) = with_topic(|_| {}).await;
    submit(&app, &submission("Đã đóng lâu")).await;
    submit(&app, &submission("Mới đóng")).await;
    submit(&app, &submission("Còn mở")).await;
    let list: Value = app.get_as("/api/v1/feedback", &moderator).await.json().await.unwrap();
    let id_of = |title: &str| {
        list["data"].as_array().unwrap().iter().find(|f| f["title"] == title).unwrap()["id"].as_i64().unwrap()
    };
    for title in ["Đã đóng lâu", "Mới đóng"] {
        let res = app
            .post_json(
                &format!("/api/v1/feedback/{}/reject", id_of(title)),
                &json!({"reply": "Không thuộc thẩm quyền"}),
                Some(&moderator),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    use muni::db::schema::feedback;
    let mut conn = app.db.connect();
    let long_ago = muni::db::now() - chrono::Duration::days(40);
    diesel::update(feedback::table.find(id_of("Đã đóng lâu")))
        .set(feedback::closed_at.eq(Some(long_ago)))
        .execute(&mut conn)
        .unwrap();
    let erased = muni::feedback::repo::maintain(&mut conn, Some(30)).unwrap();
    assert_eq!(erased, 1);
    let names: Vec<(String, Option<String>)> = feedback::table
        .order(feedback::id)
        .select((feedback::title, feedback::submitter_name))
        .load(&mut conn)
        .unwrap();
    assert_eq!(names[0].1, None);
    assert!(names[1].1.is_some() && names[2].1.is_some(), "recently closed and open ones keep their data");
}

#[tokio::test]
async fn bad_submissions_are_refused_with_field_errors() {
    let (app, _) = with_topic(|_| {}).await;
    let cases = [
        (json!({"content": "   \n\t "}), vec!["content:required"]),
        (json!({"title": "x".repeat(201)}), vec!["title:too_long"]),
        (
            json!({"submitter": {"type": "person", "name": "A", "phone": "12345"}}),
            vec!["submitter.phone:invalid_format"],
        ),
        (
            json!({"submitter": {"type": "person", "name": "A", "email": "không-phải-email"}}),
            vec!["submitter.email:invalid_format"],
        ),
        (json!({"submitter": {"type": "person", "name": "A"}}), vec!["submitter:required"]),
        (json!({"consent": false}), vec!["consent:required"]),
        (json!({"website": "http://spam.example"}), vec!["website:invalid_value"]),
        (json!({"topic": "khong-co"}), vec!["topic:not_found"]),
        (json!({"kind": "spam"}), vec!["kind:invalid_value"]),
    ];
    for (change, expected) in cases {
        let mut body = submission("Hợp lệ");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let problem = assert_problem(app.post_json("/api/v1/feedback", &body, None).await, 422).await;
        assert_eq!(field_errors(&problem), expected, "{change}");
    }
    for phone in ["0912345678", "+84 912 345 678", "84912345678", "024 3825 1234", "(028) 3829-1234"] {
        let mut body = submission(&format!("Số {phone}"));
        body["submitter"]["phone"] = json!(phone);
        assert_eq!(
            app.post_json("/api/v1/feedback", &body, None).await.status(),
            201,
            "{phone} is a Vietnamese number"
        );
    }
    use muni::db::schema::feedback;
    let count: i64 = feedback::table.count().get_result(&mut app.db.connect()).unwrap();
    assert_eq!(count, 5, "nothing refused was stored");
}

#[tokio::test]
async fn submissions_are_rate_limited_per_address() {
    let (app, _) = with_topic(|env| {
        // Two sign-ins (the admin's and the moderator's) count too.
        env.insert("MUNI_PUBLIC_WRITE_RATE_PER_MINUTE".into(), "6".into());
    })
    .await;
    for i in 0..4 {
        submit(&app, &submission(&format!("Góp ý {i}"))).await;
    }
    let res = app.post_json("/api/v1/feedback", &submission("Góp ý thứ năm"), None).await;
    assert!(res.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert_problem(res, 429).await;
}

#[tokio::test]
async fn repeated_submissions_are_answered_idempotently() {
    let (app, _) = with_topic(|_| {}).await;
    let send = |body: Value, key: &str| {
        app.client.post(app.url("/api/v1/feedback")).header("idempotency-key", key).json(&body).send()
    };
    let first: Value = send(submission("Một lần thôi"), "key-1").await.unwrap().json().await.unwrap();
    let again = send(submission("Một lần thôi"), "key-1").await.unwrap();
    assert_eq!(again.status(), 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first, "the same receipt, secret included");
    assert_problem(send(submission("Nội dung khác"), "key-1").await.unwrap(), 409).await;
    // Without the key, the same submission within minutes is refused as a repeat, and the first
    // receipt's secret is not handed out again (anyone could replay a body they saw).
    let plain = app.post_json("/api/v1/feedback", &submission("Một lần thôi"), None).await;
    let problem = assert_problem(plain, 409).await;
    assert!(!problem.to_string().contains(first["secret"].as_str().unwrap()), "{problem}");
    assert!(!problem.to_string().contains(first["tracking_code"].as_str().unwrap()), "{problem}");
    use muni::db::schema::feedback;
    let count: i64 = feedback::table.count().get_result(&mut app.db.connect()).unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn every_acknowledged_submission_of_a_concurrent_burst_is_stored() {
    // On SQLite the burst is committed in groups: the refused ones and the repeats in a group must
    // neither take the others down nor be stored.
    let (app, moderator) = with_topic(|_| {}).await;
    let tasks: Vec<_> = (0..70)
        .map(|i| {
            let client = app.client.clone();
            let url = app.url("/api/v1/feedback");
            let mut body = submission(&format!("Góp ý đồng thời số {i}"));
            let mut request = client.post(url);
            if i % 10 == 9 {
                body["topic"] = json!("khong-co-chu-de-nay");
            } else if i >= 60 {
                body = submission("Cùng một góp ý gửi lại");
                request = request.header("idempotency-key", "burst-key");
            }
            tokio::spawn(async move { (i, request.json(&body).send().await) })
        })
        .collect();
    let (mut codes, mut repeated) = (vec![], vec![]);
    for task in tasks {
        let (i, res) = task.await.unwrap();
        let res = res.unwrap();
        if i % 10 == 9 {
            assert_problem(res, 422).await;
            continue;
        }
        assert_eq!(res.status(), 201);
        let code = res.json::<Value>().await.unwrap()["tracking_code"].as_str().unwrap().to_owned();
        if i >= 60 { repeated.push(code) } else { codes.push(code) }
    }
    repeated.dedup();
    assert_eq!(repeated.len(), 1, "one receipt for the repeats of one submission");
    use muni::db::schema::feedback;
    let stored: Vec<String> = feedback::table.select(feedback::tracking_code).load(&mut app.db.connect()).unwrap();
    assert_eq!(stored.len(), 55);
    for code in codes.iter().chain(&repeated) {
        assert!(stored.contains(code), "{code} was acknowledged but is missing");
    }
    let list: Value = app.get_as("/api/v1/feedback?per_page=1", &moderator).await.json().await.unwrap();
    assert_eq!(list["meta"]["total"], 55);
}

#[tokio::test]
async fn the_staff_side_is_for_moderators_and_admins_of_the_site() {
    let (app, moderator) = with_topic(|_| {}).await;
    submit(&app, &submission("Phân quyền")).await;
    let id = app.get_as("/api/v1/feedback", &moderator).await.json::<Value>().await.unwrap()["data"][0]["id"]
        .as_i64()
        .unwrap();
    let editor = app.token_for("editor").await;
    let admin = app.admin_token().await;
    let other: Value = app
        .post_json("/api/v1/sites", &json!({"code": "xa-khac", "name": "Xã Khác"}), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    app.create_user("mod-xa-khac@phuong.test", "moderator", other["id"].as_i64()).await;
    let outsider = access_token(&app.login_ok("mod-xa-khac@phuong.test", PASSWORD).await);
    let reads = [
        "/api/v1/feedback".to_owned(),
        format!("/api/v1/feedback/{id}"),
        format!("/api/v1/feedback/{id}/personal-data"),
    ];
    for path in &reads {
        assert_problem(app.get(path).await, 401).await;
        assert_problem(app.get_as(path, &editor).await, 403).await;
    }
    assert_problem(app.get_as(&format!("/api/v1/feedback/{id}"), &outsider).await, 404).await;
    let outsider_list: Value = app.get_as("/api/v1/feedback", &outsider).await.json().await.unwrap();
    assert_eq!(outsider_list["meta"]["total"], 0);
    for verb in ["start", "answer", "publish", "notes"] {
        let path = format!("/api/v1/feedback/{id}/{verb}");
        assert_problem(app.post_json(&path, &json!({"reply": "x", "note": "x"}), None).await, 401).await;
        assert_problem(app.post_json(&path, &json!({"reply": "x", "note": "x"}), Some("bad.token.here")).await, 401)
            .await;
        assert_problem(app.post_json(&path, &json!({"reply": "x", "note": "x"}), Some(&editor)).await, 403).await;
    }
    assert_problem(
        app.request(Method::DELETE, &format!("/api/v1/feedback/{id}/personal-data"), Some(&editor))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert_eq!(app.get_as(&format!("/api/v1/feedback/{id}"), &admin).await.status(), 200);
    let topic = json!({"code": "an-ninh", "name": "An ninh trật tự"});
    assert_problem(app.post_json("/api/v1/feedback/topics", &topic, Some(&editor)).await, 403).await;
    assert_problem(app.post_json("/api/v1/feedback/topics", &topic, None).await, 401).await;
    assert_problem(app.post_json("/api/v1/feedback/topics", &topic, Some("bad.token.here")).await, 401).await;
    let erase = format!("/api/v1/feedback/{id}/personal-data");
    assert_problem(app.request(Method::DELETE, &erase, None).send().await.unwrap(), 401).await;
    assert_problem(app.request(Method::DELETE, &erase, Some("bad.token.here")).send().await.unwrap(), 401).await;
}

#[tokio::test]
async fn open311_serves_topics_and_published_requests_without_personal_data() {
    let (app, moderator) = with_topic(|_| {}).await;
    let services: Value = app.get("/open311/v2/services.json").await.json().await.unwrap();
    assert_eq!(services[0]["service_code"], "moi-truong");
    assert_eq!(services[0]["metadata"], true);
    let definition: Value = app.get("/open311/v2/services/moi-truong.json").await.json().await.unwrap();
    assert_eq!(definition["attributes"][0]["code"], "consent");
    assert_problem(app.get("/open311/v2/services/khong-co.json").await, 404).await;

    let form = [
        ("service_code", "moi-truong"),
        ("description", "Cống thoát nước bị tắc trước số nhà 15.\nNước tràn ra đường khi mưa."),
        ("first_name", "Văn Bình"),
        ("last_name", "Nguyễn"),
        ("phone", PHONE),
        ("email", EMAIL),
        ("attribute[consent]", "true"),
        ("attribute[consent_notice_version]", "2026-01"),
    ];
    let res = app.client.post(app.url("/open311/v2/requests.json")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let code = created[0]["service_request_id"].as_str().unwrap().to_owned();
    assert!(created[0]["token"].is_string());
    let no_consent: Vec<(&str, &str)> = form.iter().copied().filter(|(k, _)| !k.starts_with("attribute")).collect();
    let res = app.client.post(app.url("/open311/v2/requests.json")).form(&no_consent).send().await.unwrap();
    assert_problem(res, 422).await;

    // Not listed until staff publish it; then open/closed and the reply as status notes.
    let empty: Value = app.get("/open311/v2/requests.json").await.json().await.unwrap();
    assert_eq!(empty, json!([]));
    let id = app.get_as("/api/v1/feedback", &moderator).await.json::<Value>().await.unwrap()["data"][0]["id"]
        .as_i64()
        .unwrap();
    app.post_json(
        &format!("/api/v1/feedback/{id}/answer"),
        &json!({"reply": "Đã nạo vét cống ngày 30/11."}),
        Some(&moderator),
    )
    .await;
    app.post_json(&format!("/api/v1/feedback/{id}/publish"), &json!({}), Some(&moderator)).await;
    let raw = app.get("/open311/v2/requests.json").await.text().await.unwrap();
    assert_no_personal_data(&raw);
    let requests: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(requests[0]["service_request_id"], code.as_str());
    assert_eq!(requests[0]["status"], "closed");
    assert_eq!(requests[0]["status_notes"], "Đã nạo vét cống ngày 30/11.");
    assert_eq!(requests[0]["service_code"], "moi-truong");
    let one = app.get(&format!("/open311/v2/requests/{code}.json")).await.text().await.unwrap();
    assert_no_personal_data(&one);
    assert_eq!(serde_json::from_str::<Value>(&one).unwrap()[0]["service_request_id"], code.as_str());
    let open: Value = app.get("/open311/v2/requests.json?status=open").await.json().await.unwrap();
    assert_eq!(open, json!([]));
    assert_problem(app.get("/open311/v2/requests/GY-NONE-NONE.json").await, 404).await;
}

/// The element texts of `tag` in an XML document whose root is `root`.
fn xml_texts(xml: &str, root: &str, tag: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not XML ({e}): {xml}"));
    assert_eq!(doc.root_element().tag_name().name(), root);
    doc.descendants().filter(|n| n.has_tag_name(tag)).map(|n| n.text().unwrap_or_default().to_owned()).collect()
}

#[tokio::test]
async fn open311_speaks_xml_as_well() {
    let (app, moderator) = with_topic(|_| {}).await;
    let res = app.get("/open311/v2/services.xml").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/xml; charset=utf-8");
    let services = res.text().await.unwrap();
    assert_eq!(xml_texts(&services, "services", "service_code"), ["moi-truong"]);
    assert_eq!(xml_texts(&services, "services", "metadata"), ["true"]);
    let definition = app.get("/open311/v2/services/moi-truong.xml").await.text().await.unwrap();
    assert_eq!(xml_texts(&definition, "service_definition", "code"), ["consent", "consent_notice_version"]);
    assert_problem(app.get("/open311/v2/services/khong-co.xml").await, 404).await;

    let form = [
        ("service_code", "moi-truong"),
        ("description", "Đèn đường <hỏng> & tối ở ngõ 7."),
        ("first_name", "Văn Bình"),
        ("phone", PHONE),
        ("email", EMAIL),
        ("attribute[consent]", "true"),
        ("attribute[consent_notice_version]", "2026-01"),
    ];
    let res = app.client.post(app.url("/open311/v2/requests.xml")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let created = res.text().await.unwrap();
    let code = xml_texts(&created, "service_requests", "service_request_id").remove(0);
    assert_eq!(xml_texts(&created, "service_requests", "token")[0].len(), 32, "{created}");
    let res = app.client.post(app.url("/open311/v2/requests.xml")).form(&form[..2]).send().await.unwrap();
    assert_problem(res, 422).await;

    let empty = app.get("/open311/v2/requests.xml").await.text().await.unwrap();
    assert!(xml_texts(&empty, "service_requests", "request").is_empty());
    let id = app.get_as("/api/v1/feedback", &moderator).await.json::<Value>().await.unwrap()["data"][0]["id"]
        .as_i64()
        .unwrap();
    let answer = json!({"reply": "Đã thay bóng đèn ngày 1/12."});
    app.post_json(&format!("/api/v1/feedback/{id}/answer"), &answer, Some(&moderator)).await;
    let res = app.post_json(&format!("/api/v1/feedback/{id}/publish"), &json!({}), Some(&moderator)).await;
    assert_eq!(res.status(), 200);
    let listed = app.get("/open311/v2/requests.xml?status=closed").await.text().await.unwrap();
    assert_no_personal_data(&listed);
    assert_eq!(xml_texts(&listed, "service_requests", "service_request_id"), std::slice::from_ref(&code));
    assert!(xml_texts(&listed, "service_requests", "description")[0].contains("Đèn đường <hỏng> & tối"));
    let one = app.get(&format!("/open311/v2/requests/{code}.xml")).await.text().await.unwrap();
    assert_eq!(xml_texts(&one, "service_requests", "status"), ["closed"]);
    assert_eq!(xml_texts(&one, "service_requests", "status_notes"), ["Đã thay bóng đèn ngày 1/12."]);
    assert_problem(app.get("/open311/v2/requests/GY-NONE-NONE.xml").await, 404).await;
}

#[tokio::test]
async fn a_form_learns_every_field_at_fault_in_one_answer() {
    let (app, _) = with_topic(|_| {}).await;
    let problem = assert_problem(
        app.post_json("/api/v1/feedback", &json!({"kind": "complaint", "topic": "moi-truong"}), None).await,
        422,
    )
    .await;
    assert_eq!(
        field_errors(&problem),
        [
            "consent:required",
            "consent_notice_version:required",
            "content:required",
            "submitter:required",
            "title:required"
        ]
    );
    let body = json!({"kind": "complaint", "topic": "moi-truong", "title": 5, "content": "Nội dung", "consent": "yes",
                      "consent_notice_version": "2026-01", "submitter": {"phone": PHONE}, "extra": true});
    let problem = assert_problem(app.post_json("/api/v1/feedback", &body, None).await, 422).await;
    assert_eq!(
        field_errors(&problem),
        [
            "consent:invalid_type",
            "extra:unknown_field",
            "submitter.name:required",
            "submitter.type:required",
            "title:invalid_type"
        ]
    );
}

#[tokio::test]
async fn an_unknown_topic_is_named_with_the_other_faults_in_one_answer() {
    let (app, _) = with_topic(|_| {}).await;
    let mut body = submission("");
    body["topic"] = json!("khong-co");
    let problem = assert_problem(app.post_json("/api/v1/feedback", &body, None).await, 422).await;
    let fields = field_errors(&problem);
    assert!(fields.iter().any(|f| f.starts_with("title:")), "{fields:?}");
    assert!(fields.contains(&"topic:not_found".to_owned()), "{fields:?}");
    // Alone, it is still the one fault named.
    let mut body = submission("Tiêu đề hợp lệ");
    body["topic"] = json!("khong-co");
    let problem = assert_problem(app.post_json("/api/v1/feedback", &body, None).await, 422).await;
    assert_eq!(field_errors(&problem), ["topic:not_found"]);
}

/// The document's examples of citizens' submissions are accepted as they are.
#[tokio::test]
async fn the_documents_submission_examples_are_accepted() {
    let (app, _) = with_topic(|_| {}).await;
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let example = document["components"]["schemas"]["SubmitFeedback"]["example"].clone();
    let res = app.post_json("/api/v1/feedback", &example, None).await;
    assert_eq!(res.status(), 201, "{example}");
}
