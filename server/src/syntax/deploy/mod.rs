//! Deploy scripts: the shell code inside shell files, Jenkinsfiles and Makefiles, the
//! `docker compose …` / `docker-compose …` commands in it, and text edits that add a command
//! before one of them or a flag to it, written in the file's own syntax.
//!
//! Shell code is first extracted into [`Snippet`]s (the text the shell sees plus a map back to
//! source offsets, [`snippets`]); [`compose_command::find`] parses them with
//! [`crate::syntax::shell`] and reports every compose command with source ranges;
//! [`edits`] turns a command into edits. Pure: no IO, no protocol types.

pub mod compose_command;
pub mod edits;
mod snippets;
#[cfg(test)]
mod tests;

pub use compose_command::{ComposeCommand, find};
pub use edits::{TextEdit, add_flag_after_subcommand, companion_command, insert_before};

/// What kind of deploy script a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScriptKind {
    Shell,
    Jenkinsfile,
    Makefile,
}

/// The kind of deploy script from the file name first (`*.sh`, `*.bash`, `Jenkinsfile`,
/// `Jenkinsfile.*`, `*.jenkinsfile`, `*.groovy` only if named like a Jenkinsfile, `Makefile`,
/// `makefile`, `GNUmakefile`, `*.mk`), then from the editor's language id (`shellscript`, `sh`,
/// `bash`, `groovy`, `jenkinsfile`, `makefile`, `make`). `file_name` may be a path.
pub fn script_kind(file_name: &str, language_id: Option<&str>) -> Option<ScriptKind> {
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let lower = name.to_ascii_lowercase();
    let extension = lower.rsplit_once('.').map(|(_, e)| e);
    if matches!(extension, Some("sh" | "bash")) {
        return Some(ScriptKind::Shell);
    }
    if lower == "jenkinsfile"
        || lower.starts_with("jenkinsfile.")
        || extension == Some("jenkinsfile")
        || (extension == Some("groovy") && lower.contains("jenkinsfile"))
    {
        return Some(ScriptKind::Jenkinsfile);
    }
    if matches!(name, "Makefile" | "makefile" | "GNUmakefile") || extension == Some("mk") {
        return Some(ScriptKind::Makefile);
    }
    if extension == Some("groovy") {
        // Other Groovy code is not a pipeline.
        return None;
    }
    match language_id? {
        "shellscript" | "sh" | "bash" => Some(ScriptKind::Shell),
        "groovy" | "jenkinsfile" => Some(ScriptKind::Jenkinsfile),
        "makefile" | "make" => Some(ScriptKind::Makefile),
        _ => None,
    }
}

/// How to run a new command right before a command of a snippet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InsertStyle {
    /// A new line at the same indentation as the command's line (shell files, multi-line
    /// strings such as Groovy `'''` or `"""`, YAML block scalars). Falls back to `AndChain`
    /// when the command is not first on its line or is joined to the command before by `&&`,
    /// `||` or `|`.
    Lines,
    /// A one-line string: `<new command> && ` before the command (Jenkins
    /// `sh 'docker compose up -d'`, `sshCommand … command: "cd /srv/x && docker compose up -d"`).
    AndChain,
    /// A Makefile recipe line: a new recipe line before it, indented with a TAB, with the same
    /// `@`/`-`/`+` prefix and the same `cd DIR &&` if the command had one on its line.
    MakeRecipe,
}

/// A piece of shell code inside a file: the text the shell sees, a map back to source offsets,
/// how to insert a new command next to a command in it, and a group id (commands of one group
/// run as one script: a whole shell file, a whole Jenkinsfile, one Makefile rule's recipe).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    /// `(text offset, source offset)` anchors, sorted; see [`Snippet::new`].
    map: Vec<(usize, usize)>,
    pub style: InsertStyle,
    pub group: usize,
    /// For `MakeRecipe`: where the recipe line starts in the source (its TAB) and the `@`, `-`,
    /// `+` characters make strips from its front.
    recipe: Option<Recipe>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recipe {
    pub line_start: usize,
    pub prefix: String,
}

impl Snippet {
    /// A snippet from its text and a map of `(text offset, source offset)` anchors, sorted by
    /// text offset. A text offset maps to the source offset of the last anchor at or before it
    /// plus the distance from that anchor: text copied verbatim needs one anchor per run.
    /// Where the source has bytes the text lacks (an escape `\"` read as `"`, stripped
    /// indentation), start a new run with a new anchor; two anchors at the same text offset
    /// say where the run before ends and where the next one starts, so that a range ending
    /// there ends before the skipped bytes (an escape: `(k, b), (k + 1, b + 2)`).
    /// An empty map means the text is the source from offset 0.
    pub fn new(text: String, map: Vec<(usize, usize)>, style: InsertStyle, group: usize) -> Snippet {
        debug_assert!(map.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1), "unsorted snippet map");
        let map = if map.is_empty() { vec![(0, 0)] } else { map };
        Snippet { text, map, style, group, recipe: None }
    }

    pub(crate) fn with_recipe(mut self, line_start: usize, prefix: &str) -> Snippet {
        self.recipe = Some(Recipe { line_start, prefix: prefix.to_string() });
        self
    }

    pub(crate) fn recipe(&self) -> Option<&Recipe> {
        self.recipe.as_ref()
    }

    /// The source offset of a text offset, as the start of a range.
    pub fn source_offset(&self, offset_in_text: usize) -> usize {
        let t = offset_in_text.min(self.text.len());
        let i = self.map.partition_point(|&(a, _)| a <= t);
        match i.checked_sub(1).map(|i| self.map[i]) {
            Some((a, s)) => s + (t - a),
            None => t + self.map.first().map_or(0, |&(a, s)| s.saturating_sub(a)),
        }
    }

    /// The source offset of a text offset, as the end of a range: before the source bytes
    /// skipped at that point.
    pub fn source_end(&self, offset_in_text: usize) -> usize {
        let t = offset_in_text.min(self.text.len());
        let first_at = self.map.partition_point(|&(a, _)| a < t);
        match self.map.get(first_at) {
            Some(&(a, s)) if a == t => s,
            _ => self.source_offset(t),
        }
    }

    /// A text range in source offsets.
    pub fn source_range(&self, range: crate::syntax::TextRange) -> crate::syntax::TextRange {
        let start = self.source_offset(range.start as usize);
        let end = if range.is_empty() { start } else { self.source_end(range.end as usize) };
        crate::syntax::TextRange::new(start, end.max(start))
    }
}

/// The shell code of a file of `kind`, in source order.
pub fn snippets(kind: ScriptKind, text: &str) -> Vec<Snippet> {
    match kind {
        ScriptKind::Shell => snippets::shell(text),
        ScriptKind::Jenkinsfile => snippets::jenkinsfile(text),
        ScriptKind::Makefile => snippets::makefile(text),
    }
}
