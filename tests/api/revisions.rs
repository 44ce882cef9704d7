//! Revisions: every save of content keeps the whole content, who and why; they are listed,
//! compared word by word, and restored as a new revision; imports name themselves; the audit
//! entry of a write names the revision it made.

use reqwest::Method;
use serde_json::{Value, json};

use crate::categories::create_category;
use crate::helpers::*;

async fn revisions(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let res = app.get_as(&format!("{path}/revisions?per_page=100"), token).await;
    assert_eq!(res.status(), 200, "{path}/revisions");
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["meta"]["total"].as_u64(), Some(list["data"].as_array().unwrap().len() as u64));
    list["data"].as_array().unwrap().clone()
}

async fn revision(app: &TestApp, token: &str, path: &str, id: &Value) -> Value {
    let res = app.get_as(&format!("{path}/revisions/{id}"), token).await;
    assert_eq!(res.status(), 200, "{path}/revisions/{id}");
    res.json().await.unwrap()
}

/// How many audit entries there are, and the newest.
async fn audit_head(app: &TestApp, admin: &str) -> (i64, Value) {
    let list: Value = app.get_as("/api/v1/audit?per_page=1", admin).await.json().await.unwrap();
    (list["meta"]["total"].as_i64().unwrap(), list["data"][0].clone())
}

async fn restore(app: &TestApp, token: &str, path: &str, id: &Value) -> Value {
    let res = app.request(Method::POST, &format!("{path}/revisions/{id}/restore"), Some(token)).send().await.unwrap();
    assert_eq!(res.status(), 200, "restore {path} {id}: {:?}", res.text().await);
    res.json().await.unwrap()
}

#[tokio::test]
async fn an_article_keeps_each_save_compares_them_and_restores_an_old_one() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let editor_id = app.create_user("bien-tap@phuong.test", "editor", None).await;
    let editor = access_token(&app.login_ok("bien-tap@phuong.test", PASSWORD).await);
    let category = create_category(&app, &editor, json!({"name": "Thông báo"})).await["id"].as_i64().unwrap();
    let body = json!({"title": "Lịch tiếp công dân", "body": "<p>Lãnh đạo phường tiếp công dân vào sáng thứ Hai hằng tuần.</p>",
                      "category_id": category, "tags": ["tiếp dân"]});
    let res = app.post_json("/api/v1/articles", &body, Some(&editor)).await;
    assert_eq!(res.status(), 201);
    let article: Value = res.json().await.unwrap();
    let (id, slug) = (article["id"].as_i64().unwrap(), article["slug"].clone());
    let path = format!("/api/v1/articles/{id}");
    let res = app.request(Method::POST, &format!("{path}/publish"), Some(&editor)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let published: Value = res.json().await.unwrap();
    assert!(published["revised_at"].is_null(), "not changed since publication: {published}");

    // A change with its reason, in Vietnamese (percent-encoded, as a browser must send it).
    let res = app
        .request(Method::PATCH, &path, Some(&editor))
        .header("X-Change-Reason", "S%E1%BB%ADa%20ng%C3%A0y%20ti%E1%BA%BFp%20d%C3%A2n")
        .json(&json!({"title": "Lịch tiếp công dân (sửa)",
                      "body": "<p>Lãnh đạo phường tiếp công dân vào sáng thứ Ba hằng tuần.</p>"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert!(changed["revised_at"].is_string(), "changed after publication: {changed}");

    let list = revisions(&app, &editor, &path).await;
    assert_eq!(list.len(), 3, "created, published, changed: {list:?}");
    let (latest, first) = (&list[0], &list[2]);
    // The summary was derived from the body, so it changed with it.
    assert_eq!(latest["changed"], json!(["title", "summary", "body"]));
    assert_eq!(latest["reason"], "Sửa ngày tiếp dân");
    assert_eq!(latest["author"]["id"], editor_id);
    assert_eq!(latest["author"]["role"], "editor");
    assert_eq!(list[1]["changed"], json!(["status", "published_at"]));
    assert!(first["changed"].as_array().unwrap().len() > 5, "the first names every field");
    let original = revision(&app, &editor, &path, &first["id"]).await;
    assert_eq!(original["content"]["title"], "Lịch tiếp công dân");
    assert_eq!(original["content"]["tags"], json!(["tiếp dân"]));
    assert_eq!(original["content"]["summary_auto"], true);
    assert!(original["content"].get("search_body").is_none(), "derived columns are not content");

    // The diff: field by field, and the body word by word as a reader sees it.
    let diff: Value =
        app.get_as(&format!("{path}/revisions/{}/diff", latest["id"]), &editor).await.json().await.unwrap();
    assert_eq!(diff["from"], list[1]["id"]);
    let fields: Vec<&str> = diff["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["title", "summary", "body"]);
    let words = diff["fields"][2]["words"].as_array().unwrap();
    let of = |op: &str| {
        words.iter().filter(|w| w["op"] == op).map(|w| w["text"].as_str().unwrap().trim()).collect::<Vec<_>>()
    };
    assert_eq!((of("delete"), of("insert")), (vec!["Hai"], vec!["Ba"]));
    assert!(words.iter().all(|w| !w["text"].as_str().unwrap().contains('<')), "{words:?}");
    let against_first: Value = app
        .get_as(&format!("{path}/revisions/{}/diff?with={}", latest["id"], first["id"]), &editor)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((&against_first["from"], &against_first["to"]), (&first["id"], &latest["id"]));

    // Restore the first: a new revision naming it; the content is back, the address and the
    // publication stay.
    let before_audit: Value = app.get_as("/api/v1/audit?per_page=1", &admin).await.json().await.unwrap();
    let restored = restore(&app, &editor, &path, &first["id"]).await;
    assert_eq!(restored["restored_from"], first["id"]);
    assert!(restored["reason"].as_str().unwrap().starts_with(&format!("restored from revision {}", first["id"])));
    assert_eq!(restored["changed"], json!(["title", "summary", "body"]));
    let now: Value = app.get_as(&path, &editor).await.json().await.unwrap();
    assert_eq!(now["title"], "Lịch tiếp công dân");
    assert!(now["body"].as_str().unwrap().contains("thứ Hai"));
    assert_eq!((&now["slug"], &now["status"]), (&slug, &json!("published")));
    assert_eq!(revisions(&app, &editor, &path).await.len(), 4, "history is never rewritten");
    let audit: Value = app.get_as("/api/v1/audit?per_page=1", &admin).await.json().await.unwrap();
    assert_eq!(audit["meta"]["total"].as_i64().unwrap(), before_audit["meta"]["total"].as_i64().unwrap() + 1);
    let entry = &audit["data"][0];
    assert_eq!(entry["action"], "articles.restore", "{entry}");
    assert!(entry["changes"].as_array().unwrap().iter().any(|c| c["revision"] == restored["id"]), "{entry}");
    // Restoring what is already there changes nothing and makes no revision.
    let again = restore(&app, &editor, &path, &first["id"]).await;
    assert_eq!(again["id"], restored["id"]);

    // What may not be read or restored.
    let other = app
        .post_json(
            "/api/v1/articles",
            &json!({"title": "Khác", "body": "<p>x</p>", "category_id": category}),
            Some(&editor),
        )
        .await;
    let other: Value = other.json().await.unwrap();
    assert_problem(
        app.get_as(&format!("/api/v1/articles/{}/revisions/{}", other["id"], first["id"]), &editor).await,
        404,
    )
    .await;
    assert_problem(app.get_as(&format!("{path}/revisions/999999"), &editor).await, 404).await;
    assert_problem(app.get_as("/api/v1/articles/999999/revisions", &editor).await, 404).await;
    assert_problem(app.get_as(&format!("{path}/revisions/{}/diff?with=999999", first["id"]), &editor).await, 400).await;
    assert_problem(app.get(&format!("{path}/revisions")).await, 401).await;
    let moderator = app.token_for("moderator").await;
    assert_problem(app.get_as(&format!("{path}/revisions"), &moderator).await, 403).await;
    assert_problem(
        app.request(Method::POST, &format!("{path}/revisions/{}/restore", first["id"]), Some(&moderator))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
}

#[tokio::test]
async fn every_kind_of_content_keeps_revisions_and_restores_them() {
    let app = spawn_app().await;
    let mut conn = app.db.connect();
    muni::seed::seed_demo(&mut conn, 1, &app.media_store()).unwrap();
    drop(conn);
    let admin = app.admin_token().await;
    let editor = app.token_for("editor").await;
    let moderator = app.token_for("moderator").await;

    let category = create_category(&app, &editor, json!({"name": "Lịch sử địa phương"})).await;
    let event =
        crate::events::create_event(&app, &editor, json!({"title": "Họp giao ban", "starts_at": "2026-12-07T08:00"}))
            .await;
    let mut record = crate::procedures::birth();
    record["code"] = json!("9.999001");
    let res = app.post_json("/api/v1/procedures", &record, Some(&editor)).await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let procedure: Value = res.json().await.unwrap();
    let res = app
        .post_json("/api/v1/feedback/topics", &json!({"code": "giao-thong", "name": "Giao thông"}), Some(&moderator))
        .await;
    assert_eq!(res.status(), 201);
    let topics: Value = app.get_as("/api/v1/feedback/topics", &moderator).await.json().await.unwrap();
    let topic = topics.as_array().unwrap().iter().find(|t| t["code"] == "giao-thong").unwrap().clone();
    let notice: Value = app.get("/api/v1/privacy-notice").await.json().await.unwrap();
    let asked = json!({"title": "Hỏi về khai sinh", "question": "Làm giấy khai sinh cần giấy tờ gì ạ?", "field": "ho-tich",
                       "asker": {"name": "Trần Văn Bình", "phone": "0912345678"}, "consent": true,
                       "consent_notice_version": notice["version"]});
    let res = app.post_json("/api/v1/questions", &asked, None).await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let pending: Value = app.get_as("/api/v1/questions?status=pending", &moderator).await.json().await.unwrap();
    let question =
        pending["data"].as_array().unwrap().iter().find(|q| q["title"] == "Hỏi về khai sinh").unwrap().clone();

    // Created last: with a second site, writes would have to name theirs.
    let res = app.post_json("/api/v1/sites", &json!({"code": "xa-lich-su", "name": "Xã Lịch Sử"}), Some(&admin)).await;
    let site: Value = res.json().await.unwrap();

    // (path, who, a change, the field it changes)
    let cases = [
        (format!("/api/v1/sites/{}", site["id"]), &admin, json!({"name": "Xã Lịch Sử Mới"}), "name"),
        (format!("/api/v1/categories/{}", category["id"]), &editor, json!({"name": "Văn hóa - Xã hội"}), "name"),
        (format!("/api/v1/events/{}", event["id"]), &editor, json!({"location": "Hội trường B"}), "location"),
        (
            format!("/api/v1/procedures/{}", procedure["id"]),
            &editor,
            json!({"name": "Đăng ký khai sinh (sửa)"}),
            "record",
        ),
        (format!("/api/v1/feedback/topics/{}", topic["id"]), &moderator, json!({"name": "Giao thông, đô thị"}), "name"),
        (
            format!("/api/v1/questions/{}", question["id"]),
            &moderator,
            json!({"title": "Hỏi về giấy khai sinh"}),
            "title",
        ),
    ];
    for (path, token, change, field) in cases {
        let (before, _) = audit_head(&app, &admin).await;
        let res = app.patch_json(&path, &change, Some(token)).await;
        assert_eq!(res.status(), 200, "PATCH {path}: {:?}", res.text().await);
        let list = revisions(&app, token, &path).await;
        assert_eq!(list.len(), 2, "{path}: {list:?}");
        // One audit entry for the write, naming the one revision it made.
        let (after, entry) = audit_head(&app, &admin).await;
        assert_eq!(after, before + 1, "{path}");
        let named: Vec<&Value> =
            entry["changes"].as_array().unwrap().iter().filter_map(|c| c.get("revision")).collect();
        assert_eq!(named, [&list[0]["id"]], "{path}: {entry}");
        assert!(list[0]["changed"].as_array().unwrap().contains(&json!(field)), "{path}: {}", list[0]);
        let first = revision(&app, token, &path, &list[1]["id"]).await;
        let restored = restore(&app, token, &path, &list[1]["id"]).await;
        assert_eq!(restored["content"][field], first["content"][field], "{path}");
        assert_eq!(restored["restored_from"], list[1]["id"], "{path}");
        assert_eq!(revisions(&app, token, &path).await.len(), 3, "{path}");
        let text = serde_json::to_string(&restored).unwrap();
        assert!(!text.contains("Trần Văn Bình") && !text.contains("0912345678"), "personal data in {path}: {text}");
    }
    let procedure_now: Value = app.get("/api/v1/procedures/9.999001").await.json().await.unwrap();
    assert_eq!(procedure_now["name"], "Thủ tục đăng ký khai sinh", "{procedure_now}");
}

#[tokio::test]
async fn an_import_names_itself_on_each_procedure_it_changes() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let mut second = crate::procedures::birth();
    second["code"] = json!("1.000656");
    second["name"] = json!("Thủ tục đăng ký kết hôn");
    let records = json!([crate::procedures::birth(), second]);
    let res = app.post_json("/api/v1/procedures/import", &records, Some(&editor)).await;
    assert_eq!(res.status(), 200);
    let list: Value = app.get_as("/api/v1/procedures?per_page=10", &editor).await.json().await.unwrap();
    let ids: Vec<i64> = list["data"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    for id in &ids {
        let list = revisions(&app, &editor, &format!("/api/v1/procedures/{id}")).await;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["reason"], "import");
    }
    // The same import again changes nothing, and makes no revision.
    let res = app.post_json("/api/v1/procedures/import", &records, Some(&editor)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(revisions(&app, &editor, &format!("/api/v1/procedures/{}", ids[0])).await.len(), 1);
}

#[tokio::test]
async fn content_saved_outside_the_api_gets_a_first_revision() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let category = create_category(&app, &editor, json!({"name": "Cũ"})).await;
    let id = category["id"].as_i64().unwrap();
    // A hand-written statement: the revisions know nothing of it until the baseline. (Off the
    // runtime's thread: blocking it would keep the client from seeing idle connections close.)
    let mut conn = app.db.connect();
    let forget = format!("DELETE FROM revisions WHERE resource = 'category' AND resource_id = {id}");
    let mut conn = tokio::task::spawn_blocking(move || {
        use diesel::RunQueryDsl;
        diesel::sql_query(forget).execute(&mut conn).unwrap();
        conn
    })
    .await
    .unwrap();
    assert_problem(app.get_as(&format!("/api/v1/categories/{id}/revisions"), &editor).await, 404).await;
    let made = tokio::task::spawn_blocking(move || muni::revisions::baseline(&mut conn).unwrap()).await.unwrap();
    assert!(made >= 1);
    let list = revisions(&app, &editor, &format!("/api/v1/categories/{id}")).await;
    assert_eq!(list.len(), 1);
    assert!(list[0]["reason"].as_str().unwrap().starts_with("baseline"));
    assert!(list[0]["author"].is_null());
}

/// Concurrent saves of one article each keep their own revision (no save is lost or merged), on
/// both engines.
#[tokio::test]
async fn concurrent_saves_each_keep_their_revision() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let category = create_category(&app, &editor, json!({"name": "Tin"})).await["id"].as_i64().unwrap();
    let res = app
        .post_json(
            "/api/v1/articles",
            &json!({"title": "Bản 0", "body": "<p>x</p>", "category_id": category}),
            Some(&editor),
        )
        .await;
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let path = format!("/api/v1/articles/{id}");
    let saves = (1..=8).map(|n| {
        let (app, editor, path) = (&app, &editor, &path);
        async move {
            let res = app.patch_json(path, &json!({"title": format!("Bản {n}")}), Some(editor)).await;
            assert_eq!(res.status(), 200);
        }
    });
    futures_util::future::join_all(saves).await;
    let list = revisions(&app, &editor, &path).await;
    assert_eq!(list.len(), 9, "{list:?}");
    let latest = revision(&app, &editor, &path, &list[0]["id"]).await;
    let now: Value = app.get_as(&path, &editor).await.json().await.unwrap();
    assert_eq!(latest["content"]["title"], now["title"], "the latest revision is the article as it is");
    let mut titles = Vec::new();
    for item in &list {
        titles.push(revision(&app, &editor, &path, &item["id"]).await["content"]["title"].as_str().unwrap().to_owned());
    }
    titles.sort();
    let expected: Vec<String> = (0..=8).map(|n| format!("Bản {n}")).collect();
    assert_eq!(titles, expected);
}
