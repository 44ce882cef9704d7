//! Sites: the first one from configuration, public reads, admin writes.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn the_configured_site_exists_from_the_first_start() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/sites").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["meta"]["total"], 1);
    let site = &body["data"][0];
    assert_eq!(site["code"], "phuong-hoa-binh");
    assert_eq!(site["name"], "Phường Hòa Bình");
    assert_eq!(site["time_zone"], "Asia/Ho_Chi_Minh");
    let by_code: Value = app.get("/api/v1/sites/phuong-hoa-binh").await.json().await.unwrap();
    let by_id: Value = app.get(&format!("/api/v1/sites/{}", site["id"])).await.json().await.unwrap();
    assert_eq!(&by_code, site);
    assert_eq!(by_id, by_code);
    assert_problem(app.get("/api/v1/sites/khong-co").await, 404).await;
}

#[tokio::test]
async fn an_admin_adds_and_renames_a_site() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let res = app.post_json("/api/v1/sites", &json!({"code": "xa-tan-lap", "name": "Xã Tân Lập"}), Some(&admin)).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["location"], "/api/v1/sites/xa-tan-lap");
    let site: Value = res.json().await.unwrap();
    assert_eq!(site["time_zone"], "Asia/Ho_Chi_Minh");
    let res = app.patch_json("/api/v1/sites/xa-tan-lap", &json!({"name": "Phường Tân Lập"}), Some(&admin)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "Phường Tân Lập");
    let list: Value = app.get("/api/v1/sites").await.json().await.unwrap();
    assert_eq!(list["meta"]["total"], 2);
}

#[tokio::test]
async fn site_writes_are_validated_and_guarded() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let bad = json!({"code": "Xã Tân Lập", "name": "", "time_zone": "Mars/Olympus"});
    let problem = assert_problem(app.post_json("/api/v1/sites", &bad, Some(&admin)).await, 422).await;
    assert_eq!(field_errors(&problem), ["code:invalid_format", "name:required", "time_zone:invalid_value"]);
    let taken = json!({"code": "phuong-hoa-binh", "name": "Again"});
    let problem = assert_problem(app.post_json("/api/v1/sites", &taken, Some(&admin)).await, 409).await;
    assert_eq!(field_errors(&problem), ["code:not_unique"]);
    let good = json!({"code": "xa-moi", "name": "Xã Mới"});
    assert_problem(app.post_json("/api/v1/sites", &good, None).await, 401).await;
    assert_problem(app.post_json("/api/v1/sites", &good, Some("bad.token.here")).await, 401).await;
    let rename = json!({"name": "X"});
    assert_problem(app.patch_json("/api/v1/sites/phuong-hoa-binh", &rename, None).await, 401).await;
    assert_problem(app.patch_json("/api/v1/sites/phuong-hoa-binh", &rename, Some("bad.token.here")).await, 401).await;
    for role in ["editor", "moderator"] {
        let token = app.token_for(role).await;
        assert_problem(app.post_json("/api/v1/sites", &good, Some(&token)).await, 403).await;
        assert_problem(app.patch_json("/api/v1/sites/phuong-hoa-binh", &json!({"name": "X"}), Some(&token)).await, 403)
            .await;
    }
}
