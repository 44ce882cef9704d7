//! Procedures: import in each format (idempotent, with changes, with malformed rows), filters,
//! facets, search without diacritics, expired ones hidden, export, permissions.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn record(code: &str, name: &str, field: &str) -> Value {
    json!({"code": code, "name": name, "field": field, "agency": "Ủy ban nhân dân cấp xã", "processing_time": "03 ngày làm việc",
           "level": "partial", "dossier": [{"name": "Tờ khai theo mẫu", "originals": 1, "copies": 0}]})
}

pub fn birth() -> Value {
    json!({
        "code": "1.001193",
        "name": "Thủ tục đăng ký khai sinh",
        "field": "Hộ tịch",
        "agency": "Ủy ban nhân dân cấp xã",
        "applicants": "Cá nhân",
        "steps": ["Nộp hồ sơ tại Bộ phận một cửa", "Công chức tư pháp - hộ tịch kiểm tra", "Trả kết quả"],
        "methods": [{"method": "in_person", "processing_time": "Trong ngày", "fee": "Miễn lệ phí"},
                    {"method": "online", "processing_time": "Trong ngày", "fee": "Miễn lệ phí"}],
        "dossier": [{"name": "Tờ khai đăng ký khai sinh", "originals": 1, "copies": 0, "form_url": "https://example.vn/to-khai.docx"},
                    {"name": "Giấy chứng sinh", "originals": 1, "copies": 0}],
        "processing_time": "Trong ngày",
        "fees": "Miễn lệ phí đăng ký khai sinh đúng hạn",
        "legal_basis": [{"number": "60/2014/QH13", "title": "Luật Hộ tịch", "issued_on": "2014-11-20"}],
        "result": "Giấy khai sinh",
        "level": "full",
        "cases": [
            {"name": "Khai sinh đúng hạn", "dossier": [{"name": "Giấy chứng sinh", "originals": 1}], "processing_time": "Trong ngày", "fee": "Miễn"},
            {"name": "Khai sinh quá hạn", "dossier": [{"name": "Văn bản xác nhận của người làm chứng", "originals": 1}], "processing_time": "03 ngày làm việc", "fee": "8.000 đồng"}
        ]
    })
}

async fn import(app: &TestApp, token: &str, content_type: &str, body: String, query: &str) -> reqwest::Response {
    app.request(Method::POST, &format!("/api/v1/procedures/import{query}"), Some(token))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_json_import_upserts_by_code_idempotently_and_reports_every_row() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let rows = json!([birth(), record("2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực"), {"name": "Không có mã"}, {"code": "x", "name": "Mã sai"}]);
    let res = import(&app, &editor, "application/json", rows.to_string(), "").await;
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64(), report["unchanged"].as_u64()),
        (Some(2), Some(0), Some(0))
    );
    let rejected: Vec<(u64, String)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["errors"][0]["field"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(rejected, [(3, "code".to_owned()), (4, "code".to_owned())]);

    let again: Value =
        import(&app, &editor, "application/json", json!([birth()]).to_string(), "").await.json().await.unwrap();
    assert_eq!(again["unchanged"], 1);
    assert_eq!(again["created"], 0);
    let mut changed = birth();
    changed["processing_time"] = json!("01 ngày làm việc");
    let changed: Value =
        import(&app, &editor, "application/json", json!([changed]).to_string(), "").await.json().await.unwrap();
    assert_eq!(changed["updated"], 1);

    let one: Value = app.get("/api/v1/procedures/1.001193").await.json().await.unwrap();
    assert_eq!(one["name"], "Thủ tục đăng ký khai sinh");
    assert_eq!(one["processing_time"], "01 ngày làm việc");
    assert_eq!(one["processing_days"], 1);
    assert_eq!(one["field_ref"]["code"], "ho-tich");
    assert_eq!(one["cases"][1]["name"], "Khai sinh quá hạn");
    assert_eq!(one["dossier"][0]["form_url"], "https://example.vn/to-khai.docx");
    assert_eq!(one["legal_basis"][0]["issued_on"], "2014-11-20");
    assert_eq!(one["source"], "api");
    let by_id: Value = app.get(&format!("/api/v1/procedures/{}", one["id"])).await.json().await.unwrap();
    assert_eq!(by_id["code"], "1.001193");

    let strict = import(
        &app,
        &editor,
        "application/json",
        json!([record("1.000001", "Mới", "Hộ tịch"), {"code": ""}]).to_string(),
        "?strict=true",
    )
    .await;
    assert_problem(strict, 422).await;
    assert_problem(app.get("/api/v1/procedures/1.000001").await, 404).await;
}

#[tokio::test]
async fn json_lines_csv_and_xlsx_import_alike() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let lines = format!(
        "{}\n\nnot json\n{}\n",
        record("1.000894", "Đăng ký kết hôn", "Hộ tịch"),
        record("1.004227", "Đăng ký tạm trú", "Cư trú")
    );
    let report: Value = import(&app, &editor, "application/x-ndjson", lines, "").await.json().await.unwrap();
    assert_eq!(report["created"], 2);
    assert_eq!(report["rejected"][0]["row"], 3);

    let dir = tempfile::tempdir().unwrap();
    let headers = [
        "Mã thủ tục",
        "Tên thủ tục",
        "Lĩnh vực",
        "Cơ quan thực hiện",
        "Mức độ",
        "Cách thức thực hiện",
        "Trình tự thực hiện",
        "Thời hạn giải quyết",
        "Phí",
        "Lệ phí",
        "Thành phần hồ sơ",
        "Yêu cầu - điều kiện",
        "Căn cứ pháp lý",
        "Kết quả thực hiện",
    ];
    let rows = [
        [
            "2.000884",
            "Chứng thực chữ ký trong các giấy tờ, văn bản",
            "Chứng thực",
            "UBND cấp xã",
            "Dịch vụ công trực tuyến một phần",
            "Trực tiếp\nDịch vụ bưu chính",
            "Bước 1: Nộp hồ sơ\nBước 2: Nhận kết quả",
            "Trong ngày",
            "",
            "10.000 đồng/trường hợp",
            "Giấy tờ, văn bản cần chứng thực chữ ký (bản chính)\nGiấy tờ tùy thân (bản sao)",
            "",
            "Nghị định 23/2015/NĐ-CP về cấp bản sao",
            "Giấy tờ đã chứng thực chữ ký",
        ],
        [
            "1.012753.H19",
            "Hỗ trợ chi phí mai táng",
            "Bảo trợ xã hội",
            "UBND cấp xã",
            "Toàn trình",
            "Trực tuyến",
            "Nộp hồ sơ",
            "05 ngày làm việc",
            "",
            "",
            "Tờ khai đề nghị hỗ trợ",
            "",
            "",
            "Quyết định hỗ trợ",
        ],
        ["", "Dòng thiếu mã", "Hộ tịch", "", "", "", "", "", "", "", "", "", "", ""],
    ];
    let mut csv = String::from("DANH SÁCH THỦ TỤC HÀNH CHÍNH\n");
    let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    csv.push_str(&headers.iter().map(|h| quote(h)).collect::<Vec<_>>().join(","));
    csv.push('\n');
    for row in &rows {
        csv.push_str(&row.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        csv.push('\n');
    }
    let csv_path = dir.path().join("thu-tuc.csv");
    std::fs::write(&csv_path, &csv).unwrap();

    let xlsx_path = dir.path().join("thu-tuc.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let mut changed = rows[0];
    changed[7] = "02 ngày làm việc";
    for (c, v) in changed.iter().enumerate() {
        sheet.write_string(1, c as u16, *v).unwrap();
    }
    for (c, v) in [
        "1.000656",
        "Đăng ký khai tử",
        "Hộ tịch",
        "UBND cấp xã",
        "",
        "Trực tiếp",
        "Nộp",
        "Trong ngày",
        "",
        "",
        "Giấy báo tử (bản chính)",
        "",
        "",
        "Trích lục khai tử",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(2, c as u16, *v).unwrap();
    }
    workbook.save(&xlsx_path).unwrap();

    let cli = |file: &std::path::Path, extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_muni"));
        command
            .args(["import", "procedures"])
            .arg(file)
            .args(extra)
            .envs(test_env(&app.db))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = command.output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string())
    };
    let (ok, out) = cli(&csv_path, &[]);
    assert!(ok, "{out}");
    assert!(out.contains("2 created, 0 updated, 0 unchanged, 1 rejected"), "{out}");
    let (ok, out) = cli(&csv_path, &[]);
    assert!(ok && out.contains("0 created, 0 updated, 2 unchanged"), "re-import unchanged: {out}");
    let (ok, out) = cli(&csv_path, &["--strict"]);
    assert!(!ok && out.contains("1 rejected"), "{out}");
    let (ok, out) = cli(&xlsx_path, &[]);
    assert!(ok && out.contains("1 created, 1 updated, 0 unchanged, 0 rejected"), "{out}");

    let signed: Value = app.get("/api/v1/procedures/2.000884").await.json().await.unwrap();
    assert_eq!(signed["level"], "partial");
    assert_eq!(signed["processing_time"], "02 ngày làm việc");
    assert_eq!(signed["fees"], "Lệ phí: 10.000 đồng/trường hợp");
    let methods: Vec<&str> =
        signed["methods"].as_array().unwrap().iter().map(|m| m["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["in_person", "post"]);
    assert_eq!(signed["dossier"][0]["originals"], 1);
    assert_eq!(signed["dossier"][1]["copies"], 1);
    assert_eq!(signed["legal_basis"][0]["number"], "23/2015/NĐ-CP");
    assert_eq!(signed["source"], "thu-tuc.xlsx");
    let suffixed: Value = app.get("/api/v1/procedures/1.012753.H19").await.json().await.unwrap();
    assert_eq!(suffixed["level"], "full");
    assert_eq!(suffixed["field_ref"]["name"], "Bảo trợ xã hội");

    let export = app.get("/api/v1/procedures/export").await;
    assert!(export.headers()["content-type"].to_str().unwrap().starts_with("application/x-ndjson"));
    let export = export.text().await.unwrap();
    assert_eq!(export.lines().count(), 5);
    let round_trip: Value = import(&app, &editor, "application/x-ndjson", export, "").await.json().await.unwrap();
    assert_eq!(round_trip["unchanged"], 5, "an export imports back unchanged");
}

#[tokio::test]
async fn filters_facets_and_search_find_the_right_procedures() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let mut expired = record("1.000111", "Đăng ký lại khai sinh (cũ)", "Hộ tịch");
    expired["validity"] = json!("expired");
    let mut replaced = record("1.000222", "Chứng thực bản sao (cũ)", "Chứng thực");
    replaced["validity"] = json!("replaced");
    replaced["replaced_by"] = json!("2.000815");
    let mut online = record("1.004227", "Đăng ký tạm trú", "Cư trú");
    online["level"] = json!("full");
    online["processing_time"] = json!("07 ngày làm việc");
    let rows = json!([
        birth(),
        record("2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực"),
        online,
        expired,
        replaced
    ]);
    import(&app, &editor, "application/json", rows.to_string(), "").await;
    let codes = |body: &Value| {
        body["data"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let all: Value = app.get("/api/v1/procedures").await.json().await.unwrap();
    assert_eq!(all["meta"]["total"], 3, "expired and replaced ones are hidden by default");
    let every: Value = app.get("/api/v1/procedures?validity=all").await.json().await.unwrap();
    assert_eq!(every["meta"]["total"], 5);
    let old: Value = app.get("/api/v1/procedures?validity=replaced").await.json().await.unwrap();
    assert_eq!(codes(&old), ["1.000222"]);
    assert_eq!(old["data"][0]["replaced_by"], "2.000815");
    let civil: Value = app.get("/api/v1/procedures?field=ho-tich").await.json().await.unwrap();
    assert_eq!(codes(&civil), ["1.001193"]);
    let full: Value = app.get("/api/v1/procedures?level=full").await.json().await.unwrap();
    assert_eq!(codes(&full), ["1.004227", "1.001193"]);
    let quick: Value = app.get("/api/v1/procedures?max_days=3").await.json().await.unwrap();
    assert_eq!(codes(&quick), ["2.000815", "1.001193"]);
    for q in ["giay%20chung%20sinh", "GI%E1%BA%A4Y%20CH%E1%BB%A8NG%20SINH", "khai%20sinh"] {
        let found = app.get_found(&format!("/api/v1/procedures?q={q}")).await;
        assert_eq!(codes(&found), ["1.001193"], "q={q}");
    }
    let by_agency: Value = app.get("/api/v1/procedures?agency=uy%20ban%20nhan%20dan").await.json().await.unwrap();
    assert_eq!(by_agency["meta"]["total"], 3);
    let facets: Value = app.get("/api/v1/procedures/facets").await.json().await.unwrap();
    assert_eq!(facets["total"], 3);
    let field_counts: Vec<(String, i64)> = facets["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["value"].as_str().unwrap().to_owned(), f["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(field_counts.len(), 3);
    assert!(field_counts.iter().all(|(_, c)| *c == 1));
    let levels: Vec<(String, i64)> = facets["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["value"].as_str().unwrap().to_owned(), f["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(levels, [("full".to_owned(), 2), ("partial".to_owned(), 1)]);
    let narrowed: Value = app.get("/api/v1/procedures/facets?level=full").await.json().await.unwrap();
    // Facets are counts, not a page: paging is refused as the document says (no such parameter).
    let problem = assert_problem(app.get("/api/v1/procedures/facets?page=2").await, 400).await;
    assert_eq!(field_errors(&problem), ["page:unknown_parameter"], "{problem}");
    assert_eq!(narrowed["total"], 2);
    assert_eq!(narrowed["levels"].as_array().unwrap().len(), 2, "a facet ignores its own filter");
    assert_problem(app.get("/api/v1/procedures?validity=sometimes").await, 400).await;
    assert_problem(app.get("/api/v1/procedures?field=khong-co").await, 400).await;
}

#[tokio::test]
async fn the_list_search_ranks_by_the_engine_and_keeps_the_other_filters() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    // Named "khai sinh" only in its dossier: found, after the procedures that are named so.
    let mut copy = record("1.000300", "Cấp bản sao trích lục hộ tịch", "Hộ tịch");
    copy["dossier"] = json!([{"name": "Bản sao giấy khai sinh", "originals": 0, "copies": 1}]);
    let foreign = record("1.000400", "Đăng ký khai sinh có yếu tố nước ngoài", "Hộ tịch");
    let mut expired = record("1.000111", "Đăng ký lại khai sinh (cũ)", "Hộ tịch");
    expired["validity"] = json!("expired");
    let rows = json!([copy, birth(), foreign, expired, record("1.000500", "Đăng ký kết hôn", "Hộ tịch")]);
    import(&app, &editor, "application/json", rows.to_string(), "").await;
    let codes = |body: &Value| {
        body["data"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let found = app.get_found("/api/v1/procedures?q=khai%20sinh").await;
    assert_eq!(found["meta"]["total"], 3, "the expired one stays hidden: {found}");
    let best = codes(&found);
    assert_eq!(best.last().map(String::as_str), Some("1.000300"), "named so first, then by dossier: {best:?}");
    // By name without `q`, the dossier-only match would come first ("Cấp" before "Đăng" and "Thủ").
    let by_name: Value = app.get("/api/v1/procedures?field=ho-tich").await.json().await.unwrap();
    assert_eq!(codes(&by_name)[0], "1.000300");
    // The database's filters narrow what the engine found; paging walks the engine's order.
    let every: Value = app.get("/api/v1/procedures?q=khai%20sinh&validity=all").await.json().await.unwrap();
    assert_eq!(every["meta"]["total"], 4);
    assert!(codes(&every).contains(&"1.000111".to_owned()));
    let second: Value = app.get("/api/v1/procedures?q=khai%20sinh&per_page=2&page=2").await.json().await.unwrap();
    assert_eq!(codes(&second), ["1.000300"], "{second}");
    assert_eq!(second["meta"]["total"], 3);
    let online: Value = app.get("/api/v1/procedures?q=khai%20sinh&level=full").await.json().await.unwrap();
    assert_eq!(codes(&online), ["1.001193"]);
    let facets: Value = app.get("/api/v1/procedures/facets?q=khai%20sinh").await.json().await.unwrap();
    assert_eq!(facets["total"], 3);
    // What the engine adds to the database's words: the last word as a prefix, and a typo.
    let prefix: Value = app.get("/api/v1/procedures?q=ban%20sao%20tri").await.json().await.unwrap();
    assert_eq!(codes(&prefix), ["1.000300"], "{prefix}");
    let typo: Value = app.get("/api/v1/procedures?q=trichh%20luc").await.json().await.unwrap();
    assert_eq!(codes(&typo), ["1.000300"], "{typo}");
    let unknown: Value = app.get("/api/v1/procedures?q=zzzz%20qqqq").await.json().await.unwrap();
    assert_eq!(unknown["meta"]["total"], 0);
}

#[tokio::test]
async fn procedure_writes_follow_the_permission_matrix() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let moderator = app.token_for("moderator").await;
    let res = app.post_json("/api/v1/procedures", &birth(), Some(&editor)).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["location"], "/api/v1/procedures/1.001193");
    let created: Value = res.json().await.unwrap();
    let problem = assert_problem(app.post_json("/api/v1/procedures", &birth(), Some(&editor)).await, 409).await;
    assert_eq!(field_errors(&problem), ["code:not_unique"]);
    let path = format!("/api/v1/procedures/{}", created["id"]);
    let patched: Value = app
        .patch_json(&path, &json!({"fees": "Miễn lệ phí", "requirements": "Không"}), Some(&editor))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(patched["fees"], "Miễn lệ phí");
    assert_eq!(patched["steps"].as_array().unwrap().len(), 3, "a merge patch keeps the rest");
    assert_problem(app.patch_json(&path, &json!({"code": "9.999999"}), Some(&editor)).await, 422).await;
    for token in [None, Some(moderator.as_str()), Some("garbage")] {
        let expected = if token == Some(moderator.as_str()) { 403 } else { 401 };
        assert_problem(app.post_json("/api/v1/procedures", &record("1.000333", "X", "Hộ tịch"), token).await, expected)
            .await;
        assert_problem(app.patch_json(&path, &json!({"fees": "x"}), token).await, expected).await;
        assert_problem(app.request(Method::DELETE, &path, token).send().await.unwrap(), expected).await;
        let res = app
            .request(Method::POST, "/api/v1/procedures/import", token)
            .header("content-type", "application/json")
            .body("[]")
            .send()
            .await
            .unwrap();
        assert_problem(res, expected).await;
    }
    let res = app.request(Method::DELETE, &path, Some(&editor)).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get("/api/v1/procedures/1.001193").await, 404).await;
    // A re-import brings a deleted procedure back.
    let report: Value =
        import(&app, &editor, "application/json", json!([birth()]).to_string(), "").await.json().await.unwrap();
    assert_eq!(report["updated"], 1);
    assert_eq!(app.get("/api/v1/procedures/1.001193").await.status(), 200);
    let res = app
        .request(Method::POST, "/api/v1/procedures/import", Some(&editor))
        .header("content-type", "text/csv")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415).await;
    let res = app
        .request(Method::POST, "/api/v1/procedures/import", Some(&editor))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400).await;
    let _ = std::io::stdout().flush();
}
