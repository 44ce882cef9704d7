//! The difference between two revisions: field by field, and word by word for text (HTML is
//! compared as the text a reader sees).

use std::time::Duration;

use serde_json::{Map, Value};
use similar::{ChangeTag, TextDiff};

use super::model::{FieldDiff, WordChange};

/// Past this, a word diff gives up on the smallest answer and gives a correct, coarser one.
const WORD_DIFF_BUDGET: Duration = Duration::from_millis(200);

/// The fields of `after` that differ from `before` (every field when there is no `before`), in
/// `order`, with word changes for text.
pub fn fields(before: Option<&Map<String, Value>>, after: &Map<String, Value>, order: &[&str]) -> Vec<FieldDiff> {
    let empty = Map::new();
    let before_map = before.unwrap_or(&empty);
    order
        .iter()
        .filter_map(|key| {
            let (b, a) = (before_map.get(*key).cloned(), after.get(*key).cloned());
            if before.is_some() && b == a {
                return None;
            }
            let (b, a) = (b.unwrap_or(Value::Null), a.unwrap_or(Value::Null));
            let (bt, at) = (b.as_str().unwrap_or(""), a.as_str().unwrap_or(""));
            let prose = (b.is_string() || a.is_string())
                && (bt.contains(char::is_whitespace) || at.contains(char::is_whitespace));
            let words = prose.then(|| words(bt, at));
            Some(FieldDiff { field: (*key).to_owned(), before: b, after: a, words })
        })
        .collect()
}

/// The names of the fields that differ.
pub fn changed(before: Option<&Map<String, Value>>, after: &Map<String, Value>, order: &[&str]) -> Vec<String> {
    order
        .iter()
        .filter(|key| before.is_none_or(|before| before.get(**key) != after.get(**key)))
        .map(|key| (*key).to_owned())
        .collect()
}

/// Word changes from `before` to `after`; runs of one kind are joined.
pub fn words(before: &str, after: &str) -> Vec<WordChange> {
    let (before, after) = (readable(before), readable(after));
    let diff = TextDiff::configure().timeout(WORD_DIFF_BUDGET).diff_words(&before, &after);
    let mut out: Vec<WordChange> = Vec::new();
    for change in diff.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => "equal",
            ChangeTag::Insert => "insert",
            ChangeTag::Delete => "delete",
        };
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(change.value()),
            _ => out.push(WordChange { op: op.to_owned(), text: change.value().to_owned() }),
        }
    }
    out
}

/// HTML as its text (block ends as line breaks); other text as it is.
fn readable(text: &str) -> String {
    if text.contains('<') && text.contains('>') { crate::text::html_to_text(text) } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_show_what_was_kept_added_and_removed() {
        let ops = words("<p>Lịch tiếp công dân thứ Hai</p>", "<p>Lịch tiếp công dân thứ Ba</p>");
        let text = |op: &str| ops.iter().filter(|c| c.op == op).map(|c| c.text.trim()).collect::<Vec<_>>();
        assert_eq!(text("delete"), ["Hai"]);
        assert_eq!(text("insert"), ["Ba"]);
        assert!(text("equal")[0].starts_with("Lịch tiếp công dân thứ"));
        assert!(ops.iter().all(|c| !c.text.contains('<')), "{ops:?}");
    }

    #[test]
    fn only_differing_fields_are_listed() {
        let before = serde_json::json!({"title": "A", "position": 1}).as_object().cloned().unwrap();
        let after = serde_json::json!({"title": "A", "position": 2}).as_object().cloned().unwrap();
        let diff = fields(Some(&before), &after, &["title", "position"]);
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].field, "position");
        assert!(diff[0].words.is_none());
        assert_eq!(changed(None, &after, &["title", "position"]), ["title", "position"]);
    }
}
