//! Just enough of the POSIX shell grammar to read build steps: words (with quotes, escapes,
//! `$(…)`, backticks and `${…}` kept inside a word), control operators (`&&`, `||`, `;`, `&`,
//! `|`, newlines, subshell parentheses), redirections and comments. `sh -c '…'` scripts are
//! parsed again as nested scripts. Ranges are in the coordinates of the parsed text.

use std::ops::Range;

use crate::syntax::TextRange;
use crate::syntax::words::Word;

/// A script: its commands in source order, with the commands of nested `sh -c '…'` scripts
/// right after the command that runs them, and its pipelines as ranges of `commands`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    commands: Vec<Command>,
    pipelines: Vec<Range<usize>>,
}

/// A simple command: its words (assignments and reserved words at the front are still in
/// `words`; use [`Command::program_index`]) and redirections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    /// How many `sh -c` levels deep this command is (0 for the script itself).
    pub depth: u8,
    /// The control operator before this command in its own script: `Start` for the first
    /// command; the operator joining it to the command before (`a && b`: `AndAnd`), where a
    /// newline after `&&`, `||`, `|`, `;`, `&` or `(` (a continued list) does not count.
    pub preceded_by: Separator,
    /// Index of the program word, computed once when the command is complete.
    program_at: Option<u32>,
}

/// A control operator between two commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Separator {
    /// The first command of its script.
    #[default]
    Start,
    /// `&&`
    AndAnd,
    /// `||`
    OrOr,
    /// `;`
    Semicolon,
    /// A line break.
    Newline,
    /// `|` or `|&`
    Pipe,
    /// `&`
    Background,
    /// `(` or `)`
    Subshell,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// `>`, `>>`, `<`, `&>`, `2>` …
    pub op: compact_str::CompactString,
    pub target: Word,
}

const SHELLS: [&str; 7] = ["sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"];
const PREFIX_WORDS: [&str; 12] =
    ["if", "then", "else", "elif", "do", "while", "until", "!", "time", "exec", "command", "nohup"];

impl Command {
    pub fn new(words: Vec<Word>, redirects: Vec<Redirect>, depth: u8) -> Command {
        let mut c = Command { words, redirects, depth, preceded_by: Separator::Start, program_at: None };
        c.program_at = c.find_program().map(|i| i as u32);
        c
    }

    /// Index of the word that names the program: after `VAR=value` assignments, reserved
    /// words (`if`, `then`, `do`, …), and wrappers (`sudo [-flags]`, `env [VAR=…]`).
    pub fn program_index(&self) -> Option<usize> {
        self.program_at.map(|i| i as usize)
    }

    fn find_program(&self) -> Option<usize> {
        let mut i = 0;
        while i < self.words.len() {
            let w = &self.words[i].value;
            if is_assignment(w) || PREFIX_WORDS.contains(&w.as_str()) {
                i += 1;
            } else if w == "sudo" || w == "env" {
                i += 1;
                while i < self.words.len() {
                    let v = &self.words[i].value;
                    if v.starts_with('-') {
                        // sudo -u user: the flag takes a value
                        let takes_value = matches!(v.as_str(), "-u" | "-g" | "-C" | "-h" | "-p" | "-U" | "-r" | "-t");
                        i += if takes_value { 2 } else { 1 };
                    } else if is_assignment(v) {
                        i += 1;
                    } else {
                        break;
                    }
                }
            } else {
                return Some(i);
            }
        }
        None
    }

    /// The program's base name (`apt-get` for `/usr/bin/apt-get`).
    pub fn program(&self) -> Option<&str> {
        self.program_index().map(|i| basename(&self.words[i].value))
    }

    /// The words after the program.
    pub fn args(&self) -> &[Word] {
        match self.program_index() {
            Some(i) => &self.words[i + 1..],
            None => &[],
        }
    }

    /// From the first word to the last word or redirection.
    pub fn range(&self) -> Option<TextRange> {
        let first = self.words.first().map(|w| w.range).or_else(|| self.redirects.first().map(|r| r.target.range))?;
        let last = self.words.iter().map(|w| w.range).chain(self.redirects.iter().map(|r| r.target.range));
        Some(last.fold(first, TextRange::cover))
    }
}

impl Script {
    /// A script of one command (an exec-form `RUN`).
    pub fn single(command: Command) -> Script {
        Script { commands: vec![command], pipelines: std::iter::once(0..1).collect() }
    }

    /// Every command, including those of nested `sh -c` scripts, in source order.
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }

    /// Every pipeline, including those of nested scripts.
    pub fn all_pipelines(&self) -> impl Iterator<Item = &[Command]> {
        self.pipelines.iter().map(|r| &self.commands[r.clone()])
    }

    /// Maps every range through `map` (logical → source offsets).
    pub fn map_ranges(&mut self, map: &dyn Fn(usize) -> usize) {
        let fix = |r: &mut TextRange| {
            let start = map(r.start as usize);
            let end = map(r.end as usize).max(start);
            *r = TextRange::new(start, end);
        };
        for c in &mut self.commands {
            for w in &mut c.words {
                fix(&mut w.range);
            }
            for r in &mut c.redirects {
                fix(&mut r.target.range);
            }
        }
    }
}

pub fn basename(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

pub fn is_assignment(word: &str) -> bool {
    match word.find('=') {
        Some(eq) if eq > 0 => {
            word[..eq].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') && !word.as_bytes()[0].is_ascii_digit()
        }
        _ => false,
    }
}

pub fn is_shell(program: &str) -> bool {
    SHELLS.contains(&program)
}

/// Parses `text` as a shell script.
pub fn parse(text: &str) -> Script {
    parse_depth(text, 0)
}

fn parse_depth(text: &str, depth: u8) -> Script {
    let mut script = Script::default();
    let mut pipeline: Vec<Command> = Vec::new();
    let mut command = Command::default();
    let mut pending_redirect: Option<compact_str::CompactString> = None;
    // The operator before the next command; `None` right after a command.
    let mut pending_separator = Some(Separator::Start);
    let finish_command =
        |pipeline: &mut Vec<Command>, command: &mut Command, pending_separator: &mut Option<Separator>| {
            if !command.words.is_empty() || !command.redirects.is_empty() {
                let c = std::mem::take(command);
                let mut c = Command::new(c.words, c.redirects, depth);
                c.preceded_by = pending_separator.take().unwrap_or_default();
                pipeline.push(c);
            }
        };
    // A newline after another operator continues the list; any other operator wins.
    let note_separator = |pending_separator: &mut Option<Separator>, s: Separator| {
        if s != Separator::Newline || pending_separator.is_none() {
            *pending_separator = Some(s);
        }
    };
    // A finished pipeline goes in, followed by the scripts its commands run with `sh -c`.
    let finish_pipeline = |script: &mut Script, pipeline: &mut Vec<Command>| {
        if pipeline.is_empty() {
            return;
        }
        let nested: Vec<Script> = if depth < 4 {
            pipeline.iter().filter_map(|c| nested_script(c, text, depth)).collect()
        } else {
            Vec::new()
        };
        let start = script.commands.len();
        script.commands.append(pipeline);
        script.pipelines.push(start..script.commands.len());
        for n in nested {
            let base = script.commands.len();
            script.pipelines.extend(n.pipelines.into_iter().map(|r| r.start + base..r.end + base));
            script.commands.extend(n.commands);
        }
    };
    for token in lex(text) {
        match token {
            Token::Word(w) => match pending_redirect.take() {
                Some(op) => command.redirects.push(Redirect { op, target: w }),
                None => command.words.push(w),
            },
            Token::Redirect(op) => pending_redirect = Some(op),
            Token::Pipe => {
                finish_command(&mut pipeline, &mut command, &mut pending_separator);
                note_separator(&mut pending_separator, Separator::Pipe);
            }
            Token::Separator(s) => {
                finish_command(&mut pipeline, &mut command, &mut pending_separator);
                finish_pipeline(&mut script, &mut pipeline);
                note_separator(&mut pending_separator, s);
            }
        }
    }
    finish_command(&mut pipeline, &mut command, &mut pending_separator);
    finish_pipeline(&mut script, &mut pipeline);
    script
}

/// `sh -c 'script'`, `bash -ec "script"`, `su -c '…'`: the script argument parsed, with
/// ranges inside the quoted word.
fn nested_script(command: &Command, text: &str, depth: u8) -> Option<Script> {
    let program = command.program()?;
    if !is_shell(program) && program != "su" {
        return None;
    }
    let args = command.args();
    let c_flag = args
        .iter()
        .position(|w| w.value.starts_with('-') && !w.value.starts_with("--") && w.value[1..].contains('c'))?;
    let script_word = args.get(c_flag + 1)?;
    let raw = &text[script_word.range.as_range()];
    let (inner, offset) = match raw.as_bytes().first() {
        Some(&q @ (b'\'' | b'"')) if raw.len() >= 2 && raw.as_bytes()[raw.len() - 1] == q => {
            (&raw[1..raw.len() - 1], script_word.range.start as usize + 1)
        }
        // Unterminated (`sh -c 'é`): everything after the quote.
        Some(b'\'' | b'"') => (&raw[1..], script_word.range.start as usize + 1),
        _ => (raw, script_word.range.start as usize),
    };
    let mut nested = parse_depth(inner, depth + 1);
    let limit = script_word.range.end as usize;
    nested.map_ranges(&|o| (o + offset).min(limit));
    Some(nested)
}

enum Token {
    Word(Word),
    Redirect(compact_str::CompactString),
    Pipe,
    Separator(Separator),
}

fn lex(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'\n' | b';' | b'(' | b')' => {
                tokens.push(Token::Separator(match b {
                    b'\n' => Separator::Newline,
                    b';' => Separator::Semicolon,
                    _ => Separator::Subshell,
                }));
                i += 1;
            }
            b'&' => {
                if bytes.get(i + 1) == Some(&b'>') {
                    let len = if bytes.get(i + 2) == Some(&b'>') { 3 } else { 2 };
                    tokens.push(Token::Redirect(text[i..i + len].into()));
                    i += len;
                } else {
                    let and_and = bytes.get(i + 1) == Some(&b'&');
                    tokens.push(Token::Separator(if and_and { Separator::AndAnd } else { Separator::Background }));
                    i += if and_and { 2 } else { 1 };
                }
            }
            b'|' => {
                if bytes.get(i + 1) == Some(&b'|') {
                    tokens.push(Token::Separator(Separator::OrOr));
                    i += 2;
                } else {
                    tokens.push(Token::Pipe);
                    i += if bytes.get(i + 1) == Some(&b'&') { 2 } else { 1 };
                }
            }
            b'>' | b'<' if bytes.get(i + 1) == Some(&b'(') => {
                // Process substitution `<(…)` is one word.
                let end = matching_paren(text, i + 1);
                tokens.push(Token::Word(Word::new(TextRange::new(i, end), &text[i..end])));
                i = end;
            }
            b'>' | b'<' => {
                let mut len = 1;
                while len < 3 && matches!(bytes.get(i + len), Some(b'>' | b'<' | b'&' | b'|')) {
                    len += 1;
                }
                tokens.push(Token::Redirect(text[i..i + len].into()));
                i += len;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {
                // A file-descriptor number directly before a redirection (`2>`) is part of it.
                let digits = bytes[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                if digits > 0 && matches!(bytes.get(i + digits), Some(b'>' | b'<')) {
                    let mut len = digits + 1;
                    while len < digits + 3 && matches!(bytes.get(i + len), Some(b'>' | b'&')) {
                        len += 1;
                    }
                    tokens.push(Token::Redirect(text[i..i + len].into()));
                    i += len;
                    continue;
                }
                let (word, end) = lex_word(text, i);
                tokens.push(Token::Word(word));
                i = end;
            }
        }
    }
    tokens
}

/// Bytes that end a run of plain word characters.
fn is_special(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\r'
            | b'\n'
            | b';'
            | b'&'
            | b'|'
            | b'<'
            | b'>'
            | b'('
            | b')'
            | b'\\'
            | b'\''
            | b'"'
            | b'$'
            | b'`'
    )
}

fn lex_word(text: &str, start: usize) -> (Word, usize) {
    let bytes = text.as_bytes();
    let mut value = compact_str::CompactString::default();
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => break,
            b'\\' => {
                if let Some(c) = text[i + 1..].chars().next() {
                    if c != '\n' {
                        value.push(c);
                    }
                    i += 1 + c.len_utf8();
                } else {
                    i += 1;
                }
            }
            b'\'' => {
                let end = text[i + 1..].find('\'').map_or(text.len(), |e| i + 1 + e);
                value.push_str(&text[i + 1..end]);
                i = (end + 1).min(text.len());
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' && i + 1 < bytes.len() && matches!(bytes[i + 1], b'"' | b'\\' | b'$' | b'`') {
                        value.push(bytes[i + 1] as char);
                        i += 2;
                    } else if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'(') {
                        let end = matching_paren(text, i + 1);
                        value.push_str(&text[i..end]);
                        i = end;
                    } else {
                        let run = bytes[i + 1..]
                            .iter()
                            .position(|&c| matches!(c, b'"' | b'\\' | b'$'))
                            .map_or(bytes.len(), |p| i + 1 + p);
                        value.push_str(&text[i..run]);
                        i = run;
                    }
                }
                i = (i + 1).min(text.len());
            }
            b'$' if matches!(bytes.get(i + 1), Some(b'(') | Some(b'{')) => {
                let end = if bytes[i + 1] == b'(' {
                    matching_paren(text, i + 1)
                } else {
                    text[i..].find('}').map_or(text.len(), |e| i + e + 1)
                };
                value.push_str(&text[i..end]);
                i = end;
            }
            b'`' => {
                let end = text[i + 1..].find('`').map_or(text.len(), |e| i + 1 + e + 1);
                value.push_str(&text[i..end]);
                i = end;
            }
            _ => {
                // A run of plain characters at once (`$` alone is plain too).
                let run = bytes[i + 1..].iter().position(|&c| is_special(c)).map_or(bytes.len(), |p| i + 1 + p);
                value.push_str(&text[i..run]);
                i = run;
            }
        }
    }
    (Word::new(TextRange::new(start, i), value), i)
}

/// The offset after the `)` matching the `(` at `open` (quotes respected), or the end.
fn matching_paren(text: &str, open: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut i = open;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) if b == b'\\' => i += 1,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' => quote = Some(b),
                b'\\' => i += 1,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> String {
        let script = parse(text);
        let mut out = String::new();
        for p in script.all_pipelines() {
            let cmds: Vec<String> = p
                .iter()
                .map(|c| {
                    let mut s: Vec<String> = c.words.iter().map(|w| w.value.to_string()).collect();
                    for r in &c.redirects {
                        s.push(format!("{}{}", r.op, r.target.value));
                    }
                    s.join(" ")
                })
                .collect();
            out.push_str(&cmds.join(" | "));
            out.push('\n');
        }
        out
    }

    #[test]
    fn operators_quotes_and_nesting() {
        expect_test::expect![[r#"
            apt-get update
            DEBIAN_FRONTEND=noninteractive apt-get install -y curl
            curl -fsSL https://x/install.sh | sh -s -- -y
            echo a b >/data/x 2>&1
            sh -c apt-get install -y git; echo $(date "+%s")
            apt-get install -y git
            echo $(date "+%s")
        "#]]
        .assert_eq(&show(
            "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y curl\n\
             curl -fsSL https://x/install.sh | sh -s -- -y # comment\n\
             echo 'a' \"b\" > /data/x 2>&1\n\
             sh -c 'apt-get install -y git; echo $(date \"+%s\")'",
        ));
    }

    #[test]
    fn program_skips_wrappers() {
        let script = parse("sudo -E env A=1 /usr/bin/pip3 install x");
        let cmd = &script.commands()[0];
        assert_eq!(cmd.program(), Some("pip3"));
        assert_eq!(cmd.args()[0].value, "install");
    }

    #[test]
    fn commands_record_the_operator_before_them() {
        let script = parse("a && b || c; d\ne | f & g\n(h) &&\n  i\n\nsh -c 'j && k'");
        let seen: Vec<String> =
            script.commands().iter().map(|c| format!("{}:{:?}", c.words[0].value, c.preceded_by)).collect();
        assert_eq!(
            seen,
            [
                "a:Start",
                "b:AndAnd",
                "c:OrOr",
                "d:Semicolon",
                "e:Newline",
                "f:Pipe",
                "g:Background",
                "h:Subshell",
                "i:AndAnd",
                "sh:Newline",
                "j:Start",
                "k:AndAnd",
            ]
        );
    }

    #[test]
    fn unterminated_nested_script_ending_in_multibyte_text() {
        let script = parse("sh -c 'echo é");
        assert_eq!(script.commands()[1].words[1].value, "é");
    }

    #[test]
    fn nested_ranges_point_into_the_source() {
        let text = "bash -c \"curl -s https://x | bash\"";
        let script = parse(text);
        let curl = &script.commands()[1].words[0];
        assert_eq!(&text[curl.range.as_range()], "curl");
    }
}
