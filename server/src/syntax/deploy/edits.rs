//! Text edits next to a compose command, written in the file's own syntax: a command run
//! right before it (a new line, a new recipe line, or `new && ` in the same list), or a flag
//! after its subcommand.

use super::compose_command::ComposeCommand;
use super::{InsertStyle, Snippet};
use crate::syntax::TextRange;
use crate::syntax::shell::Separator;
use crate::syntax::words::Word;

/// Replace `range` (SOURCE offsets) with `new_text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub range: TextRange,
    pub new_text: String,
}

impl TextEdit {
    /// `text` with the edit applied (the range clamped to the text).
    pub fn apply(&self, text: &str) -> String {
        let end = (self.range.end as usize).min(text.len());
        let start = (self.range.start as usize).min(end);
        let mut out = String::with_capacity(text.len() + self.new_text.len());
        out.push_str(&text[..start]);
        out.push_str(&self.new_text);
        out.push_str(&text[end..]);
        out
    }
}

/// The command text that runs `subcommand_and_flags` for the same project as `cmd`: the same
/// wrappers (`sudo`, `VAR=x`), program form (`docker compose` / `docker-compose`), docker flags
/// and global compose flags (`-f`, `-p`, `--project-directory`, `--env-file` …), each word as
/// written in `source` (so quoting and escaping fit where the command is), e.g.
/// `docker compose -f compose.prod.yaml -p shop down -v`.
pub fn companion_command(cmd: &ComposeCommand, source: &str, subcommand_and_flags: &str) -> String {
    let mut parts: Vec<&str> = cmd.prefix.iter().map(|w| raw(w, source)).collect();
    parts.push(raw(&cmd.program, source));
    parts.extend(cmd.docker_flags.iter().map(|w| raw(w, source)));
    if !cmd.legacy {
        parts.push("compose");
    }
    parts.extend(cmd.global_flags.iter().map(|w| raw(w, source)));
    let tail = subcommand_and_flags.trim();
    if !tail.is_empty() {
        parts.push(tail);
    }
    parts.join(" ")
}

/// A word as written in the source (its value if the range does not fit the source).
fn raw<'a>(w: &'a Word, source: &'a str) -> &'a str {
    source.get(w.range.as_range()).unwrap_or(w.value.as_str())
}

/// An edit that runs `new_command` (inserted as given: build it with [`companion_command`])
/// right before `cmd`, in its snippet's style:
/// - `AndChain`: `new_command && ` at the command's start (after a `cd DIR && ` before it, so
///   `cd /srv/x && docker compose down && docker compose up -d`);
/// - `Lines`: a new line `<same indentation>new_command` before the command's line, or
///   `AndChain` when the command is not first on its line or is joined to the one before by
///   `&&`, `||` or `|`;
/// - `MakeRecipe`: a new recipe line `\t[@/-/+][cd DIR && ]new_command` before the recipe line,
///   or `AndChain` when other commands than a leading `cd DIR` come before it on its line or
///   the command runs inside another (`sh -c`, `ssh`).
///
/// A command in a remote command given to `ssh` as separate words (`ssh host docker compose up`,
/// where `&&` would run locally) gets its own `ssh` in front, placed before the `ssh` command:
/// `ssh host docker compose down && ssh host docker compose up`.
pub fn insert_before(snippets: &[Snippet], source: &str, cmd: &ComposeCommand, new_command: &str) -> TextEdit {
    let site = &cmd.site;
    let new_command = if site.lead_in.is_empty() {
        new_command.to_string()
    } else {
        let mut parts: Vec<&str> = site.lead_in.iter().map(|w| raw(w, source)).collect();
        parts.push(new_command);
        parts.join(" ")
    };
    let mut at = site.start.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    let and_chain = TextEdit { range: TextRange::empty(at), new_text: format!("{new_command} && ") };
    let Some(snippet) = snippets.get(cmd.snippet) else {
        return and_chain;
    };
    match snippet.style {
        InsertStyle::AndChain => and_chain,
        InsertStyle::Lines => {
            if matches!(site.preceded_by, Separator::AndAnd | Separator::OrOr | Separator::Pipe) {
                return and_chain;
            }
            let line_start = source[..at].rfind('\n').map_or(0, |n| n + 1);
            let indent = &source[line_start..at];
            if !indent.bytes().all(|b| b == b' ' || b == b'\t') {
                return and_chain;
            }
            TextEdit {
                range: TextRange::empty(line_start),
                new_text: format!("{indent}{new_command}{}", line_break(source, at)),
            }
        }
        InsertStyle::MakeRecipe => {
            let Some(recipe) = snippet.recipe().filter(|_| !site.nested) else {
                return and_chain;
            };
            let cd = match (&site.preceded_by, &site.cd) {
                (Separator::Start, _) => String::new(),
                (_, Some(dir)) if site.cd_leads => format!("cd {} && ", raw(dir, source)),
                _ => return and_chain,
            };
            let line_start = recipe.line_start.min(source.len());
            if !source.is_char_boundary(line_start) {
                return and_chain;
            }
            TextEdit {
                range: TextRange::empty(line_start),
                new_text: format!("\t{}{cd}{new_command}{}", recipe.prefix, line_break(source, line_start)),
            }
        }
    }
}

/// The line break of the line holding `at` (or of the line before, on a last line without
/// one): `\r\n` or `\n`.
fn line_break(source: &str, at: usize) -> &'static str {
    let bytes = source.as_bytes();
    let crlf = match source[at..].find('\n') {
        Some(n) => at + n > 0 && bytes[at + n - 1] == b'\r',
        None => {
            source[..at].ends_with("\r\n") || {
                let line_start = source[..at].rfind('\n');
                line_start.is_some_and(|n| n > 0 && bytes[n - 1] == b'\r')
            }
        }
    };
    if crlf { "\r\n" } else { "\n" }
}

/// An edit that adds ` flag` right after the subcommand word (after the command when it has
/// none), e.g. `up --renew-anon-volumes -d`.
pub fn add_flag_after_subcommand(cmd: &ComposeCommand, flag: &str) -> TextEdit {
    let at = cmd.subcommand.as_ref().map_or(cmd.range.end, |w| w.range.end) as usize;
    TextEdit { range: TextRange::empty(at), new_text: format!(" {flag}") }
}
