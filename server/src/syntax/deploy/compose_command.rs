//! `docker compose …` and `docker-compose …` commands in the snippets of a deploy script:
//! wrappers (`sudo`, `env X=1`, `VAR=x`), docker's own flags (`docker --context x compose`),
//! compose's global flags (`-f`, `-p`, `--project-directory` …), the subcommand and its
//! arguments, a `cd DIR` right before, and commands run by `sh -c '…'` and `ssh host '…'`.

use super::Snippet;
use super::snippets::Builder;
use crate::syntax::TextRange;
use crate::syntax::shell::{self, Command, Separator};
use crate::syntax::words::Word;

/// A compose command. Every range is a SOURCE range (into the file the snippets came from);
/// word values are unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeCommand {
    /// Index into the snippets slice given to [`find`].
    pub snippet: usize,
    /// From the program word (`docker`, `docker-compose`) to the last word of the command.
    pub range: TextRange,
    /// `docker-compose` (true) or `docker compose`.
    pub legacy: bool,
    /// Words before the program that belong to it: `VAR=x` assignments, `sudo [flags]`,
    /// `env [VAR=x]` (reserved words such as `if`, `then`, `exec` are not included).
    pub prefix: Vec<Word>,
    /// `docker` or `docker-compose` (as written, possibly a path).
    pub program: Word,
    /// The docker CLI's own flags between `docker` and `compose` (`--context x`).
    pub docker_flags: Vec<Word>,
    /// Compose's global flags, between `compose` (or `docker-compose`) and the subcommand.
    pub global_flags: Vec<Word>,
    /// `-f` / `--file` values, in order.
    pub files: Vec<Word>,
    /// `-p` / `--project-name`.
    pub project_name: Option<Word>,
    /// `--project-directory`.
    pub project_directory: Option<Word>,
    /// DIR of a `cd DIR` joined to this command by `&&`, `;` or a line break, directly before
    /// it in the same script.
    pub cd: Option<Word>,
    /// `up`, `down`, `pull` …
    pub subcommand: Option<Word>,
    /// The words after the subcommand.
    pub args: Vec<Word>,
    /// The control operator before the command in its own script.
    pub preceded_by: Separator,
    /// The host, when the command is in the remote command of `ssh host '…'`.
    pub ssh_host: Option<Word>,
    /// Inside a script run by another command (`sh -c '…'`, `ssh host '…'`).
    pub nested: bool,
    /// Where a command run before this one goes.
    pub(crate) site: InsertSite,
}

/// Where and how a command run before a compose command is inserted: at the command itself,
/// or, for a remote command given to `ssh` as separate words (`ssh host docker compose up`),
/// before the `ssh` command, repeating its words (`ssh host docker compose down && ssh host …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InsertSite {
    /// Source offset of the command's first word (wrappers included).
    pub start: usize,
    pub preceded_by: Separator,
    pub cd: Option<Word>,
    /// The `cd` is the first command of its script (`cd DIR && docker compose …`).
    pub cd_leads: bool,
    pub nested: bool,
    /// Words to write before the new command (`ssh host`), SOURCE ranges.
    pub lead_in: Vec<Word>,
}

impl ComposeCommand {
    /// The subcommand is `subcommand`.
    pub fn is(&self, subcommand: &str) -> bool {
        self.subcommand.as_ref().is_some_and(|w| w.value == subcommand)
    }

    /// The subcommand's arguments have `--long` (also `--long=value`) or `-s` (also inside a
    /// cluster such as `-dV`). Arguments after `--` do not count.
    pub fn has_flag(&self, long: &str, short: Option<char>) -> bool {
        self.args.iter().map(|w| w.value.as_str()).take_while(|v| *v != "--").any(|v| {
            if let Some(name) = v.strip_prefix("--") {
                name == long || name.strip_prefix(long).is_some_and(|r| r.starts_with('='))
            } else if let (Some(cluster), Some(s)) = (v.strip_prefix('-'), short) {
                cluster.chars().take_while(|c| c.is_ascii_alphabetic()).any(|c| c == s)
            } else {
                false
            }
        })
    }

    /// `up -V` / `up --renew-anon-volumes`: anonymous volumes are created afresh.
    pub fn renews_anon_volumes(&self) -> bool {
        self.is("up") && self.has_flag("renew-anon-volumes", Some('V'))
    }

    /// `down -v` / `down --volumes`: named and anonymous volumes are removed.
    pub fn removes_volumes(&self) -> bool {
        self.is("down") && self.has_flag("volumes", Some('v'))
    }

    /// Where the command starts, its wrappers (`sudo`, `env`, `VAR=x`) included.
    pub fn start(&self) -> usize {
        self.prefix.first().map_or(self.range.start, |w| w.range.start) as usize
    }
}

/// Words that control how a command runs rather than belonging to it.
const RESERVED: [&str; 12] =
    ["if", "then", "else", "elif", "do", "while", "until", "!", "time", "exec", "command", "nohup"];

/// Flags of the docker CLI (before `compose`) that take a value.
const DOCKER_VALUE_FLAGS: [&str; 10] =
    ["--config", "-c", "--context", "-H", "--host", "-l", "--log-level", "--tlscacert", "--tlscert", "--tlskey"];

/// Global compose flags (v2 and the legacy v1) that take a value.
const COMPOSE_VALUE_FLAGS: [&str; 18] = [
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--project-directory",
    "--env-file",
    "--profile",
    "--ansi",
    "--progress",
    "--parallel",
    "-c",
    "--context",
    "--log-level",
    "-H",
    "--host",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
];

/// Subcommands that do not act on a project.
const NOT_PROJECT: [&str; 2] = ["version", "help"];

/// Nested remote commands (`ssh h 'ssh g "…"'`) deeper than this are not read.
const MAX_SSH_DEPTH: usize = 4;

/// All compose commands of all snippets, in source order. `docker compose version`, `help`
/// and a bare `docker compose` are not reported: they act on no project.
pub fn find(snippets: &[Snippet]) -> Vec<ComposeCommand> {
    let mut out = Vec::new();
    for (index, snippet) in snippets.iter().enumerate() {
        let script = shell::parse(&snippet.text);
        let to_source = |r: TextRange| snippet.source_range(r);
        let context = Context {
            snippet: index,
            text: &snippet.text,
            to_source: &to_source,
            ssh_host: None,
            ssh_site: None,
            depth: 0,
        };
        collect(&script, &context, &mut out);
    }
    out.sort_by_key(|c| (c.range.start, c.range.end));
    out
}

/// Where a script's text came from.
struct Context<'a> {
    snippet: usize,
    /// The text the script was parsed from.
    text: &'a str,
    /// Its ranges → source ranges.
    to_source: &'a dyn Fn(TextRange) -> TextRange,
    ssh_host: Option<Word>,
    /// For a remote command given as separate words: where the `ssh` command is.
    ssh_site: Option<InsertSite>,
    depth: usize,
}

fn collect(script: &shell::Script, cx: &Context<'_>, out: &mut Vec<ComposeCommand>) {
    let commands = script.commands();
    for (k, command) in commands.iter().enumerate() {
        if cx.depth < MAX_SSH_DEPTH
            && command.program() == Some("ssh")
            && let Some((host, remote)) = ssh_remote(command, cx.text)
        {
            let nested = Snippet::new(remote.text.text, remote.text.map, super::InsertStyle::AndChain, 0);
            let inner = shell::parse(&nested.text);
            let to_source = |r: TextRange| (cx.to_source)(nested.source_range(r));
            let host = map_word(host, cx.to_source);
            let ssh_site = (remote.words > 1).then(|| site(commands, k, cx));
            let context = Context {
                snippet: cx.snippet,
                text: &nested.text,
                to_source: &to_source,
                ssh_host: Some(host),
                ssh_site,
                depth: cx.depth + 1,
            };
            collect(&inner, &context, out);
        }
        if let Some(c) = compose_command(commands, k, cx) {
            out.push(c);
        }
    }
}

fn map_word(w: &Word, to_source: &dyn Fn(TextRange) -> TextRange) -> Word {
    Word::new(to_source(w.range), w.value.clone())
}

/// The compose command at `commands[k]`, if it is one.
fn compose_command(commands: &[Command], k: usize, cx: &Context<'_>) -> Option<ComposeCommand> {
    let command = &commands[k];
    let p = command.program_index()?;
    let words = &command.words;
    let mut i = p + 1;
    let mut docker_flags = Vec::new();
    let legacy = match command.program()? {
        "docker-compose" => true,
        "docker" => {
            loop {
                let v = words.get(i)?.value.as_str();
                if v == "compose" {
                    docker_flags.extend_from_slice(&words[p + 1..i]);
                    i += 1;
                    break;
                } else if v.starts_with('-') {
                    i += if DOCKER_VALUE_FLAGS.contains(&v) { 2 } else { 1 };
                } else {
                    return None;
                }
            }
            false
        }
        _ => return None,
    };
    let to_source = cx.to_source;
    let mut files = Vec::new();
    let mut project_name = None;
    let mut project_directory = None;
    let flags_start = i;
    while let Some(w) = words.get(i) {
        let v = w.value.as_str();
        if !v.starts_with('-') || v == "-" {
            break;
        }
        let (name, inline) = match v.split_once('=') {
            Some((n, _)) if n.starts_with("--") || n.len() == 2 => (n, true),
            _ => (v, false),
        };
        // `-fcompose.yml`: a short flag with its value attached (`get`: the second byte may be
        // inside a multi-byte character).
        let attached = !inline && !v.starts_with("--") && v.len() > 2 && matches!(v.get(..2), Some("-f" | "-p"));
        let (name, value) = if inline {
            (name, Some(part_after(w, name.len() + 1, cx.text)))
        } else if attached {
            (&v[..2], Some(part_after(w, 2, cx.text)))
        } else if COMPOSE_VALUE_FLAGS.contains(&v) {
            i += 1;
            (v, words.get(i).cloned())
        } else {
            (v, None)
        };
        i += 1;
        let Some(value) = value else { continue };
        let value = map_word(&value, to_source);
        match name {
            "-f" | "--file" => files.push(value),
            "-p" | "--project-name" => project_name = Some(value),
            "--project-directory" => project_directory = Some(value),
            _ => {}
        }
    }
    let global_end = i.min(words.len());
    let subcommand = words.get(global_end);
    if subcommand.is_none_or(|s| NOT_PROJECT.contains(&s.value.as_str())) {
        return None;
    }
    let last = words.last()?;
    let range = to_source(words[p].range.cover(last.range));
    let first_prefix = words[..p].iter().rposition(|w| RESERVED.contains(&w.value.as_str())).map_or(0, |r| r + 1);
    let map_all = |ws: &[Word]| ws.iter().map(|w| map_word(w, to_source)).collect::<Vec<_>>();
    Some(ComposeCommand {
        snippet: cx.snippet,
        range,
        legacy,
        prefix: map_all(&words[first_prefix..p]),
        program: map_word(&words[p], to_source),
        docker_flags: map_all(&docker_flags),
        global_flags: map_all(&words[flags_start..global_end]),
        files,
        project_name,
        project_directory,
        cd: None,
        subcommand: subcommand.map(|w| map_word(w, to_source)),
        args: map_all(&words[(global_end + 1).min(words.len())..]),
        preceded_by: command.preceded_by,
        ssh_host: cx.ssh_host.clone(),
        nested: command.depth > 0 || cx.depth > 0,
        site: InsertSite { lead_in: Vec::new(), ..site(commands, k, cx) },
    })
    .map(|mut c| {
        c.cd = c.site.cd.clone();
        if let Some(ssh) = cx.ssh_site.as_ref().filter(|_| command.depth == 0) {
            // Repeat the `ssh` words up to this command: `ssh host [cd x '&&'] <new>`.
            let lead_in = ssh.lead_in.iter().filter(|w| (w.range.end as usize) <= c.start());
            c.site = InsertSite { lead_in: lead_in.cloned().collect(), ..ssh.clone() };
        }
        c
    })
}

/// The insertion site of `commands[k]` itself; `lead_in` holds all its words.
fn site(commands: &[Command], k: usize, cx: &Context<'_>) -> InsertSite {
    let command = &commands[k];
    let (cd, cd_leads) =
        cd_before(commands, k).map(|(w, leads)| (Some(map_word(&w, cx.to_source)), leads)).unwrap_or((None, false));
    let first = command.program_index().map_or(0, |p| {
        command.words[..p].iter().rposition(|w| RESERVED.contains(&w.value.as_str())).map_or(0, |r| r + 1)
    });
    let words: Vec<Word> = command.words[first..].iter().map(|w| map_word(w, cx.to_source)).collect();
    InsertSite {
        start: words.first().map_or(0, |w| w.range.start as usize),
        preceded_by: command.preceded_by,
        cd,
        cd_leads,
        nested: command.depth > 0 || cx.depth > 0,
        lead_in: words,
    }
}

/// The value of a flag written in one word (`--file=a.yml`, `-fa.yml`): the word's value
/// after `skip` bytes, with a range after the flag name when the word is written plainly.
fn part_after(w: &Word, skip: usize, text: &str) -> Word {
    let value = w.value.get(skip..).unwrap_or("");
    let raw = text.get(w.range.as_range()).unwrap_or("");
    let range = if raw.get(..skip) == w.value.get(..skip) && raw.is_char_boundary(skip) {
        TextRange::new(w.range.start as usize + skip, w.range.end as usize)
    } else {
        w.range
    };
    Word::new(range, value)
}

/// The DIR of a `cd DIR` right before `commands[k]` in its own script (joined by `&&`, `;` or
/// a line break), and whether that `cd` is its script's first command.
fn cd_before(commands: &[Command], k: usize) -> Option<(Word, bool)> {
    let command = &commands[k];
    if !matches!(command.preceded_by, Separator::AndAnd | Separator::Semicolon | Separator::Newline) {
        return None;
    }
    // Commands of scripts nested in the ones before come between: skip them.
    let before = commands[..k].iter().rev().find(|c| c.depth <= command.depth).filter(|c| c.depth == command.depth)?;
    if before.program() != Some("cd") {
        return None;
    }
    let dir = before.args().iter().find(|w| !w.value.starts_with('-') || w.value == "-")?;
    Some((dir.clone(), before.preceded_by == Separator::Start))
}

/// The host and the remote command of `ssh [options] host command…`, the command read as the
/// remote shell will read it (the local quoting removed), mapped to `text` offsets. Only when
/// the remote command mentions `docker`.
fn ssh_remote<'c>(command: &'c Command, text: &str) -> Option<(&'c Word, Remote)> {
    // ssh options that take a value.
    const VALUE_OPTIONS: &str = "BbcDEeFIiJLlmOoPpQRSWw";
    let args = command.args();
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let v = w.value.as_str();
        if v == "--" {
            i += 1;
            break;
        }
        let Some(cluster) = v.strip_prefix('-').filter(|c| !c.is_empty()) else {
            break;
        };
        i += 1;
        if let Some(at) = cluster.find(|c| VALUE_OPTIONS.contains(c))
            && at + 1 == cluster.len()
        {
            i += 1;
        }
    }
    let host = args.get(i)?;
    let remote = &args[i + 1..];
    if remote.is_empty() || !remote.iter().any(|w| w.value.contains("docker")) {
        return None;
    }
    let mut b = Builder::default();
    for (n, w) in remote.iter().enumerate() {
        if n > 0 {
            b.replace(" ", remote[n - 1].range.end as usize, w.range.start as usize);
        }
        unquote(text, w.range, &mut b);
    }
    Some((host, Remote { text: b, words: remote.len() }))
}

/// A remote command: its text as the remote shell reads it, and how many local words it was.
struct Remote {
    text: Builder,
    words: usize,
}

/// The text of a shell word as the shell reads it (quotes removed, escapes read; `$…` kept),
/// added to `b` with its map.
fn unquote(text: &str, range: TextRange, b: &mut Builder) {
    let bytes = text.as_bytes();
    let end = (range.end as usize).min(text.len());
    let mut i = range.start as usize;
    let mut run = i;
    let mut quote: Option<u8> = None;
    while i < end {
        let c = bytes[i];
        match (quote, c) {
            (None, b'\'' | b'"') | (Some(b'"'), b'"') => {
                b.copy(text, run, i);
                quote = if quote.is_some() { None } else { Some(c) };
                i += 1;
                run = i;
            }
            (Some(b'\''), b'\'') => {
                b.copy(text, run, i);
                quote = None;
                i += 1;
                run = i;
            }
            (Some(b'\''), _) => i += 1,
            (_, b'\\') if i + 1 < end => {
                let next = bytes[i + 1];
                let escaped = quote.is_none() || matches!(next, b'"' | b'\\' | b'$' | b'`' | b'\n');
                if escaped && next.is_ascii() {
                    b.copy(text, run, i);
                    let s = if next == b'\n' { "" } else { &text[i + 1..i + 2] };
                    b.replace(s, i, i + 2);
                    i += 2;
                    run = i;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    b.copy(text, run, end);
}
