//! User management: admins only, site-bound admins only in their site.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn admin_creates_lists_reads_and_updates_users() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = json!({"email": "Lan.Nguyen@Phuong.test", "display_name": " Nguyễn Thị Lan ", "role": "editor", "password": PASSWORD});
    let res = app.post_json("/api/v1/users", &body, Some(&admin)).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/users/{}", created["id"]));
    assert_eq!(created["email"], "lan.nguyen@phuong.test");
    assert_eq!(created["display_name"], "Nguyễn Thị Lan");
    assert_eq!(created["role"], "editor");
    assert_eq!(created["site"], Value::Null);
    assert_eq!(created["active"], true);
    assert!(created.get("password_hash").is_none());

    let fetched: Value = app.get_as(&location, &admin).await.json().await.unwrap();
    assert_eq!(fetched, created);

    let list = app.get_as("/api/v1/users?role=editor", &admin).await;
    assert_eq!(list.status(), 200);
    assert_eq!(list.headers()["x-total-count"], "1");
    let list: Value = list.json().await.unwrap();
    assert_eq!(list["data"][0]["email"], "lan.nguyen@phuong.test");
    assert_eq!(list["meta"]["total"], 1);

    let res =
        app.patch_json(&location, &json!({"display_name": "Nguyễn Lan", "role": "moderator"}), Some(&admin)).await;
    assert_eq!(res.status(), 200);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["display_name"], "Nguyễn Lan");
    assert_eq!(updated["role"], "moderator");
    assert_eq!(updated["email"], "lan.nguyen@phuong.test");
}

#[tokio::test]
async fn users_list_is_paged_with_links_and_a_total() {
    let app = spawn_app().await;
    for i in 0..4 {
        app.create_user(&format!("user{i}@phuong.test"), "editor", None).await;
    }
    let admin = app.admin_token().await;
    let res = app.get_as("/api/v1/users?per_page=2&page=2", &admin).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-total-count"], "5");
    let link = res.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains("page=1>; rel=\"first\""), "{link}");
    assert!(link.contains("page=1>; rel=\"prev\""), "{link}");
    assert!(link.contains("page=3>; rel=\"next\""), "{link}");
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");
    assert!(link.contains("per_page=2"), "{link}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["meta"], json!({"total": 5, "page": 2, "per_page": 2, "next_cursor": null}));
    let past_the_end: Value = app.get_as("/api/v1/users?per_page=2&page=9", &admin).await.json().await.unwrap();
    assert_eq!(past_the_end["data"], json!([]));
    for bad in ["per_page=0", "per_page=101", "page=0", "page=x"] {
        let res = app.get_as(&format!("/api/v1/users?{bad}"), &admin).await;
        assert_problem(res, 400).await;
    }
}

#[tokio::test]
async fn creating_a_user_validates_every_field() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = json!({"email": "not-an-email", "display_name": "  ", "role": "editor", "password": "short"});
    let problem = assert_problem(app.post_json("/api/v1/users", &body, Some(&admin)).await, 422).await;
    assert_eq!(field_errors(&problem), ["email:invalid_format", "display_name:required", "password:too_short"]);
    let body = json!({"email": "a@phuong.test", "display_name": "A", "role": "superuser", "password": PASSWORD});
    let problem = assert_problem(app.post_json("/api/v1/users", &body, Some(&admin)).await, 422).await;
    assert_eq!(field_errors(&problem), ["role:invalid_value"]);
    let body =
        json!({"email": "a@phuong.test", "display_name": "A", "role": "editor", "site_id": 999, "password": PASSWORD});
    let problem = assert_problem(app.post_json("/api/v1/users", &body, Some(&admin)).await, 422).await;
    assert_eq!(field_errors(&problem), ["site_id:not_found"]);
}

#[tokio::test]
async fn a_taken_email_is_a_conflict() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body =
        json!({"email": ADMIN_EMAIL.to_uppercase(), "display_name": "Again", "role": "editor", "password": PASSWORD});
    let problem = assert_problem(app.post_json("/api/v1/users", &body, Some(&admin)).await, 409).await;
    assert_eq!(field_errors(&problem), ["email:not_unique"]);
}

#[tokio::test]
async fn only_admins_manage_users() {
    let app = spawn_app().await;
    let id = app.create_user("target@phuong.test", "editor", None).await;
    let body = json!({"email": "new@phuong.test", "display_name": "New", "role": "editor", "password": PASSWORD});
    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/users".into(), None),
        (Method::POST, "/api/v1/users".into(), Some(body)),
        (Method::GET, format!("/api/v1/users/{id}"), None),
        (Method::PATCH, format!("/api/v1/users/{id}"), Some(json!({"active": false}))),
        (Method::POST, format!("/api/v1/users/{id}/reset-password"), Some(json!({"password": "another-password-1"}))),
    ];
    let editor = app.token_for("editor").await;
    let moderator = app.token_for("moderator").await;
    for (method, path, body) in &calls {
        let send = |token: Option<String>| {
            let mut req = app.request(method.clone(), path, token.as_deref());
            if let Some(body) = body {
                req = req.json(body);
            }
            req.send()
        };
        assert_problem(send(None).await.unwrap(), 401).await;
        assert_problem(send(Some("bad.token.here".into())).await.unwrap(), 401).await;
        assert_problem(send(Some(editor.clone())).await.unwrap(), 403).await;
        assert_problem(send(Some(moderator.clone())).await.unwrap(), 403).await;
    }
    // Nothing changed.
    let admin = app.admin_token().await;
    let target: Value = app.get_as(&format!("/api/v1/users/{id}"), &admin).await.json().await.unwrap();
    assert_eq!(target["active"], true);
    assert_eq!(app.login("target@phuong.test", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn resetting_a_password_ends_the_users_sessions() {
    let app = spawn_app().await;
    let id = app.create_user("lan@phuong.test", "editor", None).await;
    let tokens = app.login_ok("lan@phuong.test", PASSWORD).await;
    let admin = app.admin_token().await;
    let path = format!("/api/v1/users/{id}/reset-password");
    let problem = assert_problem(app.post_json(&path, &json!({"password": "short"}), Some(&admin)).await, 422).await;
    assert_eq!(field_errors(&problem), ["password:too_short"]);
    let res = app.post_json(&path, &json!({"password": "mat-khau-dat-lai-2026"}), Some(&admin)).await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as("/api/v1/auth/me", &access_token(&tokens)).await, 401).await;
    let refresh = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token(&tokens)}), None).await;
    assert_problem(refresh, 401).await;
    assert_problem(app.login("lan@phuong.test", PASSWORD).await, 401).await;
    assert_eq!(app.login("lan@phuong.test", "mat-khau-dat-lai-2026").await.status(), 200);
    let missing = app
        .post_json("/api/v1/users/9999/reset-password", &json!({"password": "mat-khau-dat-lai-2026"}), Some(&admin))
        .await;
    assert_problem(missing, 404).await;
}

#[tokio::test]
async fn a_role_change_makes_the_users_tokens_stop_working() {
    let app = spawn_app().await;
    let id = app.create_user("mod@phuong.test", "moderator", None).await;
    let tokens = app.login_ok("mod@phuong.test", PASSWORD).await;
    let admin = app.admin_token().await;
    app.patch_json(&format!("/api/v1/users/{id}"), &json!({"role": "editor"}), Some(&admin)).await;
    assert_problem(app.get_as("/api/v1/auth/me", &access_token(&tokens)).await, 401).await;
    let fresh = app.login_ok("mod@phuong.test", PASSWORD).await;
    let me: Value = app.get_as("/api/v1/auth/me", &access_token(&fresh)).await.json().await.unwrap();
    assert_eq!(me["role"], "editor");
}

#[tokio::test]
async fn a_site_bound_admin_manages_only_its_site() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let other_site: Value = app
        .post_json("/api/v1/sites", &json!({"code": "xa-an-phu", "name": "Xã An Phú"}), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let other_id = other_site["id"].as_i64().unwrap();
    let home: Value = app.get("/api/v1/sites/phuong-hoa-binh").await.json().await.unwrap();
    let home_id = home["id"].as_i64().unwrap();
    app.create_user("ward-admin@phuong.test", "admin", Some(home_id)).await;
    let home_editor = app.create_user("home-editor@phuong.test", "editor", Some(home_id)).await;
    let other_editor = app.create_user("other-editor@phuong.test", "editor", Some(other_id)).await;
    let ward_admin = access_token(&app.login_ok("ward-admin@phuong.test", PASSWORD).await);

    let list: Value = app.get_as("/api/v1/users", &ward_admin).await.json().await.unwrap();
    let emails: Vec<&str> = list["data"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["ward-admin@phuong.test", "home-editor@phuong.test"]);
    assert_eq!(app.get_as(&format!("/api/v1/users/{home_editor}"), &ward_admin).await.status(), 200);
    assert_problem(app.get_as(&format!("/api/v1/users/{other_editor}"), &ward_admin).await, 404).await;

    let in_other = json!({"email": "x@phuong.test", "display_name": "X", "role": "editor", "site_id": other_id, "password": PASSWORD});
    assert_problem(app.post_json("/api/v1/users", &in_other, Some(&ward_admin)).await, 403).await;
    let everywhere = json!({"email": "x@phuong.test", "display_name": "X", "role": "editor", "password": PASSWORD});
    assert_problem(app.post_json("/api/v1/users", &everywhere, Some(&ward_admin)).await, 403).await;
    let at_home = json!({"email": "x@phuong.test", "display_name": "X", "role": "editor", "site_id": home_id, "password": PASSWORD});
    assert_eq!(app.post_json("/api/v1/users", &at_home, Some(&ward_admin)).await.status(), 201);
    let move_out =
        app.patch_json(&format!("/api/v1/users/{home_editor}"), &json!({"site_id": null}), Some(&ward_admin)).await;
    assert_problem(move_out, 403).await;
    assert_problem(app.post_json("/api/v1/sites", &json!({"code": "x", "name": "X"}), Some(&ward_admin)).await, 403)
        .await;
}

#[tokio::test]
async fn the_last_admin_for_every_site_cannot_be_demoted_or_disabled() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let me: Value = app.get_as("/api/v1/auth/me", &admin).await.json().await.unwrap();
    let path = format!("/api/v1/users/{}", me["id"]);
    assert_problem(app.patch_json(&path, &json!({"role": "editor"}), Some(&admin)).await, 409).await;
    assert_problem(app.patch_json(&path, &json!({"active": false}), Some(&admin)).await, 409).await;
    app.create_user("second-admin@phuong.test", "admin", None).await;
    assert_eq!(app.patch_json(&path, &json!({"role": "editor"}), Some(&admin)).await.status(), 200);
}

#[tokio::test]
async fn unknown_users_and_bad_ids_are_problems() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    assert_problem(app.get_as("/api/v1/users/4242", &admin).await, 404).await;
    assert_problem(app.get_as("/api/v1/users/abc", &admin).await, 400).await;
    assert_problem(app.patch_json("/api/v1/users/4242", &json!({"active": true}), Some(&admin)).await, 404).await;
}
