//! Sign-in, tokens, refresh rotation, logout, and the tokens that must be refused.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use muni::auth::tokens::Claims;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn login_with_right_credentials_returns_tokens_and_the_user() {
    let app = spawn_app().await;
    let res = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    assert_eq!(body["user"]["email"], ADMIN_EMAIL);
    assert_eq!(body["user"]["role"], "admin");
    assert!(body["user"].get("password_hash").is_none());
    let me = app.get_as("/api/v1/auth/me", &access_token(&body)).await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.headers()["cache-control"], "private, no-store");
    assert_eq!(me.json::<Value>().await.unwrap()["email"], ADMIN_EMAIL);
}

#[tokio::test]
async fn login_email_is_case_insensitive() {
    let app = spawn_app().await;
    let res = app.login(&format!("  {}  ", ADMIN_EMAIL.to_uppercase()), ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_answer_alike() {
    let app = spawn_app().await;
    let wrong_password = assert_problem(app.login(ADMIN_EMAIL, "not-the-password").await, 401).await;
    let unknown_email = assert_problem(app.login("nobody@phuong.test", ADMIN_PASSWORD).await, 401).await;
    assert_eq!(wrong_password, unknown_email);
    let empty = assert_problem(app.login("", "").await, 401).await;
    assert_eq!(empty["detail"], wrong_password["detail"]);
}

#[tokio::test]
async fn login_with_missing_or_mistyped_fields_is_a_validation_problem() {
    let app = spawn_app().await;
    let missing = app.post_json("/api/v1/auth/login", &json!({"email": ADMIN_EMAIL}), None).await;
    assert_eq!(field_errors(&assert_problem(missing, 422).await), ["password:required"]);
    let mistyped = app.post_json("/api/v1/auth/login", &json!({"email": 12, "password": "x"}), None).await;
    assert_eq!(field_errors(&assert_problem(mistyped, 422).await), ["email:invalid_type"]);
    let extra = app.post_json("/api/v1/auth/login", &json!({"email": "a@b.vn", "password": "x", "otp": 1}), None).await;
    assert_eq!(field_errors(&assert_problem(extra, 422).await), ["otp:unknown_field"]);
}

#[tokio::test]
async fn repeated_failures_lock_an_account_whether_or_not_it_exists() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_LOGIN_MAX_FAILURES".into(), "3".into());
    })
    .await;
    for _ in 0..2 {
        assert_problem(app.login(ADMIN_EMAIL, "wrong-password").await, 401).await;
        assert_problem(app.login("ghost@phuong.test", "wrong-password").await, 401).await;
    }
    let locked = app.login(ADMIN_EMAIL, "wrong-password").await;
    assert!(locked.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    let locked = assert_problem(locked, 429).await;
    let ghost = assert_problem(app.login("ghost@phuong.test", "wrong-password").await, 429).await;
    assert_eq!(locked["type"], ghost["type"]);
    // While locked, even the right password is refused, so guessing gains nothing.
    assert_problem(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await, 429).await;
}

#[tokio::test]
async fn login_is_rate_limited_per_client_address() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_PUBLIC_WRITE_RATE_PER_MINUTE".into(), "3".into());
    })
    .await;
    for _ in 0..3 {
        assert_problem(app.login("someone@phuong.test", "wrong-password").await, 401).await;
    }
    let res = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(res.headers().contains_key("retry-after"));
    let problem = assert_problem(res, 429).await;
    assert_eq!(problem["type"], "urn:muni:problem:rate-limited");
    let refresh = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": "x"}), None).await;
    assert_problem(refresh, 429).await;
}

#[tokio::test]
async fn refresh_rotates_the_pair_and_each_refresh_token_works_once() {
    let app = spawn_app().await;
    let first = app.login_ok(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token(&first)}), None).await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    assert_ne!(refresh_token(&first), refresh_token(&second));
    assert_eq!(app.get_as("/api/v1/auth/me", &access_token(&second)).await.status(), 200);
    let third = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token(&second)}), None).await;
    assert_eq!(third.status(), 200);
}

#[tokio::test]
async fn reusing_a_refresh_token_ends_its_whole_session() {
    let app = spawn_app().await;
    let first = app.login_ok(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let other_session = app.login_ok(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let second: Value = app
        .post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token(&first)}), None)
        .await
        .json()
        .await
        .unwrap();
    // The stolen copy of the first token is replayed.
    let replay = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token(&first)}), None).await;
    assert_problem(replay, 401).await;
    // Every token of that session is now dead: the rotated refresh token and the access tokens.
    let rotated = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token(&second)}), None).await;
    assert_problem(rotated, 401).await;
    assert_problem(app.get_as("/api/v1/auth/me", &access_token(&second)).await, 401).await;
    assert_problem(app.get_as("/api/v1/auth/me", &access_token(&first)).await, 401).await;
    // Another login of the same user is untouched.
    assert_eq!(app.get_as("/api/v1/auth/me", &access_token(&other_session)).await.status(), 200);
}

#[tokio::test]
async fn unknown_refresh_token_is_refused() {
    let app = spawn_app().await;
    let res = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": "made-up"}), None).await;
    assert_problem(res, 401).await;
}

#[tokio::test]
async fn expired_refresh_token_is_refused() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_REFRESH_TOKEN_TTL_SECS".into(), "1".into());
    })
    .await;
    let tokens = app.login_ok(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let res = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token(&tokens)}), None).await;
    assert_problem(res, 401).await;
}

#[tokio::test]
async fn logout_ends_the_session_and_its_tokens() {
    let app = spawn_app().await;
    let tokens = app.login_ok(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let other = app.login_ok(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res = app.request(Method::POST, "/api/v1/auth/logout", Some(&access_token(&tokens))).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as("/api/v1/auth/me", &access_token(&tokens)).await, 401).await;
    let refresh = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token(&tokens)}), None).await;
    assert_problem(refresh, 401).await;
    assert_eq!(app.get_as("/api/v1/auth/me", &access_token(&other)).await.status(), 200);
}

#[tokio::test]
async fn logout_everywhere_ends_every_session() {
    let app = spawn_app().await;
    let one = app.login_ok(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let two = app.login_ok(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let res =
        app.request(Method::POST, "/api/v1/auth/logout?all=true", Some(&access_token(&one))).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get_as("/api/v1/auth/me", &access_token(&two)).await, 401).await;
    let refresh = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token(&two)}), None).await;
    assert_problem(refresh, 401).await;
}

#[tokio::test]
async fn logout_needs_a_token() {
    let app = spawn_app().await;
    let res = app.request(Method::POST, "/api/v1/auth/logout", None).send().await.unwrap();
    let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_lowercase();
    assert!(challenge.starts_with("bearer"), "{challenge}");
    assert_problem(res, 401).await;
    let bad = app.request(Method::POST, "/api/v1/auth/logout", Some("bad.token.here")).send().await.unwrap();
    assert_problem(bad, 401).await;
}

#[tokio::test]
async fn changing_ones_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    let current = app.login_ok(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let other = app.login_ok(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = access_token(&current);
    let wrong = json!({"current_password": "not-it-at-all", "new_password": "mat-khau-moi-2026"});
    let res = app.post_json("/api/v1/auth/password", &wrong, Some(&token)).await;
    assert_eq!(field_errors(&assert_problem(res, 422).await), ["current_password:invalid_value"]);
    let short = json!({"current_password": ADMIN_PASSWORD, "new_password": "short"});
    let res = app.post_json("/api/v1/auth/password", &short, Some(&token)).await;
    assert_eq!(field_errors(&assert_problem(res, 422).await), ["new_password:too_short"]);
    let good = json!({"current_password": ADMIN_PASSWORD, "new_password": "mat-khau-moi-2026"});
    assert_eq!(app.post_json("/api/v1/auth/password", &good, Some(&token)).await.status(), 204);
    assert_eq!(app.get_as("/api/v1/auth/me", &token).await.status(), 200);
    assert_problem(app.get_as("/api/v1/auth/me", &access_token(&other)).await, 401).await;
    assert_problem(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await, 401).await;
    assert_eq!(app.login(ADMIN_EMAIL, "mat-khau-moi-2026").await.status(), 200);
}

/// Claims like the server's, for a real session of the admin.
async fn real_claims(app: &TestApp) -> Claims {
    let token = app.admin_token().await;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn sign(claims: &Claims, alg: Algorithm, secret: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret).unwrap()).unwrap()
}

#[tokio::test]
async fn a_token_signed_by_the_server_key_with_real_claims_is_accepted() {
    let app = spawn_app().await;
    let claims = real_claims(&app).await;
    let token = sign(&claims, Algorithm::HS256, JWT_SECRET.as_bytes());
    assert_eq!(app.get_as("/api/v1/auth/me", &token).await.status(), 200);
}

#[tokio::test]
async fn forged_and_tampered_tokens_are_refused() {
    let app = spawn_app().await;
    let claims = real_claims(&app).await;
    let now = chrono::Utc::now().timestamp();
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    let unsigned =
        format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&serde_json::to_value(&claims).unwrap()));
    let cases = vec![
        (
            "expired",
            sign(
                &Claims { exp: now - 120, iat: now - 1000, ..claims.clone() },
                Algorithm::HS256,
                JWT_SECRET.as_bytes(),
            ),
        ),
        ("another key", sign(&claims, Algorithm::HS256, b"another-secret-that-is-also-long-enough-0123456789")),
        ("alg none", unsigned),
        ("another algorithm", sign(&claims, Algorithm::HS512, JWT_SECRET.as_bytes())),
        (
            "wrong audience",
            sign(&Claims { aud: "someone-else".into(), ..claims.clone() }, Algorithm::HS256, JWT_SECRET.as_bytes()),
        ),
        (
            "wrong issuer",
            sign(&Claims { iss: "evil".into(), ..claims.clone() }, Algorithm::HS256, JWT_SECRET.as_bytes()),
        ),
        (
            "another role",
            sign(&Claims { role: "editor".into(), ..claims.clone() }, Algorithm::HS256, JWT_SECRET.as_bytes()),
        ),
        (
            "unknown session",
            sign(&Claims { sid: "nope".into(), ..claims.clone() }, Algorithm::HS256, JWT_SECRET.as_bytes()),
        ),
        (
            "another user",
            sign(&Claims { sub: "999".into(), ..claims.clone() }, Algorithm::HS256, JWT_SECRET.as_bytes()),
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (case, token) in cases {
        let res = app.get_as("/api/v1/auth/me", &token).await;
        assert_eq!(res.status(), 401, "{case}");
        assert!(res.headers().contains_key("www-authenticate"), "{case}");
        assert_problem(res, 401).await;
    }
    let basic = app.client.get(app.url("/api/v1/auth/me")).basic_auth("admin", Some("x")).send().await.unwrap();
    assert_problem(basic, 401).await;
}

#[tokio::test]
async fn a_disabled_users_tokens_stop_working_and_it_cannot_sign_in() {
    let app = spawn_app().await;
    let id = app.create_user("bientap@phuong.test", "editor", None).await;
    let tokens = app.login_ok("bientap@phuong.test", PASSWORD).await;
    let admin = app.admin_token().await;
    let res = app.patch_json(&format!("/api/v1/users/{id}"), &json!({"active": false}), Some(&admin)).await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get_as("/api/v1/auth/me", &access_token(&tokens)).await, 401).await;
    let refresh = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh_token(&tokens)}), None).await;
    assert_problem(refresh, 401).await;
    assert_problem(app.login("bientap@phuong.test", PASSWORD).await, 401).await;
}
