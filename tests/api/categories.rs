//! Categories: a tree per site; moves without cycles; guarded deletion.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

pub async fn create_category(app: &TestApp, token: &str, body: Value) -> Value {
    let res = app.post_json("/api/v1/categories", &body, Some(token)).await;
    assert_eq!(res.status(), 201, "create category {body}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn editors_build_a_tree_that_anyone_can_read_flat_or_nested() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let news = create_category(&app, &editor, json!({"name": "Thông tin tuyên truyền", "position": 1})).await;
    assert_eq!(news["slug"], "thong-tin-tuyen-truyen");
    assert_eq!(news["site"]["code"], "phuong-hoa-binh");
    let plans = create_category(&app, &editor, json!({"name": "Quy hoạch - kế hoạch", "position": 2})).await;
    let activity =
        create_category(&app, &editor, json!({"name": "Tin hoạt động", "parent_id": news["id"], "position": 1})).await;
    let law =
        create_category(&app, &editor, json!({"name": "Phổ biến pháp luật", "parent_id": news["id"], "position": 0}))
            .await;
    assert_eq!(activity["parent_id"], news["id"]);

    let flat: Value = app.get("/api/v1/categories").await.json().await.unwrap();
    assert_eq!(flat["meta"]["total"], 4);
    let roots: Value = app.get("/api/v1/categories?parent=root").await.json().await.unwrap();
    let names: Vec<&str> = roots["data"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Thông tin tuyên truyền", "Quy hoạch - kế hoạch"]);
    let children: Value = app.get("/api/v1/categories?parent=thong-tin-tuyen-truyen").await.json().await.unwrap();
    let names: Vec<&str> = children["data"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Phổ biến pháp luật", "Tin hoạt động"]);

    let tree: Value = app.get("/api/v1/categories?tree=true").await.json().await.unwrap();
    assert_eq!(tree["data"].as_array().unwrap().len(), 2);
    assert_eq!(tree["data"][0]["id"], news["id"]);
    assert_eq!(tree["data"][0]["children"][0]["id"], law["id"]);
    assert_eq!(tree["data"][0]["children"][1]["id"], activity["id"]);
    assert_eq!(tree["data"][1]["id"], plans["id"]);
    assert_eq!(tree["data"][1]["children"], json!([]));

    let by_slug: Value = app.get("/api/v1/categories/tin-hoat-dong").await.json().await.unwrap();
    let by_id: Value = app.get(&format!("/api/v1/categories/{}", activity["id"])).await.json().await.unwrap();
    assert_eq!(by_slug, activity);
    assert_eq!(by_id, activity);
    assert_problem(app.get("/api/v1/categories/khong-co").await, 404).await;
    assert_problem(app.get("/api/v1/categories?tree=true&page=2").await, 400).await;
}

#[tokio::test]
async fn a_category_moves_and_reorders_but_never_into_its_own_subtree() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let a = create_category(&app, &editor, json!({"name": "A"})).await;
    let b = create_category(&app, &editor, json!({"name": "B", "parent_id": a["id"]})).await;
    let c = create_category(&app, &editor, json!({"name": "C", "parent_id": b["id"]})).await;
    for target in [&a, &c] {
        let res = app
            .patch_json(&format!("/api/v1/categories/{}", a["id"]), &json!({"parent_id": target["id"]}), Some(&editor))
            .await;
        assert_eq!(field_errors(&assert_problem(res, 422).await), ["parent_id:invalid_value"]);
    }
    let res = app
        .patch_json(
            &format!("/api/v1/categories/{}", c["id"]),
            &json!({"parent_id": null, "position": 5}),
            Some(&editor),
        )
        .await;
    assert_eq!(res.status(), 200);
    let moved: Value = res.json().await.unwrap();
    assert_eq!(moved["parent_id"], Value::Null);
    assert_eq!(moved["position"], 5);
    let res = app.patch_json(&format!("/api/v1/categories/{}", b["id"]), &json!({"slug": "c"}), Some(&editor)).await;
    assert_eq!(field_errors(&assert_problem(res, 409).await), ["slug:not_unique"]);
    let res =
        app.patch_json(&format!("/api/v1/categories/{}", b["id"]), &json!({"slug": "Not A Slug"}), Some(&editor)).await;
    assert_eq!(field_errors(&assert_problem(res, 422).await), ["slug:invalid_format"]);
}

#[tokio::test]
async fn a_category_with_children_or_articles_is_not_deleted_unless_its_articles_move() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let parent = create_category(&app, &editor, json!({"name": "Tin tức"})).await;
    let child = create_category(&app, &editor, json!({"name": "Sự kiện", "parent_id": parent["id"]})).await;
    let other = create_category(&app, &editor, json!({"name": "Thông báo"})).await;
    let article = json!({"title": "Lịch tiếp công dân", "body": "<p>Nội dung</p>", "category_id": child["id"]});
    let created: Value = app.post_json("/api/v1/articles", &article, Some(&editor)).await.json().await.unwrap();

    let delete = |id: &Value, query: &str| {
        app.request(Method::DELETE, &format!("/api/v1/categories/{id}{query}"), Some(&editor)).send()
    };
    assert_problem(delete(&parent["id"], "").await.unwrap(), 409).await;
    assert_problem(delete(&child["id"], "").await.unwrap(), 409).await;
    assert_problem(delete(&child["id"], &format!("?move_articles_to={}", child["id"])).await.unwrap(), 400).await;
    assert_eq!(delete(&child["id"], &format!("?move_articles_to={}", other["id"])).await.unwrap().status(), 204);
    let moved: Value = app.get_as(&format!("/api/v1/articles/{}", created["id"]), &editor).await.json().await.unwrap();
    assert_eq!(moved["category"]["id"], other["id"]);
    assert_eq!(delete(&parent["id"], "").await.unwrap().status(), 204);
    assert_problem(app.get(&format!("/api/v1/categories/{}", parent["id"])).await, 404).await;
}

#[tokio::test]
async fn category_writes_need_an_editor_of_the_site() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let home = create_category(&app, &admin, json!({"name": "Nhà"})).await;
    let other_site: Value = app
        .post_json("/api/v1/sites", &json!({"code": "xa-khac", "name": "Xã Khác"}), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let body = json!({"name": "Mới"});
    assert_problem(app.post_json("/api/v1/categories", &body, None).await, 401).await;
    assert_problem(app.post_json("/api/v1/categories", &body, Some("bad.token.here")).await, 401).await;
    let moderator = app.token_for("moderator").await;
    assert_problem(app.post_json("/api/v1/categories", &body, Some(&moderator)).await, 403).await;
    let path = format!("/api/v1/categories/{}", home["id"]);
    assert_problem(app.patch_json(&path, &json!({"name": "X"}), Some(&moderator)).await, 403).await;
    assert_problem(app.request(Method::DELETE, &path, None).send().await.unwrap(), 401).await;
    assert_problem(app.request(Method::DELETE, &path, Some("bad.token.here")).send().await.unwrap(), 401).await;
    assert_problem(app.patch_json(&path, &json!({"name": "X"}), None).await, 401).await;
    assert_problem(app.patch_json(&path, &json!({"name": "X"}), Some("bad.token.here")).await, 401).await;

    app.create_user("xa-khac@phuong.test", "editor", other_site["id"].as_i64()).await;
    let outsider = access_token(&app.login_ok("xa-khac@phuong.test", PASSWORD).await);
    assert_problem(app.patch_json(&path, &json!({"name": "X"}), Some(&outsider)).await, 403).await;
    assert_problem(app.request(Method::DELETE, &path, Some(&outsider)).send().await.unwrap(), 403).await;
    // Its own site is the default for what it creates.
    let own = create_category(&app, &outsider, json!({"name": "Tin xã"})).await;
    assert_eq!(own["site"]["code"], "xa-khac");
    // With two sites, an unbound editor must say which.
    let editor = app.token_for("editor").await;
    let problem = assert_problem(app.post_json("/api/v1/categories", &body, Some(&editor)).await, 422).await;
    assert_eq!(field_errors(&problem), ["site_id:required"]);
}
