//! Library items used by content beyond covers: an article's gallery, an event's attachments, a
//! procedure's forms. Each is checked on write, given with its URLs on read (to the public too),
//! keeps its item from deletion, and a cached answer follows a change of the item.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::media::{pdf, phone_photo, upload_raw, wait_ready};

async fn upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> i64 {
    let res = upload_raw(app, token, name, bytes, "application/octet-stream").await;
    assert!(res.status().is_success(), "upload {name}: {}", res.status());
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    wait_ready(app, token, id).await;
    id
}

async fn delete_media(app: &TestApp, token: &str, id: i64) -> u16 {
    app.request(Method::DELETE, &format!("/api/v1/media/{id}"), Some(token)).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn an_article_shows_its_gallery_in_order_and_needs_alt_text_to_publish_it() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let news = crate::categories::create_category(&app, &editor, json!({"name": "Tin tức"})).await;
    let first = upload(&app, &editor, "mot.jpg", phone_photo(500, 400)).await;
    let second = upload(&app, &editor, "hai.jpg", phone_photo(420, 300)).await;
    let document = upload(&app, &editor, "ke-hoach.pdf", pdf()).await;
    app.patch_json(&format!("/api/v1/media/{first}"), &json!({"alt": "Đại biểu dự hội nghị"}), Some(&editor)).await;

    let article = |gallery: Value| {
        json!({"title": "Ra quân vệ sinh môi trường", "category_id": news["id"], "body": "<p>Sáng nay.</p>",
               "status": "published", "gallery_media_ids": gallery})
    };
    let problem =
        assert_problem(app.post_json("/api/v1/articles", &article(json!([second, first])), Some(&editor)).await, 422)
            .await;
    assert_eq!(field_errors(&problem), ["gallery_media_ids[0]:missing_alt"], "{problem}");
    let problem =
        assert_problem(app.post_json("/api/v1/articles", &article(json!([first, document])), Some(&editor)).await, 422)
            .await;
    assert_eq!(field_errors(&problem), ["gallery_media_ids[1]:invalid_value"], "{problem}");
    let problem =
        assert_problem(app.post_json("/api/v1/articles", &article(json!([first, first])), Some(&editor)).await, 422)
            .await;
    assert_eq!(field_errors(&problem), ["gallery_media_ids:invalid_value"], "{problem}");
    let problem =
        assert_problem(app.post_json("/api/v1/articles", &article(json!([first, 999_999])), Some(&editor)).await, 422)
            .await;
    assert_eq!(field_errors(&problem), ["gallery_media_ids[1]:not_found"], "{problem}");

    app.patch_json(&format!("/api/v1/media/{second}"), &json!({"alt": "Thanh niên dọn rác"}), Some(&editor)).await;
    let res = app.post_json("/api/v1/articles", &article(json!([second, first])), Some(&editor)).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let slug = created["slug"].as_str().unwrap().to_owned();
    let public: Value = app.get(&format!("/api/v1/articles/{slug}")).await.json().await.unwrap();
    let gallery = public["gallery"].as_array().expect("the gallery, with the body");
    let ids: Vec<i64> = gallery.iter().map(|g| g["media"]["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [second, first], "in the order written");
    assert_eq!(gallery[0]["alt"], "Thanh niên dọn rác");
    assert!(gallery[0]["media"]["variants"].as_array().unwrap().len() >= 2);
    for picture in gallery {
        assert_eq!(app.get(picture["url"].as_str().unwrap()).await.status(), 200);
    }
    let list: Value = app.get("/api/v1/articles").await.json().await.unwrap();
    assert!(list["data"][0].get("gallery").is_none(), "lists leave the gallery out, as the body");

    // The library says which published content shows an image, and keeps its alt text while it does.
    let item: Value = app.get_as(&format!("/api/v1/media/{second}"), &editor).await.json().await.unwrap();
    assert_eq!(
        item["used_by"],
        json!([{"resource": "article", "id": created["id"], "role": "gallery", "public": true}])
    );
    let res = app.patch_json(&format!("/api/v1/media/{second}"), &json!({"alt": null}), Some(&editor)).await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(field_errors(&problem), ["alt:required"], "{problem}");

    // In use: kept from deletion until the gallery lets it go.
    assert_eq!(delete_media(&app, &editor, first).await, 409);
    let res = app
        .patch_json(
            &format!("/api/v1/articles/{}", created["id"]),
            &json!({"gallery_media_ids": [second]}),
            Some(&editor),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(delete_media(&app, &editor, first).await, 204);

    // A cached answer follows the item: a new alt text shows on the next read.
    let path = format!("/api/v1/articles/{slug}");
    let before: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(before["gallery"][0]["alt"], "Thanh niên dọn rác");
    assert!(app.get(&path).await.headers().contains_key("age"), "kept by the cache");
    app.patch_json(&format!("/api/v1/media/{second}"), &json!({"alt": "Đoàn viên thu gom rác"}), Some(&editor)).await;
    let after: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(after["gallery"][0]["alt"], "Đoàn viên thu gom rác");
}

#[tokio::test]
async fn an_event_lists_its_attachments_and_a_procedure_its_forms() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let agenda = upload(&app, &editor, "Chương trình họp.pdf", pdf()).await;
    let photo = upload(&app, &editor, "giay-moi.jpg", phone_photo(300, 200)).await;
    let event = crate::events::create_event(
        &app,
        &editor,
        json!({"title": "Họp giao ban tuần", "starts_at": "2026-12-07T08:00", "attachment_media_ids": [agenda, photo]}),
    )
    .await;
    let public: Value = app.get(&format!("/api/v1/events/{}", event["id"])).await.json().await.unwrap();
    let attachments = public["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2);
    assert_eq!(attachments[0]["filename"], "Chương trình họp.pdf");
    assert_eq!(attachments[0]["media_type"], "application/pdf");
    assert_eq!(attachments[1]["kind"], "image");
    let res = app.get(attachments[0]["url"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), pdf().as_slice());
    assert_eq!(delete_media(&app, &editor, agenda).await, 409);
    let problem = assert_problem(
        app.send_json(
            Method::PATCH,
            &format!("/api/v1/events/{}", event["id"]),
            &json!({"attachment_media_ids": [agenda, 424_242]}),
            Some(&editor),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(field_errors(&problem), ["attachment_media_ids[1]:not_found"], "{problem}");
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/events/{}", event["id"]),
            &json!({"attachment_media_ids": []}),
            Some(&editor),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["attachments"], json!([]));
    assert_eq!(delete_media(&app, &editor, photo).await, 204);

    // A procedure's dossier names its forms from the library: documents only.
    let form = upload(&app, &editor, "Tờ khai đăng ký khai sinh.docx", crate::media::docx()).await;
    let record = |form_id: i64| {
        json!({"code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "field": "Hộ tịch",
               "dossier": [{"name": "Tờ khai đăng ký khai sinh", "originals": 1, "form_media_id": form_id}]})
    };
    let problem =
        assert_problem(app.post_json("/api/v1/procedures", &record(agenda + 1000), Some(&editor)).await, 422).await;
    assert_eq!(field_errors(&problem), ["dossier[0].form_media_id:not_found"], "{problem}");
    let image = upload(&app, &editor, "anh.jpg", phone_photo(200, 150)).await;
    let problem = assert_problem(app.post_json("/api/v1/procedures", &record(image), Some(&editor)).await, 422).await;
    assert_eq!(field_errors(&problem), ["dossier[0].form_media_id:invalid_value"], "{problem}");
    let res = app.post_json("/api/v1/procedures", &record(form), Some(&editor)).await;
    assert_eq!(res.status(), 201);
    let procedure: Value = app.get("/api/v1/procedures/1.001193").await.json().await.unwrap();
    let given = &procedure["dossier"][0]["form"];
    assert_eq!(given["id"], form);
    assert_eq!(given["filename"], "Tờ khai đăng ký khai sinh.docx");
    let download = app.get(given["url"].as_str().unwrap()).await;
    assert_eq!(download.status(), 200);
    assert!(download.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(delete_media(&app, &editor, form).await, 409);
    // What a read gives can be written back as it is (the filled `form` is not stored).
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/procedures/{}", procedure["id"]),
            &json!({"dossier": procedure["dossier"]}),
            Some(&editor),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/procedures/{}", procedure["id"]),
            &json!({"dossier": [{"name": "Tờ khai", "form_url": "https://dichvucong.gov.vn/to-khai.doc"}]}),
            Some(&editor),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(delete_media(&app, &editor, form).await, 204, "no longer used");
}

/// Publishing an article whose cover is an image, while someone removes that image's alt text: on
/// PostgreSQL the two race, and never may both win (a published article showing an image without
/// alt text).
#[tokio::test]
async fn a_publication_and_the_removal_of_its_images_alt_text_never_both_succeed() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let news = crate::categories::create_category(&app, &editor, json!({"name": "Tin tức"})).await;
    for round in 0..8u32 {
        let image = upload(&app, &editor, &format!("anh-{round}.jpg"), phone_photo(200 + round, 150)).await;
        app.patch_json(&format!("/api/v1/media/{image}"), &json!({"alt": "Ảnh minh họa"}), Some(&editor)).await;
        let draft = json!({"title": format!("Bài {round}"), "category_id": news["id"], "body": "<p>Nội dung.</p>",
                           "cover_media_id": image});
        let article: Value = app.post_json("/api/v1/articles", &draft, Some(&editor)).await.json().await.unwrap();
        let publish =
            app.request(Method::POST, &format!("/api/v1/articles/{}/publish", article["id"]), Some(&editor)).send();
        let (media_path, no_alt) = (format!("/api/v1/media/{image}"), json!({"alt": null}));
        let clear = app.patch_json(&media_path, &no_alt, Some(&editor));
        let (published, cleared) = tokio::join!(publish, clear);
        let (published, cleared) = (published.unwrap().status().as_u16(), cleared.status().as_u16());
        assert!(
            (published == 200) != (cleared == 200),
            "round {round}: exactly one wins (publish {published}, clear alt {cleared})"
        );
        let item: Value = app.get_as(&format!("/api/v1/media/{image}"), &editor).await.json().await.unwrap();
        let public = item["used_by"].as_array().unwrap().iter().any(|u| u["public"] == true);
        assert!(!(public && item["alt"].is_null()), "round {round}: {item}");
    }
}
