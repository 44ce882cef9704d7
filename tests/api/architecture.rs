//! The layering that ARCHITECTURE.md describes, checked on the source: a change that breaks a
//! rule fails here with the file and the line.

use std::path::{Path, PathBuf};

const INFRASTRUCTURE: &[&str] =
    &["config", "error", "i18n", "db", "http", "text", "crypto", "limits", "cache", "logging", "metrics", "openapi"];
const FOUNDATION: &[&str] = &["auth", "users", "sites", "fields", "citizen"];
const RESOURCES: &[&str] = &[
    "articles",
    "categories",
    "events",
    "procedures",
    "feedback",
    "questions",
    "health",
    "changes",
    "sitemaps",
    "privacy",
    "webhooks",
    "media",
    "audit",
    "revisions",
    "search",
];
const ASSEMBLY: &[&str] = &["startup", "main", "lib", "seed", "personal_data"];
/// What a module may reach inside another: its public model types; of auth also its pure token code.
const PUBLIC_SUBMODULES: &[&str] = &["model", "tokens"];
const MAX_LINES: usize = 600;

struct Source {
    path: PathBuf,
    /// The top-level module: `articles` for `src/articles/reads.rs`, `cache` for `src/cache.rs`.
    module: String,
    text: String,
}

impl Source {
    /// The lines of code with their numbers, comments left out.
    fn code(&self) -> impl Iterator<Item = (usize, &str)> {
        self.text.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| !l.trim_start().starts_with("//"))
    }

    fn name(&self) -> String {
        self.path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(&self.path).display().to_string()
    }
}

fn sources() -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = vec![];
    walk(&root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(&root).expect("under src");
            let first = relative.components().next().expect("a component").as_os_str().to_string_lossy();
            let module = first.trim_end_matches(".rs").to_owned();
            let text = std::fs::read_to_string(&path).expect("read source");
            Source { path, module, text }
        })
        .collect()
}

/// Whether `line` names `module::` as a path segment (not as the end of a longer name).
fn names(line: &str, module: &str) -> Option<String> {
    let needle = format!("{module}::");
    let mut from = 0;
    while let Some(at) = line[from..].find(&needle) {
        let start = from + at;
        let before = line[..start].chars().last();
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            let rest = &line[start + needle.len()..];
            let segment: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            return Some(segment);
        }
        from = start + needle.len();
    }
    None
}

fn assert_no_violations(rule: &str, violations: Vec<String>) {
    assert!(violations.is_empty(), "{rule}:\n  {}", violations.join("\n  "));
}

#[test]
fn every_module_is_in_a_layer() {
    let known: Vec<&str> = [INFRASTRUCTURE, &["state"], FOUNDATION, RESOURCES, ASSEMBLY].concat();
    let unknown: Vec<String> = sources()
        .iter()
        .filter(|s| !known.contains(&s.module.as_str()))
        .map(|s| format!("{} (module `{}`): add it to a layer here and in ARCHITECTURE.md", s.name(), s.module))
        .collect();
    assert_no_violations("modules in no layer", unknown);
}

#[test]
fn nothing_imports_the_assembly() {
    let violations = sources()
        .iter()
        .filter(|s| !ASSEMBLY.contains(&s.module.as_str()))
        .flat_map(|s| {
            s.code()
                .filter(|(_, line)| names(line, "startup").is_some())
                .map(|(n, line)| format!("{}:{n}: {}", s.name(), line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_no_violations("a module below the assembly imports `startup`", violations);
}

#[test]
fn infrastructure_knows_no_resource_and_no_state() {
    let above: Vec<&str> = [&["state"], FOUNDATION, RESOURCES, ASSEMBLY].concat();
    let violations = sources()
        .iter()
        .filter(|s| INFRASTRUCTURE.contains(&s.module.as_str()))
        .flat_map(|s| {
            s.code()
                .filter(|(_, line)| {
                    line.contains("AppState") || above.iter().any(|m| line.contains(&format!("crate::{m}")))
                })
                .map(|(n, line)| format!("{}:{n}: {}", s.name(), line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_no_violations("infrastructure imports the state or a resource", violations);
}

#[test]
fn resources_use_each_others_public_api_only() {
    let modules: Vec<&str> = [FOUNDATION, RESOURCES].concat();
    let violations = sources()
        .iter()
        .filter(|s| !ASSEMBLY.contains(&s.module.as_str()))
        .flat_map(|s| {
            s.code()
                .flat_map(|(n, line)| {
                    modules
                        .iter()
                        .filter(|m| **m != s.module)
                        .filter_map(|m| {
                            let inside = names(line, m)?;
                            // `articles::table` and the like are the schema's tables, not the module.
                            let is_submodule = line.contains(&format!("{m}::{inside}::"));
                            (is_submodule && !PUBLIC_SUBMODULES.contains(&inside.as_str()))
                                .then(|| format!("{}:{n}: `{m}::{inside}`: {}", s.name(), line.trim()))
                        })
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert_no_violations(
        "a module reaches into another's insides (use what its mod.rs exports, or its model)",
        violations,
    );
}

#[test]
fn files_that_declare_routes_run_no_query() {
    let route = ["#[get(", "#[post(", "#[patch(", "#[put(", "#[delete("];
    let query = ["::table", "diesel::insert_into", "diesel::update", "diesel::delete", "sql_query", ".transaction("];
    let violations = sources()
        .iter()
        .filter(|s| route.iter().any(|r| s.text.contains(r)))
        .flat_map(|s| {
            s.code()
                .filter(|(_, line)| query.iter().any(|q| line.contains(q)))
                .map(|(n, line)| format!("{}:{n}: {}", s.name(), line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_no_violations("a handler file runs a query (move it to the resource's repo)", violations);
}

#[test]
fn long_files_say_why() {
    let violations = sources()
        .iter()
        .filter(|s| s.text.lines().count() > MAX_LINES)
        .filter(|s| !s.text.lines().take(10).any(|l| l.contains("Long because")))
        .map(|s| format!("{}: {} lines", s.name(), s.text.lines().count()))
        .collect();
    assert_no_violations("files over 600 lines without `Long because ...` at the top", violations);
}

#[test]
fn the_checks_see_what_they_look_for() {
    // The helpers must not pass everything: each rule would catch these lines.
    assert_eq!(names("use crate::users::repo::find_user;", "users").as_deref(), Some("repo"));
    assert_eq!(names("crate::sites::site_filter(conn, &q)", "sites").as_deref(), Some("site_filter"));
    assert_eq!(names("let x = my_users::repo::f();", "users"), None);
    assert!(sources().iter().any(|s| s.module == "startup" && s.text.contains("AppState")));
    assert!(sources().iter().any(|s| s.module == "articles" && s.text.contains("#[get(")));
}
