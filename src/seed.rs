//! Demo content: the sections of a ward portal and a few dozen articles written for muni, so that a
//! newcomer sees a working API at once (`muni serve --demo`, `muni seed demo`).

use chrono::{Duration, NaiveDateTime, Timelike};
use serde::Deserialize;

use crate::articles::model::{ArticleStatus, CleanContent, clean_content};
use crate::articles::repo::{self as articles, NewArticle};
use crate::categories::repo::{self as categories, NewCategory};
use crate::db::{DbConn, write_transaction};
use crate::error::ApiError;

const DEMO_ARTICLES: &str = include_str!("seed/demo_articles.json");
const DEMO_EVENTS: &str = include_str!("seed/demo_events.json");
const DEMO_QUESTIONS: &str = include_str!("seed/demo_questions.json");
const DEMO_PROCEDURES: &[u8] = include_bytes!("seed/demo_procedures.json");

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

/// Fills a site with the demo sections and articles (if it has no categories yet) and two weeks
/// of the leadership's calendar, this week and the next (if it has no events yet).
pub fn seed_demo(conn: &mut DbConn, site_id: i64) -> Result<SeedReport, ApiError> {
    let mut report = seed_demo_articles(conn, site_id)?;
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
fn seeded_event(site_id: i64, time_zone: &str, now: NaiveDateTime) -> crate::events::model::EventRow {
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
    }
}

/// Stores a seeded calendar entry with its search text derived.
fn insert_seeded_event(conn: &mut DbConn, mut row: crate::events::model::EventRow) -> Result<(), ApiError> {
    row.search_text = crate::events::repo::search_text(&row);
    crate::events::repo::insert(conn, &row)?;
    Ok(())
}

fn seed_demo_articles(conn: &mut DbConn, site_id: i64) -> Result<SeedReport, ApiError> {
    let demo: Demo = serde_json::from_str(DEMO_ARTICLES).map_err(ApiError::internal)?;
    write_transaction(conn, |c| {
        if !categories::list_all(c, Some(&[site_id]))?.is_empty() {
            return Ok(SeedReport::default());
        }
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
            let content = clean_content(&article.body_html, Some(&article.summary), &tag_names);
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
                cover_url: article.cover_url.as_deref(),
                cover_alt: article.cover_alt.as_deref(),
                author: &article.author,
                status,
                published_at,
                user_id: None,
                now: published_at.map_or(now, |p| p.min(now)),
            };
            let id = articles::insert_article(c, &new)?;
            articles::set_tags(c, id, &tags)?;
        }
        Ok(SeedReport { categories: demo.categories.len(), articles: demo.articles.len(), ..SeedReport::default() })
    })
}

/// Words to generate realistic-looking Vietnamese news for benchmarks.
const SUBJECTS: &[&str] = &[
    "UBND phường",
    "Đảng ủy phường",
    "Hội Liên hiệp Phụ nữ",
    "Đoàn Thanh niên",
    "Hội Cựu chiến binh",
    "Mặt trận Tổ quốc",
    "Công an phường",
    "Trạm Y tế",
    "Trường Tiểu học Hòa Bình",
    "Tổ dân phố số 5",
    "Hội Người cao tuổi",
    "Ban Chỉ huy quân sự",
];
const ACTIONS: &[&str] = &[
    "tổ chức hội nghị tổng kết",
    "ra quân hưởng ứng",
    "triển khai kế hoạch",
    "tuyên truyền về",
    "kiểm tra công tác",
    "phát động phong trào",
    "tập huấn",
    "trao quà hỗ trợ",
    "lấy ý kiến nhân dân về",
    "sơ kết sáu tháng",
];
const TOPICS: &[&str] = &[
    "dân vận khéo",
    "chuyển đổi số",
    "cải cách hành chính",
    "vệ sinh môi trường",
    "phòng cháy chữa cháy",
    "bảo hiểm y tế",
    "an ninh trật tự",
    "xây dựng đô thị văn minh",
    "tiêm chủng mở rộng",
    "quy hoạch sử dụng đất",
    "an toàn giao thông",
    "phòng chống thiên tai",
    "khuyến học",
    "gia đình văn hóa",
    "nước sạch",
];
const SENTENCES: &[&str] = &[
    "Sáng nay, đông đảo cán bộ và nhân dân trên địa bàn đã tham dự.",
    "Phát biểu tại buổi lễ, đồng chí Chủ tịch UBND phường ghi nhận kết quả đạt được trong năm qua.",
    "Các tổ dân phố đã chủ động phối hợp với lực lượng công an và dân quân.",
    "Người dân có thể nộp hồ sơ trực tuyến qua Cổng dịch vụ công quốc gia.",
    "Chương trình nhận được sự hưởng ứng tích cực của các hộ gia đình.",
    "Kết thúc hội nghị, nhiều tập thể và cá nhân được khen thưởng.",
    "Phường đặt mục tiêu hoàn thành các chỉ tiêu trước ngày 31 tháng 12.",
    "Ý kiến đóng góp của cử tri được tổng hợp và gửi đến cơ quan có thẩm quyền.",
];

/// A small, fast, deterministic generator (xorshift), so that bench data is the same every run.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// The tables [`seed_bench`] fills, whose statistics want refreshing after it.
pub const BENCH_TABLES: &[&str] = &["categories", "articles", "article_tags", "procedures", "events", "questions"];

/// Fills a site with `count` generated articles in ten categories, for load tests. `progress` is
/// called with the number done so far.
pub fn seed_bench(
    conn: &mut DbConn,
    site_id: i64,
    count: usize,
    mut progress: impl FnMut(usize),
) -> Result<SeedReport, ApiError> {
    let mut category_ids = vec![];
    write_transaction(conn, |c| {
        for (i, topic) in TOPICS.iter().take(10).enumerate() {
            let name = format!("Chuyên đề {}", topic);
            let slug =
                categories::unique_slug(c, site_id, &format!("bench-{}", crate::text::slugify(topic, 40)), None)?;
            let new =
                NewCategory { site_id, parent_id: None, name: &name, slug: &slug, description: "", position: i as i32 };
            category_ids.push(categories::insert(c, &new)?);
        }
        Ok::<_, ApiError>(())
    })?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    // Writing text is about a third of the work: a second thread writes the next batch while
    // this one stores the last.
    let (batches, received) = std::sync::mpsc::sync_channel(2);
    let writer = {
        let (category_ids, run) = (category_ids.clone(), run.clone());
        std::thread::spawn(move || {
            let mut rng = Xorshift(0x5eed_1234_abcd_ef01);
            let now = crate::db::now();
            let mut done = 0;
            while done < count {
                let n = BENCH_BATCH.min(count - done);
                let batch: Vec<BenchArticle> =
                    (done..done + n).map(|i| BenchArticle::generate(i, &mut rng, now, &category_ids, &run)).collect();
                if batches.send(batch).is_err() {
                    break; // the storing side stopped on an error
                }
                done += n;
            }
            rng
        })
    };
    let mut done = 0;
    for batch in received {
        write_transaction(conn, |c| {
            for article in &batch {
                let id = articles::insert_article(c, &article.as_new(site_id))?;
                articles::set_tags(c, id, &article.tags)?;
            }
            Ok::<_, ApiError>(())
        })?;
        done += batch.len();
        progress(done);
    }
    let mut rng = writer.join().map_err(|_| ApiError::internal("the bench text writer panicked"))?;
    let procedures = seed_bench_procedures(conn, site_id, count / 50, &run)?;
    let events = seed_bench_events(conn, site_id, count / 20, &mut rng)?;
    let questions = seed_bench_questions(conn, site_id, count / 20, &mut rng)?;
    Ok(SeedReport { categories: category_ids.len(), articles: count, procedures, events, questions, skipped: false })
}

/// Articles stored in one transaction.
const BENCH_BATCH: usize = 2000;

/// A generated article, ready to store.
struct BenchArticle {
    title: String,
    slug: String,
    content: CleanContent,
    tags: Vec<(String, String)>,
    category_id: i64,
    with_cover: bool,
    status: ArticleStatus,
    published_at: NaiveDateTime,
}

impl BenchArticle {
    /// The `i`th article: one every seven minutes back from `now`, every 50th a draft.
    fn generate(i: usize, rng: &mut Xorshift, now: NaiveDateTime, category_ids: &[i64], run: &str) -> Self {
        let topic = rng.pick(TOPICS);
        let title = format!("{} {} {} năm {}", rng.pick(SUBJECTS), rng.pick(ACTIONS), topic, 2020 + (i % 7));
        let body: String = (0..6).map(|_| format!("<p>{} {}</p>", rng.pick(SENTENCES), rng.pick(SENTENCES))).collect();
        let published_at = now - Duration::minutes((i as i64) * 7 + (rng.next() % 5) as i64);
        BenchArticle {
            slug: format!("{}-{run}-{i}", crate::text::slugify(&title, 80)),
            title,
            content: clean_content(&body, None, &[topic.to_owned()]),
            tags: vec![(crate::text::slugify(topic, 60), topic.to_owned())],
            category_id: category_ids[(rng.next() % category_ids.len() as u64) as usize],
            with_cover: i.is_multiple_of(3),
            status: if i % 50 == 49 { ArticleStatus::Draft } else { ArticleStatus::Published },
            published_at,
        }
    }

    fn as_new(&self, site_id: i64) -> NewArticle<'_> {
        NewArticle {
            site_id,
            category_id: self.category_id,
            title: &self.title,
            slug: &self.slug,
            content: &self.content,
            cover_url: self.with_cover.then_some("/media/bench/cover.jpg"),
            cover_alt: self.with_cover.then_some("Ảnh minh họa"),
            author: "Ban biên tập",
            status: self.status,
            published_at: Some(self.published_at),
            user_id: None,
            now: self.published_at,
        }
    }
}

const BENCH_FIELDS: &[&str] = &["Hộ tịch", "Chứng thực", "Đất đai", "Xây dựng", "Lao động - Thương binh và Xã hội"];
const BENCH_PAPERS: &[&str] =
    &["Tờ khai theo mẫu", "Bản sao giấy tờ tùy thân", "Giấy xác nhận của cơ quan có thẩm quyền"];

/// Procedures (one for every 50 articles), through the same import as real ones. Codes are
/// `9.<number>`, a series the national database does not use.
fn seed_bench_procedures(conn: &mut DbConn, site_id: i64, count: usize, run: &str) -> Result<usize, ApiError> {
    let offset = u64::from_str_radix(&run[..6], 16).unwrap_or(0) % 900_000;
    let records: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            let topic = TOPICS[i % TOPICS.len()];
            let level = if i % 2 == 0 { "full" } else { "partial" };
            let verb = ["cấp", "đăng ký", "xác nhận", "điều chỉnh"][i % 4];
            serde_json::json!({
                "code": format!("9.{:06}", (offset + i as u64) % 1_000_000),
                "name": format!("Thủ tục {verb} về {topic} số {}", i + 1),
                "field": BENCH_FIELDS[i % BENCH_FIELDS.len()],
                "agency": "Ủy ban nhân dân cấp xã",
                "level": level,
                "processing_time": format!("{:02} ngày làm việc", 1 + i % 15),
                "steps": ["Bước 1: Nộp hồ sơ tại Bộ phận một cửa.", "Bước 2: Công chức kiểm tra và tiếp nhận hồ sơ.",
                          "Bước 3: Trả kết quả theo phiếu hẹn."],
                "dossier": BENCH_PAPERS.iter().map(|p| serde_json::json!({"name": p, "originals": 1, "copies": 0})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let text = serde_json::to_vec(&records).map_err(ApiError::internal)?;
    let rows =
        crate::procedures::import::parse(&text, crate::procedures::import::Format::Json).map_err(ApiError::internal)?;
    let report = crate::procedures::repo::import(conn, site_id, rows, "bench", true, 500, |_, _| {})?;
    Ok(report.created + report.updated + report.unchanged)
}

/// Calendar entries (one for every 20 articles): two a working day, back from four weeks ahead.
fn seed_bench_events(conn: &mut DbConn, site_id: i64, count: usize, rng: &mut Xorshift) -> Result<usize, ApiError> {
    use chrono::{Datelike, TimeZone};
    let site = crate::sites::find_site_by_id(conn, site_id)?.ok_or_else(|| ApiError::not_found("site"))?;
    let zone: chrono_tz::Tz = site.time_zone.parse().unwrap_or(chrono_tz::Asia::Ho_Chi_Minh);
    let now = crate::db::now();
    let mut day = zone.from_utc_datetime(&now).date_naive() + Duration::days(28);
    let mut done = 0;
    while done < count {
        let n = 1000.min(count - done);
        write_transaction(conn, |c| {
            for i in done..done + n {
                if i % 2 == 0 {
                    day -= Duration::days(1);
                    while day.weekday().number_from_monday() > 5 {
                        day -= Duration::days(1);
                    }
                }
                let hour = if i % 2 == 0 { 8 } else { 14 };
                let start = zone
                    .with_ymd_and_hms(day.year(), day.month(), day.day(), hour, 0, 0)
                    .earliest()
                    .map_or(now, |t| t.naive_utc());
                let topic = rng.pick(TOPICS);
                let row = crate::events::model::EventRow {
                    title: format!("Họp triển khai công tác {topic}"),
                    starts_at: start,
                    ends_at: start + Duration::hours(2),
                    location: "Hội trường Ủy ban nhân dân phường".into(),
                    chair: "Chủ tịch Ủy ban nhân dân phường".into(),
                    participants: "Các ban, ngành, đoàn thể; tổ trưởng tổ dân phố".into(),
                    preparing_unit: "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân".into(),
                    ..seeded_event(site_id, &site.time_zone, now)
                };
                insert_seeded_event(c, row)?;
            }
            Ok::<_, ApiError>(())
        })?;
        done += n;
    }
    Ok(count)
}

/// Published questions with answers (one for every 20 articles), without personal data.
fn seed_bench_questions(conn: &mut DbConn, site_id: i64, count: usize, rng: &mut Xorshift) -> Result<usize, ApiError> {
    use crate::db::schema::questions;
    use diesel::prelude::*;
    let field_ids: Vec<i64> = BENCH_FIELDS
        .iter()
        .map(|f| crate::procedures::repo::field_for(conn, f).map(|row| row.id))
        .collect::<Result<_, _>>()?;
    let now = crate::db::now();
    let mut done = 0;
    while done < count {
        let n = 1000.min(count - done);
        write_transaction(conn, |c| {
            for i in done..done + n {
                let topic = rng.pick(TOPICS);
                let title = format!("Hỏi về thủ tục liên quan đến {topic} (số {})", i + 1);
                let question =
                    format!("Gia đình tôi ở tổ dân phố {}, xin hỏi hồ sơ về {topic} cần những giấy tờ gì?", 1 + i % 30);
                let answer = format!("<p>{} {}</p>", rng.pick(SENTENCES), rng.pick(SENTENCES));
                let asked = now - Duration::hours((i as i64) * 5 + 48);
                let answered = asked + Duration::hours(30);
                let code = crate::citizen::new_tracking_code("HD");
                let id: i64 = diesel::insert_into(questions::table)
                    .values((
                        questions::site_id.eq(site_id),
                        questions::tracking_code.eq(&code),
                        questions::secret_hash.eq(crate::citizen::sha256_hex(&code)),
                        questions::field_id.eq(field_ids[i % field_ids.len()]),
                        questions::title.eq(&title),
                        questions::question.eq(&question),
                        questions::original_title.eq(&title),
                        questions::original_question.eq(&question),
                        questions::asker_name.eq(None::<String>),
                        questions::consent_version.eq("bench"),
                        questions::consent_at.eq(asked),
                        questions::status.eq("published"),
                        questions::answer.eq(Some(&answer)),
                        questions::answering_unit.eq(Some("Công chức Tư pháp - Hộ tịch")),
                        questions::answered_at.eq(Some(answered)),
                        questions::published_at.eq(Some(answered)),
                        questions::featured.eq(false),
                        questions::search_text.eq(crate::text::fold(&format!("{title} {question}"))),
                        questions::fingerprint.eq(&code),
                        questions::created_at.eq(asked),
                        questions::updated_at.eq(answered),
                    ))
                    .returning(questions::id)
                    .get_result(c)?;
                let slug = format!("{}-{id}", crate::text::slugify(&title, 100));
                diesel::update(questions::table.find(id)).set(questions::slug.eq(Some(slug))).execute(c)?;
            }
            Ok::<_, ApiError>(())
        })?;
        done += n;
    }
    Ok(count)
}
