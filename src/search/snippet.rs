//! The passage of a text that shows why it was found: the window of about [`CHARS`] characters
//! with the most of the query's words, as HTML with those words in `<mark>` and everything else
//! escaped (`text::xml_escape`: what XML needs escaped, HTML does too). One pass over the words of
//! at most [`SCANNED_BYTES`] of the text.

use std::collections::HashSet;

use super::analysis;

/// The longest passage, in characters (about two lines of a result list).
pub const CHARS: usize = 180;
/// How much of a text is looked at: a word found only further on leaves the start as the passage.
const SCANNED_BYTES: usize = 16 * 1024;
/// Context kept before the first marked word, in characters.
const LEAD_CHARS: usize = 40;

/// The passage of `text` for the folded `words` (and the words `prefix` starts); `None` when the
/// text holds none of them.
pub fn passage(text: &str, words: &HashSet<&str>, prefix: Option<&str>) -> Option<String> {
    let scanned = &text[..floor_char_boundary(text, SCANNED_BYTES)];
    let tokens = analysis::tokens(scanned, true);
    let hit = |t: &str| words.contains(t) || prefix.is_some_and(|p| t.starts_with(p));
    let hits: Vec<(usize, usize, &str)> =
        tokens.iter().filter(|t| hit(&t.text)).map(|t| (t.offset_from, t.offset_to, t.text.as_str())).collect();
    if hits.is_empty() {
        return None;
    }
    // The window starting at each hit, scored by the distinct words it holds; the first best wins.
    let width = CHARS * 4; // bytes: Vietnamese letters take two or three
    let mut best = (0, 0);
    for (i, (from, _, _)) in hits.iter().enumerate() {
        let mut seen: HashSet<&str> = HashSet::new();
        for (_, to, word) in &hits[i..] {
            if to - from > width || scanned[*from..*to].is_empty() {
                break;
            }
            seen.insert(word);
        }
        if seen.len() > best.1 {
            best = (i, seen.len());
        }
    }
    let first = hits[best.0].0;
    let start = back_chars(scanned, first, LEAD_CHARS);
    let end = forward_chars(scanned, start, CHARS);
    let mut html = String::with_capacity(end - start + 64);
    if start > 0 {
        html.push('…');
    }
    let mut at = start;
    for &(from, to, _) in hits.iter().filter(|(from, to, _)| *from >= start && *to <= end) {
        html.push_str(&crate::text::xml_escape(&scanned[at..from]));
        html.push_str("<mark>");
        html.push_str(&crate::text::xml_escape(&scanned[from..to]));
        html.push_str("</mark>");
        at = to;
    }
    html.push_str(&crate::text::xml_escape(&scanned[at..end]));
    if end < text.len() {
        html.push('…');
    }
    Some(html)
}

/// The text's start, escaped, cut at a word.
pub fn opening(text: &str) -> String {
    let end = forward_chars(text, 0, CHARS);
    let mut html = crate::text::xml_escape(&text[..end]);
    if end < text.len() {
        html.push('…');
    }
    html
}

/// The byte offset at most `chars` characters before `at`, moved on to the start of a word.
fn back_chars(text: &str, at: usize, chars: usize) -> usize {
    let start = text[..at].char_indices().rev().nth(chars.saturating_sub(1)).map_or(0, |(i, _)| i);
    if start == 0 {
        return 0;
    }
    match text[start..at].find(char::is_whitespace) {
        Some(space) => start + space + text[start + space..].chars().next().map_or(1, char::len_utf8),
        None => start,
    }
}

/// The byte offset at most `chars` characters after `from`, moved back to the end of a word.
fn forward_chars(text: &str, from: usize, chars: usize) -> usize {
    let Some((end, _)) = text[from..].char_indices().nth(chars) else { return text.len() };
    let end = from + end;
    match text[from..end].rfind(char::is_whitespace) {
        Some(space) if space > 0 => from + space,
        _ => end,
    }
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words<'a>(list: &[&'a str]) -> HashSet<&'a str> {
        list.iter().copied().collect()
    }

    #[test]
    fn marks_the_words_and_escapes_the_rest() {
        let text = "Đừng bấm <script> lạ: kẻ gian lừa đảo người dân & du khách.";
        let html = passage(text, &words(&["lua", "dao"]), None).unwrap();
        assert_eq!(
            html,
            "Đừng bấm &lt;script&gt; lạ: kẻ gian <mark>lừa</mark> <mark>đảo</mark> người dân &amp; du khách."
        );
        assert_eq!(passage(text, &words(&["bao"]), None), None);
        let typed = passage(text, &words(&[]), Some("kha")).unwrap();
        assert!(typed.contains("<mark>khách</mark>"), "{typed}");
    }

    #[test]
    fn a_long_text_shows_the_window_with_the_most_words() {
        let filler = "Nội dung khác không liên quan. ".repeat(30);
        let text = format!("Dân cư đông. {filler}Mô hình dân vận khéo được nhân rộng. {filler}");
        let html = passage(&text, &words(&["dan", "van", "kheo"]), None).unwrap();
        assert!(html.starts_with('…') && html.ends_with('…'), "{html}");
        assert!(html.contains("<mark>dân</mark> <mark>vận</mark> <mark>khéo</mark>"), "{html}");
        assert!(html.chars().count() <= CHARS + 2 + "<mark></mark>".len() * 3, "{html}");
        assert_eq!(opening("Ngắn."), "Ngắn.");
    }
}
