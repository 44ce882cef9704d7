//! CORS as a browser enforces it: a page served from another origin calls the API with fetch() in
//! headless Chromium (Debian's `chromium`, driven by playwright-core from `tests/browser`), lists
//! articles reading `X-Total-Count` and `Link`, and tracks a feedback submission with its secret
//! (a header that needs a preflight). A page from an origin not allowed is refused by the browser.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";

/// The browser and its driver, or `None` (the test says it was skipped) when they are not
/// installed; `.ci/run` installs them and sets `MUNI_REQUIRE_BROWSER=1`, so there it cannot skip.
fn browser_driver() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let ready = std::path::Path::new(CHROMIUM).exists()
        && dir.join("node_modules/playwright-core").exists()
        && Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if ready {
        return Some(dir.join("cors.mjs"));
    }
    let how = "install Debian's chromium and run `npm ci` in tests/browser";
    assert!(
        std::env::var_os("MUNI_REQUIRE_BROWSER").is_none(),
        "MUNI_REQUIRE_BROWSER is set but the browser is missing: {how}"
    );
    eprintln!("SKIPPED: the real-browser CORS test needs {CHROMIUM}, node and playwright-core ({how})");
    None
}

/// Serves `html` to every request on `listener`, from a thread: a page of another origin than the
/// API's (the port differs); returns the page's address.
fn serve_page(listener: TcpListener, html: String) -> String {
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                html.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(html.as_bytes());
        }
    });
    address
}

fn page(api: &str, code: &str, secret: &str) -> String {
    format!(
        r#"<!doctype html><meta charset="utf-8"><title>Cổng thông tin phường</title><script type="module">
const api = {api:?};
try {{
  const list = await fetch(api + "/api/v1/articles?per_page=1");
  const track = await fetch(api + "/api/v1/feedback/track/" + {code:?}, {{ headers: {{ "X-Tracking-Secret": {secret:?} }} }});
  window.__result = {{
    listStatus: list.status, total: list.headers.get("X-Total-Count"), link: list.headers.get("Link"),
    etag: list.headers.get("ETag"), requestId: list.headers.get("X-Request-Id"),
    trackStatus: track.status, tracked: await track.json(),
  }};
}} catch (error) {{
  window.__result = {{ error: String(error) }};
}}
</script>"#
    )
}

async fn run_page(driver: &std::path::Path, url: String) -> Value {
    let driver = driver.to_owned();
    let out = tokio::task::spawn_blocking(move || Command::new("node").arg(driver).arg(url).output().expect("node"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the browser run failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str::<Value>(last).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))["result"].clone()
}

#[tokio::test]
async fn a_page_on_another_origin_lists_articles_and_tracks_a_submission_in_chromium() {
    let Some(driver) = browser_driver() else { return };
    // Two pages: the portal's origin, allowed, and another one, not.
    let allowed = TcpListener::bind("127.0.0.1:0").expect("a port for the portal's page");
    let origin = format!("http://127.0.0.1:{}", allowed.local_addr().unwrap().port());
    let (app, _) = crate::feedback::with_topic(move |env| {
        env.insert("MUNI_CORS_ORIGINS".into(), origin);
    })
    .await;
    let editor = app.token_for("editor").await;
    let news = crate::categories::create_category(&app, &editor, json!({"name": "Tin tức"})).await;
    for title in ["Tin thứ nhất", "Tin thứ hai"] {
        let body = json!({"title": title, "category_id": news["id"], "body": "<p>x</p>", "status": "published"});
        assert_eq!(app.post_json("/api/v1/articles", &body, Some(&editor)).await.status(), 201);
    }
    let receipt: Value = app
        .post_json("/api/v1/feedback", &crate::feedback::submission("Đèn đường hỏng"), None)
        .await
        .json()
        .await
        .unwrap();
    let (code, secret) = (receipt["tracking_code"].as_str().unwrap(), receipt["secret"].as_str().unwrap());
    let html = page(&app.address, code, secret);

    let seen = run_page(&driver, format!("{}/", serve_page(allowed, html.clone()))).await;
    assert!(seen.get("error").is_none(), "the allowed page failed: {seen}");
    assert_eq!(seen["listStatus"], 200);
    assert_eq!(seen["total"], "2", "X-Total-Count is exposed: {seen}");
    assert!(seen["link"].as_str().is_some_and(|l| l.contains("rel=\"next\"")), "Link is exposed: {seen}");
    assert!(seen["etag"].is_string() && seen["requestId"].is_string(), "ETag and X-Request-Id are exposed: {seen}");
    assert_eq!(seen["trackStatus"], 200, "the tracking secret's preflight passes: {seen}");
    assert_eq!(seen["tracked"]["tracking_code"], code);

    let other = TcpListener::bind("127.0.0.1:0").expect("a port for another page");
    let refused = run_page(&driver, format!("{}/", serve_page(other, html))).await;
    assert!(
        refused["error"].as_str().is_some_and(|e| e.contains("Failed to fetch")),
        "another origin is refused: {refused}"
    );
}
