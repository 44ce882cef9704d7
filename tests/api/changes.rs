//! The change feed: every public change, in commit order, read with a cursor that never skips an
//! entry, including under concurrent writers on PostgreSQL, and scheduled articles when they come due.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use crate::helpers::*;

/// A copy of what the public sees, kept by reading the feed: (type, id) -> the latest payload.
#[derive(Default)]
struct Mirror {
    cursor: Option<String>,
    copies: HashMap<(String, i64), Value>,
    /// Every (type, id) any entry named.
    seen: HashSet<(String, i64)>,
    entries: usize,
}

impl Mirror {
    /// Reads the feed from where it stopped until it has nothing more, `per_page` at a time.
    async fn pull(&mut self, app: &TestApp, per_page: u32, filter: &str) {
        loop {
            let since = self.cursor.as_ref().map(|c| format!("&since={c}")).unwrap_or_default();
            let res = app.get(&format!("/api/v1/changes?per_page={per_page}{since}{filter}")).await;
            assert_eq!(res.status(), 200);
            let page: Value = res.json().await.unwrap();
            let mut last_cursor = None;
            for entry in page["data"].as_array().unwrap() {
                let key = (entry["type"].as_str().unwrap().to_owned(), entry["id"].as_i64().unwrap());
                self.seen.insert(key.clone());
                self.entries += 1;
                match entry["action"].as_str().unwrap() {
                    "upsert" => {
                        assert!(entry["data"].is_object(), "{entry}");
                        self.copies.insert(key, entry["data"].clone());
                    }
                    "delete" => {
                        assert!(entry["data"].is_null(), "{entry}");
                        self.copies.remove(&key);
                    }
                    other => panic!("unknown action {other}"),
                }
                last_cursor = Some(entry["cursor"].as_str().unwrap().to_owned());
            }
            let next = page["meta"]["next_cursor"].as_str().unwrap().to_owned();
            if let Some(last) = last_cursor {
                assert_eq!(last, next, "the next cursor is the last entry's");
            }
            self.cursor = Some(next);
            if !page["meta"]["has_more"].as_bool().unwrap() {
                return;
            }
        }
    }

    fn has(&self, kind: &str, id: i64) -> Option<&Value> {
        self.copies.get(&(kind.to_owned(), id))
    }
}

async fn article(app: &TestApp, token: &str, category: &Value, title: &str, status: &str) -> Value {
    let body = json!({"title": title, "category_id": category["id"], "body": "<p>Nội dung.</p>", "status": status});
    let res = app.post_json("/api/v1/articles", &body, Some(token)).await;
    assert_eq!(res.status(), 201, "create article {body}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_mirror_read_from_the_feed_holds_what_the_public_sees() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let mut mirror = Mirror::default();
    mirror.pull(&app, 100, "").await;
    // The site itself is there from the start.
    let sites: Value = app.get("/api/v1/sites").await.json().await.unwrap();
    let site_id = sites["data"][0]["id"].as_i64().unwrap();
    assert_eq!(mirror.has("site", site_id).unwrap()["code"], "phuong-hoa-binh");

    let news = crate::categories::create_category(&app, &editor, json!({"name": "Tin tức"})).await;
    let kept = article(&app, &editor, &news, "Hội nghị tổng kết", "published").await;
    let dropped = article(&app, &editor, &news, "Bài sẽ gỡ", "published").await;
    let draft = article(&app, &editor, &news, "Bản nháp chưa đăng", "draft").await;
    let res = app
        .patch_json(
            &format!("/api/v1/articles/{}", kept["id"]),
            &json!({"title": "Hội nghị tổng kết năm 2026"}),
            Some(&editor),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res =
        app.request(reqwest::Method::POST, &format!("/api/v1/articles/{}/unpublish", dropped["id"]), Some(&editor));
    assert_eq!(res.send().await.unwrap().status(), 200);
    let event = crate::events::create_event(
        &app,
        &editor,
        json!({"title": "Tiếp công dân định kỳ", "starts_at": "2026-12-10T08:00", "ends_at": "2026-12-10T11:00"}),
    )
    .await;
    let procedure = app.post_json("/api/v1/procedures", &crate::procedures::birth(), Some(&editor)).await;
    assert_eq!(procedure.status(), 201);
    let procedure: Value = procedure.json().await.unwrap();

    // Two at a time, so that pages end inside the run of changes.
    mirror.pull(&app, 2, "").await;
    let kept_copy = mirror.has("article", kept["id"].as_i64().unwrap()).expect("the published article");
    assert_eq!(kept_copy["title"], "Hội nghị tổng kết năm 2026");
    assert_eq!(kept_copy["body"], "<p>Nội dung.</p>", "the payload is the article as its public GET shows it");
    assert!(mirror.has("article", dropped["id"].as_i64().unwrap()).is_none(), "unpublished: deleted from the copy");
    assert!(mirror.seen.contains(&("article".to_owned(), dropped["id"].as_i64().unwrap())));
    assert!(
        !mirror.seen.contains(&("article".to_owned(), draft["id"].as_i64().unwrap())),
        "a draft never enters the feed"
    );
    assert_eq!(mirror.has("category", news["id"].as_i64().unwrap()).unwrap()["name"], "Tin tức");
    assert_eq!(mirror.has("event", event["id"].as_i64().unwrap()).unwrap()["title"], "Tiếp công dân định kỳ");
    assert_eq!(mirror.has("procedure", procedure["id"].as_i64().unwrap()).unwrap()["code"], "1.001193");

    // A deletion reaches the mirror; nothing else is new.
    let res = app.request(reqwest::Method::DELETE, &format!("/api/v1/articles/{}", kept["id"]), Some(&editor));
    assert_eq!(res.send().await.unwrap().status(), 204);
    let before = mirror.entries;
    mirror.pull(&app, 100, "").await;
    assert!(mirror.has("article", kept["id"].as_i64().unwrap()).is_none());
    assert_eq!(mirror.entries, before + 1, "one entry: the deletion");
    mirror.pull(&app, 100, "").await;
    assert_eq!(mirror.entries, before + 1, "an empty pull keeps the cursor");

    // Filters by type and site; a bad cursor or type is a 400 that names the parameter.
    let mut articles_only = Mirror::default();
    articles_only.pull(&app, 50, "&type=article&site=phuong-hoa-binh").await;
    assert!(articles_only.seen.iter().all(|(kind, _)| kind == "article"));
    assert!(!articles_only.seen.is_empty());
    for bad in ["since=abc", "since=-1.2", "type=nguoi-dung", "per_page=101"] {
        let problem = assert_problem(app.get(&format!("/api/v1/changes?{bad}")).await, 400).await;
        let name = bad.split('=').next().unwrap();
        assert!(field_errors(&problem).iter().any(|f| f.starts_with(name)), "{bad}: {problem}");
    }
}

#[tokio::test]
async fn a_scheduled_article_enters_the_feed_when_it_comes_due() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let news = crate::categories::create_category(&app, &editor, json!({"name": "Thông báo"})).await;
    let due = Utc::now() + chrono::Duration::seconds(2);
    let body = json!({"title": "Thông báo lịch cắt điện", "category_id": news["id"], "body": "<p>Lịch.</p>",
                      "status": "published", "published_at": due.to_rfc3339()});
    let res = app.post_json("/api/v1/articles", &body, Some(&editor)).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let mut mirror = Mirror::default();
    mirror.pull(&app, 100, "").await;
    assert!(!mirror.seen.contains(&("article".to_owned(), id)), "not before it is due");
    let mut waited = Duration::ZERO;
    while mirror.has("article", id).is_none() {
        assert!(waited < Duration::from_secs(15), "the article did not enter the feed after it came due");
        tokio::time::sleep(Duration::from_millis(250)).await;
        waited += Duration::from_millis(250);
        mirror.pull(&app, 100, "").await;
    }
    assert!(Utc::now() >= due);
    assert_eq!(mirror.has("article", id).unwrap()["title"], "Thông báo lịch cắt điện");
}

/// Writers publish articles concurrently while a reader polls the feed with its cursor: every
/// acknowledged article reaches the reader. On PostgreSQL transactions commit in another order than
/// they began, which is what loses entries behind a sequence or a timestamp.
#[tokio::test]
async fn a_reader_polling_during_concurrent_writes_misses_nothing() {
    let app = Arc::new(
        spawn_app_with(|env| {
            env.insert("MUNI_DB_POOL_SIZE".into(), "12".into());
            env.insert("MUNI_WORKERS".into(), "2".into());
        })
        .await,
    );
    let editor = app.token_for("editor").await;
    let news = crate::categories::create_category(&app, &editor, json!({"name": "Tin tức"})).await;
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (app, done) = (app.clone(), done.clone());
        tokio::spawn(async move {
            let mut mirror = Mirror::default();
            while !done.load(Ordering::Relaxed) {
                mirror.pull(&app, 7, "&type=article").await;
            }
            mirror
        })
    };
    let mut writers = vec![];
    for writer in 0..8 {
        let (app, editor, news) = (app.clone(), editor.clone(), news.clone());
        writers.push(tokio::spawn(async move {
            let mut ids = vec![];
            for n in 0..10 {
                let created = article(&app, &editor, &news, &format!("Tin {writer}-{n}"), "published").await;
                ids.push(created["id"].as_i64().unwrap());
            }
            ids
        }));
    }
    let mut acknowledged = vec![];
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    done.store(true, Ordering::Relaxed);
    let mut mirror = reader.await.unwrap();
    mirror.pull(&app, 7, "&type=article").await;
    let missing: Vec<i64> = acknowledged.iter().copied().filter(|id| mirror.has("article", *id).is_none()).collect();
    assert!(missing.is_empty(), "acknowledged but never read from the feed: {missing:?}");
    // A reader from the start gets each exactly as often as it changed: once.
    let mut fresh = Mirror::default();
    fresh.pull(&app, 100, "&type=article").await;
    assert_eq!(fresh.entries, acknowledged.len());
}

/// Three API nodes on one database each run the release clock: every scheduled article enters the
/// feed once, when due, whichever node notices it first.
#[tokio::test]
async fn several_nodes_release_each_scheduled_article_once() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let env = test_env(&app.db);
        let config = muni::config::Config::from_lookup(|k| env.get(k).cloned()).expect("test configuration");
        let node = muni::startup::Application::build(config).expect("another node");
        tokio::spawn(node.run_until_stopped());
    }
    let editor = app.token_for("editor").await;
    let news = crate::categories::create_category(&app, &editor, json!({"name": "Lịch"})).await;
    let due = Utc::now() + chrono::Duration::milliseconds(1500);
    let mut ids = vec![];
    for n in 0..5 {
        let body = json!({"title": format!("Hẹn giờ {n}"), "category_id": news["id"], "body": "<p>x</p>",
                          "status": "published", "published_at": due.to_rfc3339()});
        let res = app.post_json("/api/v1/articles", &body, Some(&editor)).await;
        assert_eq!(res.status(), 201);
        ids.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let mut mirror = Mirror::default();
    for _ in 0..80 {
        mirror.pull(&app, 100, "&type=article").await;
        if ids.iter().all(|id| mirror.has("article", *id).is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ids.iter().all(|id| mirror.has("article", *id).is_some()), "all released");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut fresh = Mirror::default();
    fresh.pull(&app, 100, "&type=article").await;
    assert_eq!(fresh.entries, ids.len(), "each released once, by one of the nodes");
}
