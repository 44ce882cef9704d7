//! Where a site's pages live, the news feeds (RSS and Atom, read back by a feed parser), and the
//! sitemaps (parsed as XML), on the real server.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const PORTAL: &str = "https://phuong-hoa-binh.example.vn";

async fn set_portal(app: &TestApp, admin: &str, body: Value) -> reqwest::Response {
    app.patch_json("/api/v1/sites/phuong-hoa-binh", &body, Some(admin)).await
}

async fn published(app: &TestApp, token: &str, body: Value) -> Value {
    let mut body = body;
    body["status"] = json!("published");
    body["body"] = json!("<p>Nội dung bài viết.</p>");
    let res = app.post_json("/api/v1/articles", &body, Some(token)).await;
    assert_eq!(res.status(), 201, "create article {body}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_site_says_where_its_pages_live() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let site: Value = app.get("/api/v1/sites/phuong-hoa-binh").await.json().await.unwrap();
    assert!(site["public_url"].is_null());
    assert_eq!(site["page_urls"]["article"], "/tin-tuc/{slug}");

    let res = set_portal(
        &app,
        &admin,
        json!({"public_url": format!("{PORTAL}/"), "page_urls": {"article": "/bai-viet/{id}-{slug}"}}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let site: Value = res.json().await.unwrap();
    assert_eq!(site["public_url"], PORTAL, "kept without the trailing slash");
    assert_eq!(site["page_urls"]["article"], "/bai-viet/{id}-{slug}");
    assert_eq!(site["page_urls"]["procedure"], "/thu-tuc-hanh-chinh/{code}", "the others keep their defaults");

    // One template changes, the others set stay; null puts the default back.
    let res = set_portal(&app, &admin, json!({"page_urls": {"question": "https://hoidap.example.vn/{slug}"}})).await;
    let site: Value = res.json().await.unwrap();
    assert_eq!(site["page_urls"]["article"], "/bai-viet/{id}-{slug}");
    assert_eq!(site["page_urls"]["question"], "https://hoidap.example.vn/{slug}");
    let res = set_portal(&app, &admin, json!({"page_urls": {"article": null}})).await;
    let site: Value = res.json().await.unwrap();
    assert_eq!(site["page_urls"]["article"], "/tin-tuc/{slug}");

    for (body, field) in [
        (json!({"public_url": "ftp://phuong.example.vn"}), "public_url:invalid_format"),
        (json!({"public_url": "https://phuong.example.vn/?a=1"}), "public_url:invalid_format"),
        (json!({"page_urls": {"article": "/tin-tuc/"}}), "page_urls.article:invalid_format"),
        (json!({"page_urls": {"article": "javascript:alert(1)/{slug}"}}), "page_urls.article:invalid_format"),
        (json!({"page_urls": {"event": "/lich/{slugg}{id}"}}), "page_urls.event:invalid_format"),
        (json!({"page_urls": {"category": "//evil.example/{slug}"}}), "page_urls.category:invalid_format"),
    ] {
        let problem = assert_problem(set_portal(&app, &admin, body.clone()).await, 422).await;
        assert!(field_errors(&problem).contains(&field.to_owned()), "{body}: {problem}");
    }
    let res = set_portal(&app, &admin, json!({"public_url": null})).await;
    assert!(res.json::<Value>().await.unwrap()["public_url"].is_null());
    // Only admins say where the portal is.
    let editor = app.token_for("editor").await;
    assert_problem(set_portal(&app, &editor, json!({"public_url": PORTAL})).await, 403).await;
}

#[tokio::test]
async fn news_feeds_parse_as_rss_and_atom_and_link_to_the_portal() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let editor = app.token_for("editor").await;
    assert_eq!(set_portal(&app, &admin, json!({"public_url": PORTAL})).await.status(), 200);
    let news = crate::categories::create_category(&app, &editor, json!({"name": "Tin tức"})).await;
    let local =
        crate::categories::create_category(&app, &editor, json!({"name": "Tin địa phương", "parent_id": news["id"]}))
            .await;
    let other = crate::categories::create_category(&app, &editor, json!({"name": "Thông báo"})).await;
    let first = published(
        &app,
        &editor,
        json!({"title": "Hội nghị <tổng kết> & khen thưởng", "category_id": local["id"], "tags": ["dân vận"],
               "cover_url": "/media/hoi-nghi.png", "cover_alt": "Hội nghị", "author": "Minh Anh"}),
    )
    .await;
    let second = published(&app, &editor, json!({"title": "Lịch tiếp công dân", "category_id": other["id"]})).await;
    let draft = app
        .post_json(
            "/api/v1/articles",
            &json!({"title": "Bản nháp", "category_id": news["id"], "body": "<p>x</p>"}),
            Some(&editor),
        )
        .await;
    assert_eq!(draft.status(), 201);

    let res = app.get("/api/v1/articles.rss").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/rss+xml; charset=utf-8");
    let last_modified = res.headers()["last-modified"].to_str().unwrap().to_owned();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let rss = feed_rs::parser::parse(res.bytes().await.unwrap().as_ref()).expect("the RSS feed parses");
    assert_eq!(rss.feed_type, feed_rs::model::FeedType::RSS2);
    assert_eq!(rss.title.unwrap().content, "Phường Hòa Bình");
    let titles: Vec<String> = rss.entries.iter().map(|e| e.title.clone().unwrap().content).collect();
    assert_eq!(titles, ["Lịch tiếp công dân", "Hội nghị <tổng kết> & khen thưởng"], "newest first, no draft");
    let item = &rss.entries[1];
    assert_eq!(item.id, format!("urn:muni:phuong-hoa-binh:article:{}", first["id"]), "the GUID");
    assert_eq!(item.links[0].href, format!("{PORTAL}/tin-tuc/{}", first["slug"].as_str().unwrap()));
    assert!(item.summary.as_ref().unwrap().content.contains("Nội dung bài viết"));
    assert_eq!(item.authors[0].name, "Minh Anh");
    let terms: HashSet<&str> = item.categories.iter().map(|c| c.term.as_str()).collect();
    assert_eq!(terms, HashSet::from(["Tin địa phương", "dân vận"]));
    let enclosure = &item.media[0].content[0];
    assert_eq!(enclosure.url.as_ref().unwrap().as_str(), format!("{PORTAL}/media/hoi-nghi.png"));
    assert_eq!(enclosure.content_type.as_ref().unwrap().to_string(), "image/png");

    let res = app.get("/api/v1/articles.atom?category=tin-tuc").await;
    assert_eq!(res.headers()["content-type"], "application/atom+xml; charset=utf-8");
    let atom = feed_rs::parser::parse(res.bytes().await.unwrap().as_ref()).expect("the Atom feed parses");
    assert_eq!(atom.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(atom.title.unwrap().content, "Phường Hòa Bình: Tin tức");
    assert_eq!(atom.entries.len(), 1, "the category and the ones below it");
    assert_eq!(atom.entries[0].id, format!("urn:muni:phuong-hoa-binh:article:{}", first["id"]));
    assert_eq!(atom.entries[0].links[0].href, format!("{PORTAL}/tin-tuc/{}", first["slug"].as_str().unwrap()));
    let tagged =
        feed_rs::parser::parse(app.get("/api/v1/articles.atom?tag=dan-van").await.bytes().await.unwrap().as_ref())
            .unwrap();
    assert_eq!(tagged.entries.len(), 1);
    let none = app.get("/api/v1/articles.rss?category=khong-co").await;
    assert_problem(none, 400).await;

    // Conditional GET, by ETag and by date; a new article is a new feed.
    let res = app.client.get(app.url("/api/v1/articles.rss")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(res.status(), 304);
    let res = app
        .client
        .get(app.url("/api/v1/articles.rss?site=phuong-hoa-binh"))
        .header("if-modified-since", &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    published(&app, &editor, json!({"title": "Tin mới nhất", "category_id": other["id"]})).await;
    let res = app.client.get(app.url("/api/v1/articles.rss")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let rss = feed_rs::parser::parse(res.bytes().await.unwrap().as_ref()).unwrap();
    assert_eq!(rss.entries[0].title.as_ref().unwrap().content, "Tin mới nhất");
    let _ = second;
}

fn locs(xml: &str, element: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not XML ({e}): {xml}"));
    assert_eq!(doc.root_element().tag_name().name(), element);
    assert_eq!(doc.root_element().tag_name().namespace(), Some("http://www.sitemaps.org/schemas/sitemap/0.9"));
    doc.descendants().filter(|n| n.has_tag_name("loc")).map(|n| n.text().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_sitemap_lists_every_public_page_and_becomes_an_index_past_the_limit() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_SITEMAP_URLS_PER_FILE".into(), "3".into());
        env.insert("MUNI_PUBLIC_URL".into(), "https://api.example.vn".into());
    })
    .await;
    let admin = app.admin_token().await;
    let editor = app.token_for("editor").await;
    assert_problem(app.get("/api/v1/sites/phuong-hoa-binh/sitemap.xml").await, 404).await;
    assert_eq!(set_portal(&app, &admin, json!({"public_url": PORTAL})).await.status(), 200);
    let news = crate::categories::create_category(&app, &editor, json!({"name": "Tin tức"})).await;
    let mut expected = HashSet::from([format!("{PORTAL}/chuyen-muc/tin-tuc")]);
    for title in ["Tin một", "Tin hai"] {
        let article = published(&app, &editor, json!({"title": title, "category_id": news["id"]})).await;
        expected.insert(format!("{PORTAL}/tin-tuc/{}", article["slug"].as_str().unwrap()));
    }
    let draft = app
        .post_json(
            "/api/v1/articles",
            &json!({"title": "Nháp", "category_id": news["id"], "body": "<p>x</p>"}),
            Some(&editor),
        )
        .await;
    assert_eq!(draft.status(), 201);
    let procedure = app.post_json("/api/v1/procedures", &crate::procedures::birth(), Some(&editor)).await;
    assert_eq!(procedure.status(), 201);
    let procedure: Value = procedure.json().await.unwrap();
    expected.insert(format!("{PORTAL}/thu-tuc-hanh-chinh/1.001193"));

    // Four pages, three to a file: an index of two parts.
    let res = app.get("/api/v1/sites/phuong-hoa-binh/sitemap.xml").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/xml; charset=utf-8");
    let parts = locs(&res.text().await.unwrap(), "sitemapindex");
    assert_eq!(
        parts,
        [
            "https://api.example.vn/api/v1/sites/phuong-hoa-binh/sitemaps/1.xml",
            "https://api.example.vn/api/v1/sites/phuong-hoa-binh/sitemaps/2.xml"
        ]
    );
    let mut listed = vec![];
    for part in 1..=2 {
        let res = app.get(&format!("/api/v1/sites/phuong-hoa-binh/sitemaps/{part}.xml")).await;
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        assert!(text.contains("<lastmod>"), "{text}");
        listed.extend(locs(&text, "urlset"));
    }
    assert_eq!(listed.len(), 4, "each page once: {listed:?}");
    assert_eq!(listed.into_iter().collect::<HashSet<_>>(), expected);
    assert_problem(app.get("/api/v1/sites/phuong-hoa-binh/sitemaps/3.xml").await, 404).await;
    assert_problem(app.get("/api/v1/sites/phuong-hoa-binh/sitemaps/0.xml").await, 404).await;
    assert_problem(app.get("/api/v1/sites/khong-co/sitemap.xml").await, 404).await;

    // Under the limit, the sitemap is the list itself.
    let res = app
        .request(Method::DELETE, &format!("/api/v1/procedures/{}", procedure["id"]), Some(&editor))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let urls = locs(&app.get("/api/v1/sites/phuong-hoa-binh/sitemap.xml").await.text().await.unwrap(), "urlset");
    assert_eq!(urls.len(), 3);
}

/// Five admins each set one page template at the same moment: every one of them is kept (the
/// templates are read, merged and written under the site's row lock).
#[tokio::test]
async fn concurrent_template_changes_are_all_kept() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let changes = [
        ("article", "/bai/{slug}"),
        ("category", "/muc/{slug}"),
        ("procedure", "/tthc/{code}"),
        ("question", "/hd/{slug}"),
        ("event", "/lich/{id}"),
    ];
    let tries =
        changes.iter().map(|(kind, template)| set_portal(&app, &admin, json!({"page_urls": {*kind: template}})));
    for res in futures_util::future::join_all(tries).await {
        assert_eq!(res.status(), 200);
    }
    let site: Value = app.get("/api/v1/sites/phuong-hoa-binh").await.json().await.unwrap();
    for (kind, template) in changes {
        assert_eq!(site["page_urls"][kind], template, "{site}");
    }
}
