//! Parsing of query parameter values that several resources share.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};

use crate::error::{ApiError, FieldError};

/// A 400 naming one query parameter at fault.
pub fn bad_parameter(field: &str, code: &str, message: impl Into<String>) -> ApiError {
    let error = FieldError::new(field, code, message);
    ApiError::BadRequestFields {
        detail: format!("The query parameter `{field}` is invalid: {}.", error.message),
        errors: vec![error],
    }
}

/// An instant: RFC 3339, or a date taken at the start (or, for `end_of_day`, the end) of that day
/// in the given zone.
pub fn parse_instant(
    field: &str,
    value: &str,
    zone: chrono_tz::Tz,
    end_of_day: bool,
) -> Result<NaiveDateTime, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.naive_utc());
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        bad_parameter(
            field,
            "invalid_format",
            "must be an RFC 3339 time (2026-11-29T08:00:00+07:00) or a date (2026-11-29)",
        )
    })?;
    let local = if end_of_day { date.and_hms_micro_opt(23, 59, 59, 999_999) } else { date.and_hms_opt(0, 0, 0) }
        .ok_or_else(|| bad_parameter(field, "invalid_value", "is not a valid date"))?;
    zone.from_local_datetime(&local)
        .earliest()
        .map(|t| t.naive_utc())
        .ok_or_else(|| bad_parameter(field, "invalid_value", "does not exist in the time zone"))
}
