//! The audit log: one entry per staff write, in the write's transaction, naming its changes;
//! sign-ins and their failures; append-only in the database; a hash chain `muni audit verify`
//! checks.

use std::process::{Command, Stdio};

use diesel::prelude::*;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::categories::create_category;
use crate::helpers::*;

async fn entries(app: &TestApp, admin: &str, query: &str) -> Value {
    let res = app.get_as(&format!("/api/v1/audit{query}"), admin).await;
    assert_eq!(res.status(), 200, "audit{query}");
    res.json().await.expect("JSON")
}

async fn total(app: &TestApp, admin: &str) -> i64 {
    entries(app, admin, "?per_page=1").await["meta"]["total"].as_i64().expect("total")
}

fn request_id(res: &Response) -> String {
    res.headers()["x-request-id"].to_str().expect("id").to_owned()
}

/// The newest entry, checked to be the one `res`'s request made, and that it is the only one.
async fn entry_of(app: &TestApp, admin: &str, before: i64, res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "{}", res.url());
    let id = request_id(&res);
    let list = entries(app, admin, "?per_page=1").await;
    assert_eq!(list["meta"]["total"].as_i64(), Some(before + 1), "one entry for {}", res.url());
    let entry = list["data"][0].clone();
    assert_eq!(entry["request_id"], id, "{entry}");
    entry
}

fn cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_muni"))
        .args(args)
        .envs(test_env(&app.db))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("muni");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[tokio::test]
async fn every_staff_write_leaves_one_entry_naming_who_and_what_changed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let editor_id = app.create_user("bien-tap@phuong.test", "editor", None).await;
    let editor = access_token(&app.login_ok("bien-tap@phuong.test", PASSWORD).await);
    let category = create_category(&app, &editor, json!({"name": "Tin hoạt động"})).await["id"].as_i64().unwrap();

    let before = total(&app, &admin).await;
    let body = json!({"title": "Kế hoạch năm 2027", "body": "<p>Nội dung.</p>", "category_id": category});
    let res = app
        .request(Method::POST, "/api/v1/articles", Some(&editor))
        .header("user-agent", "kiem-thu/1.0")
        .json(&body)
        .send()
        .await
        .unwrap();
    let article: Value = {
        let entry = entry_of(&app, &admin, before, res, 201).await;
        assert_eq!(entry["action"], "articles.create");
        assert_eq!(entry["route"], "POST /api/v1/articles");
        assert_eq!(entry["actor"], json!({"id": editor_id, "role": "editor"}));
        assert_eq!(entry["user_agent"], "kiem-thu/1.0");
        assert_eq!(entry["address"], "127.0.0.1");
        assert_eq!(entry["resource"], "article");
        let changes = entry["changes"].as_array().unwrap();
        assert!(changes.iter().any(|c| c["resource"] == "article" && c["action"] == "insert"), "{entry}");
        let id = entry["resource_id"].as_str().unwrap().parse::<i64>().unwrap();
        app.get_as(&format!("/api/v1/articles/{id}"), &editor).await.json().await.unwrap()
    };
    let id = article["id"].as_i64().unwrap();

    let before = total(&app, &admin).await;
    let res = app
        .patch_json(&format!("/api/v1/articles/{id}"), &json!({"title": "Kế hoạch năm 2027 (sửa)"}), Some(&editor))
        .await;
    let entry = entry_of(&app, &admin, before, res, 200).await;
    assert_eq!(entry["action"], "articles.update");
    assert_eq!(entry["resource_id"], id.to_string());

    let before = total(&app, &admin).await;
    let res = app.request(Method::POST, &format!("/api/v1/articles/{id}/publish"), Some(&editor)).send().await.unwrap();
    let entry = entry_of(&app, &admin, before, res, 200).await;
    assert_eq!(entry["action"], "articles.publish");

    // Writes that change no public content are recorded too, by their route.
    let before = total(&app, &admin).await;
    let res = app
        .post_json(
            "/api/v1/users",
            &json!({"email": "kiem-duyet@phuong.test", "display_name": "Kiểm duyệt", "role": "moderator", "password": PASSWORD}),
            Some(&admin),
        )
        .await;
    let entry = entry_of(&app, &admin, before, res, 201).await;
    assert_eq!(entry["action"], "users.create");
    assert_eq!(entry["actor"]["role"], "admin");

    // A refused write leaves nothing; nor do reads without personal data.
    let before = total(&app, &admin).await;
    let res = app.patch_json(&format!("/api/v1/articles/{id}"), &json!({"title": ""}), Some(&editor)).await;
    assert_eq!(res.status(), 422);
    app.get_as(&format!("/api/v1/articles/{id}"), &editor).await;
    assert_eq!(total(&app, &admin).await, before);

    // Filters: by user, by an action prefix, by resource.
    let mine = entries(&app, &admin, &format!("?user={editor_id}&per_page=100")).await;
    let actions: Vec<&str> = mine["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.starts_with(&["articles.publish", "articles.update", "articles.create"]), "{actions:?}");
    let on_article = entries(&app, &admin, &format!("?resource=article&resource_id={id}")).await;
    assert_eq!(on_article["meta"]["total"], 3);
    let articles = entries(&app, &admin, "?action=articles.*&per_page=100").await;
    assert_eq!(articles["meta"]["total"], 3);
}

#[tokio::test]
async fn sign_ins_and_their_failures_are_recorded_without_the_password() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let wrong = "Mat-khau-sai-9876";
    let res = app.login(ADMIN_EMAIL, wrong).await;
    assert_eq!(res.status(), 401);
    let failed = request_id(&res);
    let res = app.login("khong-co@phuong.test", wrong).await;
    assert_eq!(res.status(), 401);
    app.login_ok(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let list = entries(&app, &admin, "?action=auth.*&per_page=100").await;
    let found: Vec<(&str, &Value)> =
        list["data"].as_array().unwrap().iter().map(|e| (e["action"].as_str().unwrap(), &e["detail"])).collect();
    assert_eq!(found.iter().filter(|(a, _)| *a == "auth.login_failed").count(), 2, "{found:?}");
    assert_eq!(found.iter().filter(|(a, _)| *a == "auth.login").count(), 2, "{found:?}");
    let entry = list["data"].as_array().unwrap().iter().find(|e| e["request_id"] == failed).expect("the failure");
    assert_eq!(entry["action"], "auth.login_failed");
    assert_eq!(entry["detail"]["email"], ADMIN_EMAIL);
    assert!(entry["actor"].is_null());
    let export = app.get_as("/api/v1/audit?format=jsonl", &admin).await.text().await.unwrap();
    assert!(!export.contains(wrong) && !export.contains(ADMIN_PASSWORD), "a password in the log");
    assert_eq!(export.lines().count() as i64, total(&app, &admin).await);
    let csv = app.get_as("/api/v1/audit?format=csv", &admin).await.text().await.unwrap();
    assert!(csv.starts_with("id,at,actor_id,actor_role,site_id,action"), "{csv}");
    assert!(!csv.contains(wrong));
}

#[tokio::test]
async fn only_admins_read_the_log_and_a_site_admin_reads_their_site() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    assert_problem(app.get_as("/api/v1/audit", &editor).await, 403).await;
    assert_problem(app.get("/api/v1/audit").await, 401).await;
    let admin = app.admin_token().await;
    let res = app.post_json("/api/v1/sites", &json!({"code": "xa-an-binh", "name": "Xã An Bình"}), Some(&admin)).await;
    assert_eq!(res.status(), 201);
    let other_site = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    app.create_user("quan-tri-xa@phuong.test", "admin", Some(other_site)).await;
    let site_admin = access_token(&app.login_ok("quan-tri-xa@phuong.test", PASSWORD).await);
    let theirs = entries(&app, &site_admin, "?per_page=100").await;
    let items = theirs["data"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|e| e["site_id"] == other_site), "{theirs}");
    assert!(total(&app, &admin).await > items.len() as i64);
}

#[tokio::test]
async fn the_database_refuses_to_change_or_remove_an_entry() {
    let app = spawn_app().await;
    app.admin_token().await;
    let mut conn = app.db.connect();
    for sql in ["UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"] {
        let result = match &mut conn {
            muni::db::DbConn::Sqlite(c) => diesel::sql_query(sql).execute(c),
            muni::db::DbConn::Postgres(c) => diesel::sql_query(sql).execute(c),
        };
        let error = result.expect_err(sql).to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    if app.db.is_postgres() {
        let muni::db::DbConn::Postgres(c) = &mut conn else { unreachable!() };
        let error = diesel::sql_query("TRUNCATE audit_log").execute(c).expect_err("truncate").to_string();
        assert!(error.contains("append-only"), "{error}");
    }
}

#[tokio::test]
async fn a_tampered_or_removed_entry_is_found_by_verify() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    for name in ["Tin một", "Tin hai", "Tin ba", "Tin bốn"] {
        create_category(&app, &editor, json!({"name": name})).await;
    }
    let (ok, said) = cli(&app, &["audit", "verify"]);
    assert!(ok, "{said}");
    assert!(said.contains("intact"), "{said}");

    // Someone with the database's owner rights goes around the triggers.
    let mut conn = app.db.connect();
    let middle: i64 = {
        let admin = app.admin_token().await;
        let list = entries(&app, &admin, "?action=categories.create&per_page=100").await;
        list["data"][1]["id"].as_i64().unwrap()
    };
    let edit = format!("UPDATE audit_log SET address = '10.0.0.9' WHERE id = {middle}");
    match &mut conn {
        muni::db::DbConn::Sqlite(c) => {
            diesel::sql_query("DROP TRIGGER audit_log_no_update").execute(c).unwrap();
            diesel::sql_query("DROP TRIGGER audit_log_no_delete").execute(c).unwrap();
            diesel::sql_query(&edit).execute(c).unwrap();
        }
        muni::db::DbConn::Postgres(c) => {
            diesel::sql_query("ALTER TABLE audit_log DISABLE TRIGGER USER").execute(c).unwrap();
            diesel::sql_query(&edit).execute(c).unwrap();
        }
    }
    assert_eq!(
        muni::audit::verify(&mut conn).unwrap(),
        muni::audit::Verdict::Broken { id: middle, reason: "its content does not match its hash".into() }
    );
    let (ok, said) = cli(&app, &["audit", "verify"]);
    assert!(!ok, "{said}");
    assert!(said.contains(&format!("entry {middle}")), "{said}");

    // Removing the edited entry instead leaves a gap the next entry shows.
    let remove = format!("DELETE FROM audit_log WHERE id = {middle}");
    match &mut conn {
        muni::db::DbConn::Sqlite(c) => diesel::sql_query(&remove).execute(c).unwrap(),
        muni::db::DbConn::Postgres(c) => diesel::sql_query(&remove).execute(c).unwrap(),
    };
    match muni::audit::verify(&mut conn).unwrap() {
        muni::audit::Verdict::Broken { id, reason } => {
            assert!(id > middle, "{id}");
            assert!(reason.contains("link"), "{reason}");
        }
        intact => panic!("a removed entry went unnoticed: {intact:?}"),
    }
}

/// Concurrent writers each leave their entry, and the chain stays whole: on PostgreSQL entries
/// are sealed after they commit, here by the server's sealer and by four more sealing at once
/// (one holds the chain at a time; none seals an entry twice or skips one).
#[tokio::test]
async fn concurrent_writes_keep_one_unbroken_chain() {
    let app = spawn_app_with(|env| {
        env.insert("MUNI_WORKERS".into(), "4".into());
        env.insert("MUNI_DB_POOL_SIZE".into(), "12".into());
    })
    .await;
    let editor = app.token_for("editor").await;
    let admin = app.admin_token().await;
    let before = total(&app, &admin).await;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sealers: Vec<_> = (0..4)
        .map(|_| {
            let (url, done) = (muni::db::DatabaseUrl::parse(&app.db.url).expect("URL"), done.clone());
            std::thread::spawn(move || {
                let mut conn = muni::db::connect(&url).expect("connect");
                let mut sealed = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    sealed += muni::audit::seal(&mut conn).expect("seal");
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                sealed
            })
        })
        .collect();
    let writes = (0..24).map(|i| {
        let (app, editor) = (&app, &editor);
        async move {
            let res =
                app.post_json("/api/v1/categories", &json!({"name": format!("Chuyên mục {i}")}), Some(editor)).await;
            assert_eq!(res.status(), 201);
        }
    });
    futures_util::future::join_all(writes).await;
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let sealed_by_others: usize = sealers.into_iter().map(|s| s.join().expect("sealer")).sum();
    assert_eq!(total(&app, &admin).await, before + 24);
    let mut conn = app.db.connect();
    muni::audit::seal(&mut conn).unwrap();
    match muni::audit::verify(&mut conn).unwrap() {
        muni::audit::Verdict::Intact { entries, awaiting } => {
            assert_eq!(awaiting, 0);
            assert!(entries as i64 >= before + 24, "{entries} sealed");
        }
        broken => panic!("{broken:?}"),
    }
    if !app.db.is_postgres() {
        assert_eq!(sealed_by_others, 0, "SQLite seals as it writes");
    }
}

/// On PostgreSQL an entry is written awaiting its seal; the server's sealer chains it soon after
/// its commit. The one UPDATE the database allows is that seal, once, changing nothing else; an
/// entry awaiting its seal cannot be deleted either.
#[tokio::test]
async fn an_entry_is_sealed_after_its_commit_and_only_the_seal_may_touch_it() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let admin = app.admin_token().await;
    create_category(&app, &editor, json!({"name": "Tin niêm phong"})).await;
    let newest = || async { entries(&app, &admin, "?per_page=1").await["data"][0].clone() };
    let mut entry = newest().await;
    for _ in 0..50 {
        if entry["hash"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        entry = newest().await;
    }
    assert!(entry["hash"].as_str().is_some_and(|h| h.len() == 64), "sealed within five seconds: {entry}");
    if !app.db.is_postgres() {
        return;
    }
    let mut conn = app.db.connect();
    let muni::db::DbConn::Postgres(c) = &mut conn else { unreachable!() };
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let waiting = diesel::sql_query(
        "INSERT INTO audit_log (at, action, changes) VALUES (LOCALTIMESTAMP, 'test.waiting', '[]') RETURNING id",
    )
    .get_result::<Id>(c)
    .unwrap()
    .id;
    let sealed = entry["id"].as_i64().unwrap();
    let refused = [
        format!("UPDATE audit_log SET address = '10.0.0.9' WHERE id = {waiting}"),
        format!(
            "UPDATE audit_log SET seq = 999999, prev_hash = 'x', hash = 'y', action = 'test.changed' WHERE id = {waiting}"
        ),
        format!("UPDATE audit_log SET seq = 999999, prev_hash = 'x', hash = 'y' WHERE id = {sealed}"),
        format!("DELETE FROM audit_log WHERE id = {waiting}"),
    ];
    for sql in &refused {
        let error = diesel::sql_query(sql).execute(c).expect_err(sql).to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    // Half a seal breaks the rule that an entry is sealed whole.
    let half = format!("UPDATE audit_log SET seq = 999999 WHERE id = {waiting}");
    assert!(diesel::sql_query(&half).execute(c).is_err(), "{half}");
    // The sealer seals it, and the chain holds.
    let mut conn = app.db.connect();
    muni::audit::seal(&mut conn).unwrap();
    assert!(matches!(muni::audit::verify(&mut conn).unwrap(), muni::audit::Verdict::Intact { awaiting: 0, .. }));
    let resealed = format!("UPDATE audit_log SET hash = 'y' WHERE id = {waiting}");
    let muni::db::DbConn::Postgres(c) = &mut conn else { unreachable!() };
    assert!(diesel::sql_query(&resealed).execute(c).is_err(), "{resealed}");
}

#[tokio::test]
async fn reads_of_personal_data_are_recorded_as_the_access_log_records_them() {
    let (app, moderator) = crate::feedback::with_topic(|_| {}).await;
    let admin = app.admin_token().await;
    let res = app.post_json("/api/v1/feedback", &crate::feedback::submission("Đèn đường hỏng"), None).await;
    assert_eq!(res.status(), 201);
    let list: Value = app.get_as("/api/v1/feedback", &moderator).await.json().await.unwrap();
    let id = list["data"][0]["id"].as_i64().unwrap();

    let before = total(&app, &admin).await;
    let res = app.get_as(&format!("/api/v1/feedback/{id}"), &moderator).await;
    let entry = entry_of(&app, &admin, before, res, 200).await;
    assert_eq!((entry["action"].as_str(), entry["resource"].as_str()), (Some("feedback.read"), Some("feedback")));
    assert_eq!(entry["resource_id"], id.to_string());
    let before = total(&app, &admin).await;
    let res = app.get_as(&format!("/api/v1/feedback/{id}/personal-data"), &moderator).await;
    let entry = entry_of(&app, &admin, before, res, 200).await;
    assert_eq!(entry["action"], "feedback.personal-data");

    // The feedback's own access log and the audit log tell the same story.
    let access: Value = app.get_as(&format!("/api/v1/feedback/{id}/access-log"), &admin).await.json().await.unwrap();
    let audited = entries(&app, &admin, &format!("?resource=feedback&resource_id={id}&per_page=100")).await;
    let reads = audited["data"].as_array().unwrap().iter().filter(|e| e["actor"]["role"] == "moderator").count();
    assert_eq!(access.as_array().unwrap().len(), reads, "{access} vs {audited}");
}

/// Retention: what ages out is archived first (JSON Lines with the hashes), then removed; the chain
/// goes on from the last entry archived, entries not archived still cannot be deleted, and
/// `muni audit verify` still checks everything that remains.
#[tokio::test]
async fn aged_out_entries_are_archived_before_they_go_and_the_chain_goes_on() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let admin = app.admin_token().await;
    for name in ["Tin cũ một", "Tin cũ hai", "Tin cũ ba"] {
        create_category(&app, &editor, json!({"name": name})).await;
    }
    let before = total(&app, &admin).await;
    assert!(before >= 5, "sign-ins and the writes: {before}");

    // Without the setting there is nothing to do.
    let (ok, said) = cli(&app, &["audit", "archive"]);
    assert!(!ok && said.contains("MUNI_AUDIT_RETENTION_DAYS"), "{said}");

    let archive = app.db.dir.path().join("archive");
    let run = |days: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_muni"))
            .args(["audit", "archive"])
            .envs(test_env(&app.db))
            .env("MUNI_AUDIT_RETENTION_DAYS", days)
            .env("MUNI_AUDIT_ARCHIVE_DIR", &archive)
            .output()
            .expect("muni");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // A year's retention: nothing is that old.
    assert!(run("365").contains("Archived 0 "));
    assert_eq!(total(&app, &admin).await, before);
    // None: everything before now ages out.
    let said = run("0");
    assert!(said.starts_with("Archived "), "{said}");
    let files: Vec<_> = std::fs::read_dir(&archive).unwrap().map(|f| f.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let lines: Vec<Value> =
        std::fs::read_to_string(&files[0]).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() as i64 >= before, "{} archived", lines.len());
    assert!(lines.iter().all(|l| l["hash"].is_string() && l["prev_hash"].is_string()));
    assert!(lines.iter().any(|l| l["action"] == "categories.create"));
    let archived_through = lines.last().unwrap()["id"].as_i64().unwrap();

    // The log goes on from the anchor; what is left verifies; the archived ids are gone.
    create_category(&app, &editor, json!({"name": "Tin mới"})).await;
    let (ok, said) = cli(&app, &["audit", "verify"]);
    assert!(ok, "{said}");
    assert!(said.contains(&format!("from entry {archived_through}")), "{said}");
    let left = entries(&app, &admin, "?per_page=100").await;
    assert!(left["data"].as_array().unwrap().iter().all(|e| e["id"].as_i64().unwrap() > archived_through));

    // An entry not archived still cannot be deleted, and the anchor cannot go back.
    let mut conn = app.db.connect();
    let newest = left["data"][0]["id"].as_i64().unwrap();
    for statement in [
        format!("DELETE FROM audit_log WHERE id = {newest}"),
        "UPDATE audit_anchor SET through_id = 0".to_owned(),
        "UPDATE audit_anchor SET through_seq = 0".to_owned(),
        "DELETE FROM audit_anchor".to_owned(),
    ] {
        let result = match &mut conn {
            muni::db::DbConn::Sqlite(c) => diesel::sql_query(&statement).execute(c),
            muni::db::DbConn::Postgres(c) => diesel::sql_query(&statement).execute(c),
        };
        let error = result.expect_err(&statement).to_string();
        assert!(error.contains("append-only") || error.contains("anchor"), "{statement}: {error}");
    }
}
