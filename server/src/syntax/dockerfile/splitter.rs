//! Splits Dockerfile text into parser directives and logical instructions, the way BuildKit
//! reads it: directives at the top, comment and blank lines between instructions, escaped line
//! continuations (with comment and blank lines inside them), and heredoc bodies. A malformed
//! instruction damages only its own chunk; the splitter never fails.

use crate::syntax::TextRange;

/// A parser directive such as `# escape=\``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased name: `syntax`, `escape` or `check`.
    pub name: String,
    pub name_range: TextRange,
    pub value: String,
    pub value_range: TextRange,
}

/// The directives at the top of a file and where they end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directives {
    pub items: Vec<Directive>,
    /// Offset of the first line after the directive block (a line start).
    pub end: usize,
    /// The escape character in force (`\` unless `# escape=` says otherwise).
    pub escape: char,
    /// End of the first line after the block: an edit before it may add, remove or change a
    /// directive, so the whole file must be read again.
    pub reparse_limit: usize,
}

impl Directives {
    pub fn get(&self, name: &str) -> Option<&Directive> {
        self.items.iter().find(|d| d.name == name)
    }
}

/// One logical instruction: `line_start` is the start of its first line (before any
/// indentation), `end` the end of its last line (before the line break).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub line_start: usize,
    pub end: usize,
}

const KNOWN_DIRECTIVES: [&str; 3] = ["syntax", "escape", "check"];

/// Reads the directive block. A UTF-8 byte order mark is skipped.
pub fn directives(text: &str) -> Directives {
    let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut items: Vec<Directive> = Vec::new();
    let mut escape = '\\';
    while pos < text.len() {
        let (line, next) = line_at(text, pos);
        let Some(directive) = parse_directive(line, pos) else {
            break;
        };
        if items.iter().any(|d| d.name == directive.name) {
            // BuildKit: a directive that appears twice is invalid; the block ends there.
            break;
        }
        if directive.name == "escape" {
            match directive.value.as_str() {
                "`" => escape = '`',
                "\\" => escape = '\\',
                _ => {}
            }
        }
        items.push(directive);
        pos = next;
    }
    let reparse_limit = if pos < text.len() { pos + line_at(text, pos).0.len() + 1 } else { pos };
    Directives { items, end: pos, escape, reparse_limit }
}

fn parse_directive(line: &str, line_start: usize) -> Option<Directive> {
    let body = line.strip_prefix('#')?;
    let name_start = body.len() - body.trim_start_matches([' ', '\t']).len();
    let rest = &body[name_start..];
    let name_len = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
    let name = rest[..name_len].to_ascii_lowercase();
    if !KNOWN_DIRECTIVES.contains(&name.as_str()) {
        return None;
    }
    let after_name = &rest[name_len..];
    let after_ws = after_name.trim_start_matches([' ', '\t']);
    let after_eq = after_ws.strip_prefix('=')?;
    let value_ws = after_eq.len() - after_eq.trim_start_matches([' ', '\t']).len();
    let value = after_eq[value_ws..].trim_end();
    let abs_name = line_start + 1 + name_start;
    let abs_value = line_start + (line.len() - after_eq.len()) + value_ws;
    Some(Directive {
        name,
        name_range: TextRange::new(abs_name, abs_name + name_len),
        value: value.to_string(),
        value_range: TextRange::new(abs_value, abs_value + value.len()),
    })
}

/// The line starting at `pos` without its terminator (`\n` or `\r\n`), and the start of the
/// next line.
pub fn line_at(text: &str, pos: usize) -> (&str, usize) {
    let rest = &text[pos..];
    match rest.find('\n') {
        Some(i) => {
            let line = &rest[..i];
            (line.strip_suffix('\r').unwrap_or(line), pos + i + 1)
        }
        None => (rest, text.len()),
    }
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// True when the line ends with the escape character (trailing blanks allowed), i.e. the
/// instruction continues on the next line.
pub fn continues(line: &str, escape: char) -> bool {
    line.trim_end_matches([' ', '\t']).ends_with(escape)
}

/// Iterates the logical instructions of `text` starting at `pos`, which must be a line start
/// at the top level (not inside an instruction).
pub fn chunks(text: &str, pos: usize, escape: char) -> Chunks<'_> {
    Chunks { text, pos, escape }
}

pub struct Chunks<'a> {
    text: &'a str,
    pos: usize,
    escape: char,
}

impl Chunks<'_> {
    /// Where the next instruction search starts: a top-level line start.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl Iterator for Chunks<'_> {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        let text = self.text;
        // Skip blank and comment lines between instructions.
        loop {
            if self.pos >= text.len() {
                return None;
            }
            let (line, next) = line_at(text, self.pos);
            if !is_blank_or_comment(line) {
                break;
            }
            self.pos = next;
        }
        let line_start = self.pos;
        let (first, mut next) = line_at(text, line_start);
        let mut end = line_start + first.len();
        let mut last = first;
        // Continuations: blank and comment lines inside them belong to the instruction.
        while continues(last, self.escape) && next < text.len() {
            let (line, after) = line_at(text, next);
            end = next + line.len();
            next = after;
            if is_blank_or_comment(line) {
                continue;
            }
            last = line;
        }
        // Heredoc bodies follow the logical line (only instructions that take them, and only
        // when an opener can be there at all).
        if takes_heredocs(first) && text[line_start..end].contains("<<") {
            let logical = super::instruction::logical_text(&text[line_start..end], self.escape).0;
            for heredoc in heredoc_markers(&logical, self.escape) {
                while next < text.len() {
                    let (line, after) = line_at(text, next);
                    end = next + line.len();
                    next = after;
                    let candidate = if heredoc.strip_tabs { line.trim_start_matches('\t') } else { line };
                    if candidate == heredoc.name {
                        break;
                    }
                }
            }
        }
        self.pos = next;
        Some(Chunk { line_start, end })
    }
}

/// Whether the instruction starting with `first_line` can take heredocs.
fn takes_heredocs(first_line: &str) -> bool {
    let mut words = first_line.split_ascii_whitespace();
    let mut keyword = words.next().unwrap_or("");
    if keyword.eq_ignore_ascii_case("ONBUILD") {
        keyword = words.next().unwrap_or("");
    }
    ["RUN", "COPY", "ADD"].iter().any(|k| keyword.eq_ignore_ascii_case(k))
}

/// A heredoc opener (`<<EOF`, `<<-"EOT"`) found on an instruction line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeredocMarker {
    pub name: String,
    pub strip_tabs: bool,
}

/// Heredoc openers of an instruction that takes heredocs (`RUN`, `COPY`, `ADD`, also behind
/// `ONBUILD`). Openers inside quotes do not count; `<<<` is a here-string, not a heredoc.
pub fn heredoc_markers(logical_line: &str, escape: char) -> Vec<HeredocMarker> {
    let mut words = logical_line.split_ascii_whitespace();
    let mut keyword = words.next().unwrap_or("");
    if keyword.eq_ignore_ascii_case("ONBUILD") {
        keyword = words.next().unwrap_or("");
    }
    if !["RUN", "COPY", "ADD"].iter().any(|k| keyword.eq_ignore_ascii_case(k)) {
        return Vec::new();
    }
    let bytes = logical_line.as_bytes();
    let mut markers = Vec::new();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == q {
                    quote = None;
                } else if b == escape as u8 && q == b'"' {
                    i += 1;
                }
            }
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == escape as u8 => i += 1,
            None if b == b'<' && bytes.get(i + 1) == Some(&b'<') && bytes.get(i + 2) != Some(&b'<') => {
                let at_word_start = i == 0 || bytes[i - 1].is_ascii_whitespace() || bytes[i - 1].is_ascii_digit();
                if at_word_start && let Some((marker, len)) = parse_marker(&logical_line[i + 2..]) {
                    markers.push(marker);
                    i += 2 + len;
                    continue;
                }
                i += 1;
            }
            None => {}
        }
        i += 1;
    }
    markers
}

fn parse_marker(after: &str) -> Option<(HeredocMarker, usize)> {
    let (strip_tabs, rest) = match after.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, after),
    };
    let mut consumed = after.len() - rest.len();
    let (quote, rest) = match rest.as_bytes().first() {
        Some(b'"') | Some(b'\'') => (Some(rest.as_bytes()[0]), &rest[1..]),
        _ => (None, rest),
    };
    if quote.is_some() {
        consumed += 1;
    }
    let name_len = rest
        .find(|c: char| {
            c.is_whitespace() || c == '"' || c == '\'' || c == '<' || c == '>' || c == ';' || c == '|' || c == '&'
        })
        .unwrap_or(rest.len());
    if name_len == 0 {
        return None;
    }
    consumed += name_len;
    if let Some(q) = quote
        && rest.as_bytes().get(name_len) == Some(&q)
    {
        consumed += 1;
    }
    Some((HeredocMarker { name: rest[..name_len].to_string(), strip_tabs }, consumed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        let d = directives(text);
        chunks(text, d.end, d.escape).map(|c| &text[c.line_start..c.end]).collect()
    }

    #[test]
    fn continuation_with_comments_and_blank_lines() {
        let text = "FROM a\nRUN x \\\n  # note\n\n  y\nRUN z\n";
        assert_eq!(split(text), ["FROM a", "RUN x \\\n  # note\n\n  y", "RUN z"]);
    }

    #[test]
    fn heredocs_several_per_line_and_dash_form() {
        let text = "FROM a\nRUN <<A <<-B\necho a\nA\n\techo b\n\tB\nCOPY <<EOF /x\nhi\nEOF\nRUN echo '<<NOT'\n";
        assert_eq!(
            split(text),
            ["FROM a", "RUN <<A <<-B\necho a\nA\n\techo b\n\tB", "COPY <<EOF /x\nhi\nEOF", "RUN echo '<<NOT'"]
        );
    }

    #[test]
    fn backtick_escape_directive() {
        let text = "# escape=`\nFROM a\nRUN dir `\n  c:\\\nRUN b\n";
        let d = directives(text);
        assert_eq!(d.escape, '`');
        assert_eq!(split(text), ["FROM a", "RUN dir `\n  c:\\", "RUN b"]);
    }

    #[test]
    fn directives_stop_at_first_other_line() {
        let text = "# syntax=docker/dockerfile:1\n#check=error=true\n\n# escape=`\nFROM a\n";
        let d = directives(text);
        let names: Vec<_> = d.items.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["syntax", "check"]);
        assert_eq!(d.escape, '\\');
        assert_eq!(&text[d.items[0].value_range.as_range()], "docker/dockerfile:1");
        assert_eq!(&text[d.items[1].value_range.as_range()], "error=true");
    }

    #[test]
    fn crlf_and_unterminated_continuation() {
        let text = "FROM a\r\nRUN x \\\r\n  y\r\nRUN z \\";
        assert_eq!(split(text), ["FROM a", "RUN x \\\r\n  y", "RUN z \\"]);
    }

    #[test]
    fn unterminated_heredoc_runs_to_end() {
        let text = "FROM a\nRUN <<EOF\necho\nFROM b\n";
        assert_eq!(split(text), ["FROM a", "RUN <<EOF\necho\nFROM b"]);
    }
}
