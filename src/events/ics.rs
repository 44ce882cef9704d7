//! The iCalendar (RFC 5545) feed of the calendar: a VTIMEZONE per zone, a VEVENT per event with a
//! stable UID, SEQUENCE and LAST-MODIFIED, cancelled and deleted events as STATUS:CANCELLED, text
//! escaped and lines folded at 75 octets without splitting a UTF-8 character.
//!
//! The writer is small and ours: the `icalendar` crate writes events well but not VTIMEZONE
//! components; the tests parse the output back with that crate's parser.

use std::fmt::Write as _;

use chrono::{NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::model::EventRow;

/// A whole calendar with `rows` (deleted rows are written as cancelled).
pub fn calendar(name: &str, rows: &[EventRow]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//muni//Lich cong tac//VI");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    let mut zones: Vec<&str> = rows.iter().map(|r| r.time_zone.as_str()).collect();
    zones.sort_unstable();
    zones.dedup();
    if let [only] = zones.as_slice() {
        line(&mut out, &format!("X-WR-TIMEZONE:{only}"));
    }
    for zone in zones {
        timezone(&mut out, zone);
    }
    for row in rows {
        event(&mut out, row);
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// A VTIMEZONE with the zone's standard offset (and daylight offset, for zones that have one).
fn timezone(out: &mut String, zone: &str) {
    let Ok(tz) = zone.parse::<Tz>() else { return };
    let offset_at = |month: u32| {
        let t = NaiveDateTime::new(
            chrono::NaiveDate::from_ymd_opt(2026, month, 1).unwrap_or_default(),
            chrono::NaiveTime::MIN,
        );
        tz.offset_from_utc_datetime(&t).fix().local_minus_utc()
    };
    let (january, july) = (offset_at(1), offset_at(7));
    line(out, "BEGIN:VTIMEZONE");
    line(out, &format!("TZID:{zone}"));
    if january == july {
        section(out, "STANDARD", january, january, None);
    } else {
        // A zone with daylight saving: the offsets, with the usual month rules of its hemisphere.
        let (standard, daylight) = if january < july { (january, july) } else { (july, january) };
        let northern = january < july;
        let (dst_month, std_month) = if northern { (3, 10) } else { (10, 4) };
        section(out, "DAYLIGHT", standard, daylight, Some(dst_month));
        section(out, "STANDARD", daylight, standard, Some(std_month));
    }
    line(out, "END:VTIMEZONE");
}

fn section(out: &mut String, kind: &str, from: i32, to: i32, month: Option<u32>) {
    line(out, &format!("BEGIN:{kind}"));
    line(out, "DTSTART:19700101T000000");
    if let Some(month) = month {
        line(out, &format!("RRULE:FREQ=YEARLY;BYMONTH={month};BYDAY=-1SU"));
    }
    line(out, &format!("TZOFFSETFROM:{}", utc_offset(from)));
    line(out, &format!("TZOFFSETTO:{}", utc_offset(to)));
    line(out, &format!("TZNAME:{}", utc_offset(to)));
    line(out, &format!("END:{kind}"));
}

fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.abs();
    format!("{sign}{:02}{:02}", seconds / 3600, (seconds % 3600) / 60)
}

fn event(out: &mut String, row: &EventRow) {
    let cancelled = row.status() == super::model::EventStatus::Cancelled || row.deleted_at.is_some();
    line(out, "BEGIN:VEVENT");
    line(out, &format!("UID:{}", row.uid));
    line(out, &format!("DTSTAMP:{}", utc(row.updated_at)));
    line(out, &format!("CREATED:{}", utc(row.created_at)));
    line(out, &format!("LAST-MODIFIED:{}", utc(row.updated_at)));
    line(out, &format!("SEQUENCE:{}", row.sequence));
    if row.all_day {
        let start = row.local(row.starts_at).date_naive();
        let end = row.local(row.ends_at).date_naive();
        line(out, &format!("DTSTART;VALUE=DATE:{}", start.format("%Y%m%d")));
        line(out, &format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
    } else {
        let fmt = |t: NaiveDateTime| row.local(t).format("%Y%m%dT%H%M%S").to_string();
        line(out, &format!("DTSTART;TZID={}:{}", row.time_zone, fmt(row.starts_at)));
        if row.ends_at > row.starts_at {
            line(out, &format!("DTEND;TZID={}:{}", row.time_zone, fmt(row.ends_at)));
        }
    }
    line(out, &format!("SUMMARY:{}", escape(&row.title)));
    let mut description = row.description.clone();
    for (label, value) in
        [("Chủ trì", &row.chair), ("Thành phần", &row.participants), ("Chuẩn bị", &row.preparing_unit)]
    {
        if !value.is_empty() {
            if !description.is_empty() {
                description.push('\n');
            }
            let _ = write!(description, "{label}: {value}");
        }
    }
    if !description.is_empty() {
        line(out, &format!("DESCRIPTION:{}", escape(&description)));
    }
    if !row.location.is_empty() {
        line(out, &format!("LOCATION:{}", escape(&row.location)));
    }
    line(out, if cancelled { "STATUS:CANCELLED" } else { "STATUS:CONFIRMED" });
    line(out, "TRANSP:OPAQUE");
    line(out, "END:VEVENT");
}

fn utc(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value: backslash, semicolon, comma and newlines.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// Writes a content line, folded at 75 octets (continuations begin with a space), ending in CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_vietnamese_lines_fold_on_character_boundaries() {
        let mut out = String::new();
        line(&mut out, &format!("SUMMARY:{}", "Họp giao ban đánh giá kết quả thực hiện nhiệm vụ ".repeat(4)));
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{} octets: {physical}", physical.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert!(unfolded.starts_with("SUMMARY:Họp giao ban"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
    }
}
