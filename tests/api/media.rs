//! The media library: uploads typed by their bytes, images processed upright with every piece of
//! metadata (GPS first) gone from every variant, documents downloaded under their Vietnamese
//! names with `Range`, the same bytes stored once, an interrupted upload leaving nothing, bombs
//! refused before decoding, and an item in use kept from deletion; each in the local folder and
//! in an S3-compatible bucket (moto's server, `crate::s3`).

use std::collections::HashMap;
use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::helpers::*;

/// A JPEG photo, `width` x `height` as stored, whose EXIF says it is to be turned 90 degrees
/// (orientation 6) and where it was taken (GPS latitude).
pub(crate) fn phone_photo(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&image).unwrap();
    // TIFF, little-endian: IFD0 (orientation, GPS pointer), then the GPS IFD (latitude ref and value).
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        tiff.extend(tag.to_le_bytes());
        tiff.extend(kind.to_le_bytes());
        tiff.extend(count.to_le_bytes());
        tiff.extend(value);
    };
    // IFD0 at 8 (3 entries), the GPS IFD at 50 and its latitude at 80, the Exif IFD at 104 and
    // the time the photo was taken at 122.
    tiff.extend(3u16.to_le_bytes());
    entry(&mut tiff, 0x0112, 3, 1, [6, 0, 0, 0]);
    entry(&mut tiff, 0x8769, 4, 1, 104u32.to_le_bytes());
    entry(&mut tiff, 0x8825, 4, 1, 50u32.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(2u16.to_le_bytes());
    entry(&mut tiff, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, 5, 3, 80u32.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    for (num, den) in [(21u32, 1u32), (2, 1), (0, 1)] {
        tiff.extend(num.to_le_bytes());
        tiff.extend(den.to_le_bytes());
    }
    tiff.extend(1u16.to_le_bytes());
    entry(&mut tiff, 0x9003, 2, 20, 122u32.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(b"2026:11:24 08:30:00\0");
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend(((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend(b"Exif\0\0");
    app1.extend(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

fn has_gps(bytes: &[u8]) -> bool {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .is_ok_and(|exif| exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY).is_some())
}

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut out);
    for (name, content) in entries {
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        writer.start_file(*name, options).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap();
    out.into_inner()
}

fn ole_with(stream: &str) -> Vec<u8> {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.resize(512, 0);
    bytes.extend(stream.encode_utf16().flat_map(u16::to_le_bytes));
    bytes.resize(2048, 0);
    bytes
}

/// A DOCX as Word writes its first entries.
pub(crate) fn docx() -> Vec<u8> {
    zip_with(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")])
}

pub(crate) fn pdf() -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    pdf.extend(std::iter::repeat_n(b'%', 5000));
    pdf.extend(b"\n%%EOF\n");
    pdf
}

/// Where a test's server keeps its files.
#[derive(Debug, Clone, Copy)]
enum Storage {
    Folder,
    Bucket,
}

/// The environment that puts a server's files in `storage`; `None` (the test skips, or fails
/// under `MUNI_REQUIRE_S3`) when that is a bucket and no S3 server can be started here.
async fn storage_env(storage: Storage) -> Option<HashMap<String, String>> {
    match storage {
        Storage::Folder => Some(HashMap::new()),
        Storage::Bucket => crate::s3::bucket_env().await,
    }
}

async fn app_on(storage: Storage, tweak: impl FnOnce(&mut HashMap<String, String>)) -> Option<TestApp> {
    let extra = storage_env(storage).await?;
    Some(
        spawn_app_with(|env| {
            env.extend(extra);
            tweak(env);
        })
        .await,
    )
}

/// Runs each named test (an `async fn(Storage)`) once on the local folder and once on a bucket.
macro_rules! on_both_storages {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn local_folder() {
                super::$test(super::Storage::Folder).await
            }

            #[tokio::test]
            async fn s3_bucket() {
                super::$test(super::Storage::Bucket).await
            }
        }
    )*};
}

on_both_storages!(
    a_phone_photo_is_turned_upright_stripped_of_its_location_and_made_into_variants,
    documents_are_typed_by_their_bytes_and_downloaded_under_their_names,
    the_same_bytes_are_one_item_and_one_object_and_unused_objects_are_collected,
    a_replaced_file_keeps_its_item_and_changes_its_address,
    an_upload_cut_off_midway_leaves_nothing_behind,
    bombs_and_oversized_files_are_refused_before_they_cost_anything,
    an_article_cover_from_the_library_needs_alt_text_and_keeps_the_item_from_deletion,
    two_nodes_process_each_image_once,
);

fn objects(app: &TestApp) -> usize {
    app.media_store().objects().expect("the store lists its objects").len()
}

fn staged(app: &TestApp) -> usize {
    app.media_store().staging_files().expect("the staging folder")
}

pub(crate) async fn upload_raw(
    app: &TestApp,
    token: &str,
    filename: &str,
    bytes: Vec<u8>,
    declared: &str,
) -> reqwest::Response {
    app.request(Method::POST, &format!("/api/v1/media?filename={}", urlencode(filename)), Some(token))
        .header("content-type", declared)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub(crate) async fn wait_ready(app: &TestApp, token: &str, id: i64) -> Value {
    let started = Instant::now();
    loop {
        let item: Value = app.get_as(&format!("/api/v1/media/{id}"), token).await.json().await.unwrap();
        if item["status"] != "processing" {
            return item;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "still processing: {item}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_phone_photo_is_turned_upright_stripped_of_its_location_and_made_into_variants(storage: Storage) {
    let Some(app) = app_on(storage, |_| {}).await else { return };
    let editor = app.token_for("editor").await;
    let photo = phone_photo(1200, 800);
    assert!(has_gps(&photo), "the fixture carries a location");
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(photo).file_name("Ảnh hội nghị.jpg").mime_str("image/jpeg").unwrap(),
        )
        .text("alt", "Quang cảnh hội nghị")
        .text("credit", "Ảnh: Thu Hà");
    let res = app.request(Method::POST, "/api/v1/media", Some(&editor)).multipart(form).send().await.unwrap();
    let res = crate::contract::checked(&Method::POST, "/api/v1/media", res).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["status"], "processing");
    assert_eq!(created["filename"], "Ảnh hội nghị.jpg");
    let item = wait_ready(&app, &editor, created["id"].as_i64().unwrap()).await;
    assert_eq!(item["status"], "ready", "{item}");
    assert_eq!((item["width"].as_i64(), item["height"].as_i64()), (Some(800), Some(1200)), "turned upright");
    assert!(item["placeholder"].as_str().unwrap().starts_with('#'));
    // When it was taken, from the photo (Vietnam's time: the EXIF time has no offset).
    assert_eq!(item["taken_at"], "2026-11-24T01:30:00Z");
    let names: Vec<&str> = item["variants"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    for name in ["w320.webp", "w320.jpg", "w640.webp", "w640.jpg", "full.webp", "full.jpg"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert!(!names.iter().any(|n| n.starts_with("w1024")), "never larger than the original");
    for variant in item["variants"].as_array().unwrap() {
        let url = variant["url"].as_str().unwrap();
        let res = app.get(url).await;
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(res.headers()["content-type"], variant["media_type"].as_str().unwrap());
        assert!(res.headers()["cache-control"].to_str().unwrap().contains("immutable"));
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        let bytes = res.bytes().await.unwrap();
        assert_eq!(bytes.len() as i64, variant["size"].as_i64().unwrap());
        assert!(!has_gps(&bytes), "{url} carries no location");
        assert!(!bytes.windows(6).any(|w| w == b"Exif\0\0"), "{url} carries no EXIF at all");
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!(decoded.width() as i64, variant["width"].as_i64().unwrap(), "{url}");
        assert!(decoded.height() > decoded.width(), "{url} is upright");
    }
    assert_eq!(
        item["url"],
        item["variants"].as_array().unwrap().iter().find(|v| v["name"] == "full.jpg").unwrap()["url"]
    );
}

async fn documents_are_typed_by_their_bytes_and_downloaded_under_their_names(storage: Storage) {
    let Some(app) = app_on(storage, |_| {}).await else { return };
    let editor = app.token_for("editor").await;
    let kinds: Vec<(&str, Vec<u8>, &str)> = vec![
        ("Tờ khai đăng ký khai sinh.pdf", pdf(), "application/pdf"),
        (
            "Mẫu đơn.docx",
            zip_with(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "Bảng kê.xlsx",
            zip_with(&[("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")]),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "Văn bản.odt",
            zip_with(&[("mimetype", b"application/vnd.oasis.opendocument.text")]),
            "application/vnd.oasis.opendocument.text",
        ),
        (
            "Bảng tính.ods",
            zip_with(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet")]),
            "application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("Đơn cũ.doc", ole_with("WordDocument"), "application/msword"),
        ("Số liệu cũ.xls", ole_with("Workbook"), "application/vnd.ms-excel"),
    ];
    let mut pdf_item = Value::Null;
    for (name, bytes, media_type) in kinds {
        // The declared type is ignored: every one is sent as a JPEG.
        let res = upload_raw(&app, &editor, name, bytes, "image/jpeg").await;
        assert_eq!(res.status(), 201, "{name}");
        let item: Value = res.json().await.unwrap();
        assert_eq!(item["media_type"], media_type, "{name}");
        assert_eq!(item["kind"], "document");
        assert_eq!(item["status"], "ready");
        assert_eq!(item["filename"], name);
        if media_type == "application/pdf" {
            pdf_item = item;
        }
    }
    let url = pdf_item["url"].as_str().unwrap().to_owned();
    let res = app.get(&url).await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("filename=\"to-khai-dang-ky-khai-sinh.pdf\""), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''T%E1%BB%9D%20khai"), "{disposition}");
    let whole = res.bytes().await.unwrap();
    assert_eq!(whole.as_ref(), pdf().as_slice());
    // A part, as PDF readers ask for it.
    let res = app.request(Method::GET, &url, None).header("range", "bytes=5-14").send().await.unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.headers()["content-range"], format!("bytes 5-14/{}", whole.len()));
    assert_eq!(res.bytes().await.unwrap().as_ref(), &whole[5..15]);
    let etag = app.get(&url).await.headers()["etag"].to_str().unwrap().to_owned();
    let res = app.request(Method::GET, &url, None).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(res.status(), 304);

    // Not what the library takes, whatever the name and the declared type say.
    for (name, bytes) in [
        ("anh.jpg", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0payload".to_vec()),
        ("setup.jpg", b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec()),
        ("trang.pdf", b"<!DOCTYPE html><script>alert(1)</script>".to_vec()),
        ("logo.png", b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>".to_vec()),
    ] {
        let problem = assert_problem(upload_raw(&app, &editor, name, bytes, "image/jpeg").await, 415).await;
        assert!(problem["detail"].as_str().unwrap().contains("PDF, DOCX"), "{problem}");
    }
    // An iPhone's HEIC photo: refused with the way out, not as an unknown file.
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x08meta".to_vec();
    let problem = assert_problem(upload_raw(&app, &editor, "IMG_0042.HEIC", heic, "image/heic").await, 415).await;
    assert!(problem["detail"].as_str().unwrap().contains("export the photo as JPEG"), "{problem}");
    let list: Value = app.get_as("/api/v1/media?kind=document&per_page=100", &editor).await.json().await.unwrap();
    assert_eq!(list["meta"]["total"], 7);
    let found: Value =
        app.get_as(&format!("/api/v1/media?q={}", urlencode("khai sinh")), &editor).await.json().await.unwrap();
    assert_eq!(found["meta"]["total"], 1, "{found}");
}

async fn the_same_bytes_are_one_item_and_one_object_and_unused_objects_are_collected(storage: Storage) {
    let Some(app) = app_on(storage, |_| {}).await else { return };
    let editor = app.token_for("editor").await;
    let first = upload_raw(&app, &editor, "a.pdf", pdf(), "application/pdf").await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = upload_raw(&app, &editor, "b.pdf", pdf(), "application/pdf").await;
    assert_eq!(again.status(), 200, "the site has these bytes already");
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    assert_eq!(objects(&app), 1);
    assert_eq!(staged(&app), 0);
    let in_bucket = app.media_store().describe().starts_with("s3://");
    assert_eq!(in_bucket, matches!(storage, Storage::Bucket), "{}", app.media_store().describe());
    // Objects no item names go after the grace period (here none), the others stay.
    let mut other = pdf();
    other.extend(b"% phu luc\n");
    let second: Value = upload_raw(&app, &editor, "phu-luc.pdf", other, "application/pdf").await.json().await.unwrap();
    assert_eq!(objects(&app), 2);
    let res = app.request(Method::DELETE, &format!("/api/v1/media/{}", second["id"]), Some(&editor)).send().await;
    assert_eq!(res.unwrap().status(), 204);
    let store = app.media_store();
    let kept = muni::media::collect_garbage(&mut app.db.connect(), &store, muni::media::GARBAGE_GRACE).unwrap();
    assert_eq!((kept, objects(&app)), (0, 2), "within the grace period");
    let removed = muni::media::collect_garbage(&mut app.db.connect(), &store, Duration::ZERO).unwrap();
    assert_eq!((removed, objects(&app)), (1, 1));
    assert_eq!(app.get(second["url"].as_str().unwrap()).await.status(), 404);
    assert_eq!(app.get(first["url"].as_str().unwrap()).await.status(), 200);
}

async fn a_replaced_file_keeps_its_item_and_changes_its_address(storage: Storage) {
    let Some(app) = app_on(storage, |_| {}).await else { return };
    let editor = app.token_for("editor").await;
    let first: Value = upload_raw(&app, &editor, "ke-hoach.pdf", pdf(), "application/pdf").await.json().await.unwrap();
    let id = first["id"].as_i64().unwrap();
    app.patch_json(&format!("/api/v1/media/{id}"), &json!({"title": "Kế hoạch năm 2027"}), Some(&editor)).await;
    let mut newer = pdf();
    newer.extend(b"% sua doi\n");
    let res = app
        .request(
            Method::PUT,
            &format!("/api/v1/media/{id}/file?filename={}", urlencode("Kế hoạch (sửa).pdf")),
            Some(&editor),
        )
        .body(newer.clone())
        .send()
        .await
        .unwrap();
    let res = crate::contract::checked(&Method::PUT, &format!("/api/v1/media/{id}/file"), res).await;
    assert_eq!(res.status(), 200);
    let replaced: Value = res.json().await.unwrap();
    assert_eq!(replaced["id"], id);
    assert_eq!(replaced["title"], "Kế hoạch năm 2027", "the description stays");
    assert_eq!(replaced["filename"], "Kế hoạch (sửa).pdf");
    assert_ne!(replaced["url"], first["url"], "new bytes, new address");
    assert_eq!(app.get(replaced["url"].as_str().unwrap()).await.bytes().await.unwrap().as_ref(), newer.as_slice());
    assert_eq!(app.get(first["url"].as_str().unwrap()).await.status(), 404, "the old address names nothing now");
    // A document stays a document.
    let res = app
        .request(Method::PUT, &format!("/api/v1/media/{id}/file?filename=anh.jpg"), Some(&editor))
        .body(phone_photo(64, 48))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 422).await;
    assert_eq!(field_errors(&problem), ["file:invalid_value"], "{problem}");
}

async fn an_upload_cut_off_midway_leaves_nothing_behind(storage: Storage) {
    let Some(app) = app_on(storage, |_| {}).await else { return };
    let editor = app.token_for("editor").await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/media?filename=big.pdf HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {editor}\r\n\
         content-type: application/pdf\r\ncontent-length: 5000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut body = pdf();
    body.resize(1_000_000, b'%');
    stream.write_all(&body).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(stream);
    let started = Instant::now();
    while staged(&app) > 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "the staged upload is still there");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(objects(&app), 0);
    let list: Value = app.get_as("/api/v1/media", &editor).await.json().await.unwrap();
    assert_eq!(list["meta"]["total"], 0);
}

async fn bombs_and_oversized_files_are_refused_before_they_cost_anything(storage: Storage) {
    let Some(app) = app_on(storage, |env| {
        env.insert("MUNI_MEDIA_MAX_DOCUMENT_MB".into(), "1".into());
    })
    .await
    else {
        return;
    };
    let editor = app.token_for("editor").await;
    // A PNG whose header claims 100,000 x 100,000 pixels.
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(100_000u32.to_be_bytes());
    ihdr.extend(100_000u32.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(13u32.to_be_bytes());
    png.extend(&ihdr);
    png.extend(crc32(&ihdr).to_be_bytes());
    // One small IDAT chunk (a reader takes the size from IHDR before it).
    png.extend(2u32.to_be_bytes());
    png.extend(b"IDAT\x78\x9c");
    png.extend(crc32(b"IDAT\x78\x9c").to_be_bytes());
    png.extend(b"\0\0\0\0IEND\xaeB`\x82");
    let problem = assert_problem(upload_raw(&app, &editor, "bom.png", png, "image/png").await, 422).await;
    assert!(field_errors(&problem).contains(&"file:too_large".to_owned()), "{problem}");
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("100000 x 100000"), "{problem}");
    let mut big = pdf();
    big.resize(1_500_000, b'%');
    assert_problem(upload_raw(&app, &editor, "big.pdf", big, "application/pdf").await, 413).await;
    // Who may not upload.
    assert_problem(upload_raw(&app, "not-a-token", "a.pdf", pdf(), "application/pdf").await, 401).await;
    let moderator = app.token_for("moderator").await;
    assert_problem(upload_raw(&app, &moderator, "a.pdf", pdf(), "application/pdf").await, 403).await;
    assert_eq!(objects(&app), 0);
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

async fn an_article_cover_from_the_library_needs_alt_text_and_keeps_the_item_from_deletion(storage: Storage) {
    let Some(app) = app_on(storage, |env| {
        env.insert("MUNI_PUBLIC_URL".into(), "https://api.phuong.example.vn".into());
    })
    .await
    else {
        return;
    };
    let editor = app.token_for("editor").await;
    let news = crate::categories::create_category(&app, &editor, json!({"name": "Tin tức"})).await;
    let res = upload_raw(&app, &editor, "hoi-nghi.jpg", phone_photo(700, 500), "image/jpeg").await;
    let item: Value = res.json().await.unwrap();
    let id = item["id"].as_i64().unwrap();
    wait_ready(&app, &editor, id).await;
    let body = json!({"title": "Hội nghị", "category_id": news["id"], "status": "published", "cover_media_id": id,
                      "body": format!("<p>Quang cảnh:</p><img data-media-id=\"{id}\"><p>Hết.</p>")});
    let wrong = json!({"title": "Sai", "category_id": news["id"], "body": "<img data-media-id=\"999999\">"});
    let problem = assert_problem(app.post_json("/api/v1/articles", &wrong, Some(&editor)).await, 422).await;
    assert_eq!(field_errors(&problem), ["body:not_found"], "{problem}");
    let problem = assert_problem(app.post_json("/api/v1/articles", &body, Some(&editor)).await, 422).await;
    assert!(field_errors(&problem).contains(&"cover_media_id:missing_alt".to_owned()), "{problem}");
    let missing: Value = app.get_as("/api/v1/media?missing_alt=true", &editor).await.json().await.unwrap();
    assert_eq!(missing["meta"]["total"], 1);
    let res = app
        .patch_json(
            &format!("/api/v1/media/{id}"),
            &json!({"alt": "Quang cảnh hội nghị", "caption": "Hội nghị sáng 2/12"}),
            Some(&editor),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app.post_json("/api/v1/articles", &body, Some(&editor)).await;
    assert_eq!(res.status(), 201);
    let article: Value = res.json().await.unwrap();
    let cover = &article["cover"];
    assert_eq!(cover["alt"], "Quang cảnh hội nghị");
    assert_eq!(cover["media"]["id"], id);
    assert_eq!(cover["media"]["caption"], "Hội nghị sáng 2/12");
    assert!(cover["url"].as_str().unwrap().ends_with("/full.jpg"));
    assert!(cover["media"]["variants"].as_array().unwrap().len() >= 4);
    // The public sees the same, and the feed's enclosure has the file's type and length.
    let public: Value =
        app.get(&format!("/api/v1/articles/{}", article["slug"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(public["cover"], *cover);
    // The body's image has the item's address, its widths as a srcset, its size and alt text.
    let html = public["body"].as_str().unwrap();
    let full = cover["url"].as_str().unwrap();
    assert!(html.contains(&format!("<img src=\"{full}\" srcset=\"")), "{html}");
    assert!(html.contains(" 320w, ") && html.contains("/full.jpg 500w\""), "{html}");
    assert!(html.contains("alt=\"Quang cảnh hội nghị\" width=\"500\" height=\"700\""), "{html}");
    let rss = app.get("/api/v1/articles.rss").await.text().await.unwrap();
    let size =
        cover["media"]["variants"].as_array().unwrap().iter().find(|v| v["url"] == cover["url"]).unwrap()["size"]
            .clone();
    assert!(
        rss.contains(&format!(
            "<enclosure url=\"https://api.phuong.example.vn{}\" type=\"image/jpeg\" length=\"{size}\"/>",
            cover["url"].as_str().unwrap()
        )),
        "{rss}"
    );

    // In use: the delete is refused and says by what; forced, the article loses its cover.
    let used: Value = app.get_as(&format!("/api/v1/media/{id}"), &editor).await.json().await.unwrap();
    let mut uses: Vec<String> = used["used_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| format!("{} {} {}", u["resource"], u["id"], u["role"].as_str().unwrap()))
        .collect();
    uses.sort();
    assert_eq!(uses, [format!("\"article\" {} cover", article["id"]), format!("\"article\" {} inline", article["id"])]);
    let res = app.request(Method::DELETE, &format!("/api/v1/media/{id}"), Some(&editor)).send().await.unwrap();
    let problem = assert_problem(res, 409).await;
    assert!(problem["detail"].as_str().unwrap().contains(&format!("article {}", article["id"])), "{problem}");
    let res =
        app.request(Method::DELETE, &format!("/api/v1/media/{id}?force=true"), Some(&editor)).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let after: Value =
        app.get(&format!("/api/v1/articles/{}", article["slug"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(after["cover"], Value::Null);
}

/// A `muni serve` process whose log goes to a file.
fn logged_node(db: &TestDb, storage: &HashMap<String, String>, log: &std::path::Path) -> crate::cache::Node {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_muni"))
        .arg("serve")
        .envs(test_env(db))
        .envs(storage)
        .env("MUNI_PORT", port.to_string())
        .env("RUST_LOG", "info")
        .current_dir(db.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start muni serve");
    crate::cache::Node { child, address: format!("http://127.0.0.1:{port}") }
}

/// Two nodes on one database and one media folder (or bucket), both processing: every image is
/// claimed by one of them only (on PostgreSQL the claim skips rows the other is taking).
async fn two_nodes_process_each_image_once(storage: Storage) {
    let Some(storage) = storage_env(storage).await else { return };
    let db = TestDb::new();
    let logs = [db.dir.path().join("a.log"), db.dir.path().join("b.log")];
    let (mut a, mut b) = (logged_node(&db, &storage, &logs[0]), logged_node(&db, &storage, &logs[1]));
    let client = reqwest::Client::new();
    crate::cache::wait_ready(&client, &mut a).await;
    crate::cache::wait_ready(&client, &mut b).await;
    let login = client
        .post(format!("{}/api/v1/auth/login", a.address))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = access_token(&login.json().await.unwrap());
    let mut ids = Vec::new();
    for n in 0..8u32 {
        let node = if n % 2 == 0 { &a } else { &b };
        let res = client
            .post(format!("{}/api/v1/media?filename=anh-{n}.jpg", node.address))
            .bearer_auth(&token)
            .body(phone_photo(400 + n * 10, 300))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        ids.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let started = Instant::now();
    loop {
        let list: Value = client
            .get(format!("{}/api/v1/media?per_page=100", b.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if list["data"].as_array().unwrap().iter().all(|m| m["status"] == "ready") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text: String = logs.iter().map(|l| std::fs::read_to_string(l).unwrap()).collect();
    for id in ids {
        let times = text.matches(&format!("processed media {id} ")).count();
        assert_eq!(times, 1, "media {id} was processed {times} times");
    }
}
