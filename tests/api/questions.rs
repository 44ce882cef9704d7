//! Questions and answers: ask, correct, answer, publish; visibility; no asker data in public.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const ASKER_PHONE: &str = "0987654321";
const ASKER_EMAIL: &str = "le.thi.hoa@example.vn";
const ASKER_NAME: &str = "Lê Thị Hoa";

fn assert_no_asker(body: &str) {
    for secret in [ASKER_PHONE, ASKER_EMAIL, ASKER_NAME] {
        assert!(!body.contains(secret), "`{secret}` leaked in {body}");
    }
}

fn question(title: &str) -> Value {
    json!({
        "title": title,
        "question": "cho em hỏi làm giấy khai sinh cho con thì cần mang những gì ạ, làm ở phường được không",
        "field": "ho-tich",
        "procedure_code": "1.001193",
        "asker": {"name": ASKER_NAME, "phone": ASKER_PHONE, "email": ASKER_EMAIL},
        "consent": true,
        "consent_notice_version": "2026-01"
    })
}

async fn app_with_fields() -> (TestApp, String) {
    let app = spawn_app().await;
    let mut conn = app.db.connect();
    muni::seed::seed_demo(&mut conn, 1, &app.media_store()).unwrap();
    let moderator = app.token_for("moderator").await;
    (app, moderator)
}

#[tokio::test]
async fn a_question_is_asked_answered_published_and_read_without_the_asker() {
    let (app, moderator) = app_with_fields().await;
    let fields: Value = app.get("/api/v1/fields").await.json().await.unwrap();
    assert!(fields.as_array().unwrap().iter().any(|f| f["code"] == "ho-tich"));
    let res = app.post_json("/api/v1/questions", &question("khai sinh cho con"), None).await;
    assert_eq!(res.status(), 201);
    let raw = res.text().await.unwrap();
    assert_no_asker(&raw);
    let receipt: Value = serde_json::from_str(&raw).unwrap();
    let code = receipt["tracking_code"].as_str().unwrap().to_owned();
    let secret = receipt["secret"].as_str().unwrap().to_owned();
    assert_eq!(receipt["status"], "pending");

    let queue: Value = app.get_as("/api/v1/questions?status=pending", &moderator).await.json().await.unwrap();
    assert_eq!(queue["meta"]["total"], 1);
    assert_no_asker(&queue.to_string());
    let id = queue["data"][0]["id"].as_i64().unwrap();
    assert_problem(app.get(&format!("/api/v1/questions/{id}")).await, 404).await;

    let edited: Value = app
        .patch_json(
            &format!("/api/v1/questions/{id}"),
            &json!({"title": "Đăng ký khai sinh cho con cần giấy tờ gì?", "featured": true}),
            Some(&moderator),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(edited["original"]["title"], "khai sinh cho con");
    assert_problem(
        app.request(Method::POST, &format!("/api/v1/questions/{id}/publish"), Some(&moderator)).send().await.unwrap(),
        409,
    )
    .await;
    let answer = json!({"answer": "<p>Mang tờ khai và <strong>giấy chứng sinh</strong>.</p><script>alert(1)</script>", "answering_unit": "Công chức Tư pháp - Hộ tịch phường"});
    let answered: Value =
        app.post_json(&format!("/api/v1/questions/{id}/answer"), &answer, Some(&moderator)).await.json().await.unwrap();
    assert_eq!(answered["status"], "answered");
    assert!(!answered["answer"].as_str().unwrap().contains("script"));
    let tracked: Value = app
        .client
        .get(app.url(&format!("/api/v1/questions/track/{code}")))
        .header("x-tracking-secret", &secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tracked["status"], "answered");
    assert!(tracked["answer"].as_str().unwrap().contains("giấy chứng sinh"));

    let published: Value = app
        .request(Method::POST, &format!("/api/v1/questions/{id}/publish"), Some(&moderator))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let slug = published["slug"].as_str().unwrap().to_owned();
    assert!(slug.starts_with("dang-ky-khai-sinh-cho-con-can-giay-to-gi-"));
    app.get_found("/api/v1/questions?q=giay%20chung%20sinh").await;
    for path in [
        "/api/v1/questions?q=giay%20chung%20sinh".to_owned(),
        format!("/api/v1/questions/{slug}"),
        format!("/api/v1/questions/{id}"),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        let raw = res.text().await.unwrap();
        assert_no_asker(&raw);
        assert!(!raw.contains("original") && !raw.contains("tracking_code"), "staff-only fields in {raw}");
    }
    let by_field: Value = app.get("/api/v1/questions?field=ho-tich&procedure=1.001193").await.json().await.unwrap();
    assert!(by_field["data"].as_array().unwrap().iter().any(|q| q["id"] == id));
    let asker: Value = app.get_as(&format!("/api/v1/questions/{id}/asker"), &moderator).await.json().await.unwrap();
    assert_eq!(asker["phone"], ASKER_PHONE);
    let res =
        app.request(Method::DELETE, &format!("/api/v1/questions/{id}/asker"), Some(&moderator)).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let asker: Value = app.get_as(&format!("/api/v1/questions/{id}/asker"), &moderator).await.json().await.unwrap();
    assert_eq!(asker["name"], Value::Null);
    let unpublished =
        app.request(Method::POST, &format!("/api/v1/questions/{id}/unpublish"), Some(&moderator)).send().await.unwrap();
    assert_eq!(unpublished.status(), 200);
    assert_problem(app.get(&format!("/api/v1/questions/{slug}")).await, 404).await;
}

#[tokio::test]
async fn the_demo_has_frequently_asked_questions_searchable_without_diacritics() {
    let (app, _) = app_with_fields().await;
    let all: Value = app.get("/api/v1/questions?per_page=100").await.json().await.unwrap();
    assert!(all["meta"]["total"].as_i64().unwrap() >= 20);
    let faq: Value = app.get("/api/v1/questions?sort=featured&per_page=5").await.json().await.unwrap();
    assert!(faq["data"].as_array().unwrap().iter().all(|q| q["featured"] == true));
    // The demo was added after the server started: its search index follows within a second.
    let plain = app.get_found("/api/v1/questions?q=khai%20sinh").await;
    let marked: Value = app.get("/api/v1/questions?q=KH%C3%81I%20SINH").await.json().await.unwrap();
    assert!(plain["meta"]["total"].as_i64().unwrap() > 0);
    assert_eq!(plain["meta"], marked["meta"]);
    let id = all["data"][0]["id"].as_i64().unwrap();
    app.get(&format!("/api/v1/questions/{id}")).await;
    app.get(&format!("/api/v1/questions/{id}")).await;
    let viewed: Value = app.get("/api/v1/questions?sort=-view_count&per_page=1").await.json().await.unwrap();
    assert_eq!(viewed["data"][0]["id"], id, "views order the frequently asked");
    assert_problem(app.get("/api/v1/questions?sort=random").await, 400).await;
    assert_problem(app.get("/api/v1/questions?field=khong-co").await, 400).await;
}

#[tokio::test]
async fn questions_are_validated_and_the_staff_side_is_guarded() {
    let (app, moderator) = app_with_fields().await;
    let cases = [
        (json!({"question": "  "}), vec!["question:required"]),
        (json!({"field": "khong-co"}), vec!["field:not_found"]),
        (json!({"field": "khong-co", "consent": false}), vec!["consent:required", "field:not_found"]),
        (json!({"consent": false}), vec!["consent:required"]),
        (json!({"asker": {"name": "A"}}), vec!["asker:required"]),
        (json!({"asker": {"name": "A", "phone": "999"}}), vec!["asker.phone:invalid_format"]),
        (json!({"website": "x"}), vec!["website:invalid_value"]),
    ];
    for (change, expected) in cases {
        let mut body = question("Hợp lệ");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let problem = assert_problem(app.post_json("/api/v1/questions", &body, None).await, 422).await;
        assert_eq!(field_errors(&problem), expected, "{change}");
    }
    let first: Value = app.post_json("/api/v1/questions", &question("Hỏi một lần"), None).await.json().await.unwrap();
    let again = assert_problem(app.post_json("/api/v1/questions", &question("Hỏi một lần"), None).await, 409).await;
    for field in ["tracking_code", "secret"] {
        assert!(!again.to_string().contains(first[field].as_str().unwrap()), "a repeat hands out no {field}");
    }
    let id = app.get_as("/api/v1/questions?status=pending", &moderator).await.json::<Value>().await.unwrap()["data"][0]
        ["id"]
        .as_i64()
        .unwrap();
    let editor = app.token_for("editor").await;
    assert_problem(app.get("/api/v1/questions?status=pending").await, 401).await;
    assert_problem(app.get_as("/api/v1/questions?status=pending", &editor).await, 403).await;
    assert_problem(app.get_as(&format!("/api/v1/questions/{id}/asker"), &editor).await, 403).await;
    assert_problem(app.get(&format!("/api/v1/questions/{id}/asker")).await, 401).await;
    let answer = json!({"answer": "<p>x</p>", "answering_unit": "Tư pháp"});
    assert_problem(app.post_json(&format!("/api/v1/questions/{id}/answer"), &answer, None).await, 401).await;
    assert_problem(
        app.post_json(&format!("/api/v1/questions/{id}/answer"), &answer, Some("bad.token.here")).await,
        401,
    )
    .await;
    assert_problem(
        app.patch_json(&format!("/api/v1/questions/{id}"), &json!({"featured": true}), Some("bad.token.here")).await,
        401,
    )
    .await;
    for verb in ["publish", "unpublish"] {
        let path = format!("/api/v1/questions/{id}/{verb}");
        assert_problem(app.request(Method::POST, &path, None).send().await.unwrap(), 401).await;
        assert_problem(app.request(Method::POST, &path, Some(&editor)).send().await.unwrap(), 403).await;
    }
    assert_problem(app.post_json(&format!("/api/v1/questions/{id}/answer"), &answer, Some(&editor)).await, 403).await;
    assert_problem(
        app.patch_json(&format!("/api/v1/questions/{id}"), &json!({"featured": true}), Some(&editor)).await,
        403,
    )
    .await;
    let rejected: Value = app
        .post_json(
            &format!("/api/v1/questions/{id}/reject"),
            &json!({"reason": "Trùng câu hỏi đã trả lời"}),
            Some(&moderator),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rejected["status"], "rejected");
    assert_problem(app.post_json(&format!("/api/v1/questions/{id}/answer"), &answer, Some(&moderator)).await, 409)
        .await;
}

/// The document's example of a question is accepted as it is.
#[tokio::test]
async fn the_documents_question_example_is_accepted() {
    let (app, _) = app_with_fields().await;
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let example = document["components"]["schemas"]["AskQuestion"]["example"].clone();
    let res = app.post_json("/api/v1/questions", &example, None).await;
    assert_eq!(res.status(), 201, "{example}");
}

#[tokio::test]
async fn the_public_list_search_is_the_engines_and_staff_search_every_status() {
    let (app, moderator) = app_with_fields().await;
    let mut pending = question("Chuyển hộ khẩu xuyên tỉnh");
    pending["question"] = json!("Cho tôi hỏi hồ sơ số QX7731 chuyển hộ khẩu xuyên tỉnh làm thế nào ạ");
    assert_eq!(app.post_json("/api/v1/questions", &pending, None).await.status(), 201);
    // The demo's published questions, the best match first (the engine), or by `sort`.
    let ranked = app.get_found("/api/v1/questions?q=khai%20sinh&per_page=100").await;
    let first = ranked["data"][0]["title"].as_str().unwrap().to_lowercase();
    assert!(first.contains("khai sinh"), "named so, first: {first}");
    let by_date: Value =
        app.get("/api/v1/questions?q=khai%20sinh&sort=-published_at&per_page=100").await.json().await.unwrap();
    assert_eq!(by_date["meta"]["total"], ranked["meta"]["total"]);
    let dates: Vec<&str> =
        by_date["data"].as_array().unwrap().iter().map(|q| q["published_at"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first: {dates:?}");
    let ids = |body: &Value| {
        let mut ids: Vec<i64> = body["data"].as_array().unwrap().iter().map(|q| q["id"].as_i64().unwrap()).collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(ids(&ranked), ids(&by_date), "the same questions in another order");
    let typo: Value = app.get("/api/v1/questions?q=khai%20sinhh").await.json().await.unwrap();
    assert!(typo["meta"]["total"].as_i64().unwrap() > 0, "a typo forgiven: {typo}");
    // A question still pending: never found by the public, found by staff (the database's search).
    let public: Value = app.get("/api/v1/questions?q=qx7731").await.json().await.unwrap();
    assert_eq!(public["meta"]["total"], 0, "{public}");
    let staff: Value = app.get_as("/api/v1/questions?status=pending&q=qx7731", &moderator).await.json().await.unwrap();
    assert_eq!(staff["meta"]["total"], 1, "{staff}");
}
