//! How Vietnamese text becomes index terms: words are runs of letters and digits; the folded
//! form (lowercase, diacritics gone, `đ` as `d`) is what every search matches, and the exact form
//! (lowercase, diacritics kept) is what lifts a query typed with diacritics to its own spelling
//! (`bão` before `báo`). Offsets stay those of the original text, so snippets mark it.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

/// The folded analyser's name in the index's tokenizer manager.
pub const FOLDED: &str = "vi_folded";
/// The exact analyser's name.
pub const EXACT: &str = "vi_exact";

/// Words longer than this are not terms (a pasted URL or a run of digits says nothing).
const MAX_WORD_BYTES: usize = 40;

/// A word as a term: folded or with its diacritics.
pub fn term(word: &str, fold: bool) -> String {
    if fold { crate::text::fold(word) } else { word.nfc().flat_map(char::to_lowercase).collect() }
}

/// Splits text into words, each made a term by [`term`].
#[derive(Clone, Copy)]
pub struct VietnameseTokenizer {
    pub fold: bool,
}

impl Tokenizer for VietnameseTokenizer {
    type TokenStream<'a> = Words;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Words {
        Words { tokens: tokens(text, self.fold).into_iter(), current: Token::default() }
    }
}

/// The words of `text` with their byte offsets and positions.
pub fn tokens(text: &str, fold: bool) -> Vec<Token> {
    let mut out = Vec::new();
    let mut start = None;
    let push = |from: usize, to: usize, out: &mut Vec<Token>| {
        let word = &text[from..to];
        if word.len() <= MAX_WORD_BYTES {
            let text = term(word, fold);
            if !text.is_empty() {
                let position = out.len();
                out.push(Token { offset_from: from, offset_to: to, position, text, position_length: 1 });
            }
        }
    };
    for (i, c) in text.char_indices() {
        // Combining marks belong to the word (text written in decomposed form).
        let in_word = c.is_alphanumeric() || ('\u{0300}'..='\u{036f}').contains(&c);
        match (in_word, start) {
            (true, None) => start = Some(i),
            (false, Some(from)) => {
                push(from, i, &mut out);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        push(from, text.len(), &mut out);
    }
    out
}

pub struct Words {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl TokenStream for Words {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, fold: bool) -> Vec<String> {
        tokens(text, fold).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn words_fold_both_ways_and_keep_their_offsets() {
        assert_eq!(texts("Dân vận KHÉO, đường Điện Biên!", true), ["dan", "van", "kheo", "duong", "dien", "bien"]);
        assert_eq!(texts("Dân vận KHÉO", false), ["dân", "vận", "khéo"]);
        // Decomposed input is one word, and exact terms are composed.
        assert_eq!(texts("ba\u{0303}o", false), ["bão"]);
        assert_eq!(texts("ba\u{0303}o", true), ["bao"]);
        let t = tokens("Tin: Bão số 3", true);
        assert_eq!((t[1].offset_from, t[1].offset_to, t[1].position), (5, 9, 1));
        assert_eq!(&"Tin: Bão số 3"[t[1].offset_from..t[1].offset_to], "Bão");
    }
}
