//! What every list shares: `fields=` trims each item to the fields asked for, on every list the
//! document describes, and names a field the items do not have.

use serde_json::Value;

use crate::contract::DOCUMENT;
use crate::helpers::*;

/// The lists the document describes without a path parameter, with their item schema's name.
fn lists() -> Vec<(String, String)> {
    let mut lists = vec![];
    for (path, item) in DOCUMENT["paths"].as_object().expect("paths") {
        let schema = &item["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
        let Some(name) = schema.as_str().and_then(|r| r.strip_prefix("#/components/schemas/ListResponse_")) else {
            continue;
        };
        if !path.contains('{') {
            lists.push((path.clone(), name.to_owned()));
        }
    }
    lists
}

/// The item's key and another property of it, from the partial schema the document gives.
fn key_and_other(item: &str) -> (String, String) {
    let partial = &DOCUMENT["components"]["schemas"][format!("{item}Fields")];
    let members = partial["allOf"].as_array().into_iter().flatten();
    let key = std::iter::once(partial)
        .chain(members)
        .find_map(|part| part["required"][0].as_str())
        .unwrap_or_else(|| panic!("{item}Fields names its key"))
        .to_owned();
    let mut names: Vec<String> =
        partial["properties"].as_object().into_iter().flat_map(|p| p.keys().cloned()).collect();
    for member in partial["allOf"].as_array().into_iter().flatten() {
        names.extend(member["properties"].as_object().into_iter().flat_map(|p| p.keys().cloned()));
    }
    names.sort();
    let other = names.into_iter().find(|n| *n != key && n != "children").expect("another property");
    (key, other)
}

#[tokio::test]
async fn every_list_answers_only_the_fields_asked_for() {
    let app = spawn_app().await;
    muni::seed::seed_demo(&mut app.db.connect(), 1, &app.media_store()).expect("demo");
    let admin = app.admin_token().await;
    let lists = lists();
    assert!(lists.len() >= 12, "{lists:?}");
    let mut with_items = 0;
    for (path, item) in &lists {
        let (key, other) = key_and_other(item);
        let whole: Value = app.get_as(&format!("{path}?per_page=5"), &admin).await.json().await.expect("JSON");
        let res = app.get_as(&format!("{path}?per_page=5&fields={other}"), &admin).await;
        assert_eq!(res.status(), 200, "{path}?fields={other}");
        let trimmed: Value = res.json().await.expect("JSON");
        assert_eq!(trimmed["meta"], whole["meta"], "{path}: the same page");
        let items = trimmed["data"].as_array().expect("data");
        for (trimmed, whole) in items.iter().zip(whole["data"].as_array().expect("data")) {
            let mut names: Vec<&String> = trimmed.as_object().expect("an object").keys().collect();
            names.sort();
            assert!(names.iter().all(|n| **n == key || **n == other), "{path}: {names:?}");
            assert_eq!(trimmed[&key], whole[&key], "{path}: the key is kept");
            assert_eq!(trimmed.get(&other), whole.get(&other), "{path}: {other} as in the whole item");
        }
        with_items += usize::from(!items.is_empty());
        let problem =
            assert_problem(app.get_as(&format!("{path}?fields={other},no_such_field"), &admin).await, 400).await;
        assert_eq!(field_errors(&problem), ["fields:invalid_value"], "{path}");
        assert!(problem["detail"].as_str().unwrap_or("").contains("no_such_field"), "{path}: {problem}");
    }
    assert!(with_items >= 10, "only {with_items} lists had items to trim");
}
