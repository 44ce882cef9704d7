//! Demo content: the sections of a ward portal and a few dozen articles written for muni, so that a
//! newcomer sees a working API at once (`muni serve --demo`, `muni seed demo`). Generated load-test
//! content is in [`bench`].

mod bench;
mod images;

pub use bench::{BENCH_TABLES, seed_bench};

use chrono::{Duration, NaiveDateTime, Timelike};
use serde::Deserialize;

use crate::articles::model::{ArticleStatus, clean_content};
use crate::articles::repo::{self as articles, NewArticle};
use crate::categories::repo::{self as categories, NewCategory};
use crate::db::{DbConn, write_transaction};
use crate::error::ApiError;
use crate::media::store::Store;

const DEMO_ARTICLES: &str = include_str!("demo_articles.json");
const DEMO_EVENTS: &str = include_str!("demo_events.json");
const DEMO_QUESTIONS: &str = include_str!("demo_questions.json");
const DEMO_PROCEDURES: &[u8] = include_bytes!("demo_procedures.json");

#[derive(Deserialize)]
struct DemoQuestions {
    fields: Vec<DemoField>,
    questions: Vec<DemoQuestion>,
}

#[derive(Deserialize)]
struct DemoField {
    code: String,
    name: String,
}

#[derive(Deserialize)]
struct DemoQuestion {
    field: String,
    procedure_code: Option<String>,
    title: String,
    question: String,
    answer_html: String,
    answering_unit: String,
    asked_days_ago: i64,
    answered_days_ago: i64,
    featured: bool,
}

/// A demo calendar entry: a day of this week (0) or the next (1), Monday = 1.
#[derive(Deserialize)]
struct DemoEvent {
    week: i64,
    day: i64,
    start: Option<String>,
    end: Option<String>,
    #[serde(default)]
    all_day: bool,
    title: String,
    chair: String,
    participants: String,
    location: String,
    unit: String,
}

#[derive(Deserialize)]
struct Demo {
    categories: Vec<DemoCategory>,
    articles: Vec<DemoArticle>,
}

#[derive(Deserialize)]
struct DemoCategory {
    slug: String,
    name: String,
    description: String,
    parent: Option<String>,
    position: i32,
}

#[derive(Deserialize)]
struct DemoArticle {
    title: String,
    category: String,
    summary: String,
    body_html: String,
    author: String,
    tags: Vec<String>,
    published_days_ago: Option<i64>,
    status: String,
    cover_url: Option<String>,
    cover_alt: Option<String>,
}

/// What the demo seed did.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub categories: usize,
    pub articles: usize,
    pub events: usize,
    pub procedures: usize,
    pub questions: usize,
    pub skipped: bool,
}

/// Fills a site with the demo sections and articles (if it has no categories yet), their photos
/// (drawn here, put in the media library of `store`), and two weeks of the leadership's calendar,
/// this week and the next (if it has no events yet).
pub fn seed_demo(conn: &mut DbConn, site_id: i64, store: &Store) -> Result<SeedReport, ApiError> {
    let mut report = seed_demo_articles(conn, site_id, store)?;
    report.events = seed_demo_events(conn, site_id)?;
    seed_demo_topics(conn, site_id)?;
    seed_demo_questions(conn, site_id)?;
    report.procedures = seed_demo_procedures(conn, site_id)?;
    report.skipped = report.articles == 0 && report.events == 0 && report.procedures == 0;
    Ok(report)
}

/// The fields of administration (always, if missing) and published questions with answers (if
/// the site has no questions yet).
fn seed_demo_questions(conn: &mut DbConn, site_id: i64) -> Result<(), ApiError> {
    use crate::db::schema::{fields, questions};
    use diesel::prelude::*;
    let demo: DemoQuestions = serde_json::from_str(DEMO_QUESTIONS).map_err(ApiError::internal)?;
    write_transaction(conn, |c| {
        for (position, field) in demo.fields.iter().enumerate() {
            let exists: i64 = fields::table.filter(fields::code.eq(&field.code)).count().get_result(c)?;
            if exists == 0 {
                diesel::insert_into(fields::table)
                    .values((
                        fields::code.eq(&field.code),
                        fields::name.eq(&field.name),
                        fields::position.eq(position as i32),
                    ))
                    .execute(c)?;
            }
        }
        let existing: i64 = questions::table.filter(questions::site_id.eq(site_id)).count().get_result(c)?;
        if existing > 0 {
            return Ok(());
        }
        let now = crate::db::now();
        for (i, q) in demo.questions.iter().enumerate() {
            let field_id: i64 = fields::table.filter(fields::code.eq(&q.field)).select(fields::id).first(c)?;
            let asked = now - Duration::days(q.asked_days_ago) - Duration::hours((i % 7) as i64);
            let answered = now - Duration::days(q.answered_days_ago) - Duration::hours((i % 5) as i64);
            let answer = crate::text::sanitize_html(&q.answer_html);
            let search =
                crate::text::fold(&format!("{} {} {}", q.title, q.question, crate::text::html_to_text(&answer)));
            let code = crate::citizen::new_tracking_code("HD");
            let id: i64 = diesel::insert_into(questions::table)
                .values((
                    questions::site_id.eq(site_id),
                    questions::tracking_code.eq(&code),
                    questions::secret_hash.eq(crate::citizen::sha256_hex(&crate::citizen::new_secret())),
                    questions::field_id.eq(field_id),
                    questions::procedure_code.eq(&q.procedure_code),
                    questions::title.eq(&q.title),
                    questions::question.eq(&q.question),
                    questions::original_title.eq(&q.title),
                    questions::original_question.eq(&q.question),
                    questions::asker_name.eq(None::<String>),
                    questions::consent_version.eq("demo"),
                    questions::consent_at.eq(asked),
                    questions::status.eq("published"),
                    questions::answer.eq(Some(&answer)),
                    questions::answering_unit.eq(Some(&q.answering_unit)),
                    questions::answered_at.eq(Some(answered)),
                    questions::published_at.eq(Some(answered)),
                    questions::featured.eq(q.featured),
                    questions::search_text.eq(&search),
                    questions::fingerprint.eq(&code),
                    questions::created_at.eq(asked),
                    questions::updated_at.eq(answered),
                ))
                .returning(questions::id)
                .get_result(c)?;
            let slug = format!("{}-{id}", crate::text::slugify(&q.title, 100));
            diesel::update(questions::table.find(id)).set(questions::slug.eq(Some(slug))).execute(c)?;
        }
        Ok(())
    })
}

/// Procedures of a ward, if the site has none yet, through the same import as real ones.
fn seed_demo_procedures(conn: &mut DbConn, site_id: i64) -> Result<usize, ApiError> {
    use crate::db::schema::procedures;
    use diesel::prelude::*;
    let existing: i64 = procedures::table.filter(procedures::site_id.eq(site_id)).count().get_result(conn)?;
    if existing > 0 {
        return Ok(0);
    }
    let rows = crate::procedures::import::parse(DEMO_PROCEDURES, crate::procedures::import::Format::Json)
        .map_err(ApiError::internal)?;
    let report = crate::procedures::repo::import(conn, site_id, rows, "demo", true, 500, |_, _| {})?;
    if !report.rejected.is_empty() {
        return Err(ApiError::internal(format!("demo procedures rejected: {:?}", report.rejected)));
    }
    Ok(report.created)
}

/// The topics a ward takes feedback on, if the site has none yet.
fn seed_demo_topics(conn: &mut DbConn, site_id: i64) -> Result<(), ApiError> {
    use crate::db::schema::feedback_topics;
    use diesel::prelude::*;
    let topics = [
        ("moi-truong", "Môi trường, vệ sinh đô thị", "Rác thải, thoát nước, cây xanh, tiếng ồn"),
        ("an-ninh-trat-tu", "An ninh, trật tự", "Trật tự công cộng, lấn chiếm vỉa hè, an toàn giao thông"),
        ("thu-tuc-hanh-chinh", "Thủ tục hành chính", "Hồ sơ, thời hạn giải quyết, thái độ phục vụ"),
        ("quy-hoach-xay-dung", "Quy hoạch, xây dựng", "Quy hoạch, cấp phép, công trình trên địa bàn"),
        ("y-te-giao-duc", "Y tế, giáo dục", "Trạm y tế, trường học, bảo hiểm y tế"),
        ("du-thao-van-ban", "Góp ý dự thảo văn bản", "Các dự thảo phường lấy ý kiến nhân dân"),
        ("khac", "Lĩnh vực khác", ""),
    ];
    write_transaction(conn, |c| {
        let existing: i64 =
            feedback_topics::table.filter(feedback_topics::site_id.eq(site_id)).count().get_result(c)?;
        if existing > 0 {
            return Ok(());
        }
        let now = crate::db::now();
        for (position, (code, name, description)) in topics.iter().enumerate() {
            diesel::insert_into(feedback_topics::table)
                .values((
                    feedback_topics::site_id.eq(site_id),
                    feedback_topics::code.eq(code),
                    feedback_topics::name.eq(name),
                    feedback_topics::description.eq(description),
                    feedback_topics::active.eq(true),
                    feedback_topics::position.eq(position as i32),
                    feedback_topics::created_at.eq(now),
                    feedback_topics::updated_at.eq(now),
                ))
                .execute(c)?;
        }
        Ok(())
    })
}

fn seed_demo_events(conn: &mut DbConn, site_id: i64) -> Result<usize, ApiError> {
    use chrono::{Datelike, NaiveTime, TimeZone};
    let demo: Vec<DemoEvent> = serde_json::from_str(DEMO_EVENTS).map_err(ApiError::internal)?;
    write_transaction(conn, |c| {
        if crate::events::repo::count_for_site(c, site_id)? > 0 {
            return Ok(0);
        }
        let site = crate::sites::find_site_by_id(c, site_id)?.ok_or_else(|| ApiError::not_found("site"))?;
        let zone: chrono_tz::Tz = site.time_zone.parse().unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
        let now = crate::db::now();
        let today = zone.from_utc_datetime(&now).date_naive();
        let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        for entry in &demo {
            let date = monday + Duration::days(entry.week * 7 + entry.day - 1);
            let at = |time: &Option<String>| {
                time.as_deref()
                    .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
                    .and_then(|t| zone.from_local_datetime(&date.and_time(t)).earliest())
                    .map(|t| t.naive_utc())
            };
            let (starts_at, ends_at) = if entry.all_day {
                let midnight = crate::events::model::local_midnight(date, zone);
                (midnight, crate::events::model::local_midnight(date + Duration::days(1), zone))
            } else {
                let start = at(&entry.start).unwrap_or(now);
                (start, at(&entry.end).unwrap_or(start))
            };
            let row = crate::events::model::EventRow {
                title: entry.title.clone(),
                all_day: entry.all_day,
                starts_at,
                ends_at,
                location: entry.location.clone(),
                chair: entry.chair.clone(),
                participants: entry.participants.clone(),
                preparing_unit: entry.unit.clone(),
                ..seeded_event(site_id, &site.time_zone, now)
            };
            insert_seeded_event(c, row)?;
        }
        Ok(demo.len())
    })
}

/// A calendar entry of seeded content: scheduled, by nobody, now; the caller fills in what it says.
pub(crate) fn seeded_event(site_id: i64, time_zone: &str, now: NaiveDateTime) -> crate::events::model::EventRow {
    crate::events::model::EventRow {
        id: 0,
        site_id,
        uid: format!("{}@muni", uuid::Uuid::new_v4()),
        title: String::new(),
        description: String::new(),
        all_day: false,
        starts_at: now,
        ends_at: now,
        time_zone: time_zone.to_owned(),
        location: String::new(),
        chair: String::new(),
        participants: String::new(),
        preparing_unit: String::new(),
        status: "scheduled".into(),
        article_id: None,
        sequence: 0,
        search_text: String::new(),
        created_by: None,
        updated_by: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        attachment_media_ids: "[]".into(),
    }
}

/// Stores a seeded calendar entry with its search text derived.
pub(crate) fn insert_seeded_event(conn: &mut DbConn, mut row: crate::events::model::EventRow) -> Result<(), ApiError> {
    row.search_text = crate::events::repo::search_text(&row);
    crate::events::repo::insert(conn, &row)?;
    Ok(())
}

fn seed_demo_articles(conn: &mut DbConn, site_id: i64, store: &Store) -> Result<SeedReport, ApiError> {
    let demo: Demo = serde_json::from_str(DEMO_ARTICLES).map_err(ApiError::internal)?;
    write_transaction(conn, |c| {
        if !categories::list_all(c, Some(&[site_id]))?.is_empty() {
            return Ok(SeedReport::default());
        }
        let mut wanted: Vec<(String, Option<String>)> = Vec::new();
        for article in &demo.articles {
            wanted.extend(article.cover_url.clone().map(|url| (url, article.cover_alt.clone())));
            wanted.extend(images::inline_images(&article.body_html));
        }
        let photos = images::add_demo_photos(c, store, site_id, &wanted)?;
        let now = crate::db::now();
        let mut ids: Vec<(String, i64)> = vec![];
        for category in &demo.categories {
            let parent_id =
                category.parent.as_ref().and_then(|p| ids.iter().find(|(slug, _)| slug == p).map(|(_, id)| *id));
            let new = NewCategory {
                site_id,
                parent_id,
                name: &category.name,
                slug: &category.slug,
                description: &category.description,
                position: category.position,
            };
            ids.push((category.slug.clone(), categories::insert(c, &new)?));
        }
        // Morning publication times, spread over the days before today.
        let today = now.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)).unwrap_or(now);
        for (i, article) in demo.articles.iter().enumerate() {
            let category_id =
                ids.iter().find(|(slug, _)| *slug == article.category).map(|(_, id)| *id).ok_or_else(|| {
                    ApiError::internal(format!("demo article in unknown category {}", article.category))
                })?;
            let mut tag_errors = vec![];
            let tags = crate::articles::model::clean_tags(&article.tags, &mut tag_errors);
            let tag_names: Vec<String> = tags.iter().map(|(_, n)| n.clone()).collect();
            // Inline photos name their library item; reads fill in its address, srcset and size.
            let mut body = article.body_html.clone();
            for (path, (media_id, _)) in &photos {
                body = body.replace(&format!("src=\"{path}\""), &format!("data-media-id=\"{media_id}\""));
            }
            let content = clean_content(&body, Some(&article.summary), &tag_names);
            let cover = article.cover_url.as_ref().and_then(|url| photos.get(url));
            let status = ArticleStatus::parse(&article.status).unwrap_or(ArticleStatus::Draft);
            let published_at = article.published_days_ago.map(|days| {
                today - Duration::days(days) - Duration::hours(i as i64 % 5) - Duration::minutes((i as i64 * 7) % 60)
            });
            let slug = articles::unique_slug(c, &crate::text::slugify(&article.title, 120), None)?;
            let new = NewArticle {
                site_id,
                category_id,
                title: &article.title,
                slug: &slug,
                content: &content,
                cover_url: None,
                cover_alt: None,
                cover_media_id: cover.map(|(id, _)| *id),
                gallery_media_ids: &[],
                author: &article.author,
                status,
                published_at,
                user_id: None,
                now: published_at.map_or(now, |p| p.min(now)),
            };
            let id = articles::insert_article(c, &new)?;
            articles::set_tags(c, id, &tags)?;
            if let Some((media_id, _)) = cover {
                crate::media::set_uses(c, "article", id, "cover", &[*media_id])?;
            }
            crate::media::set_uses(c, "article", id, "inline", &crate::text::media_ids_in(&content.body))?;
        }
        Ok(SeedReport { categories: demo.categories.len(), articles: demo.articles.len(), ..SeedReport::default() })
    })
}
