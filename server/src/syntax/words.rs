//! Dockerfile-level word splitting (for `ARG`, `ENV` and similar key=value lists): words are
//! separated by blanks, `'…'` and `"…"` quote, and the file's escape character escapes.

use compact_str::CompactString;

use crate::syntax::TextRange;

/// A word with its unquoted value and the range it covers in the source. Values are short
/// strings stored inline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub range: TextRange,
    pub value: CompactString,
}

impl Word {
    pub fn new(range: TextRange, value: impl Into<CompactString>) -> Word {
        Word { range, value: value.into() }
    }

    pub fn shift(&self, offset: usize) -> Word {
        Word { range: self.range.shift(offset), value: self.value.clone() }
    }
}

/// Splits `text` (which starts at `base` in the source) into words. Line continuations and
/// comment lines inside them must already be blanks: pass the instruction's argument text.
pub fn split_words(text: &str, base: usize, escape: char) -> Vec<Word> {
    let mut words = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut value = CompactString::default();
        let mut end = start;
        let mut quote: Option<char> = None;
        while let Some(&(i, c)) = chars.peek() {
            if quote.is_none() && c.is_whitespace() {
                break;
            }
            chars.next();
            end = i + c.len_utf8();
            match (quote, c) {
                (None, '\'' | '"') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (Some('\''), c) => value.push(c),
                (_, c) if c == escape => {
                    if let Some(&(j, next)) = chars.peek() {
                        chars.next();
                        end = j + next.len_utf8();
                        if next == '\n' || next == '\r' {
                            continue;
                        }
                        value.push(next);
                    }
                }
                (_, c) => value.push(c),
            }
        }
        words.push(Word::new(TextRange::new(base + start, base + end), value));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_escapes() {
        let words = split_words(r#"A=1 B="x y" C='$z' D=a\ b"#, 10, '\\');
        let values: Vec<_> = words.iter().map(|w| w.value.as_str()).collect();
        assert_eq!(values, ["A=1", "B=x y", "C=$z", "D=a b"]);
        assert_eq!(words[1].range, TextRange::new(14, 21));
    }
}
