//! The language of error answers: English by default, Vietnamese for whoever asks for it with
//! `Accept-Language: vi` (citizens read these messages in forms).
//!
//! Messages are written once, in English, where the fault is found; codes (`type`, `errors[].code`)
//! are the same in every language, for programs. A problem document is translated as a whole on its
//! way out ([`crate::http::problem`]) from the catalog in [`vi`]: each English message is matched
//! against the catalog's patterns (`{}` stands for a value, carried over as it is); a message the
//! catalog does not know gets the Vietnamese sentence for its code or its kind of problem, so an
//! answer in Vietnamese never mixes in English prose.

mod vi;

use crate::error::Problem;

/// A language the API answers in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Language {
    #[default]
    English,
    Vietnamese,
}

impl Language {
    /// The language an `Accept-Language` header prefers among those served (RFC 9110 section
    /// 12.5.4: the highest `q` wins; `vi-VN` is `vi`; English when nothing served is asked for).
    pub fn negotiate(accept_language: Option<&str>) -> Self {
        let Some(header) = accept_language else { return Self::English };
        let mut best = (Self::English, 0.0_f32);
        let mut english_q = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            let primary = tag.split('-').next().unwrap_or("");
            match primary {
                "vi" if q > best.1 => best = (Self::Vietnamese, q),
                "en" | "*" => english_q = Some(english_q.map_or(q, |e: f32| e.max(q))),
                _ => {}
            }
        }
        match (best, english_q) {
            ((Self::Vietnamese, vi), Some(en)) if en >= vi => Self::English,
            ((language, q), _) if q > 0.0 => language,
            _ => Self::English,
        }
    }

    /// The language tag for `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Vietnamese => "vi",
        }
    }
}

/// Rewrites a problem document's `title`, `detail` and each field's `message` in `language`.
pub fn translate_problem(problem: &mut Problem, language: Language) {
    if language == Language::English {
        return;
    }
    let kind = problem.problem_type.rsplit(':').next().unwrap_or("").to_owned();
    problem.title = vi::status_title(problem.status).to_owned();
    problem.detail = vi::translate(&problem.detail).unwrap_or_else(|| vi::detail_for(&kind, problem.errors.len()));
    for error in &mut problem.errors {
        error.message = vi::translate(&error.message).unwrap_or_else(|| vi::message_for_code(&error.code).to_owned());
    }
}

/// The Vietnamese of one English message, when the catalog has it (for tests: every message the
/// code writes should be there).
pub fn vietnamese(message: &str) -> Option<String> {
    vi::translate(message)
}

/// Matches `text` against a pattern in which `{}` stands for any text; the values in order.
fn captures<'t>(pattern: &str, text: &'t str) -> Option<Vec<&'t str>> {
    let mut pieces = pattern.split("{}");
    let first = pieces.next().unwrap_or("");
    let mut rest = text.strip_prefix(first)?;
    let pieces: Vec<&str> = pieces.collect();
    let mut values = Vec::with_capacity(pieces.len());
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        let at = if last {
            if !rest.ends_with(piece) {
                return None;
            }
            rest.len() - piece.len()
        } else if piece.is_empty() {
            return None;
        } else {
            rest.find(piece)?
        };
        values.push(&rest[..at]);
        rest = &rest[at + piece.len()..];
    }
    rest.is_empty().then_some(values)
}

/// Fills a template's `{}` (in order) or `{0}`, `{1}` ... (by position) with `values`.
fn fill(template: &str, values: &[String]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut next = 0;
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inside = &after[..close];
        let index = if inside.is_empty() {
            next += 1;
            Some(next - 1)
        } else {
            inside.parse::<usize>().ok()
        };
        match index.and_then(|i| values.get(i)) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_q_values() {
        let pick = |h: &str| Language::negotiate(Some(h));
        assert_eq!(pick("vi"), Language::Vietnamese);
        assert_eq!(pick("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7"), Language::Vietnamese);
        assert_eq!(pick("en-US,en;q=0.9,vi;q=0.8"), Language::English);
        assert_eq!(pick("fr, vi;q=0.5"), Language::Vietnamese);
        assert_eq!(pick("vi;q=0"), Language::English);
        assert_eq!(pick("*"), Language::English);
        assert_eq!(pick("fr"), Language::English);
        assert_eq!(Language::negotiate(None), Language::English);
    }

    #[test]
    fn patterns_capture_values() {
        assert_eq!(captures("must be at most {} characters", "must be at most 200 characters"), Some(vec!["200"]));
        assert_eq!(captures("{} not found", "media item not found"), Some(vec!["media item"]));
        assert_eq!(captures("is required", "is required"), Some(vec![]));
        assert_eq!(captures("is required", "is required for this slug"), None);
        assert_eq!(
            captures("{} files may be at most {} MB.", "image files may be at most 20 MB."),
            Some(vec!["image", "20"])
        );
        assert_eq!(fill("{1} / {0}", &["a".into(), "b".into()]), "b / a");
    }
}
