//! Variable references in Dockerfile words: `$VAR`, `${VAR}`, `${VAR:-default}`,
//! `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`. Expansion records where each part of the
//! result came from, so a rule can report on the `ARG` that supplied it.

use crate::syntax::TextRange;

/// A reference to a variable inside a word; `range` covers `$VAR` or `${…}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRef {
    pub name: String,
    pub range: TextRange,
    pub modifier: Modifier,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modifier {
    None,
    /// `${V:-word}` (`colon` true) or `${V-word}`: `word` when unset (or empty with colon).
    Default {
        word: String,
        colon: bool,
    },
    /// `${V:+word}` or `${V+word}`: `word` when set (and non-empty with colon).
    Alternative {
        word: String,
        colon: bool,
    },
}

/// All variable references in `text`, ranges relative to `text`. `$$` and escaped `\$` are
/// not references.
pub fn references(text: &str, escape: char) -> Vec<VarRef> {
    let bytes = text.as_bytes();
    let mut refs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == escape as u8 {
            i += 2;
            continue;
        }
        if b != b'$' {
            i += 1;
            continue;
        }
        let start = i;
        if bytes.get(i + 1) == Some(&b'{') {
            let Some(close) = text[i + 2..].find('}') else {
                break;
            };
            let inner = &text[i + 2..i + 2 + close];
            let end = i + 2 + close + 1;
            let name_len = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
            let name = inner[..name_len].to_string();
            let rest = &inner[name_len..];
            let modifier = if let Some(w) = rest.strip_prefix(":-") {
                Modifier::Default { word: w.to_string(), colon: true }
            } else if let Some(w) = rest.strip_prefix('-') {
                Modifier::Default { word: w.to_string(), colon: false }
            } else if let Some(w) = rest.strip_prefix(":+") {
                Modifier::Alternative { word: w.to_string(), colon: true }
            } else if let Some(w) = rest.strip_prefix('+') {
                Modifier::Alternative { word: w.to_string(), colon: false }
            } else {
                Modifier::None
            };
            if !name.is_empty() {
                refs.push(VarRef { name, range: TextRange::new(start, end), modifier });
            }
            i = end;
        } else {
            let name_len =
                text[i + 1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len() - i - 1);
            if name_len > 0 {
                let name = text[i + 1..i + 1 + name_len].to_string();
                refs.push(VarRef { name, range: TextRange::new(start, i + 1 + name_len), modifier: Modifier::None });
            }
            i += 1 + name_len.max(1);
        }
    }
    refs
}

/// The value a variable has for expansion: `None` when it is not declared at all,
/// `Some(None)` when declared without a value.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<Option<String>>;

/// Where a piece of an expanded string came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Literal,
    Variable(String),
}

/// A piece of an expanded value: its range in the value, the source range it came from (the
/// literal text, or the whole `${…}` reference) and its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub out: TextRange,
    pub src: TextRange,
    pub origin: Origin,
}

/// The result of expanding a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    pub value: String,
    /// Pieces of `value`, in order.
    pub pieces: Vec<Piece>,
    /// Variables that are declared but have no value and no default in the reference.
    pub valueless: Vec<VarRef>,
    /// Variables that are not declared at all (and have no default in the reference).
    pub undeclared: Vec<VarRef>,
}

impl Expansion {
    /// The variable that produced the piece covering `offset` of the value, if any.
    pub fn origin_at(&self, offset: usize) -> Option<&str> {
        self.pieces.iter().find_map(|p| match &p.origin {
            Origin::Variable(name) if p.out.contains(offset) => Some(name.as_str()),
            _ => None,
        })
    }

    /// The source range that produced `out` (a range of the value): exact inside one literal
    /// piece, else the cover of the pieces involved.
    pub fn source_range(&self, out: TextRange) -> Option<TextRange> {
        let mut covered: Option<TextRange> = None;
        for p in &self.pieces {
            let overlaps = p.out.start < out.end.max(out.start + 1) && out.start < p.out.end;
            if !overlaps {
                continue;
            }
            let src = match p.origin {
                Origin::Literal => {
                    let s = p.src.start + out.start.saturating_sub(p.out.start);
                    let e = p.src.end - p.out.end.saturating_sub(out.end);
                    TextRange { start: s, end: e.max(s) }
                }
                Origin::Variable(_) => p.src,
            };
            covered = Some(covered.map_or(src, |c| c.cover(src)));
        }
        covered
    }
}

/// Expands every reference in `text` with `lookup`.
pub fn expand(text: &str, escape: char, lookup: Lookup<'_>) -> Expansion {
    let mut out = Expansion { value: String::new(), pieces: Vec::new(), valueless: Vec::new(), undeclared: Vec::new() };
    let mut last = 0;
    let push = |out: &mut Expansion, s: &str, src: TextRange, origin: Origin| {
        if s.is_empty() {
            return;
        }
        let start = out.value.len();
        out.value.push_str(s);
        out.pieces.push(Piece { out: TextRange::new(start, out.value.len()), src, origin });
    };
    for r in references(text, escape) {
        let lit = TextRange::new(last, r.range.start as usize);
        push(&mut out, &text[lit.as_range()], lit, Origin::Literal);
        last = r.range.end as usize;
        let src = r.range;
        let found = lookup(&r.name);
        let value = found.clone().flatten();
        let set = value.is_some();
        let non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
        let origin = Origin::Variable(r.name.clone());
        match &r.modifier {
            Modifier::None => match value {
                Some(v) => push(&mut out, &v, src, origin),
                None if found.is_some() => out.valueless.push(r.clone()),
                None => out.undeclared.push(r.clone()),
            },
            Modifier::Default { word, colon } => {
                let use_value = if *colon { non_empty } else { set };
                if use_value {
                    push(&mut out, value.as_deref().unwrap_or(""), src, origin);
                } else {
                    push(&mut out, word, src, origin);
                }
            }
            Modifier::Alternative { word, colon } => {
                let use_word = if *colon { non_empty } else { set };
                if use_word {
                    push(&mut out, word, src, origin);
                }
            }
        }
    }
    let lit = TextRange::new(last, text.len());
    push(&mut out, &text[last..], lit, Origin::Literal);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let lookup = |name: &str| match name {
            "TAG" => Some(Some("3.12".to_string())),
            "EMPTY" => Some(None),
            _ => None,
        };
        let e = expand("python:${TAG}-slim", '\\', &lookup);
        assert_eq!(e.value, "python:3.12-slim");
        assert_eq!(e.origin_at(8), Some("TAG"));
        assert_eq!(e.origin_at(1), None);
        assert_eq!(e.source_range(TextRange::new(12, 16)), Some(TextRange::new(14, 18)));
        assert_eq!(e.source_range(TextRange::new(7, 11)), Some(TextRange::new(7, 13)));
        let e = expand("${BASE:-debian}:$EMPTY$NOPE", '\\', &lookup);
        assert_eq!(e.value, "debian:");
        assert_eq!(e.valueless[0].name, "EMPTY");
        assert_eq!(e.undeclared[0].name, "NOPE");
        let e = expand("a${TAG:+-x}b\\$TAG", '\\', &lookup);
        assert_eq!(e.value, "a-xb\\$TAG");
    }
}
