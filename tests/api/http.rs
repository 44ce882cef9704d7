//! HTTP behaviour shared by every route: problem+json for every kind of bad request, caching
//! headers, compression and CORS.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    let problem = assert_problem(app.get("/api/v1/khong-co-gi").await, 404).await;
    assert_eq!(problem["type"], "urn:muni:problem:not-found");
    assert_problem(app.get("/").await, 404).await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let res = app.request(Method::DELETE, "/api/v1/sites", None).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET, HEAD, POST");
    assert_problem(res, 405).await;
    let res = app.request(Method::PUT, "/api/v1/users/1", None).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET, HEAD, PATCH");
    assert_problem(res, 405).await;
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = spawn_app().await;
    for body in ["{\"email\":", "not json", "{} {}", "[1,2", ""] {
        let res = app
            .request(Method::POST, "/api/v1/auth/login", None)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(res, 400).await;
        assert_eq!(problem["type"], "urn:muni:problem:bad-request", "{body}");
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let app = spawn_app().await;
    let form = app.request(Method::POST, "/api/v1/auth/login", None).form(&[("email", "a")]).send().await.unwrap();
    assert_problem(form, 415).await;
    let bare = app.request(Method::POST, "/api/v1/auth/login", None).body("{}").send().await.unwrap();
    assert_problem(bare, 415).await;
    let with_charset = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .header("content-type", "application/json; charset=utf-8")
        .body(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(with_charset.status(), 200);
}

#[tokio::test]
async fn an_oversize_body_is_a_413_problem() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_MAX_BODY_BYTES".into(), "1024".into());
    })
    .await;
    let big = json!({"email": "a@b.vn", "password": "x".repeat(4096)});
    let res = app.post_json("/api/v1/auth/login", &big, None).await;
    let problem = assert_problem(res, 413).await;
    assert_eq!(problem["type"], "urn:muni:problem:payload-too-large");
    // Without a Content-Length the limit holds too.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(b"{\"email\":\"".to_vec()), Ok(vec![b'a'; 4096]), Ok(b"\"}".to_vec())];
    let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let res = app
        .request(Method::POST, "/api/v1/auth/login", None)
        .header("content-type", "application/json")
        .body(stream)
        .send()
        .await
        .unwrap();
    assert_problem(res, 413).await;
}

#[tokio::test]
async fn unknown_query_parameters_are_a_400_problem() {
    let app = spawn_app().await;
    let problem = assert_problem(app.get("/api/v1/sites?pgae=2").await, 400).await;
    assert_eq!(field_errors(&problem), ["pgae:unknown_parameter"]);
    let admin = app.admin_token().await;
    let problem = assert_problem(app.get_as("/api/v1/auth/me?debug=1", &admin).await, 400).await;
    assert_eq!(field_errors(&problem), ["debug:unknown_parameter"]);
    assert_problem(app.get("/healthz?verbose=1").await, 400).await;
    let problem = assert_problem(app.get_as("/api/v1/users?active=maybe", &admin).await, 400).await;
    assert_eq!(field_errors(&problem), ["active:invalid_value"]);
    assert_eq!(app.get("/api/v1/sites?page=1&per_page=5").await.status(), 200);
}

#[tokio::test]
async fn a_path_id_of_the_wrong_shape_is_a_400_problem() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    assert_problem(app.get_as("/api/v1/users/not-a-number", &admin).await, 400).await;
    assert_problem(app.get_as("/api/v1/users/99999999999999999999999", &admin).await, 400).await;
}

#[tokio::test]
async fn every_get_has_a_strong_etag_and_answers_304() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/sites").await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "strong: {etag}");
    assert_eq!(res.headers()["cache-control"], "public, max-age=60");
    let again = app.client.get(app.url("/api/v1/sites")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    let other = app.client.get(app.url("/api/v1/sites")).header("if-none-match", "\"other\"").send().await.unwrap();
    assert_eq!(other.status(), 200);
    // A change gives a new ETag.
    let admin = app.admin_token().await;
    app.patch_json("/api/v1/sites/phuong-hoa-binh", &json!({"name": "Phường Hòa Bình mới"}), Some(&admin)).await;
    let changed = app.client.get(app.url("/api/v1/sites")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn responses_with_a_token_are_private() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let res = app.get_as("/api/v1/sites", &admin).await;
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    assert!(res.headers().contains_key("etag"));
    let res = app.get_as("/api/v1/users", &admin).await;
    assert_eq!(res.headers()["cache-control"], "private, no-store");
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_asks() {
    let app = spawn_app().await;
    for encoding in ["gzip", "br"] {
        let res =
            app.client.get(app.url("/api/v1/openapi.json")).header("accept-encoding", encoding).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-encoding"], encoding);
    }
    let plain = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert!(!plain.headers().contains_key("content-encoding"));
}

#[tokio::test]
async fn cors_allows_the_configured_origins_only() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_CORS_ORIGINS".into(), "https://phuong.example.vn, https://tinh.example.vn".into());
    })
    .await;
    let res =
        app.client.get(app.url("/api/v1/sites")).header("origin", "https://phuong.example.vn").send().await.unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "https://phuong.example.vn");
    let expose = res.headers()["access-control-expose-headers"].to_str().unwrap().to_lowercase();
    assert!(expose.contains("etag") && expose.contains("x-total-count") && expose.contains("link"), "{expose}");
    let preflight = app
        .request(Method::OPTIONS, "/api/v1/users", None)
        .header("origin", "https://tinh.example.vn")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "https://tinh.example.vn");
    // A foreign page may not read the answer: the browser sees no allow-origin header.
    let foreign =
        app.client.get(app.url("/api/v1/sites")).header("origin", "https://evil.example").send().await.unwrap();
    assert!(!foreign.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn every_error_body_is_a_problem_even_for_rejected_preflights() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_CORS_ORIGINS".into(), "https://phuong.example.vn".into());
    })
    .await;
    let res = app
        .request(Method::OPTIONS, "/api/v1/users", None)
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    let problem: Value = assert_problem(res, 400).await;
    assert!(problem["detail"].as_str().unwrap().to_lowercase().contains("origin"), "{problem}");
}

#[tokio::test]
async fn each_content_encoding_has_its_own_strong_etag_and_all_revalidate() {
    let app = spawn_app().await;
    let plain = app.get("/api/v1/openapi.json").await;
    let identity = plain.headers()["etag"].to_str().unwrap().to_owned();
    let gzip = app.client.get(app.url("/api/v1/openapi.json")).header("accept-encoding", "gzip").send().await.unwrap();
    let gzip_tag = gzip.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(gzip_tag, format!("\"{}-gzip\"", identity.trim_matches('"')));
    let revalidated = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .header("accept-encoding", "gzip")
        .header("if-none-match", &gzip_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
    assert_eq!(revalidated.headers()["etag"].to_str().unwrap(), gzip_tag);
}

#[tokio::test]
async fn browsers_may_send_every_header_the_document_defines_and_read_the_ones_clients_need() {
    for origins in ["https://phuong.example.vn", "*"] {
        let app = spawn_app_with(|env| {
            env.insert("MUNI_CORS_ORIGINS".into(), origins.into());
        })
        .await;
        let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
        let mut headers: Vec<String> = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .flat_map(|op| op["parameters"].as_array().cloned().unwrap_or_default())
            .filter(|p| p["in"] == "header")
            .map(|p| p["name"].as_str().unwrap().to_ascii_lowercase())
            .collect();
        headers.sort();
        headers.dedup();
        assert!(headers.contains(&"x-tracking-secret".to_owned()) && headers.contains(&"idempotency-key".to_owned()));
        headers.extend(["authorization", "content-type", "if-match", "accept-language"].map(String::from));
        for header in &headers {
            let preflight = app
                .client
                .request(Method::OPTIONS, app.url("/api/v1/questions/track/HD-ABCDEF"))
                .header("origin", "https://phuong.example.vn")
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", header)
                .send()
                .await
                .unwrap();
            assert_eq!(preflight.status(), 200, "preflight for `{header}` with origins `{origins}`");
            let allowed = preflight.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
            assert!(allowed.contains(header.as_str()), "`{header}` not in {allowed}");
        }
        let list = app
            .client
            .get(app.url("/api/v1/sites"))
            .header("origin", "https://phuong.example.vn")
            .send()
            .await
            .unwrap();
        let exposed = list.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
        for header in ["link", "x-total-count", "etag", "location", "retry-after", "age"] {
            assert!(exposed.contains(header), "`{header}` not exposed: {exposed}");
        }
    }
}

#[tokio::test]
async fn the_document_names_its_server_security_and_paging_bounds_as_served() {
    let app = spawn_app().await;
    let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(document["servers"][0]["url"], "/");
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["security"].is_array(), "{method} {path} says nothing of security");
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                let (name, schema) = (parameter["name"].as_str().unwrap(), &parameter["schema"]);
                let described = parameter["description"].as_str().is_some_and(|d| !d.trim().is_empty());
                assert!(described, "{method} {path}: parameter `{name}` has no description");
                if name == "page" || name == "per_page" {
                    assert_eq!(schema["minimum"], 1, "{method} {path} {name}");
                }
                if name == "per_page" {
                    assert_eq!(schema["maximum"], 100, "{method} {path} {name}");
                }
            }
        }
    }
    // As served: the bounds the document states are the ones enforced.
    assert_problem(app.get("/api/v1/articles?per_page=101").await, 400).await;
    assert_problem(app.get("/api/v1/articles?page=0").await, 400).await;
    assert_eq!(app.get("/api/v1/articles?per_page=100&page=1").await.status(), 200);
    // Enumerated parameters list their values, and the server takes each of them.
    for (path, name) in [("/api/v1/procedures", "validity"), ("/api/v1/events", "sort"), ("/api/v1/questions", "sort")]
    {
        let parameters = document["paths"][path]["get"]["parameters"].as_array().unwrap();
        let parameter = parameters.iter().find(|p| p["name"] == name).unwrap();
        let values = parameter["schema"]["enum"].as_array().unwrap_or_else(|| panic!("{path} {name}: no enum"));
        for value in values {
            let url = format!("{path}?{name}={}", value.as_str().unwrap());
            assert_eq!(app.get(&url).await.status(), 200, "{url}");
        }
    }
    let public = &document["paths"]["/api/v1/sites"]["get"]["security"];
    assert_eq!(public, &json!([]), "a public read says so");
    let problem = assert_problem(app.post_json("/api/v1/auth/login", &json!({}), None).await, 422).await;
    assert_eq!(problem["title"], "Unprocessable Content");
}
