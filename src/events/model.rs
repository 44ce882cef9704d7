//! Event rows, their API shapes, time handling and validation.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::events;
use crate::error::FieldError;
use crate::sites::model::SiteRef;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: i64,
    pub site_id: i64,
    pub uid: String,
    pub title: String,
    pub description: String,
    pub all_day: bool,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub time_zone: String,
    pub location: String,
    pub chair: String,
    pub participants: String,
    pub preparing_unit: String,
    pub status: String,
    pub article_id: Option<i64>,
    pub sequence: i32,
    pub search_text: String,
    pub created_by: Option<i64>,
    pub updated_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// JSON array of media ids.
    pub attachment_media_ids: String,
}

impl EventRow {
    /// The media ids of its attachments, as stored.
    pub fn attachment_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.attachment_media_ids).unwrap_or_default()
    }

    pub fn zone(&self) -> Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::Asia::Ho_Chi_Minh)
    }

    pub fn local(&self, utc: NaiveDateTime) -> DateTime<Tz> {
        self.zone().from_utc_datetime(&utc)
    }
}

/// Where an event is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Not yet public.
    Draft,
    /// On the calendar.
    Scheduled,
    /// On the calendar, and changed (time or place) since first announced.
    Changed,
    /// Called off; it stays in the feed so that calendar apps remove it.
    Cancelled,
}

impl EventRow {
    /// The status, typed; a value the database should never hold reads as a draft (not public).
    pub fn status(&self) -> EventStatus {
        EventStatus::parse(&self.status).unwrap_or(EventStatus::Draft)
    }

    pub fn set_status(&mut self, status: EventStatus) {
        self.status = status.as_str().to_owned();
    }
}

impl EventStatus {
    /// Whether a time or place change is announced as `changed` from this status: a scheduled
    /// event becomes changed; a draft was never announced, and changed or cancelled stay so.
    pub fn after_move(self) -> Self {
        if self == Self::Scheduled { Self::Changed } else { self }
    }

    /// Whether an event in this status may be cancelled: a public one not cancelled yet.
    pub fn may_cancel(self) -> Result<(), &'static str> {
        match self {
            Self::Cancelled => Err("The event is already cancelled."),
            Self::Draft => Err("A draft is not public; delete it instead."),
            Self::Scheduled | Self::Changed => Ok(()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Changed => "changed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "scheduled" => Some(Self::Scheduled),
            "changed" => Some(Self::Changed),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// A short reference to an article, such as the report of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ArticleRef {
    pub id: i64,
    pub slug: String,
    pub title: String,
}

/// An item of the leadership's work calendar.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "uid": "event-7@phuong-ben-thanh", "site": {"id": 1, "code": "phuong-ben-thanh", "name": "Phường Bến Thành"},
    "title": "Họp giao ban UBND phường", "description": "Đánh giá công tác tuần, triển khai nhiệm vụ tuần tới.",
    "all_day": false, "starts_at": "2026-11-30T08:00:00+07:00", "ends_at": "2026-11-30T10:00:00+07:00",
    "time_zone": "Asia/Ho_Chi_Minh", "location": "Phòng họp số 1, trụ sở UBND phường",
    "chair": "Chủ tịch UBND phường", "participants": "Các Phó Chủ tịch; trưởng các bộ phận",
    "preparing_unit": "Văn phòng HĐND và UBND", "status": "scheduled", "attachments": [], "sequence": 0,
    "created_at": "2026-11-25T03:00:00Z", "updated_at": "2026-11-25T03:00:00Z"
}))]
pub struct Event {
    pub id: i64,
    /// The iCalendar UID, stable for the life of the event.
    pub uid: String,
    pub site: SiteRef,
    /// What (nội dung).
    #[schema(example = "Họp giao ban UBND phường tuần 49")]
    pub title: String,
    pub description: String,
    pub all_day: bool,
    /// Start, in the event's time zone (`2026-11-30T08:00:00+07:00`); for an all-day event, the
    /// start of its first day.
    pub starts_at: DateTime<FixedOffset>,
    /// End, in the event's time zone; null when no end was given. For an all-day event, the start
    /// of the day after its last.
    pub ends_at: Option<DateTime<FixedOffset>>,
    /// For an all-day event: its first day.
    pub starts_on: Option<NaiveDate>,
    /// For an all-day event: its last day (inclusive).
    pub ends_on: Option<NaiveDate>,
    /// IANA time zone of the local times.
    #[schema(example = "Asia/Ho_Chi_Minh")]
    pub time_zone: String,
    /// Where (địa điểm).
    pub location: String,
    /// Who chairs (chủ trì).
    pub chair: String,
    /// Who takes part (thành phần).
    pub participants: String,
    /// The unit that prepares it.
    pub preparing_unit: String,
    pub status: EventStatus,
    /// An article about the event, if any.
    pub article: Option<ArticleRef>,
    /// Files of the media library to download with it (the invitation, the agenda, a plan), in
    /// order.
    pub attachments: Vec<crate::media::model::Attachment>,
    /// Grows with each change, as iCalendar's SEQUENCE.
    pub sequence: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One day of a week view.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Day {
    pub date: NaiveDate,
    /// 1 (Monday, Thứ Hai) to 7 (Sunday, Chủ nhật).
    pub weekday: u32,
    /// The day's name in Vietnamese.
    #[schema(example = "Thứ Hai")]
    pub weekday_name: String,
    /// Events on that day (all-day and multi-day ones on each of their days), by start time.
    pub events: Vec<Event>,
}

/// A week of the calendar, Monday to Sunday, every day present.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Week {
    /// ISO week, `2026-W49`.
    #[schema(example = "2026-W49")]
    pub week: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub time_zone: String,
    pub previous_week: String,
    pub next_week: String,
    pub days: Vec<Day>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventListQuery {
    /// Only these sites, by code (repeatable).
    #[serde(default)]
    pub site: Vec<String>,
    /// Events that end at or after this: RFC 3339, or a date (from its start, Vietnam time).
    pub from: Option<String>,
    /// Events that start at or before this: RFC 3339, or a date (to its end, Vietnam time).
    pub to: Option<String>,
    /// An ISO week, `2026-W49`: Monday 00:00 to Sunday 24:00, Vietnam time.
    pub week: Option<String>,
    /// One day, `2026-11-30`.
    pub day: Option<NaiveDate>,
    /// Chaired by someone whose name contains this (case and diacritics ignored).
    pub chair: Option<String>,
    /// Words in the title, description, location, chair and participants (case and diacritics
    /// ignored; for the public through the search engine: the last word as a prefix, a typo
    /// forgiven). The calendar's order stays.
    pub q: Option<String>,
    /// Staff only: `draft`, `scheduled`, `changed` or `cancelled`.
    pub status: Option<String>,
    /// `starts_at` (default) or `-starts_at`.
    pub sort: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `id,name`; `id` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WeekQuery {
    /// Only these sites, by code (repeatable).
    #[serde(default)]
    pub site: Vec<String>,
    /// Chaired by someone whose name contains this.
    pub chair: Option<String>,
    /// Words in the title, description, location, chair and participants (case and diacritics
    /// ignored; for the public through the search engine: the last word as a prefix, a typo
    /// forgiven). The calendar's order stays.
    pub q: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IcsQuery {
    /// Only these sites, by code (repeatable).
    #[serde(default)]
    pub site: Vec<String>,
    /// Events ending at or after this (default: 90 days ago): RFC 3339 or a date.
    pub from: Option<String>,
    /// Events starting at or before this: RFC 3339 or a date.
    pub to: Option<String>,
    /// Chaired by someone whose name contains this.
    pub chair: Option<String>,
    /// Words in the title, description, location, chair and participants (case and diacritics
    /// ignored; all of them, as typed: the feed keeps cancelled and deleted events, which search
    /// does not hold).
    pub q: Option<String>,
}

/// A new event. Times are RFC 3339 with an offset, or local (`2026-11-30T08:00`) in `time_zone`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "title": "Tiếp công dân định kỳ", "starts_at": "2026-12-10T08:00", "ends_at": "2026-12-10T11:00",
    "location": "Trụ sở UBND phường", "chair": "Chủ tịch UBND phường", "status": "scheduled"
}))]
#[serde(deny_unknown_fields)]
pub struct CreateEvent {
    /// 1 to 500 characters.
    pub title: String,
    pub description: Option<String>,
    /// An all-day event takes `starts_on` (and `ends_on`) instead of times.
    #[serde(default)]
    pub all_day: bool,
    /// Required unless all-day.
    pub starts_at: Option<String>,
    /// Optional; not before `starts_at`.
    pub ends_at: Option<String>,
    /// All-day only: the first day.
    pub starts_on: Option<NaiveDate>,
    /// All-day only: the last day (inclusive; default `starts_on`).
    pub ends_on: Option<NaiveDate>,
    /// IANA time zone; the site's when absent.
    pub time_zone: Option<String>,
    pub location: Option<String>,
    pub chair: Option<String>,
    pub participants: Option<String>,
    pub preparing_unit: Option<String>,
    /// `scheduled` (default) or `draft`.
    pub status: Option<EventStatus>,
    pub article_id: Option<i64>,
    /// Files of the site's media library to attach, in order (up to 20).
    #[serde(default)]
    pub attachment_media_ids: Vec<i64>,
    /// The site; the user's, or the deployment's only site, when absent.
    pub site_id: Option<i64>,
}

/// Changes to an event; absent fields stay as they are. Every change raises `sequence`; a change
/// of time or place marks a scheduled event `changed`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEvent {
    pub title: Option<String>,
    pub description: Option<String>,
    pub all_day: Option<bool>,
    pub starts_at: Option<String>,
    /// null: no end.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub ends_at: Option<Option<String>>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub time_zone: Option<String>,
    pub location: Option<String>,
    pub chair: Option<String>,
    pub participants: Option<String>,
    pub preparing_unit: Option<String>,
    /// `draft` or `scheduled` (publishing a draft); cancel with the cancel action.
    pub status: Option<EventStatus>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<i64>)]
    pub article_id: Option<Option<i64>>,
    /// Replaces the attachments (`[]`: none).
    pub attachment_media_ids: Option<Vec<i64>>,
}

/// Why an event is cancelled.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelEvent {
    /// Shown to the public in the description.
    pub reason: Option<String>,
}

/// Parses an instant: RFC 3339 with an offset, or a local date-time (`2026-11-30T08:00`) in `zone`.
pub fn parse_local_or_offset(field: &str, value: &str, zone: Tz) -> Result<NaiveDateTime, FieldError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.naive_utc());
    }
    let local = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M"))
        .map_err(|_| {
            FieldError::new(
                field,
                "invalid_format",
                "must be RFC 3339 (2026-11-30T08:00:00+07:00) or local (2026-11-30T08:00)",
            )
        })?;
    zone.from_local_datetime(&local)
        .earliest()
        .map(|t| t.naive_utc())
        .ok_or_else(|| FieldError::new(field, "invalid_value", "does not exist in the time zone"))
}

/// The UTC instant of local midnight starting `date` in `zone`.
pub fn local_midnight(date: NaiveDate, zone: Tz) -> NaiveDateTime {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    zone.from_local_datetime(&midnight).earliest().map(|t| t.naive_utc()).unwrap_or(midnight)
}

pub const VIETNAMESE_WEEKDAYS: [&str; 7] = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"];

/// `2026-W49` -> the Monday of that ISO week.
pub fn parse_iso_week(week: &str) -> Option<NaiveDate> {
    let (year, w) = week.split_once("-W")?;
    let year: i32 = year.parse().ok()?;
    let w: u32 = w.parse().ok()?;
    NaiveDate::from_isoywd_opt(year, w, chrono::Weekday::Mon)
}

pub fn iso_week_of(date: NaiveDate) -> String {
    let w = date.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

use chrono::Datelike;
