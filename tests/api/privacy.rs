//! Privacy notices: each site's notice in versions, and submissions that must name the one in force.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn submissions_must_name_the_privacy_notice_in_force() {
    let (app, _) = crate::feedback::with_topic(|_| {}).await;
    let notice: Value = app.get("/api/v1/privacy-notice").await.json().await.unwrap();
    assert_eq!(notice["version"], "2026-01", "the built-in notice until the site publishes its own");
    assert_eq!(notice["current"], true);
    assert!(notice["body"].as_str().unwrap().contains("dữ liệu"));
    assert!(notice["published_at"].is_null());

    let mut outdated = crate::feedback::submission("Đề nghị sửa đèn");
    outdated["consent_notice_version"] = json!("2025-07");
    let problem = assert_problem(app.post_json("/api/v1/feedback", &outdated, None).await, 422).await;
    assert_eq!(field_errors(&problem), ["consent_notice_version:outdated"]);

    // An admin publishes a new version: it is in force at once, and the old one is not.
    let admin = app.admin_token().await;
    let new = json!({"version": "2026-02", "title": "Thông báo xử lý dữ liệu cá nhân (sửa đổi)",
                     "body": "Ủy ban nhân dân phường xử lý dữ liệu cá nhân của người gửi để giải quyết góp ý."});
    let res = app.post_json("/api/v1/privacy-notice", &new, Some(&admin)).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["version"], "2026-02");
    assert_problem(app.post_json("/api/v1/privacy-notice", &new, Some(&admin)).await, 409).await;
    let editor = app.token_for("editor").await;
    assert_problem(app.post_json("/api/v1/privacy-notice", &new, Some(&editor)).await, 403).await;
    let bad = json!({"version": "hai nghìn", "title": "", "body": ""});
    let problem = assert_problem(app.post_json("/api/v1/privacy-notice", &bad, Some(&admin)).await, 422).await;
    assert_eq!(field_errors(&problem), ["version:invalid_format", "title:invalid_length", "body:invalid_length"]);

    let notice: Value = app.get("/api/v1/privacy-notice?site=phuong-hoa-binh").await.json().await.unwrap();
    assert_eq!(notice["version"], "2026-02");
    let old = crate::feedback::submission("Đề nghị sửa đèn");
    let problem = assert_problem(app.post_json("/api/v1/feedback", &old, None).await, 422).await;
    assert_eq!(field_errors(&problem), ["consent_notice_version:outdated"]);
    let mut current = crate::feedback::submission("Đề nghị sửa đèn");
    current["consent_notice_version"] = json!("2026-02");
    assert_eq!(app.post_json("/api/v1/feedback", &current, None).await.status(), 201);

    // With other faults, the outdated version is named in the same answer; Open311 names the attribute.
    let mut both = crate::feedback::submission("");
    both["consent_notice_version"] = json!("2026-01");
    let problem = assert_problem(app.post_json("/api/v1/feedback", &both, None).await, 422).await;
    assert!(field_errors(&problem).contains(&"consent_notice_version:outdated".to_owned()), "{problem}");
    let form = [
        ("service_code", "moi-truong"),
        ("description", "Cống bị tắc."),
        ("phone", "0912345678"),
        ("first_name", "Bình"),
        ("attribute[consent]", "true"),
        ("attribute[consent_notice_version]", "2026-01"),
    ];
    let res = app.client.post(app.url("/open311/v2/requests.json")).form(&form).send().await.unwrap();
    let problem = assert_problem(res, 422).await;
    assert_eq!(field_errors(&problem), ["attribute[consent_notice_version]:outdated"]);

    let versions = app.get("/api/v1/privacy-notice/versions").await;
    assert_eq!(versions.headers()["x-total-count"], "1");
    let versions: Value = versions.json().await.unwrap();
    assert_eq!(versions["data"][0]["version"], "2026-02");
    assert_eq!(versions["data"][0]["current"], true);
}

#[tokio::test]
async fn publishing_a_notice_needs_an_admin_and_a_version_is_published_once() {
    let app = spawn_app().await;
    let new = json!({"version": "2026-03", "title": "Thông báo", "body": "Nội dung thông báo."});
    assert_problem(app.post_json("/api/v1/privacy-notice", &new, None).await, 401).await;
    assert_problem(app.post_json("/api/v1/privacy-notice", &new, Some("not.a.token")).await, 401).await;
    let moderator = app.token_for("moderator").await;
    assert_problem(app.post_json("/api/v1/privacy-notice", &new, Some(&moderator)).await, 403).await;

    // Ten admins publish the same version at once: one of them does.
    let admin = app.admin_token().await;
    let tries = (0..10).map(|_| app.post_json("/api/v1/privacy-notice", &new, Some(&admin)));
    let statuses: Vec<u16> = futures_util::future::join_all(tries).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 9, "{statuses:?}");
}
