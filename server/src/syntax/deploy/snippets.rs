//! Extraction of shell code from each kind of deploy script, with exact maps back to the
//! source: a whole shell file; the `sh` steps and `script:` / `command:` arguments of a
//! Jenkinsfile; the recipe lines of a Makefile.

use super::{InsertStyle, Snippet};

/// A whole shell file: one snippet, the text itself.
pub(super) fn shell(src: &str) -> Vec<Snippet> {
    vec![Snippet::new(src.to_string(), vec![(0, 0)], InsertStyle::Lines, 0)]
}

/// Builds a snippet's text and map from pieces of the source.
#[derive(Default)]
pub(super) struct Builder {
    pub text: String,
    pub map: Vec<(usize, usize)>,
    /// The source offset right after the last piece.
    next_source: usize,
}

impl Builder {
    /// Starts a new run at `from` unless it continues the last one.
    fn anchor(&mut self, from: usize) {
        let here = self.text.len();
        if self.map.is_empty() {
            self.map.push((here, from));
            return;
        }
        if self.next_source == from {
            return;
        }
        // Where the run before ends, then where the next one starts.
        if self.map.last() != Some(&(here, self.next_source)) {
            self.map.push((here, self.next_source));
        }
        self.map.push((here, from));
    }

    /// `src[from..to]` verbatim.
    pub fn copy(&mut self, src: &str, from: usize, to: usize) {
        if from >= to {
            return;
        }
        self.anchor(from);
        self.text.push_str(&src[from..to]);
        self.next_source = to;
    }

    /// `text` standing for the source `from..to` (an escape sequence).
    pub fn replace(&mut self, text: &str, from: usize, to: usize) {
        self.anchor(from);
        if self.map.last() != Some(&(self.text.len(), from)) {
            self.map.push((self.text.len(), from));
        }
        self.text.push_str(text);
        self.map.push((self.text.len(), to));
        self.next_source = to;
    }

    pub fn finish(self, style: InsertStyle, group: usize) -> Snippet {
        Snippet::new(self.text, self.map, style, group)
    }
}

// ---------------------------------------------------------------------------------------------
// Jenkinsfile (Groovy)

/// Strings nested in `${…}` deeper than this are skipped as plain text.
const MAX_NESTING: usize = 32;

/// Every string that is the argument of an `sh` step or a `script:` / `command:` named
/// argument. Comments are skipped; slashy strings are not recognised.
pub(super) fn jenkinsfile(src: &str) -> Vec<Snippet> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = memchr(bytes, b'\n', i).unwrap_or(bytes.len());
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = src[i + 2..].find("*/").map_or(bytes.len(), |e| i + 2 + e + 2);
            }
            b'\'' | b'"' => {
                let s = groovy_string(src, i, 0);
                if is_shell_argument(src, i) {
                    let multi_line = s.triple && src[s.content.clone()].contains('\n');
                    let style = if multi_line { InsertStyle::Lines } else { InsertStyle::AndChain };
                    out.push(decode_groovy(src, &s).finish(style, 0));
                }
                i = s.end;
            }
            _ => i += 1,
        }
    }
    out
}

struct GroovyString {
    quote: u8,
    triple: bool,
    /// The characters between the quotes.
    content: std::ops::Range<usize>,
    /// After the closing quote(s), or where an unterminated string stops.
    end: usize,
}

/// The string whose opening quote is at `start`. One-line strings stop at a line break when
/// unterminated; triple-quoted ones at the end of the text.
fn groovy_string(src: &str, start: usize, nesting: usize) -> GroovyString {
    let bytes = src.as_bytes();
    let quote = bytes[start];
    let triple = bytes.get(start + 1) == Some(&quote) && bytes.get(start + 2) == Some(&quote);
    let open = if triple { 3 } else { 1 };
    let mut i = start + open;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' {
            i += 1 + src[i + 1..].chars().next().map_or(0, char::len_utf8);
        } else if b == quote && (!triple || (bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote))) {
            return GroovyString { quote, triple, content: start + open..i, end: i + open };
        } else if b == b'\n' && !triple {
            break;
        } else if quote == b'"' && b == b'$' && bytes.get(i + 1) == Some(&b'{') {
            i = interpolation_end(src, i + 1, nesting);
        } else {
            i += 1;
        }
    }
    let end = i.min(bytes.len());
    GroovyString { quote, triple, content: (start + open).min(end)..end, end }
}

/// After the `}` matching the `{` at `open` (strings inside skipped), or the end.
fn interpolation_end(src: &str, open: usize, nesting: usize) -> usize {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return i;
                }
            }
            b'\'' | b'"' if nesting < MAX_NESTING => i = groovy_string(src, i, nesting + 1).end,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The text Groovy makes of a string's content: escapes read (`\'`, `\"`, `\\`, `\$`, `\n`,
/// `\t` …); `${…}` and `$name` interpolation kept as text; a backslash before a line break and
/// unknown escapes kept as they are (the shell reads `\`+newline as Groovy does).
fn decode_groovy(src: &str, s: &GroovyString) -> Builder {
    let bytes = src.as_bytes();
    let mut b = Builder::default();
    let mut run = s.content.start;
    let mut i = s.content.start;
    while i < s.content.end {
        if bytes[i] != b'\\' {
            if s.quote == b'"' && bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{') {
                i = interpolation_end(src, i + 1, 0).min(s.content.end);
            } else {
                i += 1;
            }
            continue;
        }
        let decoded = match bytes.get(i + 1) {
            Some(b'\\') => Some("\\"),
            Some(b'\'') => Some("'"),
            Some(b'"') => Some("\""),
            Some(b'$') => Some("$"),
            Some(b'n') => Some("\n"),
            Some(b't') => Some("\t"),
            Some(b'r') => Some("\r"),
            Some(b's') => Some(" "),
            Some(b'b') => Some("\u{8}"),
            Some(b'f') => Some("\u{c}"),
            _ => None,
        };
        match decoded {
            Some(d) if i + 2 <= s.content.end => {
                b.copy(src, run, i);
                b.replace(d, i, i + 2);
                i += 2;
                run = i;
            }
            _ => i += 1 + src[i + 1..].chars().next().map_or(0, char::len_utf8),
        }
    }
    b.copy(src, run, s.content.end.max(run));
    if b.map.is_empty() {
        b.map.push((0, s.content.start));
    }
    b
}

/// True when the string starting at `quote` is the argument of `sh` (`sh '…'`, `sh('…')`) or
/// the value of a `script:` / `command:` named argument.
fn is_shell_argument(src: &str, quote: usize) -> bool {
    let bytes = src.as_bytes();
    let mut j = skip_blanks_back(bytes, quote);
    if j > 0 && bytes[j - 1] == b'(' {
        j = skip_blanks_back(bytes, j - 1);
    }
    if j > 0 && bytes[j - 1] == b':' {
        let end = skip_blanks_back(bytes, j - 1);
        let name = &src[identifier_start(bytes, end)..end];
        return name == "script" || name == "command";
    }
    let start = identifier_start(bytes, j);
    &src[start..j] == "sh"
}

fn skip_blanks_back(bytes: &[u8], mut j: usize) -> usize {
    while j > 0 && bytes[j - 1].is_ascii_whitespace() {
        j -= 1;
    }
    j
}

fn identifier_start(bytes: &[u8], mut j: usize) -> usize {
    while j > 0 && (bytes[j - 1].is_ascii_alphanumeric() || bytes[j - 1] == b'_') {
        j -= 1;
    }
    j
}

fn memchr(bytes: &[u8], needle: u8, from: usize) -> Option<usize> {
    bytes[from..].iter().position(|&b| b == needle).map(|p| from + p)
}

// ---------------------------------------------------------------------------------------------
// Makefile

/// Each recipe line of each rule (a line starting with a TAB after a `target: deps` line) as
/// its own snippet, grouped by rule: make runs every recipe line in its own shell. The TAB and
/// the `@`/`-`/`+` prefixes are stripped, `$$` reads as `$`, a backslash-newline stays (the
/// shell reads it as a continuation) and one TAB at the start of a continuation line is
/// removed, as make does. An inline recipe (`target: deps ; command`) is a snippet too.
pub(super) fn makefile(src: &str) -> Vec<Snippet> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut rule: Option<usize> = None;
    let mut rules = 0usize;
    let mut in_define = false;
    let mut start = 0;
    while start < bytes.len() {
        let end = logical_line_end(bytes, start);
        let next = (end + 1).min(bytes.len());
        let line = &src[start..end];
        let trimmed = line.trim_start();
        let first_word = trimmed.split(|c: char| c.is_whitespace()).next().unwrap_or("");
        if in_define {
            if first_word == "endef" {
                in_define = false;
            }
        } else if bytes[start] == b'\t' && rule.is_some() {
            if let Some(s) = recipe_line(src, start, end, rule.unwrap_or(0)) {
                out.push(s);
            }
        } else if trimmed.trim_end().is_empty() || trimmed.starts_with('#') {
            // Blank and comment lines may sit among recipe lines.
        } else if matches!(first_word, "ifeq" | "ifneq" | "ifdef" | "ifndef" | "else" | "endif") {
            // Conditionals may sit among recipe lines.
        } else if first_word == "define"
            || (matches!(first_word, "override" | "export" | "private")
                && trimmed[first_word.len()..].trim_start().starts_with("define"))
        {
            in_define = true;
            rule = None;
        } else if bytes[start] == b'\t' {
            // A TAB line outside a rule: not a recipe.
        } else if let Some(colon) = rule_colon(line) {
            rule = Some(rules);
            rules += 1;
            if let Some(semi) = line[colon..].find(';') {
                let from = start + colon + semi + 1;
                if let Some((builder, _)) = recipe_text(src, from, end) {
                    out.push(builder.finish(InsertStyle::AndChain, rules - 1));
                }
            }
        } else {
            rule = None;
        }
        start = next;
    }
    out
}

/// The end (at its `\n`, or the text's end) of the logical line starting at `start`: physical
/// lines ending in a backslash continue.
fn logical_line_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    loop {
        let end = memchr(bytes, b'\n', i).unwrap_or(bytes.len());
        let mut content_end = end;
        if content_end > i && bytes[content_end - 1] == b'\r' {
            content_end -= 1;
        }
        let backslashes = bytes[i..content_end].iter().rev().take_while(|&&b| b == b'\\').count();
        if backslashes % 2 == 1 && end < bytes.len() {
            i = end + 1;
        } else {
            return end;
        }
    }
}

/// The offset of the colon that makes `line` a rule (`target: deps`, `target:: deps`), or
/// `None` for assignments (`X = a:b`, `X := y`, `X ::= y`) and other lines. Colons inside
/// `$(…)` / `${…}` do not count.
fn rule_colon(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if matches!(bytes.get(i + 1), Some(b'(' | b'{')) => {
                depth += 1;
                i += 2;
                continue;
            }
            b'(' | b'{' if depth > 0 => depth += 1,
            b')' | b'}' if depth > 0 => depth -= 1,
            b'=' if depth == 0 => return None,
            b'#' if depth == 0 => return None,
            b':' if depth == 0 => {
                let colons = bytes[i..].iter().take_while(|&&b| b == b':').count();
                return match bytes.get(i + colons) {
                    Some(b'=') => None,
                    _ => Some(i),
                };
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A recipe line `src[start..end]` (starting with its TAB).
fn recipe_line(src: &str, start: usize, end: usize, group: usize) -> Option<Snippet> {
    let (builder, prefix) = recipe_text(src, start + 1, end)?;
    Some(builder.finish(InsertStyle::MakeRecipe, group).with_recipe(start, &prefix))
}

/// The shell text of recipe source `from..end`: leading blanks and `@`/`-`/`+` stripped (the
/// prefix characters are returned), `$$` read as `$`, one TAB dropped at the start of each
/// continuation line. `None` when nothing is left.
fn recipe_text(src: &str, from: usize, end: usize) -> Option<(Builder, String)> {
    let bytes = src.as_bytes();
    let mut i = from;
    let mut prefix = String::new();
    while i < end && matches!(bytes[i], b' ' | b'\t' | b'@' | b'-' | b'+') {
        if bytes[i] != b' ' && bytes[i] != b'\t' {
            prefix.push(bytes[i] as char);
        }
        i += 1;
    }
    if src[i..end].trim().is_empty() {
        return None;
    }
    let mut b = Builder::default();
    let mut run = i;
    while i < end {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') && i + 2 <= end => {
                b.copy(src, run, i);
                b.replace("$", i, i + 2);
                i += 2;
                run = i;
            }
            b'\n' => {
                i += 1;
                if i < end && bytes[i] == b'\t' {
                    b.copy(src, run, i);
                    i += 1;
                    run = i;
                }
            }
            _ => i += 1,
        }
    }
    b.copy(src, run, end);
    Some((b, prefix))
}
