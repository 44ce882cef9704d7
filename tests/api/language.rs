//! Error answers in the language asked for: Vietnamese with `Accept-Language: vi`, English
//! otherwise; codes the same in both.

use std::path::Path;

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::feedback::{submission, with_topic};
use crate::helpers::*;

const VIETNAMESE: &str = "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7";

/// Whether a text is written in Vietnamese: it has a letter that only Vietnamese spelling uses here.
fn is_vietnamese(text: &str) -> bool {
    text.to_lowercase()
        .chars()
        .any(|c| "ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ".contains(c))
}

async fn in_language(app: &TestApp, method: Method, path: &str, body: Option<&Value>, language: &str) -> Response {
    let mut request = app.request(method.clone(), path, None).header("accept-language", language);
    if let Some(body) = body {
        request = request.json(body);
    }
    crate::contract::checked(&method, path, request.send().await.expect("request")).await
}

fn codes(problem: &Value) -> (Value, Vec<String>) {
    (problem["type"].clone(), field_errors(problem))
}

#[tokio::test]
async fn a_citizen_reads_every_fault_of_a_form_in_vietnamese() {
    let (app, _) = with_topic(|_| {}).await;
    let mut body = submission("");
    body["submitter"]["email"] = json!("not an address");
    body["title"] = json!("x".repeat(300));
    body["content"] = json!("   ");
    let english =
        assert_problem(in_language(&app, Method::POST, "/api/v1/feedback", Some(&body), "en").await, 422).await;
    let res = in_language(&app, Method::POST, "/api/v1/feedback", Some(&body), VIETNAMESE).await;
    assert_eq!(res.headers()["content-language"], "vi");
    let vary: Vec<_> = res.headers().get_all("vary").iter().filter_map(|v| v.to_str().ok()).collect();
    assert!(vary.iter().any(|v| v.to_ascii_lowercase().contains("accept-language")), "{vary:?}");
    let vietnamese = assert_problem(res, 422).await;
    assert_eq!(codes(&vietnamese), codes(&english), "codes stay the same");
    assert!(field_errors(&english).len() >= 3, "{english}");
    assert_eq!(vietnamese["title"], "Nội dung không hợp lệ");
    assert_eq!(english["title"], "Unprocessable Content");
    let detail = vietnamese["detail"].as_str().expect("detail");
    assert!(is_vietnamese(detail), "{detail}");
    for (vi, en) in
        vietnamese["errors"].as_array().expect("errors").iter().zip(english["errors"].as_array().expect("errors"))
    {
        let message = vi["message"].as_str().expect("message");
        assert!(is_vietnamese(message), "{vi}");
        assert_ne!(vi["message"], en["message"]);
        assert!(!is_vietnamese(en["message"].as_str().expect("message")), "{en}");
    }
    let title = vietnamese["errors"].as_array().expect("errors").iter().find(|e| e["field"] == "title").expect("title");
    assert_eq!(title["message"], "tối đa 200 ký tự", "the limit is carried over");
}

#[tokio::test]
async fn english_is_the_default_and_wins_when_preferred() {
    let app = spawn_app().await;
    for language in [None, Some("en-US,en;q=0.9,vi;q=0.8"), Some("fr-FR"), Some("vi;q=0")] {
        let mut request = app.request(Method::GET, "/api/v1/articles/khong-co-bai-nay", None);
        if let Some(language) = language {
            request = request.header("accept-language", language);
        }
        let res = request.send().await.expect("GET");
        assert_eq!(res.headers()["content-language"], "en", "{language:?}");
        let problem = assert_problem(res, 404).await;
        assert_eq!(problem["title"], "Not Found", "{language:?}");
        assert_eq!(problem["detail"], "article not found", "{language:?}");
    }
}

/// Errors from every layer: routing, the input guard, extractors, authentication, handlers.
#[tokio::test]
async fn every_kind_of_error_answers_in_vietnamese() {
    let app = spawn_app().await;
    let cases: Vec<(Method, &str, Option<Value>, u16, &str)> = vec![
        (Method::GET, "/api/v1/khong-co", None, 404, "Không tìm thấy"),
        (Method::GET, "/api/v1/articles/khong-co-bai-nay", None, 404, "Không tìm thấy"),
        (Method::GET, "/api/v1/articles?trang=2", None, 400, "Yêu cầu không hợp lệ"),
        (Method::GET, "/api/v1/articles?per_page=500", None, 400, "Yêu cầu không hợp lệ"),
        (Method::POST, "/api/v1/articles", Some(json!({"title": "x"})), 401, "Chưa xác thực"),
        (Method::DELETE, "/api/v1/feedback/topics", None, 405, "Phương thức không được phép"),
    ];
    for (method, path, body, status, title) in cases {
        let problem = assert_problem(in_language(&app, method, path, body.as_ref(), "vi").await, status).await;
        assert_eq!(problem["title"], title, "{path}");
        let detail = problem["detail"].as_str().expect("detail");
        assert!(is_vietnamese(detail), "{path}: {detail}");
        for error in problem["errors"].as_array().into_iter().flatten() {
            assert!(is_vietnamese(error["message"].as_str().expect("message")), "{path}: {error}");
        }
    }
    // Not JSON at all, and a body the wrong type: the extractors' own answers.
    let res = app
        .request(Method::POST, "/api/v1/feedback", None)
        .header("accept-language", "vi")
        .header("content-type", "text/plain")
        .body("xin chào")
        .send()
        .await
        .expect("POST");
    let problem = assert_problem(res, 415).await;
    assert!(is_vietnamese(problem["detail"].as_str().expect("detail")), "{problem}");
}

/// Every message the code writes has its Vietnamese in the catalog: found in the source, the
/// sentences given to field errors and problems, with a value in each `{}`.
#[test]
fn every_message_the_code_writes_has_its_vietnamese() {
    let mut missing = vec![];
    let mut seen = 0;
    for (file, message) in messages_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
        seen += 1;
        let sample = message.replace("{}", "7");
        if muni::i18n::vietnamese(&sample).is_none() {
            missing.push(format!("{file}: {message}"));
        }
    }
    assert!(seen > 150, "the scan found only {seen} messages");
    assert!(missing.is_empty(), "no Vietnamese for:\n{}", missing.join("\n"));
}

#[test]
fn a_missing_resource_is_named_in_vietnamese() {
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/error.rs")).expect("error.rs");
    assert!(source.contains("format!(\"{what} not found\")"), "ApiError::not_found's sentence changed");
    let mut nouns = vec![];
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut |_, text| {
        for part in text.split("ApiError::not_found(\"").skip(1) {
            nouns.push(part.split('"').next().unwrap_or("").to_owned());
        }
    });
    assert!(nouns.len() > 10);
    for noun in nouns {
        let vi = muni::i18n::vietnamese(&format!("{noun} not found"));
        assert!(vi.as_deref().is_some_and(|v| v.starts_with("Không tìm thấy ")), "{noun}: {vi:?}");
    }
}

fn walk(dir: &Path, each: &mut dyn FnMut(&str, &str)) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read src").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, each);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("i18n/vi.rs") {
            let text = std::fs::read_to_string(&path).expect("read source");
            each(&path.display().to_string(), &text);
        }
    }
}

/// The string literals that are sentences (they hold a space and a letter) in the arguments of the
/// calls that make field errors and client-facing problems, with `{...}` as `{}`.
fn messages_in(root: &Path) -> Vec<(String, String)> {
    const MARKERS: &[&str] = &[
        "FieldError::new(",
        "ApiError::invalid(",
        "ApiError::BadRequest(",
        "ApiError::BadRequestFields {",
        "ApiError::Unauthorized(",
        "ApiError::Forbidden(",
        "ApiError::NotFound(",
        "ApiError::Conflict(",
        "ApiError::PreconditionFailed(",
        "ApiError::PayloadTooLarge(",
        "ApiError::RequestTimeout(",
        "ApiError::UnsupportedMediaType(",
        "ApiError::TooManyRequests {",
        "detail: format!(",
        "detail: \"",
        "bad_parameter(",
        "Outcome::Refused(",
    ];
    let mut out = vec![];
    walk(root, &mut |file, text| {
        for marker in MARKERS {
            let mut from = 0;
            while let Some(at) = text[from..].find(marker) {
                let start = from + at + marker.len() - usize::from(marker.ends_with('"'));
                from = start;
                for literal in literals_of_call(&text[start..]) {
                    let message = placeholders(&literal);
                    if message.trim().contains(' ') && message.chars().any(char::is_alphabetic) {
                        out.push((file.to_owned(), message));
                    }
                }
            }
        }
    });
    out.sort();
    out.dedup();
    out
}

/// The string literals up to the end of the call (or field) that `text` starts inside.
fn literals_of_call(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let (mut depth, mut i, mut literals) = (1i32, 0, vec![]);
    while i < bytes.len() && i < 1500 {
        match bytes[i] {
            b'"' => {
                let mut literal = String::new();
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                        if bytes.get(i) == Some(&b'\n') {
                            // A line continuation: the next line's indentation is not part of it.
                            while bytes.get(i + 1).is_some_and(|b| b.is_ascii_whitespace()) {
                                i += 1;
                            }
                            i += 1;
                            continue;
                        }
                    }
                    let len = utf8_len(bytes[i]);
                    literal.push_str(&text[i..i + len]);
                    i += len;
                }
                literals.push(literal);
            }
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' | b';' if depth == 0 => break,
            _ => {}
        }
        i += 1;
    }
    literals
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// `{name}`, `{}` and `{:?}` as `{}`.
fn placeholders(literal: &str) -> String {
    let mut out = String::new();
    let mut rest = literal;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        match rest[open..].find('}') {
            Some(close) => {
                out.push_str("{}");
                rest = &rest[open + close + 1..];
            }
            None => {
                rest = &rest[open..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}
