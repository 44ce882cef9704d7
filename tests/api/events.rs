//! The work calendar: weeks in local time, all-day events, changes and cancellations, and the
//! iCalendar feed as a real parser reads it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

pub async fn create_event(app: &TestApp, token: &str, body: Value) -> Value {
    let res = app.post_json("/api/v1/events", &body, Some(token)).await;
    assert_eq!(res.status(), 201, "create event {body}");
    res.json().await.unwrap()
}

fn titles_on(week: &Value, day: usize) -> Vec<String> {
    week["days"][day]["events"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_week_runs_monday_to_sunday_in_local_time() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    // Sunday 20:00 in Vietnam is 13:00 UTC Sunday; Monday 00:30 in Vietnam is still Sunday in UTC.
    create_event(
        &app,
        &editor,
        json!({"title": "Trực ban tối Chủ nhật", "starts_at": "2026-12-06T20:00", "ends_at": "2026-12-06T22:00"}),
    )
    .await;
    create_event(&app, &editor, json!({"title": "Chào cờ đầu tuần", "starts_at": "2026-12-07T00:30:00+07:00"})).await;
    create_event(
        &app,
        &editor,
        json!({"title": "Giao ban thứ Hai", "starts_at": "2026-11-30T07:30", "ends_at": "2026-11-30T09:00"}),
    )
    .await;
    let res = app.get("/api/v1/events/week/2026-W49").await;
    assert_eq!(res.status(), 200);
    let week: Value = res.json().await.unwrap();
    assert_eq!(week["starts_on"], "2026-11-30");
    assert_eq!(week["ends_on"], "2026-12-06");
    assert_eq!(week["previous_week"], "2026-W48");
    assert_eq!(week["next_week"], "2026-W50");
    assert_eq!(week["days"].as_array().unwrap().len(), 7);
    assert_eq!(week["days"][0]["weekday_name"], "Thứ Hai");
    assert_eq!(week["days"][6]["weekday_name"], "Chủ nhật");
    assert_eq!(titles_on(&week, 0), ["Giao ban thứ Hai"]);
    assert_eq!(titles_on(&week, 6), ["Trực ban tối Chủ nhật"]);
    for empty in 1..6 {
        assert!(titles_on(&week, empty).is_empty(), "day {empty} is empty but present");
    }
    let next: Value = app.get("/api/v1/events/week/2026-W50").await.json().await.unwrap();
    assert_eq!(titles_on(&next, 0), ["Chào cờ đầu tuần"]);
    let listed: Value = app.get("/api/v1/events?week=2026-W49").await.json().await.unwrap();
    assert_eq!(listed["meta"]["total"], 2);
    let day: Value = app.get("/api/v1/events?day=2026-12-07").await.json().await.unwrap();
    assert_eq!(day["data"][0]["title"], "Chào cờ đầu tuần");
    assert_problem(app.get("/api/v1/events/week/2026-49").await, 400).await;
    assert_problem(app.get("/api/v1/events?week=2026-W49&day=2026-12-01").await, 400).await;
}

#[tokio::test]
async fn the_first_and_last_iso_weeks_cross_the_new_year() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    create_event(&app, &editor, json!({"title": "Tổng kết năm", "starts_at": "2025-12-30T14:00"})).await;
    create_event(&app, &editor, json!({"title": "Trực Tết Dương lịch", "starts_at": "2027-01-02T08:00"})).await;
    let first: Value = app.get("/api/v1/events/week/2026-W01").await.json().await.unwrap();
    assert_eq!(first["starts_on"], "2025-12-29");
    assert_eq!(titles_on(&first, 1), ["Tổng kết năm"]);
    // 2026 begins on a Thursday, so it has 53 ISO weeks; the last ends in 2027.
    let last: Value = app.get("/api/v1/events/week/2026-W53").await.json().await.unwrap();
    assert_eq!(last["starts_on"], "2026-12-28");
    assert_eq!(last["ends_on"], "2027-01-03");
    assert_eq!(last["next_week"], "2027-W01");
    assert_eq!(titles_on(&last, 5), ["Trực Tết Dương lịch"]);
    assert_problem(app.get("/api/v1/events/week/2025-W53").await, 400).await;
}

#[tokio::test]
async fn local_times_round_trip_in_the_events_zone() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let local = create_event(
        &app,
        &editor,
        json!({"title": "Họp", "starts_at": "2026-12-01T08:00", "ends_at": "2026-12-01T09:30"}),
    )
    .await;
    assert_eq!(local["starts_at"], "2026-12-01T08:00:00+07:00");
    assert_eq!(local["ends_at"], "2026-12-01T09:30:00+07:00");
    assert_eq!(local["time_zone"], "Asia/Ho_Chi_Minh");
    let utc = create_event(&app, &editor, json!({"title": "Họp UTC", "starts_at": "2026-12-01T01:00:00Z"})).await;
    assert_eq!(utc["starts_at"], "2026-12-01T08:00:00+07:00");
    assert_eq!(utc["ends_at"], Value::Null);
    let tokyo = create_event(
        &app,
        &editor,
        json!({"title": "Hội thảo", "starts_at": "2026-12-01T08:00", "time_zone": "Asia/Tokyo"}),
    )
    .await;
    assert_eq!(tokyo["starts_at"], "2026-12-01T08:00:00+09:00");
    let ics = app.get("/api/v1/events.ics?from=2026-11-01").await.text().await.unwrap();
    assert!(ics.contains("DTSTART;TZID=Asia/Ho_Chi_Minh:20261201T080000\r\n"), "{ics}");
    assert!(ics.contains("DTEND;TZID=Asia/Ho_Chi_Minh:20261201T093000\r\n"));
    assert!(ics.contains("DTSTART;TZID=Asia/Tokyo:20261201T080000\r\n"));
    assert!(ics.contains("BEGIN:VTIMEZONE\r\nTZID:Asia/Ho_Chi_Minh\r\n"));
    assert!(ics.contains("TZOFFSETTO:+0700\r\n") && ics.contains("TZOFFSETTO:+0900\r\n"));
}

#[tokio::test]
async fn all_day_events_cover_each_of_their_days() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let event = create_event(
        &app,
        &editor,
        json!({"title": "Tuần lễ vệ sinh môi trường", "all_day": true, "starts_on": "2026-12-02", "ends_on": "2026-12-04"}),
    )
    .await;
    assert_eq!(event["starts_on"], "2026-12-02");
    assert_eq!(event["ends_on"], "2026-12-04");
    assert_eq!(event["starts_at"], "2026-12-02T00:00:00+07:00");
    let week: Value = app.get("/api/v1/events/week/2026-W49").await.json().await.unwrap();
    let days_with_it: Vec<usize> = (0..7).filter(|d| !titles_on(&week, *d).is_empty()).collect();
    assert_eq!(days_with_it, [2, 3, 4]);
    let ics = app.get("/api/v1/events.ics?from=2026-11-01").await.text().await.unwrap();
    assert!(ics.contains("DTSTART;VALUE=DATE:20261202\r\nDTEND;VALUE=DATE:20261205\r\n"), "{ics}");
    let problem = assert_problem(
        app.post_json("/api/v1/events", &json!({"title": "x", "all_day": true}), Some(&editor)).await,
        422,
    )
    .await;
    assert_eq!(field_errors(&problem), ["starts_on:required"]);
}

#[tokio::test]
async fn changes_and_cancellations_reach_subscribers() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let event = create_event(
        &app,
        &editor,
        json!({"title": "Tiếp công dân", "starts_at": "2026-12-03T08:00", "location": "Phòng 1"}),
    )
    .await;
    let path = format!("/api/v1/events/{}", event["id"]);
    let feed = app.get("/api/v1/events.ics?from=2026-11-01").await;
    let etag = feed.headers()["etag"].to_str().unwrap().to_owned();
    let before = feed.text().await.unwrap();
    assert!(before.contains("SEQUENCE:0\r\n") && before.contains("STATUS:CONFIRMED\r\n"));
    let again = app
        .client
        .get(app.url("/api/v1/events.ics?from=2026-11-01"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304, "calendar apps poll: an unchanged feed is a 304");

    let moved: Value = app
        .patch_json(&path, &json!({"starts_at": "2026-12-03T14:00", "location": "Hội trường"}), Some(&editor))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["status"], "changed");
    assert_eq!(moved["sequence"], 1);
    assert_eq!(moved["starts_at"], "2026-12-03T14:00:00+07:00");
    let after = app
        .client
        .get(app.url("/api/v1/events.ics?from=2026-11-01"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    let after = after.text().await.unwrap();
    assert!(after.contains("SEQUENCE:1\r\n") && after.contains("DTSTART;TZID=Asia/Ho_Chi_Minh:20261203T140000\r\n"));
    assert!(after.contains(&format!("UID:{}\r\n", event["uid"].as_str().unwrap())), "the UID is stable");

    let res = app
        .request(Method::POST, &format!("{path}/cancel"), Some(&editor))
        .json(&json!({"reason": "Lãnh đạo đi công tác"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cancelled: Value = res.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["sequence"], 2);
    assert_problem(app.request(Method::POST, &format!("{path}/cancel"), Some(&editor)).send().await.unwrap(), 409)
        .await;
    let feed = app.get("/api/v1/events.ics?from=2026-11-01").await.text().await.unwrap();
    assert!(feed.contains("STATUS:CANCELLED\r\n") && feed.contains("SEQUENCE:2\r\n"));

    // Created, updated, cancelled: three revisions, newest first; the update moved and relocated it.
    let revisions: Value = app.get_as(&format!("{path}/revisions"), &editor).await.json().await.unwrap();
    let data = revisions["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "{revisions}");
    assert!(data[0]["changed"].as_array().unwrap().contains(&json!("status")), "{}", data[0]);
    let diff: Value =
        app.get_as(&format!("{path}/revisions/{}/diff", data[1]["id"]), &editor).await.json().await.unwrap();
    let location = diff["fields"].as_array().unwrap().iter().find(|f| f["field"] == "location").unwrap();
    assert_eq!((&location["before"], &location["after"]), (&json!("Phòng 1"), &json!("Hội trường")));
    assert!(diff["fields"].as_array().unwrap().iter().any(|f| f["field"] == "starts_at"), "{diff}");

    // A deleted event stays in the feed as cancelled, so calendars drop it.
    let other = create_event(&app, &editor, json!({"title": "Sẽ xóa", "starts_at": "2026-12-04T08:00"})).await;
    let res =
        app.request(Method::DELETE, &format!("/api/v1/events/{}", other["id"]), Some(&editor)).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_problem(app.get(&format!("/api/v1/events/{}", other["id"])).await, 404).await;
    let feed = app.get("/api/v1/events.ics?from=2026-11-01").await.text().await.unwrap();
    let deleted = feed.split("BEGIN:VEVENT").find(|v| v.contains(other["uid"].as_str().unwrap())).unwrap();
    assert!(deleted.contains("STATUS:CANCELLED") && deleted.contains("SEQUENCE:1"), "{deleted}");
}

#[tokio::test]
async fn the_feed_parses_back_with_a_real_icalendar_parser() {
    use icalendar::{Calendar, CalendarComponent, Component, EventLike};
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let long_title =
        "Hội nghị trực tuyến triển khai nhiệm vụ chuyển đổi số, cải cách hành chính; đánh giá kết quả quý IV năm 2026";
    create_event(
        &app,
        &editor,
        json!({
            "title": long_title,
            "starts_at": "2026-12-10T08:00",
            "ends_at": "2026-12-10T11:00",
            "location": "Hội trường UBND phường, tầng 2",
            "chair": "Đồng chí Nguyễn Văn An, Chủ tịch UBND phường",
            "participants": "Các đồng chí trong Ban Thường vụ; trưởng các ban, ngành",
            "preparing_unit": "Văn phòng HĐND-UBND",
            "description": "Nội dung:\n1. Báo cáo kết quả\n2. Thảo luận"
        }),
    )
    .await;
    create_event(&app, &editor, json!({"title": "Ngày hội đại đoàn kết", "all_day": true, "starts_on": "2026-12-12"}))
        .await;
    let res = app.get("/api/v1/events.ics?from=2026-12-01").await;
    assert_eq!(res.headers()["content-type"], "text/calendar; charset=utf-8");
    let text = res.text().await.unwrap();
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "line of {} octets: {line}", line.len());
    }
    assert!(!text.replace("\r\n", "").contains('\n'), "every line ends in CRLF");
    let calendar: Calendar = text.parse().expect("a valid iCalendar document");
    let events: Vec<&icalendar::Event> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(events.len(), 2);
    let meeting =
        events.iter().find(|e| e.get_summary() == Some(long_title)).expect("the long title unfolded and unescaped");
    assert_eq!(meeting.get_location(), Some("Hội trường UBND phường, tầng 2"));
    let description = meeting.get_description().unwrap();
    assert!(description.contains("Chủ trì: Đồng chí Nguyễn Văn An, Chủ tịch UBND phường"), "{description}");
    assert!(description.contains("Nội dung:\n1. Báo cáo kết quả"), "{description}");
    assert_eq!(meeting.property_value("SEQUENCE"), Some("0"));
    assert!(meeting.get_uid().is_some_and(|u| u.ends_with("@muni")));
    assert!(meeting.property_value("DTSTAMP").is_some() && meeting.property_value("LAST-MODIFIED").is_some());
    let start = meeting.properties().get("DTSTART").unwrap();
    assert_eq!(start.value(), "20261210T080000");
    assert_eq!(start.params().get("TZID").map(|p| p.value()), Some("Asia/Ho_Chi_Minh"));
    let timezones = calendar
        .components
        .iter()
        .filter(|c| matches!(c, CalendarComponent::Other(o) if o.component_kind() == "VTIMEZONE"))
        .count();
    assert_eq!(timezones, 1);
}

#[tokio::test]
async fn drafts_are_for_staff_and_writes_for_editors_of_the_site() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let draft =
        create_event(&app, &editor, json!({"title": "Dự kiến", "starts_at": "2026-12-08T08:00", "status": "draft"}))
            .await;
    assert_problem(app.get(&format!("/api/v1/events/{}", draft["id"])).await, 404).await;
    assert_eq!(app.get_as(&format!("/api/v1/events/{}", draft["id"]), &editor).await.status(), 200);
    let public: Value = app.get("/api/v1/events?week=2026-W50").await.json().await.unwrap();
    assert_eq!(public["meta"]["total"], 0);
    assert!(!app.get("/api/v1/events.ics?from=2026-12-01").await.text().await.unwrap().contains("Dự kiến"));
    let published: Value = app
        .patch_json(&format!("/api/v1/events/{}", draft["id"]), &json!({"status": "scheduled"}), Some(&editor))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(published["status"], "scheduled");
    let back =
        app.patch_json(&format!("/api/v1/events/{}", draft["id"]), &json!({"status": "draft"}), Some(&editor)).await;
    assert_problem(back, 409).await;

    let admin = app.admin_token().await;
    let other: Value = app
        .post_json("/api/v1/sites", &json!({"code": "xa-kia", "name": "Xã Kia"}), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    app.create_user("xa-kia@phuong.test", "editor", other["id"].as_i64()).await;
    let outsider = access_token(&app.login_ok("xa-kia@phuong.test", PASSWORD).await);
    let moderator = app.token_for("moderator").await;
    let path = format!("/api/v1/events/{}", draft["id"]);
    let body = json!({"title": "Mới", "starts_at": "2026-12-09T08:00", "site_id": 1});
    assert_problem(app.post_json("/api/v1/events", &body, None).await, 401).await;
    assert_problem(app.post_json("/api/v1/events", &body, Some(&moderator)).await, 403).await;
    assert_problem(app.post_json("/api/v1/events", &body, Some(&outsider)).await, 403).await;
    for token in [&moderator, &outsider] {
        assert_problem(app.patch_json(&path, &json!({"title": "x"}), Some(token)).await, 403).await;
        assert_problem(app.request(Method::POST, &format!("{path}/cancel"), Some(token)).send().await.unwrap(), 403)
            .await;
        assert_problem(app.request(Method::DELETE, &path, Some(token)).send().await.unwrap(), 403).await;
    }
    for token in [None, Some("bad.token.here")] {
        assert_problem(app.post_json("/api/v1/events", &body, token).await, 401).await;
        assert_problem(app.patch_json(&path, &json!({"title": "x"}), token).await, 401).await;
        assert_problem(app.request(Method::POST, &format!("{path}/cancel"), token).send().await.unwrap(), 401).await;
        assert_problem(app.request(Method::DELETE, &path, token).send().await.unwrap(), 401).await;
    }
}

#[tokio::test]
async fn invalid_events_are_refused_with_field_errors() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let post = |body: Value| {
        let app = &app;
        let editor = editor.clone();
        async move { app.post_json("/api/v1/events", &body, Some(&editor)).await }
    };
    let problem = assert_problem(
        post(json!({"title": "Họp", "starts_at": "2026-12-01T10:00", "ends_at": "2026-12-01T09:00"})).await,
        422,
    )
    .await;
    assert_eq!(field_errors(&problem), ["ends_at:invalid_value"]);
    let problem = assert_problem(post(json!({"title": ""})).await, 422).await;
    assert_eq!(field_errors(&problem), ["title:required", "starts_at:required"]);
    let problem = assert_problem(post(json!({"title": "Họp", "starts_at": "sáng mai"})).await, 422).await;
    assert_eq!(field_errors(&problem), ["starts_at:invalid_format"]);
    let problem = assert_problem(
        post(json!({"title": "Họp", "starts_at": "2026-12-01T08:00", "time_zone": "Sao/Hoả"})).await,
        422,
    )
    .await;
    assert_eq!(field_errors(&problem), ["time_zone:invalid_value"]);
    let problem = assert_problem(
        post(json!({"title": "Họp", "all_day": true, "starts_on": "2026-12-05", "ends_on": "2026-12-04"})).await,
        422,
    )
    .await;
    assert_eq!(field_errors(&problem), ["ends_on:invalid_value"]);
    let problem =
        assert_problem(post(json!({"title": "Họp", "starts_at": "2026-12-01T08:00", "article_id": 999})).await, 422)
            .await;
    assert_eq!(field_errors(&problem), ["article_id:not_found"]);
    let event = create_event(
        &app,
        &editor,
        json!({"title": "Họp", "starts_at": "2026-12-01T08:00", "ends_at": "2026-12-01T09:00"}),
    )
    .await;
    let res = app
        .patch_json(&format!("/api/v1/events/{}", event["id"]), &json!({"ends_at": "2026-12-01T07:00"}), Some(&editor))
        .await;
    assert_eq!(field_errors(&assert_problem(res, 422).await), ["ends_at:invalid_value"]);
    assert_problem(app.get("/api/v1/events?from=2026-12-05&to=2026-12-01").await, 400).await;
}

#[tokio::test]
async fn search_and_chair_filters_ignore_diacritics() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    create_event(
        &app,
        &editor,
        json!({"title": "Kiểm tra phòng cháy", "starts_at": "2026-12-01T08:00", "chair": "Trần Thị Mai"}),
    )
    .await;
    create_event(
        &app,
        &editor,
        json!({"title": "Tiếp xúc cử tri", "starts_at": "2026-12-02T08:00", "chair": "Nguyễn Văn An"}),
    )
    .await;
    let by_chair: Value = app.get("/api/v1/events?chair=nguyen%20van%20an").await.json().await.unwrap();
    assert_eq!(by_chair["meta"]["total"], 1);
    assert_eq!(by_chair["data"][0]["title"], "Tiếp xúc cử tri");
    let by_q = app.get_found("/api/v1/events?q=PHONG%20CHAY").await;
    assert_eq!(by_q["data"][0]["title"], "Kiểm tra phòng cháy");
    let ics = app.get("/api/v1/events.ics?from=2026-11-01&chair=tran%20thi%20mai").await.text().await.unwrap();
    assert!(ics.contains("Kiểm tra phòng cháy") && !ics.contains("Tiếp xúc cử tri"));
    let desc: Value = app.get("/api/v1/events?sort=-starts_at").await.json().await.unwrap();
    assert_eq!(desc["data"][0]["title"], "Tiếp xúc cử tri");
}

#[tokio::test]
async fn the_calendar_search_is_the_engines_in_the_calendars_order() {
    let app = spawn_app().await;
    let editor = app.token_for("editor").await;
    let event = |title: &str, starts_at: &str| json!({"title": title, "starts_at": starts_at, "participants": "Các phó chủ tịch; Công an phường"});
    create_event(&app, &editor, event("Họp giao ban tuần", "2026-12-03T08:00")).await;
    create_event(&app, &editor, event("Kiểm tra công tác phòng cháy", "2026-12-01T08:00")).await;
    let mut draft = event("Kiểm tra an toàn thực phẩm", "2026-12-02T08:00");
    draft["status"] = json!("draft");
    create_event(&app, &editor, draft).await;
    let titles = |body: &Value| {
        body["data"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    // Found by their participants, in the calendar's order; the draft never.
    let found = app.get_found("/api/v1/events?q=cong%20an%20phuong&from=2026-11-01").await;
    assert_eq!(titles(&found), ["Kiểm tra công tác phòng cháy", "Họp giao ban tuần"], "{found}");
    let later: Value = app.get("/api/v1/events?q=cong%20an%20phuong&from=2026-12-02").await.json().await.unwrap();
    assert_eq!(titles(&later), ["Họp giao ban tuần"]);
    let newest: Value =
        app.get("/api/v1/events?q=cong%20an%20phuong&from=2026-11-01&sort=-starts_at").await.json().await.unwrap();
    assert_eq!(titles(&newest), ["Họp giao ban tuần", "Kiểm tra công tác phòng cháy"]);
    // The last word as a prefix, as a search box types it.
    let typing: Value = app.get("/api/v1/events?q=phong%20cha&from=2026-11-01").await.json().await.unwrap();
    assert_eq!(titles(&typing), ["Kiểm tra công tác phòng cháy"]);
    let week: Value = app.get("/api/v1/events/week/2026-W49?q=cong%20an%20phuong").await.json().await.unwrap();
    assert_eq!(titles_on(&week, 1), ["Kiểm tra công tác phòng cháy"]);
    assert!(titles_on(&week, 2).is_empty(), "the draft's day: {week}");
    assert_eq!(titles_on(&week, 3), ["Họp giao ban tuần"]);
    // Staff see drafts: their search is the database's.
    let staff: Value =
        app.get_as("/api/v1/events?q=cong%20an%20phuong&from=2026-11-01", &editor).await.json().await.unwrap();
    assert_eq!(staff["meta"]["total"], 3, "{staff}");
}
