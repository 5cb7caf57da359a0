//! One logical instruction, parsed on its own by `parse-dockerfile` and converted into our
//! owned model. Every range is relative to the instruction's first line start, so a parsed
//! instruction stays valid when an edit elsewhere moves it.

use parse_dockerfile as pd;

use crate::syntax::TextRange;
use crate::syntax::dockerfile::splitter::{continues, line_at};
use crate::syntax::shell::{self, Script};
use crate::syntax::words::{Word, split_words};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
    Unknown,
}

impl Keyword {
    pub fn from_word(word: &str) -> Keyword {
        const ALL: [(&str, Keyword); 18] = [
            ("ADD", Keyword::Add),
            ("ARG", Keyword::Arg),
            ("CMD", Keyword::Cmd),
            ("COPY", Keyword::Copy),
            ("ENTRYPOINT", Keyword::Entrypoint),
            ("ENV", Keyword::Env),
            ("EXPOSE", Keyword::Expose),
            ("FROM", Keyword::From),
            ("HEALTHCHECK", Keyword::Healthcheck),
            ("LABEL", Keyword::Label),
            ("MAINTAINER", Keyword::Maintainer),
            ("ONBUILD", Keyword::Onbuild),
            ("RUN", Keyword::Run),
            ("SHELL", Keyword::Shell),
            ("STOPSIGNAL", Keyword::Stopsignal),
            ("USER", Keyword::User),
            ("VOLUME", Keyword::Volume),
            ("WORKDIR", Keyword::Workdir),
        ];
        ALL.iter().find(|(k, _)| word.eq_ignore_ascii_case(k)).map_or(Keyword::Unknown, |(_, k)| *k)
    }
}

/// `--name[=value]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub range: TextRange,
    pub name: String,
    pub value: Option<Word>,
}

/// `FROM [--platform=…] image [AS name]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct From {
    pub flags: Vec<Flag>,
    pub image: Word,
    pub stage_name: Option<Word>,
}

/// `name[=default]` of an `ARG`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDecl {
    pub name: Word,
    pub default: Option<Word>,
}

/// `key=value` of an `ENV` (also the legacy `ENV key value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvPair {
    pub key: Word,
    pub value: Word,
}

/// `RUN`: its flags and the shell code it runs (command line and shell heredoc bodies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub flags: Vec<Flag>,
    pub exec_form: bool,
    pub heredocs: Vec<Heredoc>,
    pub scripts: Vec<Script>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The body, without the opener line and the delimiter line.
    pub body: TextRange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Path(Word),
    Heredoc(Heredoc),
}

/// `COPY` or `ADD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub flags: Vec<Flag>,
    pub sources: Vec<Source>,
    pub dest: Word,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    From(From),
    Arg(Vec<ArgDecl>),
    Env(Vec<EnvPair>),
    Run(Run),
    Copy(Copy),
    Add(Copy),
    Volume(Vec<Word>),
    Workdir(Word),
    User(Word),
    Onbuild(Box<Instruction>),
    /// Parsed, but nothing driftls reads (`CMD`, `LABEL`, …).
    Other,
    /// Not parseable as written (half-typed, unknown keyword): kept with the reason.
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub keyword: Keyword,
    pub keyword_range: TextRange,
    /// Length of the instruction text, from its first line start to its last line end.
    pub len: u32,
    pub kind: Kind,
}

impl Instruction {
    pub fn flags(&self) -> &[Flag] {
        match &self.kind {
            Kind::From(f) => &f.flags,
            Kind::Run(r) => &r.flags,
            Kind::Copy(c) | Kind::Add(c) => &c.flags,
            _ => &[],
        }
    }

    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags().iter().find(|f| f.name == name)
    }
}

/// Parses one chunk (a logical instruction from the splitter).
pub fn parse_instruction(chunk: &str, escape: char) -> Instruction {
    let prefix = if escape == '`' { "# escape=`\nFROM scratch\n" } else { "FROM scratch\n" };
    let mut full = String::with_capacity(prefix.len() + chunk.len());
    full.push_str(prefix);
    full.push_str(chunk);
    let ctx = Ctx { full: &full, base: prefix.len(), escape };
    let parsed = pd::parse(&full).map_err(|e| e.to_string()).and_then(|mut d| {
        if d.instructions.len() >= 2 { Ok(d.instructions.swap_remove(1)) } else { Err("empty instruction".to_string()) }
    });
    let mut instruction = match parsed {
        Ok(i) => ctx.convert(&i),
        Err(message) => fallback(chunk, escape, &message),
    };
    instruction.len = chunk.len() as u32;
    instruction
}

struct Ctx<'a> {
    full: &'a str,
    base: usize,
    escape: char,
}

impl Ctx<'_> {
    fn range(&self, span: &std::ops::Range<usize>) -> TextRange {
        TextRange::new(span.start.saturating_sub(self.base), span.end.saturating_sub(self.base))
    }

    fn word(&self, s: &pd::UnescapedString<'_>) -> Word {
        Word::new(self.range(&s.span), s.value.as_ref())
    }

    fn flags<'b, 'c: 'b>(&self, flags: impl IntoIterator<Item = &'b pd::Flag<'c>>) -> Vec<Flag> {
        flags
            .into_iter()
            .map(|f| Flag {
                range: self.range(&f.span()),
                name: f.name.value.to_string(),
                value: f.value.as_ref().map(|v| self.word(v)),
            })
            .collect()
    }

    fn convert(&self, instruction: &pd::Instruction<'_>) -> Instruction {
        use pd::Instruction as I;
        let (keyword, kw_span, kind) = match instruction {
            I::From(f) => (
                Keyword::From,
                &f.from.span,
                Kind::From(From {
                    flags: self.flags(&f.options),
                    image: self.word(&f.image),
                    stage_name: f.as_.as_ref().map(|(_, n)| self.word(n)),
                }),
            ),
            I::Arg(a) => (Keyword::Arg, &a.arg.span, Kind::Arg(self.arg_decls(&a.arguments))),
            I::Env(e) => (Keyword::Env, &e.env.span, Kind::Env(self.env_pairs(&e.arguments))),
            I::Run(r) => (Keyword::Run, &r.run.span, Kind::Run(self.run(r))),
            I::Copy(c) => (
                Keyword::Copy,
                &c.copy.span,
                Kind::Copy(Copy {
                    flags: self.flags(&c.options),
                    sources: c.src.iter().map(|s| self.source(s)).collect(),
                    dest: self.word(&c.dest),
                }),
            ),
            I::Add(c) => (
                Keyword::Add,
                &c.add.span,
                Kind::Add(Copy {
                    flags: self.flags(&c.options),
                    sources: c.src.iter().map(|s| self.source(s)).collect(),
                    dest: self.word(&c.dest),
                }),
            ),
            I::Volume(v) => {
                let words = match &v.arguments {
                    pd::JsonOrStringArray::Json(j) => j.value.iter().map(|w| self.word(w)).collect(),
                    pd::JsonOrStringArray::String(s) => s.iter().map(|w| self.word(w)).collect(),
                };
                (Keyword::Volume, &v.volume.span, Kind::Volume(words))
            }
            I::Workdir(w) => (Keyword::Workdir, &w.workdir.span, Kind::Workdir(self.word(&w.arguments))),
            I::User(u) => (Keyword::User, &u.user.span, Kind::User(self.word(&u.arguments))),
            I::Onbuild(o) => {
                let inner = self.convert(&o.instruction);
                (Keyword::Onbuild, &o.onbuild.span, Kind::Onbuild(Box::new(inner)))
            }
            I::Cmd(c) => (Keyword::Cmd, &c.cmd.span, Kind::Other),
            I::Entrypoint(e) => (Keyword::Entrypoint, &e.entrypoint.span, Kind::Other),
            I::Expose(e) => (Keyword::Expose, &e.expose.span, Kind::Other),
            I::Healthcheck(h) => (Keyword::Healthcheck, &h.healthcheck.span, Kind::Other),
            I::Label(l) => (Keyword::Label, &l.label.span, Kind::Other),
            I::Maintainer(m) => (Keyword::Maintainer, &m.maintainer.span, Kind::Other),
            I::Shell(s) => (Keyword::Shell, &s.shell.span, Kind::Other),
            I::Stopsignal(s) => (Keyword::Stopsignal, &s.stopsignal.span, Kind::Other),
            _ => {
                return Instruction {
                    keyword: Keyword::Unknown,
                    keyword_range: TextRange::default(),
                    len: 0,
                    kind: Kind::Other,
                };
            }
        };
        Instruction { keyword, keyword_range: self.range(kw_span), len: 0, kind }
    }

    fn source(&self, source: &pd::Source<'_>) -> Source {
        match source {
            pd::Source::Path(p) => Source::Path(self.word(p)),
            pd::Source::HereDoc(h) => Source::Heredoc(Heredoc { body: self.range(&h.span) }),
            _ => Source::Path(Word::new(TextRange::default(), "")),
        }
    }

    fn arg_decls(&self, args: &pd::UnescapedString<'_>) -> Vec<ArgDecl> {
        let start = args.span.start;
        let raw = &self.full[args.span.clone()];
        split_words(&blank_continuations(raw, self.escape), start - self.base, self.escape)
            .into_iter()
            .map(|w| {
                let raw_word = &self.full[w.range.shift(self.base).as_range()];
                match (w.value.find('='), raw_word.find('=')) {
                    (Some(eq), Some(raw_eq)) => ArgDecl {
                        name: Word::new(
                            TextRange::new(w.range.start as usize, w.range.start as usize + raw_eq),
                            &w.value[..eq],
                        ),
                        default: Some(Word::new(
                            TextRange::new(w.range.start as usize + raw_eq + 1, w.range.end as usize),
                            &w.value[eq + 1..],
                        )),
                    },
                    _ => ArgDecl { name: w, default: None },
                }
            })
            .collect()
    }

    fn env_pairs(&self, args: &pd::UnescapedString<'_>) -> Vec<EnvPair> {
        let raw = &self.full[args.span.clone()];
        let rel = args.span.start - self.base;
        let words = split_words(&blank_continuations(raw, self.escape), rel, self.escape);
        let Some(first) = words.first() else {
            return Vec::new();
        };
        if !first.value.contains('=') {
            // Legacy form: `ENV key the rest of the line`.
            let value_start = words.get(1).map_or(first.range.end, |w| w.range.start) as usize;
            let value_raw = raw[value_start - rel..].trim_end();
            return vec![EnvPair {
                key: first.clone(),
                value: Word::new(TextRange::new(value_start, value_start + value_raw.len()), value_raw),
            }];
        }
        words
            .into_iter()
            .filter_map(|w| {
                let raw_word = &self.full[w.range.shift(self.base).as_range()];
                let eq = w.value.find('=')?;
                let raw_eq = raw_word.find('=')?;
                Some(EnvPair {
                    key: Word::new(
                        TextRange::new(w.range.start as usize, w.range.start as usize + raw_eq),
                        &w.value[..eq],
                    ),
                    value: Word::new(
                        TextRange::new(w.range.start as usize + raw_eq + 1, w.range.end as usize),
                        &w.value[eq + 1..],
                    ),
                })
            })
            .collect()
    }

    fn run(&self, r: &pd::RunInstruction<'_>) -> Run {
        let heredocs: Vec<Heredoc> = r.here_docs.iter().map(|h| Heredoc { body: self.range(&h.span) }).collect();
        let mut scripts = Vec::new();
        let exec_form = matches!(r.arguments, pd::Command::Exec(_));
        match &r.arguments {
            pd::Command::Shell(s) => {
                let (logical, map) = logical_text(s.value, self.escape);
                let mut script = shell::parse(&logical);
                let base = s.span.start - self.base;
                script.map_ranges(&|o| base + map_offset(&map, o));
                let runs_heredoc_as_script = script_program_is_bare_shell(&script);
                scripts.push(script);
                if runs_heredoc_as_script {
                    for h in &heredocs {
                        let body = &self.full[h.body.shift(self.base).as_range()];
                        let mut script = shell::parse(body);
                        let base = h.body.start as usize;
                        script.map_ranges(&|o| base + o);
                        scripts.push(script);
                    }
                }
            }
            pd::Command::Exec(e) => scripts.push(self.exec_script(&e.value)),
            _ => {}
        }
        Run { flags: self.flags(&r.options), exec_form, heredocs, scripts }
    }

    /// `["sh", "-c", "script"]` runs the script; any other exec form is one command.
    fn exec_script(&self, argv: &[pd::UnescapedString<'_>]) -> Script {
        let words: Vec<Word> = argv.iter().map(|w| self.word(w)).collect();
        let program = words.first().map(|w| shell::basename(&w.value));
        if program.is_some_and(shell::is_shell)
            && let Some(c) = words.iter().position(|w| w.value.starts_with('-') && w.value[1..].contains('c'))
            && let Some(code) = words.get(c + 1)
        {
            let mut script = shell::parse(&code.value);
            let (start, end) = (code.range.start as usize, code.range.end as usize);
            let exact = code.value.len() == code.range.len();
            script.map_ranges(&|o| {
                if exact { start + o } else { (start + o).min(end) }
            });
            return script;
        }
        Script::single(shell::Command::new(words, Vec::new(), 0))
    }
}

/// True when the command line is empty or only a shell (`RUN <<EOF`, `RUN bash -e <<EOF`):
/// then heredoc bodies are scripts. `RUN python3 <<EOF` feeds a non-shell.
fn script_program_is_bare_shell(script: &Script) -> bool {
    match script.commands() {
        [] => true,
        [only] => {
            only.program().is_some_and(shell::is_shell)
                && only.args().iter().all(|a| a.value.starts_with('-') && !a.value.contains('c'))
        }
        _ => false,
    }
}

/// Instruction text with continuations removed and comment/blank lines inside them dropped,
/// plus a map from logical offsets to offsets in `raw`: `(logical_start, raw_start)` pieces.
pub fn logical_text(raw: &str, escape: char) -> (String, Vec<(usize, usize)>) {
    let mut logical = String::with_capacity(raw.len());
    let mut map = Vec::new();
    let mut pos = 0;
    let mut first = true;
    while pos < raw.len() {
        let (line, next) = line_at(raw, pos);
        let t = line.trim_start();
        if !first && (t.is_empty() || t.starts_with('#')) {
            pos = next;
            continue;
        }
        first = false;
        let cont = continues(line, escape);
        let content = if cont {
            let trimmed = line.trim_end_matches([' ', '\t']);
            &trimmed[..trimmed.len() - escape.len_utf8()]
        } else {
            line
        };
        map.push((logical.len(), pos));
        logical.push_str(content);
        if !cont {
            // A line break that is not a continuation (only inside heredoc-like text).
            if next > pos + line.len() {
                map.push((logical.len(), pos + line.len()));
                logical.push('\n');
            }
        }
        pos = next;
    }
    (logical, map)
}

pub fn map_offset(map: &[(usize, usize)], offset: usize) -> usize {
    match map.binary_search_by(|(l, _)| l.cmp(&offset)) {
        Ok(i) => map[i].1,
        Err(0) => offset,
        Err(i) => map[i - 1].1 + (offset - map[i - 1].0),
    }
}

/// The text with each continuation (escape + line break) and comment line inside it turned
/// into blanks of the same length, so offsets stay put.
fn blank_continuations(raw: &str, escape: char) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pos = 0;
    let mut first = true;
    while pos < raw.len() {
        let (line, next) = line_at(raw, pos);
        let t = line.trim_start();
        let blank_line = !first && (t.is_empty() || t.starts_with('#'));
        first = false;
        if blank_line {
            out.extend(std::iter::repeat_n(' ', raw[pos..next].len()));
        } else if continues(line, escape) {
            let trimmed = line.trim_end_matches([' ', '\t']);
            out.push_str(&trimmed[..trimmed.len() - escape.len_utf8()]);
            out.extend(std::iter::repeat_n(' ', raw[pos..next].len() - (trimmed.len() - escape.len_utf8())));
        } else {
            out.push_str(&raw[pos..next]);
        }
        pos = next;
    }
    out
}

/// When `parse-dockerfile` rejects a chunk, keep what can be read: the keyword, and for a
/// half-typed `FROM` its image word, so the stage structure survives mid-edit.
fn fallback(chunk: &str, escape: char, message: &str) -> Instruction {
    let message = message.split(" at line ").next().unwrap_or(message).to_string();
    let words = split_words(&blank_continuations(chunk, escape), 0, escape);
    let Some(first) = words.first() else {
        return Instruction {
            keyword: Keyword::Unknown,
            keyword_range: TextRange::default(),
            len: 0,
            kind: Kind::Error(message),
        };
    };
    let keyword = Keyword::from_word(&first.value);
    let kind = match keyword {
        Keyword::From => match words[1..].iter().find(|w| !w.value.starts_with("--")) {
            Some(image) => {
                let after: Vec<&Word> = words.iter().skip_while(|w| w.range != image.range).skip(1).collect();
                let stage_name = match after.as_slice() {
                    [as_kw, name, ..] if as_kw.value.eq_ignore_ascii_case("as") => Some((*name).clone()),
                    _ => None,
                };
                Kind::From(From { flags: Vec::new(), image: image.clone(), stage_name })
            }
            None => Kind::Error(message),
        },
        _ => Kind::Error(message),
    };
    Instruction { keyword, keyword_range: first.range, len: 0, kind }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_text_maps_back() {
        let raw = "apt-get update && \\\n  # c\n\n  apt-get install x";
        let (logical, map) = logical_text(raw, '\\');
        assert_eq!(logical, "apt-get update &&   apt-get install x");
        let at = logical.find("install").unwrap();
        assert_eq!(&raw[map_offset(&map, at)..map_offset(&map, at) + 7], "install");
    }

    #[test]
    fn half_typed_from_keeps_image() {
        let i = parse_instruction("FROM ubuntu AS", '\\');
        let Kind::From(f) = &i.kind else { panic!("{i:?}") };
        assert_eq!(f.image.value, "ubuntu");
        let i = parse_instruction("FR", '\\');
        assert!(matches!(i.kind, Kind::Error(_)));
    }
}
