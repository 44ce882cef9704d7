//! Search: the index inside the server, kept from the change log. Diacritics both ways, phrases,
//! prefixes, typos, ranking, escaped snippets, counts per kind, and nothing unpublished found,
//! on this node and on a second one sharing the database.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::categories::create_category;
use crate::events::create_event;
use crate::helpers::*;

/// A node to search: its address (the test's server, or a second node on the same database).
struct Node<'a> {
    client: &'a reqwest::Client,
    address: String,
}

impl<'a> From<&'a TestApp> for Node<'a> {
    fn from(app: &'a TestApp) -> Self {
        Node { client: &app.client, address: app.address.clone() }
    }
}

impl Node<'_> {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("request")
    }
}

async fn search<'a>(node: impl Into<Node<'a>>, query: &str) -> Value {
    let res = node.into().get(&format!("/api/v1/search?{query}")).await;
    assert_eq!(res.status(), 200, "search {query}");
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["meta"]["source"], "index", "{answer}");
    answer
}

fn titles(answer: &Value) -> Vec<String> {
    answer["data"].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap().to_owned()).collect()
}

/// Searches until the answer satisfies `ready` (the index follows commits within a second).
async fn search_until<'a>(node: impl Into<Node<'a>>, query: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let node = node.into();
    let mut answer = Value::Null;
    for _ in 0..100 {
        let res = node.get(&format!("/api/v1/search?{query}")).await;
        if res.status() == 200 {
            answer = res.json().await.unwrap();
            if ready(&answer) {
                return answer;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("search {query} never got there: {answer}");
}

async fn article(app: &TestApp, editor: &str, category: i64, title: &str, body: &str, status: &str) -> Value {
    let body = json!({"title": title, "body": body, "category_id": category, "status": status});
    let res = app.post_json("/api/v1/articles", &body, Some(editor)).await;
    assert_eq!(res.status(), 201, "create {body}");
    res.json().await.unwrap()
}

struct Portal {
    app: TestApp,
    editor: String,
    category: i64,
}

/// A portal with a few articles, a draft among them, and an event; searched once all are found.
async fn portal() -> Portal {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let category = create_category(&app, &editor, json!({"name": "Tin tức"})).await["id"].as_i64().unwrap();
    let p = Portal { app, editor, category };
    for (title, body, status) in [
        ("Dân vận khéo ở khu phố 3", "<p>Mô hình dân vận của khu phố được nhân rộng.</p>", "published"),
        ("Bão số 3 đổ bộ vào miền Trung", "<p>Người dân chủ động phòng chống bão.</p>", "published"),
        ("Báo cáo tổng kết năm 2026", "<p>Kết quả thực hiện nhiệm vụ năm.</p>", "published"),
        ("Kết quả tổng hợp ý kiến cử tri", "<p>Ý kiến về đường giao thông.</p>", "published"),
        ("Cảnh báo lừa đảo qua mạng", "<p>Đừng bấm &lt;script&gt; lạ: kẻ gian lừa đảo người dân.</p>", "published"),
        ("Phường tổ chức hội thao", "<p>Các tổ dân phố tham gia.</p>", "published"),
        ("Bản nháp về dân vận", "<p>Chưa duyệt.</p>", "draft"),
    ] {
        article(&p.app, &p.editor, category, title, body, status).await;
    }
    create_event(&p.app, &p.editor, json!({"title": "Họp bàn công tác dân vận", "starts_at": "2026-12-10T08:00"}))
        .await;
    search_until(&p.app, "q=dan%20van", |a| a["meta"]["counts"]["event"] == 1 && a["meta"]["counts"]["article"] == 1)
        .await;
    search_until(&p.app, "q=hoi%20thao", |a| a["meta"]["total"] == 1).await;
    p
}

#[tokio::test]
async fn diacritics_are_ignored_both_ways_and_an_exact_spelling_ranks_first() {
    let p = portal().await;
    let found = search(&p.app, "q=dan%20van%20kheo").await;
    assert_eq!(titles(&found), ["Dân vận khéo ở khu phố 3"]);
    let found = search(&p.app, "q=D%C3%82N%20V%E1%BA%ACN").await; // "DÂN VẬN"
    assert!(titles(&found).contains(&"Dân vận khéo ở khu phố 3".to_owned()), "{found}");
    // `bão` and `báo` fold alike; each, typed with its diacritics, finds its own spelling first.
    let storm = search(&p.app, "q=b%C3%A3o%20").await; // "bão "
    assert_eq!(titles(&storm)[0], "Bão số 3 đổ bộ vào miền Trung", "{storm}");
    assert!(titles(&storm).len() >= 2, "both spellings are found: {storm}");
    let report = search(&p.app, "q=b%C3%A1o%20").await; // "báo "
    let ranked = titles(&report);
    assert_eq!(ranked.len(), 3, "{report}");
    assert_eq!(ranked[2], "Bão số 3 đổ bộ vào miền Trung", "the other spelling comes last: {report}");
}

#[tokio::test]
async fn phrases_prefixes_and_typos() {
    let p = portal().await;
    // As a phrase, `tổng kết` is not `kết quả tổng hợp`; as words, both have them.
    let phrase = search(&p.app, "q=%22tong%20ket%22").await;
    assert_eq!(titles(&phrase), ["Báo cáo tổng kết năm 2026"]);
    let words = search(&p.app, "q=tong%20ket%20").await;
    assert_eq!(words["meta"]["total"], 2, "{words}");
    // The last word while typing.
    let typing = search(&p.app, "q=dan%20van%20khe").await;
    assert_eq!(titles(&typing), ["Dân vận khéo ở khu phố 3"]);
    // One typo in a long word.
    let typo = search(&p.app, "q=phuonh%20").await;
    assert_eq!(titles(&typo), ["Phường tổ chức hội thao"]);
    let typing_with_a_typo = search(&p.app, "q=phuonh").await;
    assert_eq!(titles(&typing_with_a_typo), ["Phường tổ chức hội thao"]);
}

#[tokio::test]
async fn titles_rank_above_bodies_and_snippets_are_escaped_with_marks() {
    let p = portal().await;
    // `dân` is in one title and in two bodies: the title comes first.
    let found = search(&p.app, "q=dan%20&type=article").await;
    assert_eq!(titles(&found)[0], "Dân vận khéo ở khu phố 3", "{found}");
    let scam = search(&p.app, "q=lua%20dao").await;
    let hit = &scam["data"][0];
    assert_eq!(hit["type"], "article");
    let snippet = hit["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>lừa</mark> <mark>đảo</mark>"), "{snippet}");
    assert!(snippet.contains("&lt;script&gt;") && !snippet.contains("<script>"), "{snippet}");
    assert!(hit["handle"].as_str().is_some_and(|h| !h.is_empty()));
}

#[tokio::test]
async fn counts_per_kind_ignore_the_type_filter_and_bad_queries_are_refused() {
    let p = portal().await;
    let all = search(&p.app, "q=dan%20van").await;
    assert_eq!(all["meta"]["total"], 2);
    let events = search(&p.app, "q=dan%20van&type=event").await;
    assert_eq!(titles(&events), ["Họp bàn công tác dân vận"]);
    assert_eq!(events["meta"]["total"], 1);
    assert_eq!(events["meta"]["counts"]["article"], 1, "counts ignore `type`: {events}");
    assert_eq!(events["data"][0]["type"], "event");
    let by_date = search(&p.app, "q=dan%20van&sort=-date").await;
    assert_eq!(titles(&by_date)[0], "Họp bàn công tác dân vận", "the event is dated after the article");

    for (query, field) in [
        ("q=", "q:required"),
        ("q=%20%3F%21", "q:required"),
        (&format!("q={}", "a".repeat(201)) as &str, "q:too_long"),
        ("q=dan&type=page", "type:invalid_value"),
        ("q=dan&sort=title", "sort:invalid_value"),
        ("q=dan&from=yesterday", "from:invalid_format"),
        ("q=dan&per_page=101", "per_page:invalid_value"),
    ] {
        let problem = assert_problem(p.app.get(&format!("/api/v1/search?{query}")).await, 400).await;
        assert_eq!(field_errors(&problem), [field.to_owned()], "{query}: {problem}");
    }
    assert_problem(p.app.get("/api/v1/search?q=dan&site=nowhere").await, 400).await;
}

/// Drafts are never found; what is unpublished or deleted stops being found within a second, on
/// this node and on a second node with its own index on the same database.
#[tokio::test]
async fn unpublished_content_leaves_every_node() {
    let p = portal().await;
    let second_dir = tempfile::tempdir().unwrap();
    let mut env = test_env(&p.app.db);
    env.insert("MUNI_SEARCH_DIR".into(), second_dir.path().display().to_string());
    let config = muni::config::Config::from_lookup(|k| env.get(k).cloned()).expect("test configuration");
    let node = muni::startup::Application::build(config).expect("a second node");
    let port = node.port();
    let second = || Node { client: &p.app.client, address: format!("http://127.0.0.1:{port}") };
    tokio::spawn(node.run_until_stopped());
    search_until(second(), "q=hoi%20thao", |a| a["meta"]["total"] == 1).await;
    assert_eq!(search(second(), "q=ban%20nhap").await["meta"]["total"], 0, "a draft is not found");
    assert_eq!(search(&p.app, "q=ban%20nhap").await["meta"]["total"], 0, "a draft is not found");

    let fresh = article(&p.app, &p.editor, p.category, "Lễ hội văn hóa ẩm thực", "<p>x</p>", "published").await;
    for node in [Node::from(&p.app), second()] {
        search_until(node, "q=am%20thuc", |a| a["meta"]["total"] == 1).await;
    }
    let res = p
        .app
        .request(Method::POST, &format!("/api/v1/articles/{}/unpublish", fresh["id"]), Some(&p.editor))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    for node in [Node::from(&p.app), second()] {
        search_until(node, "q=am%20thuc", |a| a["meta"]["total"] == 0).await;
    }
}

/// Category and field filters and the facets asked for, from the index; how deep pages go; bad
/// facets and fields refused.
#[tokio::test]
async fn category_and_field_filters_and_facets_come_from_the_index() {
    let p = portal().await;
    let notices = create_category(&p.app, &p.editor, json!({"name": "Thông báo dân vận"})).await;
    article(&p.app, &p.editor, notices["id"].as_i64().unwrap(), "Lịch tiếp dân vận tháng 12", "<p>x</p>", "published")
        .await;
    let res = p
        .app
        .request(Method::POST, "/api/v1/procedures/import", Some(&p.editor))
        .header("content-type", "application/json")
        .body(json!([crate::procedures::birth()]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    search_until(&p.app, "q=dan%20van", |a| a["meta"]["counts"]["article"] == 2).await;
    search_until(&p.app, "q=khai%20sinh", |a| a["meta"]["counts"]["procedure"] == 1).await;

    let faceted = search(&p.app, "q=dan%20van&facets=category,site").await;
    assert_eq!(faceted["meta"]["total_is_estimate"], false);
    let categories = faceted["meta"]["facets"]["category"].as_array().unwrap();
    let counted: Vec<(&str, u64)> =
        categories.iter().map(|c| (c["name"].as_str().unwrap(), c["count"].as_u64().unwrap())).collect();
    assert_eq!(counted.len(), 2, "{faceted}");
    assert!(counted.contains(&("Tin tức", 1)) && counted.contains(&("Thông báo dân vận", 1)), "{faceted}");
    assert_eq!(faceted["meta"]["facets"]["site"][0]["count"], faceted["meta"]["total"], "{faceted}");
    assert!(faceted["meta"]["facets"].get("field").is_none(), "only the facets asked for: {faceted}");

    let slug = notices["slug"].as_str().unwrap();
    let in_category = search(&p.app, &format!("q=dan%20van&category={slug}")).await;
    assert_eq!(titles(&in_category), ["Lịch tiếp dân vận tháng 12"]);
    assert_eq!(in_category["meta"]["counts"]["event"], 0, "a category narrows the answer to articles");

    let civil = search(&p.app, "q=khai%20sinh&field=ho-tich&facets=field").await;
    assert_eq!(titles(&civil), ["Thủ tục đăng ký khai sinh"]);
    assert_eq!(civil["meta"]["facets"]["field"][0]["value"], "ho-tich", "{civil}");
    assert_eq!(civil["meta"]["facets"]["field"][0]["count"], 1, "{civil}");
    assert_eq!(search(&p.app, "q=hoi%20thao&field=ho-tich").await["meta"]["total"], 0);

    for (query, field) in [
        ("q=dan&facets=colour", "facets:invalid_value"),
        ("q=dan&field=khong-co", "field:not_found"),
        ("q=dan&category=khong-co", "category:not_found"),
        ("q=dan&page=501", "page:too_deep"),
    ] {
        let problem = assert_problem(p.app.get(&format!("/api/v1/search?{query}")).await, 400).await;
        assert_eq!(field_errors(&problem), [field.to_owned()], "{query}: {problem}");
    }
}

/// The articles list's `q`, for the public, is answered by the same engine (diacritics, a typo
/// forgiven, relevance first) with the list's own items and filters; staff lists search the
/// database (drafts are not in the index), and a list drawn from the index is never kept by the
/// response cache (the index follows a commit a moment later than the content version).
#[tokio::test]
async fn the_public_articles_list_searches_with_the_engine() {
    let p = portal().await;
    let list = |query: &str| {
        let app = &p.app;
        let query = query.to_owned();
        async move {
            let res = app.get(&format!("/api/v1/articles?{query}")).await;
            assert_eq!(res.status(), 200, "{query}");
            let total: i64 = res.headers()["x-total-count"].to_str().unwrap().parse().unwrap();
            let body: Value = res.json().await.unwrap();
            let titles: Vec<String> =
                body["data"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_owned()).collect();
            (titles, total, body)
        }
    };
    let (found, total, body) = list("q=dan%20van%20kheo").await;
    assert_eq!((found, total), (vec!["Dân vận khéo ở khu phố 3".to_owned()], 1));
    assert!(body["data"][0]["category"]["id"].is_i64(), "the list's own items: {body}");
    // `khoe` for `khéo` is a word; `kheoo` is a typo the engine forgives and the database would not.
    let (found, ..) = list("q=dan%20van%20kheoo%20").await;
    assert_eq!(found, ["Dân vận khéo ở khu phố 3"]);
    let (found, ..) = list("q=bao&sort=-published_at&per_page=1").await;
    assert_eq!(found.len(), 1);
    let (found, total, _) = list(&format!("q=dan%20van&category={}", p.category)).await;
    assert_eq!((found.len(), total), (1, 1), "the draft about dân vận is not public");

    let staff =
        p.app.request(Method::GET, "/api/v1/articles?status=draft&q=dan%20van", Some(&p.editor)).send().await.unwrap();
    let staff: Value = staff.json().await.unwrap();
    assert_eq!(staff["data"][0]["title"], "Bản nháp về dân vận", "staff search the database: {staff}");

    // Published, then found by the list within a second, whatever an earlier answer was.
    assert_eq!(list("q=am%20thuc").await.1, 0);
    article(&p.app, &p.editor, p.category, "Lễ hội văn hóa ẩm thực", "<p>x</p>", "published").await;
    for _ in 0..100 {
        if list("q=am%20thuc").await.1 == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the list never found the new article");
}

/// A node without an index to ask (here, one whose index folder cannot be made) answers from the
/// database: the same public content, every word contained, newest first, exact counts.
#[tokio::test]
async fn without_an_index_the_database_answers() {
    let p = portal().await;
    let not_a_folder = tempfile::NamedTempFile::new().unwrap();
    let mut env = test_env(&p.app.db);
    env.insert("MUNI_SEARCH_DIR".into(), not_a_folder.path().join("search").display().to_string());
    let config = muni::config::Config::from_lookup(|k| env.get(k).cloned()).expect("test configuration");
    let node = muni::startup::Application::build(config).expect("a node without an index");
    let port = node.port();
    tokio::spawn(node.run_until_stopped());
    let node = Node { client: &p.app.client, address: format!("http://127.0.0.1:{port}") };
    let get = |query: &'static str| {
        let node = &node;
        async move {
            let res = node.get(&format!("/api/v1/search?{query}")).await;
            assert_eq!(res.status(), 200, "{query}");
            let answer: Value = res.json().await.unwrap();
            assert_eq!(answer["meta"]["source"], "database", "{answer}");
            answer
        }
    };
    let found = get("q=dan%20van").await;
    assert_eq!(titles(&found), ["Họp bàn công tác dân vận", "Dân vận khéo ở khu phố 3"], "newest first, no draft");
    assert_eq!(
        (found["meta"]["counts"]["article"].as_u64(), found["meta"]["counts"]["event"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(found["data"][1]["snippet"].as_str().unwrap().contains("<mark>dân</mark>"), "{found}");
    let articles = get("q=D%C3%82N%20V%E1%BA%ACN&type=article").await;
    assert_eq!(titles(&articles), ["Dân vận khéo ở khu phố 3"]);
    assert_eq!(articles["meta"]["total"], 1);
    assert_eq!(articles["meta"]["counts"]["event"], 1, "counts ignore `type`");
    assert_eq!(get("q=ban%20nhap").await["meta"]["total"], 0, "a draft is not found");
    let escaped = get("q=lua%20dao").await;
    assert!(escaped["data"][0]["snippet"].as_str().unwrap().contains("&lt;script&gt;"), "{escaped}");
}

/// A repeated search is answered by the response cache while neither the content nor the index
/// moves; a commit shows in the next answers once the index has it, never hidden by a kept one
/// (drawn from the index before it caught up).
#[tokio::test]
async fn a_repeated_search_is_kept_until_the_index_moves() {
    let p = portal().await;
    for path in ["/api/v1/search?q=hoi%20thao", "/api/v1/articles?q=hoi%20thao"] {
        p.app.get(path).await;
        let again = p.app.get(path).await;
        assert_eq!(again.status(), 200);
        assert!(again.headers().contains_key("age"), "{path} was not kept");
        assert!(again.headers()["cache-control"].to_str().unwrap().starts_with("public"), "{path}");
    }
    article(&p.app, &p.editor, p.category, "Hội thao mừng năm mới", "<p>x</p>", "published").await;
    search_until(&p.app, "q=hoi%20thao", |a| a["meta"]["total"] == 2).await;
    for _ in 0..100 {
        let list: Value = p.app.get("/api/v1/articles?q=hoi%20thao").await.json().await.unwrap();
        if list["meta"]["total"] == 2 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the list kept an answer from before the index had the new article");
}
