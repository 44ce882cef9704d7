//! Generated content for load tests (`muni seed bench`): many articles, procedures, events and
//! questions with varied words, written in large batches.

use chrono::{Duration, NaiveDateTime};

use super::{SeedReport, insert_seeded_event, seeded_event};
use crate::articles::model::{ArticleStatus, CleanContent, clean_content};
use crate::articles::repo::{self as articles, NewArticle};
use crate::categories::repo::{self as categories, NewCategory};
use crate::db::{DbConn, write_transaction};
use crate::error::ApiError;

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
            cover_media_id: None,
            gallery_media_ids: &[],
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
