//! What the two public citizen endpoints (feedback, questions) share: tracking codes and
//! secrets, contact validation, and the fingerprint that makes a repeated submission idempotent.

use actix_web::HttpRequest;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, FieldError};

const TRACKING_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// `GY-7K3M-Q9TX`: a prefix and eight characters that cannot be misread (no 0/O, 1/I).
pub fn new_tracking_code(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    let chars: String =
        bytes.iter().map(|b| TRACKING_ALPHABET[(*b as usize) % TRACKING_ALPHABET.len()] as char).collect();
    format!("{prefix}-{}-{}", &chars[..4], &chars[4..])
}

/// 192 random bits, URL-safe: the submitter's key to follow a submission.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `secret` hashes to `expected_hash`, compared in constant time.
pub fn secret_matches(secret: &str, expected_hash: &str) -> bool {
    let given = sha256_hex(secret);
    !secret.is_empty()
        && given.len() == expected_hash.len()
        && given.bytes().zip(expected_hash.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// The secret sent with a tracking request.
pub fn tracking_secret(req: &HttpRequest) -> String {
    req.headers().get("x-tracking-secret").and_then(|v| v.to_str().ok()).unwrap_or("").trim().to_owned()
}

/// The `Idempotency-Key` of a request, if it has a usable one.
pub fn idempotency_key(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty() && k.len() <= 200)
}

/// Checks a phone and an email given by a citizen (at least one), returning them normalised.
pub fn check_contact(
    prefix: &str,
    phone: Option<&str>,
    email: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> (Option<String>, Option<String>) {
    let phone_given = phone.map(str::trim).filter(|p| !p.is_empty());
    let email = email.map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty());
    let phone = match phone_given {
        Some(p) => match crate::citizen::normalize_phone(p) {
            Some(normal) => Some(normal),
            None => {
                errors.push(FieldError::new(
                    format!("{prefix}.phone"),
                    "invalid_format",
                    "must be a Vietnamese phone number",
                ));
                None
            }
        },
        None => None,
    };
    if let Some(email) = &email {
        let mut email_errors = vec![];
        crate::users::model::validate_email(email, &mut email_errors);
        errors.extend(email_errors.into_iter().map(|e| FieldError { field: format!("{prefix}.email"), ..e }));
    }
    if phone_given.is_none() && email.is_none() {
        errors.push(FieldError::new(prefix, "required", "needs a phone number or an email address"));
    }
    (phone, email)
}

/// The site a citizen's submission goes to: the one named, or the deployment's only site.
pub fn submission_site(conn: &mut crate::db::DbConn, code: Option<&str>) -> Result<i64, crate::error::ApiError> {
    use diesel::prelude::*;
    match code {
        Some(code) => Ok(crate::sites::find_site(conn, code)?
            .ok_or_else(|| ApiError::invalid("site", "not_found", "no site has this code"))?
            .id),
        None => {
            let ids: Vec<i64> =
                crate::db::schema::sites::table.select(crate::db::schema::sites::id).limit(2).load(conn)?;
            match ids.as_slice() {
                [only] => Ok(*only),
                _ => Err(ApiError::invalid("site", "required", "is required when the deployment serves several sites")),
            }
        }
    }
}

/// Whitespace-insensitive text for fingerprints.
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The answer to a submission that repeats one received in the last minutes without the same
/// `Idempotency-Key`: a 409 that hands out nothing of the first (its tracking secret belongs to
/// whoever sent it; a client that retries sends the same key to get its receipt again).
pub fn duplicate_submission(what: &str) -> ApiError {
    ApiError::Conflict(format!(
        "An identical {what} was received a few minutes ago and is being handled under the tracking code \
         given then. To retry a submission safely, send it with the same `Idempotency-Key` header."
    ))
}

/// Normalises a Vietnamese phone number to `0` and nine or ten digits, or `None` if it is not one.
pub fn normalize_phone(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
    let national = if let Some(rest) = digits.strip_prefix("+84") {
        format!("0{rest}")
    } else if digits.starts_with("84") && digits.len() == 11 {
        format!("0{}", &digits[2..])
    } else {
        digits
    };
    let valid = national.bytes().all(|b| b.is_ascii_digit())
        && national.starts_with('0')
        && match national.as_bytes().get(1) {
            // Mobile: 03x, 05x, 07x, 08x, 09x and ten digits; landline: 02xx and eleven digits.
            Some(b'3' | b'5' | b'7' | b'8' | b'9') => national.len() == 10,
            Some(b'2') => national.len() == 11,
            _ => false,
        };
    valid.then_some(national)
}

/// A required text of at most `max` characters (whitespace alone is empty).
pub fn check_text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    let len = value.trim().chars().count();
    if len == 0 {
        errors.push(FieldError::new(field, "required", "must not be empty or only whitespace"));
    } else if len > max {
        errors.push(FieldError::new(field, "too_long", format!("must be at most {max} characters")));
    }
}
