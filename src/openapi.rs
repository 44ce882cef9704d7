//! The OpenAPI 3.1 document: collected from the handlers by utoipa-actix-web, then completed
//! here with the security scheme and the error responses every operation can give.

use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as OpenApiDoc, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, PROBLEM_JSON, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "muni",
        description = "A headless JSON API for the content of Vietnamese wards, communes and provinces.\n\n\
            Reads of published content are public. Writes need a bearer access token from `POST /api/v1/auth/login`. \
            Every error is an RFC 9457 problem document (`application/problem+json`); validation errors list each \
            invalid field with a stable `code`. Its `title`, `detail` and field `message`s are English, or Vietnamese \
            when `Accept-Language` prefers `vi` (`Content-Language` says which); codes are the same in both. Lists are paged with `page` and `per_page` and carry `Link` and \
            `X-Total-Count` headers. Every GET answers a strong `ETag` and honours `If-None-Match`. Every response \
            carries an `X-Request-Id` (taken from a trusted proxy, or generated) that the server's log line for \
            the request also names.",
        license(name = "MIT", identifier = "MIT")
    ),
    tags(
        (name = "auth", description = "Sign in, refresh and sign out"),
        (name = "users", description = "Staff accounts (admins)"),
        (name = "sites", description = "The wards and communes a deployment serves"),
        (name = "categories", description = "Sections of a site, as a tree"),
        (name = "articles", description = "News, reports and plans"),
        (name = "events", description = "The leadership's work calendar, as JSON and iCalendar"),
        (name = "feedback", description = "Citizens' feedback: submission, tracking, the staff workflow, personal data"),
        (name = "open311", description = "The feedback as Open311 GeoReport v2"),
        (name = "procedures", description = "Administrative procedures, as the national database records them"),
        (name = "questions", description = "Questions and answers (hỏi đáp), and the fields they and procedures use"),
        (name = "changes", description = "One feed of every public change, in commit order, to mirror a site"),
        (name = "media", description = "Photos and documents: uploads, the library, and the files themselves"),
        (name = "webhooks", description = "Signed notifications of changes, POSTed to endpoints that a site's admins register"),
        (name = "search", description = "One search box across articles, procedures, questions and events"),
        (name = "audit", description = "Who did what, when, from where: the append-only, hash-chained audit log"),
        (name = "system", description = "Health, readiness, metrics and this document"),
    ),
    servers((url = "/", description = "This server: paths are relative to where the document is served")),
    components(schemas(Problem, FieldError)),
    modifiers(&Security)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut OpenApiDoc) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "metricsToken",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The token in `MUNI_METRICS_TOKEN`, for `/metrics` only"))
                    .build(),
            ),
        );
    }
}

/// The error responses shared by operations, by name, status and description.
const COMMON_RESPONSES: &[(&str, &str, &str)] = &[
    (
        "BadRequest",
        "400",
        "Malformed request: bad JSON, an unknown or invalid query parameter, or a path segment of the wrong shape",
    ),
    ("Unauthorized", "401", "No access token, or one that is invalid, expired or revoked (`WWW-Authenticate: Bearer`)"),
    ("Forbidden", "403", "The user's role or site may not do this"),
    ("NotFound", "404", "No such resource, or one the caller may not see"),
    ("RequestTimeout", "408", "The request body did not arrive within the request deadline"),
    ("PayloadTooLarge", "413", "The request body is over the limit"),
    ("UnsupportedMediaType", "415", "The request body is not `application/json`"),
    ("UnprocessableContent", "422", "Invalid fields; `errors` lists each with a stable `code`"),
    ("TooManyRequests", "429", "Rate limit reached; wait for `Retry-After` seconds"),
    ("InternalError", "500", "An unexpected error; its cause is logged, not shown"),
    ("ServiceUnavailable", "503", "The database is unreachable; retry after `Retry-After` seconds"),
];

/// Each method of a path with the names of the query parameters it takes.
pub fn query_parameters_of(item: &PathItem) -> Vec<(String, Vec<String>)> {
    let ops = [
        ("GET", &item.get),
        ("PUT", &item.put),
        ("POST", &item.post),
        ("DELETE", &item.delete),
        ("PATCH", &item.patch),
        ("HEAD", &item.head),
        ("OPTIONS", &item.options),
    ];
    ops.into_iter()
        .filter_map(|(method, op)| op.as_ref().map(|op| (method.to_owned(), parameter_names(op, ParameterIn::Query))))
        .collect()
}

/// The names of an operation's parameters that go in `place` (query, header, ...).
fn parameter_names(op: &Operation, place: ParameterIn) -> Vec<String> {
    op.parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) if p.parameter_in == place => Some(p.name.clone()),
            _ => None,
        })
        .collect()
}

fn operations_mut(item: &mut PathItem) -> Vec<&mut Operation> {
    [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch, &mut item.head, &mut item.options]
        .into_iter()
        .filter_map(Option::as_mut)
        .collect()
}

/// Adds the shared error responses to each operation, and the problem+json body to every error
/// response an operation lists itself (annotations give only status and description).
///
/// The shared ones, as the server really gives them: 400 and 500 everywhere, 503 where the
/// database is used, 401/403 where a token is needed, 404 where the path names a resource,
/// 408/413/415/422 where there is a body. Responses a handler documents itself are kept.
pub fn complete(mut api: OpenApiDoc) -> OpenApiDoc {
    let components = api.components.get_or_insert_with(Default::default);
    for (name, _, description) in COMMON_RESPONSES {
        let content = Content::new(Some(Ref::from_schema_name("Problem")));
        let response = Response::builder().description(*description).content(PROBLEM_JSON, content).build();
        components.responses.insert((*name).to_owned(), RefOr::T(response));
    }
    for (path, item) in api.paths.paths.iter_mut() {
        let uses_db = !matches!(path.as_str(), "/healthz" | "/metrics" | "/api/v1/openapi.json");
        let has_path_params = path.contains('{');
        for op in operations_mut(item) {
            // `security((), ("bearer" = []))` marks an optional token: 401 for a bad one, no 403.
            let requirements = op.security.as_deref().unwrap_or_default();
            let optional =
                requirements.iter().any(|r| serde_json::to_value(r).is_ok_and(|v| v == serde_json::json!({})));
            let secured = !requirements.is_empty() && !optional;
            // Roles and sites come with the bearer token only (the metrics token has neither).
            let has_roles =
                requirements.iter().any(|r| serde_json::to_value(r).is_ok_and(|v| v.get("bearer").is_some()));
            let has_body = op.request_body.is_some();
            let mut wanted = vec!["400", "500"];
            if uses_db {
                wanted.push("503");
            }
            if secured && has_roles {
                wanted.extend(["401", "403"]);
            } else if secured || optional {
                wanted.push("401");
            }
            if has_path_params {
                wanted.push("404");
            }
            if has_body {
                wanted.extend(["408", "413", "415", "422"]);
            }
            for (name, status, _) in COMMON_RESPONSES {
                if wanted.contains(status) && !op.responses.responses.contains_key(*status) {
                    op.responses.responses.insert((*status).to_owned(), RefOr::Ref(Ref::from_response_name(*name)));
                }
            }
            // An operation without a token says so: `security: []` (public), not nothing.
            if op.security.is_none() {
                op.security = Some(vec![]);
            }
            refine_parameters(path, op);
            // Every error is a problem document: an operation's own error responses give their
            // status and description, and get the body here.
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(response) = response
                    && status.as_str() >= "400"
                    && response.content.is_empty()
                {
                    let content = Content::new(Some(Ref::from_schema_name("Problem")));
                    response.content.insert(PROBLEM_JSON.to_owned(), RefOr::T(content));
                }
            }
        }
    }
    for item in api.paths.paths.values_mut() {
        for op in [&mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten() {
            document_change_reason(op);
        }
    }
    refine_schemas(api)
}

/// Every staff write may say why it is made: the reason goes on the revisions it makes and in the
/// audit log.
fn document_change_reason(op: &mut Operation) {
    use utoipa::openapi::path::{Parameter, ParameterBuilder};
    let staff = op.security.iter().flatten().any(|r| serde_json::to_value(r).is_ok_and(|v| v.get("bearer").is_some()));
    let named = parameter_names(op, ParameterIn::Header).iter().any(|n| n == crate::http::CHANGE_REASON_HEADER);
    if !staff || named {
        return;
    }
    let parameter: Parameter = ParameterBuilder::new()
        .name(crate::http::CHANGE_REASON_HEADER)
        .parameter_in(ParameterIn::Header)
        .description(Some(
            "Why the change is made (at most 500 characters; UTF-8, percent-encoded from a browser): kept \
             on the revisions it makes and in the audit log",
        ))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .max_length(Some(1500)),
        ))
        .build();
    op.parameters.get_or_insert_with(Vec::new).push(RefOr::T(parameter));
}

/// What the collected schemas cannot say by themselves, said in the document's JSON:
///
/// - A type flattened into another (`Procedure` holds a `ProcedureRecord`) is closed to unknown
///   fields as a request body, but not inside the type that holds it: such `allOf` members are
///   inlined without `additionalProperties: false`.
/// - `fields=` trims list items (and an article) to the fields asked for: a list of `X` holds whole
///   `X`s or `XFields`, the same properties with only the item's key required.
fn refine_schemas(api: OpenApiDoc) -> OpenApiDoc {
    let Ok(mut doc) = serde_json::to_value(&api) else { return api };
    let schemas = doc["components"]["schemas"].clone();
    open_flattened(&mut doc, &schemas);
    let lists: Vec<String> = schemas
        .as_object()
        .map(|all| all.keys().filter_map(|name| name.strip_prefix("ListResponse_")).map(str::to_owned).collect())
        .unwrap_or_default();
    for item in lists {
        let Some(partial) = doc["components"]["schemas"].get(&item).map(|s| partial_schema(s, &schemas)) else {
            continue;
        };
        let list = &mut doc["components"]["schemas"][format!("ListResponse_{item}")]["properties"]["data"]["items"];
        *list = serde_json::json!({"anyOf": [
            {"$ref": format!("#/components/schemas/{item}")}, {"$ref": format!("#/components/schemas/{item}Fields")}
        ]});
        doc["components"]["schemas"][format!("{item}Fields")] = partial;
    }
    let either = serde_json::json!({"anyOf": [
        {"$ref": "#/components/schemas/Article"}, {"$ref": "#/components/schemas/ArticleFields"}
    ]});
    let single = &mut doc["paths"]["/api/v1/articles/{key}"]["get"]["responses"]["200"]["content"]["application/json"];
    if single.is_object() {
        single["schema"] = either;
    }
    serde_json::from_value(doc).unwrap_or_else(|e| {
        log::error!("the refined OpenAPI document does not read back ({e}); serving it unrefined");
        api
    })
}

/// A list item's schema as `fields=` trims it: the same properties, only its key required.
fn partial_schema(schema: &serde_json::Value, schemas: &serde_json::Value) -> serde_json::Value {
    fn loosen(part: &mut serde_json::Value, names: &mut Vec<String>) {
        if let Some(object) = part.as_object_mut() {
            object.remove("required");
            object.remove("example");
            names.extend(
                object.get("properties").and_then(|p| p.as_object()).into_iter().flat_map(|p| p.keys().cloned()),
            );
        }
    }
    let mut partial = schema.clone();
    let mut names = vec![];
    loosen(&mut partial, &mut names);
    for member in partial.get_mut("allOf").and_then(|m| m.as_array_mut()).into_iter().flatten() {
        let target = member["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")).map(str::to_owned);
        if let Some(target) = target {
            *member = schemas[target].clone();
        }
        loosen(member, &mut names);
    }
    let key = crate::http::fields::KEYS.iter().find(|key| names.iter().any(|n| n == *key));
    let required = serde_json::json!(key.into_iter().collect::<Vec<_>>());
    match partial.get_mut("allOf").and_then(|m| m.as_array_mut()) {
        // utoipa's `allOf` has no `required` of its own: a member says it.
        Some(members) => members.push(serde_json::json!({"type": "object", "required": required})),
        None => partial["required"] = required,
    }
    let description = schema["description"].as_str().unwrap_or("").trim_end_matches('.').to_owned();
    partial["description"] = serde_json::json!(format!(
        "{}with only the fields `fields` asked for (its key, `{}`, always).",
        if description.is_empty() { "An item ".to_owned() } else { format!("{description}, ") },
        key.copied().unwrap_or("id")
    ));
    partial
}

/// Replaces, anywhere in `value`, an `allOf` member that refers to a closed schema with an open
/// copy of it.
fn open_flattened(value: &mut serde_json::Value, schemas: &serde_json::Value) {
    match value {
        serde_json::Value::Object(object) => {
            if let Some(members) = object.get_mut("allOf").and_then(|m| m.as_array_mut()) {
                for member in members.iter_mut() {
                    let target = member
                        .get("$ref")
                        .and_then(|r| r.as_str())
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                        .map(|name| &schemas[name]);
                    if let Some(closed) = target.filter(|s| s["additionalProperties"] == false) {
                        let mut open = closed.clone();
                        if let Some(o) = open.as_object_mut() {
                            o.remove("additionalProperties");
                        }
                        *member = open;
                    }
                }
            }
            object.values_mut().for_each(|v| open_flattened(v, schemas));
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| open_flattened(v, schemas)),
        _ => {}
    }
}

/// Query parameters the server reads as text but takes only from a fixed set: the document lists
/// the values (the handlers check them, and a test calls each).
const ENUMERATED_PARAMETERS: &[(&str, &str, &[&str])] = &[
    ("/api/v1/articles", "status", &["draft", "published", "scheduled", "archived"]),
    ("/api/v1/events", "status", &["draft", "scheduled", "changed", "cancelled"]),
    ("/api/v1/events", "sort", &["starts_at", "-starts_at"]),
    ("/api/v1/procedures", "validity", &["in_force", "expired", "replaced", "all"]),
    ("/api/v1/procedures/facets", "validity", &["in_force", "expired", "replaced", "all"]),
    ("/api/v1/questions", "status", &["pending", "answered", "published", "rejected"]),
    ("/api/v1/questions", "sort", &["-published_at", "published_at", "-view_count", "featured"]),
    ("/open311/v2/requests.json", "status", &["open", "closed"]),
    ("/open311/v2/requests.xml", "status", &["open", "closed"]),
];

/// Query parameter schemas as the server enforces them: `page` from 1 and `per_page` from 1 to
/// [`crate::http::MAX_PER_PAGE`], and the values of [`ENUMERATED_PARAMETERS`].
fn refine_parameters(path: &str, op: &mut Operation) {
    use utoipa::openapi::schema::Schema;
    for parameter in op.parameters.iter_mut().flatten() {
        let RefOr::T(parameter) = parameter else { continue };
        let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut() else { continue };
        match parameter.name.as_str() {
            "page" => object.minimum = Some(1f64.into()),
            "per_page" => {
                object.minimum = Some(1f64.into());
                object.maximum = Some(f64::from(crate::http::MAX_PER_PAGE).into());
            }
            name => {
                if let Some((_, _, values)) = ENUMERATED_PARAMETERS.iter().find(|(p, n, _)| *p == path && *n == name) {
                    object.enum_values = Some(values.iter().map(|v| serde_json::json!(v)).collect());
                }
            }
        }
    }
}

/// The request headers operations take (`Idempotency-Key`, `If-Match`, `X-Tracking-Secret`, ...),
/// lowercased: what a browser on another origin must be allowed to send.
pub fn request_headers(api: &OpenApiDoc) -> Vec<String> {
    let mut names: Vec<String> = api
        .paths
        .paths
        .values()
        .flat_map(|item| [&item.get, &item.put, &item.post, &item.delete, &item.patch].into_iter().flatten())
        .flat_map(|op| parameter_names(op, ParameterIn::Header))
        .map(|name| name.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The document as checked in under `openapi/`: pretty JSON with a final newline.
pub fn to_pretty_json(api: &OpenApiDoc) -> String {
    let mut json = serde_json::to_string_pretty(api).unwrap_or_default();
    json.push('\n');
    json
}
