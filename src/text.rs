//! Text handling for Vietnamese content: folding for search, slugs, HTML sanitising, plain-text
//! excerpts and word counts.

use std::collections::HashSet;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// Lowercase, without diacritics, `đ` as `d`: the form search compares.
/// `Dân vận KHÉO` and `dan van kheo` fold to the same text.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a folded text: runs of ASCII letters and digits.
pub fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty())
}

/// The words of a search query, folded, at most ten: what `q` filters match against folded text.
pub fn search_words(q: Option<&str>) -> Vec<String> {
    q.map(|q| words(&fold(q)).take(10).map(str::to_owned).collect()).unwrap_or_default()
}

/// A URL slug from a title: `Hội nghị tổng kết “Dân vận khéo”` -> `hoi-nghi-tong-ket-dan-van-kheo`.
/// At most `max_len` bytes, cut at a hyphen.
pub fn slugify(text: &str, max_len: usize) -> String {
    let folded = fold(text);
    let mut slug = String::new();
    for word in words(&folded) {
        if !slug.is_empty() {
            if slug.len() + 1 + word.len() > max_len {
                break;
            }
            slug.push('-');
        }
        slug.push_str(&word[..word.len().min(max_len)]);
    }
    slug
}

/// Whether a slug is well formed: lowercase ASCII letters and digits in hyphen-separated words.
/// A file name in plain ASCII for old download clients: `Tờ khai đăng ký.docx` is
/// `to-khai-dang-ky.docx`.
pub fn slugify_filename(name: &str) -> String {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= 8 => (stem, Some(ext)),
        _ => (name, None),
    };
    let stem = match slugify(stem, 100) {
        s if s.is_empty() => "file".to_owned(),
        s => s,
    };
    match ext.map(|e| slugify(e, 8)).filter(|e| !e.is_empty()) {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem,
    }
}

pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 200
        && slug
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// The library items that a sanitised body's images name (`<img data-media-id="12">`).
pub fn media_ids_in(html: &str) -> Vec<i64> {
    let mut ids: Vec<i64> =
        html.split("data-media-id=\"").skip(1).filter_map(|rest| rest.split('"').next()?.parse().ok()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// What an image of the library puts in the `<img>` that names it.
pub struct ImageAttributes {
    pub src: String,
    pub srcset: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub alt: Option<String>,
}

/// Fills every `<img data-media-id="N">` of a sanitised body with the item's current address,
/// `srcset`, size and (when the tag has none) alt text; an image whose item is gone or not ready
/// keeps what it had.
pub fn fill_media_images(html: &str, item: impl Fn(i64) -> Option<ImageAttributes>) -> String {
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some(start) = rest.find("<img") {
        out.push_str(&rest[..start]);
        let tag_len = rest[start..].find('>').map_or(rest.len() - start, |end| end + 1);
        let tag = &rest[start..start + tag_len];
        rest = &rest[start + tag_len..];
        let attributes = image_attributes(tag);
        let found = attributes
            .iter()
            .find(|(name, _)| name == "data-media-id")
            .and_then(|(_, id)| id.parse().ok())
            .and_then(|id: i64| Some((id, item(id)?)));
        let Some((id, fill)) = found else {
            out.push_str(tag);
            continue;
        };
        let kept =
            |name: &str| attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
        let alt = kept("alt").or_else(|| fill.alt.as_deref().map(xml_escape)).unwrap_or_default();
        out.push_str(&format!(
            "<img src=\"{}\" srcset=\"{}\" alt=\"{alt}\"",
            xml_escape(&fill.src),
            xml_escape(&fill.srcset)
        ));
        if let (Some(w), Some(h)) = (fill.width, fill.height) {
            out.push_str(&format!(" width=\"{w}\" height=\"{h}\""));
        }
        if let Some(title) = kept("title") {
            out.push_str(&format!(" title=\"{title}\""));
        }
        out.push_str(&format!(" data-media-id=\"{id}\">"));
    }
    out.push_str(rest);
    out
}

/// The `name="value"` pairs of a sanitised tag (values stay escaped as they are).
fn image_attributes(tag: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = tag.trim_start_matches("<img").trim_end_matches('>').trim_end_matches('/');
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].trim().to_owned();
        let after = &rest[eq + 2..];
        let Some(close) = after.find('"') else { break };
        pairs.push((name, after[..close].to_owned()));
        rest = &after[close + 1..];
    }
    pairs
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let tags: HashSet<&str> = [
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "p",
            "br",
            "hr",
            "ul",
            "ol",
            "li",
            "a",
            "img",
            "figure",
            "figcaption",
            "table",
            "caption",
            "thead",
            "tbody",
            "tfoot",
            "tr",
            "th",
            "td",
            "blockquote",
            "strong",
            "em",
            "b",
            "i",
            "u",
            "s",
            "sub",
            "sup",
            "code",
            "pre",
        ]
        .into_iter()
        .collect();
        let mut builder = ammonia::Builder::default();
        builder
            .tags(tags)
            .generic_attributes(HashSet::new())
            .tag_attributes(
                [
                    ("a", ["href", "title"].into_iter().collect::<HashSet<_>>()),
                    ("img", ["src", "alt", "title", "width", "height", "data-media-id"].into_iter().collect()),
                    ("th", ["colspan", "rowspan", "scope"].into_iter().collect()),
                    ("td", ["colspan", "rowspan"].into_iter().collect()),
                    ("ol", ["start"].into_iter().collect()),
                ]
                .into_iter()
                .collect(),
            )
            .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
            .url_relative(ammonia::UrlRelative::PassThrough)
            .link_rel(Some("noopener noreferrer"))
            .strip_comments(true);
        builder
    })
}

/// Cleans article HTML against the news allowlist: headings, paragraphs, lists, links, images,
/// tables, figures. Scripts, styles, event handlers, `javascript:` URLs and unknown tags go.
pub fn sanitize_html(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

/// The text of (sanitised) HTML: tags removed, entities decoded, whitespace collapsed.
pub fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut chars = html.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            '&' => {
                let mut entity = String::new();
                while let Some(&next) = chars.peek() {
                    if next == ';' || entity.len() > 8 {
                        break;
                    }
                    entity.push(next);
                    chars.next();
                }
                if chars.peek() == Some(&';') {
                    chars.next();
                    text.push_str(&decode_entity(&entity).unwrap_or_else(|| format!("&{entity};")));
                } else {
                    text.push('&');
                    text.push_str(&entity);
                }
            }
            _ => text.push(c),
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn decode_entity(entity: &str) -> Option<String> {
    let c = match entity {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let code = if let Some(hex) = entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok()?
            } else {
                entity.strip_prefix('#')?.parse().ok()?
            };
            char::from_u32(code)?
        }
    };
    Some(c.to_string())
}

/// The first `max_chars` characters of a text, cut at a word, with an ellipsis when cut.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let at_word = match cut.rfind(' ') {
        Some(i) if i > max_chars / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace()))
}

pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Text for XML: `&`, `<`, `>`, quotes escaped, and characters XML 1.0 forbids dropped.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// An http(s) base address: a host, an optional path, no query, fragment or credentials; returned
/// without a trailing slash. What `MUNI_PUBLIC_URL` and a site's `public_url` must be.
pub fn public_base_url(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split('/').next().unwrap_or("");
    let clean = |c: char| c.is_ascii_alphanumeric() || "-._~/:[]%".contains(c);
    if host.is_empty() || host.contains('@') || !rest.chars().all(clean) {
        return None;
    }
    Some(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {

    #[test]
    fn library_images_in_a_body_get_their_addresses_and_sizes() {
        let body = sanitize_html(
            r#"<p>Ảnh:</p><img data-media-id="7" alt="Hội nghị" onerror="x()"><img src="/other.png" alt=""><img data-media-id="9">"#,
        );
        assert_eq!(media_ids_in(&body), [7, 9]);
        let filled = fill_media_images(&body, |id| {
            (id == 7).then(|| ImageAttributes {
                src: "/media/abc/full.jpg".into(),
                srcset: "/media/abc/w320.jpg 320w, /media/abc/full.jpg 800w".into(),
                width: Some(800),
                height: Some(600),
                alt: Some("từ thư viện".into()),
            })
        });
        assert!(filled.contains(r#"<img src="/media/abc/full.jpg" srcset="/media/abc/w320.jpg 320w, /media/abc/full.jpg 800w" alt="Hội nghị" width="800" height="600" data-media-id="7">"#), "{filled}");
        assert!(filled.contains(r#"<img src="/other.png" alt="">"#), "{filled}");
        assert!(filled.contains(r#"<img data-media-id="9">"#), "an item not found keeps its tag: {filled}");
        assert!(!filled.contains("onerror"));
    }

    use super::*;

    #[test]
    fn folding_removes_case_and_diacritics() {
        assert_eq!(fold("Dân vận KHÉO"), "dan van kheo");
        assert_eq!(fold("Đảng bộ phường Đống Đa"), "dang bo phuong dong da");
        assert_eq!(fold("Nguyễn Thị Hương"), "nguyen thi huong");
    }

    #[test]
    fn slugs_transliterate_vietnamese() {
        assert_eq!(slugify("Hội nghị tổng kết “Dân vận khéo”", 120), "hoi-nghi-tong-ket-dan-van-kheo");
        assert_eq!(slugify("Đường Điện Biên Phủ", 120), "duong-dien-bien-phu");
        assert_eq!(slugify("Quy hoạch - kế hoạch 2026/2030", 120), "quy-hoach-ke-hoach-2026-2030");
        assert_eq!(slugify("một hai ba bốn", 7), "mot-hai");
        assert_eq!(slugify("!!!", 50), "");
    }

    #[test]
    fn html_becomes_text() {
        assert_eq!(html_to_text("<p>Xin&nbsp;chào</p><p>A &amp; B &#273;&#x111;</p>"), "Xin chào A & B đđ");
    }

    #[test]
    fn excerpts_cut_at_a_word() {
        assert_eq!(excerpt("một hai ba bốn năm", 9), "một hai…");
        assert_eq!(excerpt("ngắn", 10), "ngắn");
    }
}
