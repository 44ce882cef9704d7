//! Every response the suite reads through the helpers is checked against the OpenAPI document as
//! served: the route and status must be documented, and a JSON body must validate against the
//! documented schema (JSON Schema 2020-12, as OpenAPI 3.1 defines it).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use reqwest::{Method, Response};
use serde_json::Value;

pub static DOCUMENT: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(include_str!("../../openapi/openapi.json")).expect("the OpenAPI document"));

type Validators = HashMap<String, std::sync::Arc<jsonschema::Validator>>;
static VALIDATORS: LazyLock<Mutex<Validators>> = LazyLock::new(Mutex::default);

/// The document's path template that names `path`: the one with the most literal segments.
fn template_of(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let paths = DOCUMENT["paths"].as_object()?;
    paths
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                match part.find('{') {
                    None if part == segment => literal += 1,
                    None => return None,
                    Some(open) => {
                        let close = part.find('}')?;
                        let (prefix, suffix) = (&part[..open], &part[close + 1..]);
                        let fits = segment.len() > prefix.len() + suffix.len()
                            && segment.starts_with(prefix)
                            && segment.ends_with(suffix);
                        if !fits {
                            return None;
                        }
                    }
                }
            }
            Some((literal, template.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template)
}

fn resolve(value: &Value) -> &Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            DOCUMENT.pointer(pointer).unwrap_or_else(|| panic!("the document's {reference} is missing"))
        }
        None => value,
    }
}

/// Checks a response against the document: `Err` says what does not match.
fn check(method: &Method, path: &str, status: u16, content_type: &str, body: &[u8]) -> Result<(), String> {
    let Some(template) = template_of(path) else {
        // The answer for an unknown path, or the interactive docs, which the document leaves out.
        return if matches!(status, 404 | 405) || path.starts_with("/docs") {
            Ok(())
        } else {
            Err(format!("{method} {path}: no path of the document names it ({status})"))
        };
    };
    let operation = &DOCUMENT["paths"][template][method.as_str().to_lowercase()];
    if operation.is_null() {
        return if status == 405 {
            Ok(())
        } else {
            Err(format!("{method} {template}: not in the document ({status})"))
        };
    }
    if status == 304 {
        return Ok(());
    }
    let responses = &operation["responses"];
    let response = match responses.get(status.to_string()).or_else(|| responses.get("default")) {
        Some(response) => resolve(response),
        None => return Err(format!("{method} {template}: status {status} is not documented")),
    };
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !(media == "application/json" || media.ends_with("+json")) || body.is_empty() {
        return Ok(());
    }
    let Some(schema) = response["content"].get(media).and_then(|c| c.get("schema")) else {
        return Err(format!("{method} {template} {status}: `{media}` is not documented"));
    };
    let key = format!("{method} {template} {status} {media}");
    let validator = {
        let mut validators = VALIDATORS.lock().unwrap();
        validators
            .entry(key.clone())
            .or_insert_with(|| {
                let mut root = schema.clone();
                root["components"] = DOCUMENT["components"].clone();
                std::sync::Arc::new(
                    jsonschema::draft202012::options()
                        .build(&root)
                        .unwrap_or_else(|e| panic!("{key}: the documented schema does not compile: {e}")),
                )
            })
            .clone()
    };
    let instance: Value = serde_json::from_slice(body).map_err(|e| format!("{key}: not JSON: {e}"))?;
    let errors: Vec<String> =
        validator.iter_errors(&instance).take(5).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{key}: the body does not match its schema: {}", errors.join("; ")))
    }
}

/// Reads a response whole, checks it against the document, and hands back the same response.
pub async fn checked(method: &Method, path: &str, res: Response) -> Response {
    let status = res.status();
    let version = res.version();
    let headers = res.headers().clone();
    let body = res.bytes().await.expect("the response body");
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let path_only = path.split('?').next().unwrap_or(path);
    if let Err(problem) = check(method, path_only, status.as_u16(), content_type, &body) {
        panic!("the response breaks the OpenAPI document: {problem}\nbody: {}", String::from_utf8_lossy(&body));
    }
    let mut rebuilt = ::http::Response::builder().status(status).version(version);
    for (name, value) in &headers {
        rebuilt = rebuilt.header(name, value);
    }
    Response::from(rebuilt.body(body).expect("the same response"))
}

#[test]
fn templates_match_by_their_literal_segments_first() {
    assert_eq!(template_of("/api/v1/articles/changes"), Some("/api/v1/articles/changes"));
    assert_eq!(template_of("/api/v1/articles/tin-moi"), Some("/api/v1/articles/{key}"));
    assert_eq!(template_of("/open311/v2/services/moi-truong.xml"), Some("/open311/v2/services/{code}.xml"));
    assert_eq!(template_of("/khong/co"), None);
}

#[test]
fn every_example_in_the_document_validates_against_its_schema() {
    let schemas = DOCUMENT["components"]["schemas"].as_object().expect("schemas");
    let mut checked = 0;
    for (name, schema) in schemas {
        let Some(example) = schema.get("example") else { continue };
        let mut root = schema.clone();
        root.as_object_mut().unwrap().remove("example");
        root["components"] = DOCUMENT["components"].clone();
        let validator = jsonschema::draft202012::options().build(&root).expect("a schema");
        let errors: Vec<String> =
            validator.iter_errors(example).map(|e| format!("{e} at {}", e.instance_path)).collect();
        assert!(errors.is_empty(), "the example of {name} does not match it: {errors:?}");
        checked += 1;
    }
    assert!(checked >= 16, "only {checked} examples");
}

/// The document's schemas are refined after utoipa writes them (`openapi::complete`): flattened
/// members opened, `ArticleFields` added. The refinement falls back to the unrefined document when
/// its result does not read back as OpenAPI, so a schema utoipa cannot read (a field typed as any
/// JSON without a schema) would silently undo it; this says so where it happens.
#[test]
fn the_document_is_refined() {
    let schemas = &DOCUMENT["components"]["schemas"];
    assert!(
        schemas.get("ArticleFields").is_some(),
        "openapi::complete fell back to the unrefined document: some schema does not read back as OpenAPI"
    );
}
