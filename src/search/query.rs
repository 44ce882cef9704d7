//! A search box's text as an index query. Words match folded (`dan van` finds `Dân vận`); a word
//! typed with diacritics scores higher where the text has that very spelling; words in quotes are
//! a phrase; the last word, while typing, is also a prefix; longer words forgive one typo when
//! nothing matches as typed. Every word must match somewhere (title, summary or body: the title
//! weighs most).
//!
//! A query is bounded so that none costs much: at most [`MAX_QUERY_CHARS`] characters and
//! [`MAX_TERMS`] words, prefixes of three letters or more, typo tolerance on words of five or more.

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use super::analysis;
use super::index::Fields;

pub const MAX_QUERY_CHARS: usize = 200;
pub const MAX_TERMS: usize = 10;
/// The shortest last word taken as a prefix (a shorter one matches only as a whole word).
const MIN_PREFIX_CHARS: usize = 3;
/// The shortest word that matches with one typo.
const MIN_FUZZY_CHARS: usize = 5;

/// A word of the query: folded, and as typed when typed with diacritics.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub folded: String,
    pub exact: Option<String>,
}

/// A search box's text, parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub words: Vec<Word>,
    pub phrases: Vec<Vec<String>>,
    /// The last word, still being typed: it matches whole or as the start of a word.
    pub prefix: Option<Word>,
}

impl Parsed {
    /// `None` when the text holds no word.
    pub fn new(q: &str) -> Option<Self> {
        let mut parsed = Parsed::default();
        let mut budget = MAX_TERMS;
        let segments: Vec<&str> = q.split('"').collect();
        // An unclosed quote is text like any other.
        let closed = segments.len() % 2 == 1;
        for (i, segment) in segments.iter().enumerate() {
            let in_quotes = i % 2 == 1 && (closed || i + 1 < segments.len());
            let folded: Vec<String> = analysis::tokens(segment, true).into_iter().map(|t| t.text).collect();
            if budget == 0 {
                break;
            }
            if in_quotes && folded.len() > 1 {
                let phrase: Vec<String> = folded.into_iter().take(budget).collect();
                budget -= phrase.len();
                parsed.phrases.push(phrase);
                continue;
            }
            for token in analysis::tokens(segment, false).into_iter().take(budget) {
                let folded = analysis::term(&token.text, true);
                let exact = (folded != token.text).then_some(token.text);
                parsed.words.push(Word { folded, exact });
                budget -= 1;
            }
        }
        // The last word is a prefix when the text ends in it (not after a space or a quote).
        let ends_in_word = q.chars().last().is_some_and(char::is_alphanumeric)
            || q.chars().last().is_some_and(|c| ('\u{0300}'..='\u{036f}').contains(&c));
        if ends_in_word && parsed.words.last().is_some_and(|w| w.folded.chars().count() >= MIN_PREFIX_CHARS) {
            parsed.prefix = parsed.words.pop();
        }
        (!parsed.words.is_empty() || !parsed.phrases.is_empty() || parsed.prefix.is_some()).then_some(parsed)
    }

    /// The folded words a snippet marks (and the prefix, which marks the words it starts).
    pub fn marked_words(&self) -> Vec<String> {
        self.words.iter().map(|w| w.folded.clone()).chain(self.phrases.iter().flatten().cloned()).collect()
    }

    /// Whether a word is long enough to forgive a typo in it.
    pub fn allows_typos(&self) -> bool {
        self.words.iter().chain(&self.prefix).any(|w| w.folded.chars().count() >= MIN_FUZZY_CHARS)
    }

    /// The index query: every word, phrase and the prefix must match; with `typos`, long words
    /// also match a word one edit away (a costlier query: asked only when the other finds nothing).
    pub fn to_query(&self, f: &Fields, typos: bool) -> Box<dyn Query> {
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in &self.words {
            must.push((Occur::Must, word_query(f, word, false, typos)));
        }
        if let Some(prefix) = &self.prefix {
            must.push((Occur::Must, word_query(f, prefix, true, typos)));
        }
        for phrase in &self.phrases {
            let in_field = |field: Field, boost: f32| -> (Occur, Box<dyn Query>) {
                let terms = phrase.iter().map(|w| Term::from_field_text(field, w)).collect();
                (Occur::Should, Box::new(BoostQuery::new(Box::new(PhraseQuery::new(terms)), boost)))
            };
            let fields =
                vec![in_field(f.title, 3.0), in_field(f.summary, 2.0), in_field(f.tags, 2.0), in_field(f.body, 1.0)];
            must.push((Occur::Must, Box::new(BooleanQuery::new(fields))));
        }
        Box::new(BooleanQuery::new(must))
    }
}

fn term(field: Field, text: &str, boost: f32) -> (Occur, Box<dyn Query>) {
    let query = TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs);
    (Occur::Should, Box::new(BoostQuery::new(Box::new(query), boost)))
}

/// One word anywhere: whole (weighted by field), as typed (when typed with diacritics), as a
/// prefix (the last word) or with a typo (long words, when asked: the query as typed found
/// nothing; scored below any exact match).
fn word_query(f: &Fields, word: &Word, prefix: bool, typos: bool) -> Box<dyn Query> {
    let w = word.folded.as_str();
    let mut any = vec![term(f.title, w, 3.0), term(f.summary, w, 2.0), term(f.tags, w, 2.0), term(f.body, w, 1.0)];
    // The spelling typed counts for more than the words it folds to, so that `báo` (report)
    // finds reports before storms (`bão`) that match as often.
    if let Some(exact) = &word.exact {
        any.push(term(f.title_exact, exact, 6.0));
        any.push(term(f.summary_exact, exact, 4.0));
    }
    let automaton = |boost: f32, query: FuzzyTermQuery| -> (Occur, Box<dyn Query>) {
        (Occur::Should, Box::new(BoostQuery::new(Box::new(query), boost)))
    };
    if prefix {
        for (field, boost) in [(f.title, 1.5), (f.summary, 1.0), (f.tags, 1.0), (f.body, 0.5)] {
            any.push(automaton(boost, FuzzyTermQuery::new_prefix(Term::from_field_text(field, w), 0, false)));
        }
    }
    if typos && w.chars().count() >= MIN_FUZZY_CHARS {
        for (field, boost) in [(f.title, 0.6), (f.body, 0.2)] {
            any.push(automaton(boost, FuzzyTermQuery::new(Term::from_field_text(field, w), 1, true)));
        }
    }
    Box::new(BooleanQuery::new(any))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(folded: &str, exact: Option<&str>) -> Word {
        Word { folded: folded.into(), exact: exact.map(Into::into) }
    }

    #[test]
    fn words_phrases_and_the_prefix() {
        let p = Parsed::new("Dân vận kheo").unwrap();
        assert_eq!(p.words, [word("dan", Some("dân")), word("van", Some("vận"))]);
        assert_eq!(p.prefix, Some(word("kheo", None)));
        let p = Parsed::new("\"dân vận\" khéo ").unwrap();
        assert_eq!(p.phrases, [vec!["dan".to_owned(), "van".to_owned()]]);
        assert_eq!(p.words, [word("kheo", Some("khéo"))]);
        assert_eq!(p.prefix, None);
        // Too short to be a prefix; an unclosed quote is plain text.
        assert_eq!(Parsed::new("bao ho").unwrap().prefix, None);
        assert_eq!(Parsed::new("\"bao ho").unwrap().words.len(), 2);
        assert_eq!(Parsed::new("  ... ?"), None);
    }

    #[test]
    fn a_query_has_at_most_ten_terms() {
        let long = (0..40).map(|i| format!("tu{i}")).collect::<Vec<_>>().join(" ");
        let p = Parsed::new(&long).unwrap();
        assert_eq!(p.words.len() + usize::from(p.prefix.is_some()), MAX_TERMS);
        let quoted = format!("\"{long}\" them");
        let p = Parsed::new(&quoted).unwrap();
        assert_eq!(p.phrases[0].len(), MAX_TERMS);
        assert!(p.words.is_empty() && p.prefix.is_none());
    }
}
