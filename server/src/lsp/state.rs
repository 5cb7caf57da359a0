//! The server's state: open documents, settings, and which documents need a fresh analysis.
//! Held under a `std::sync::Mutex` that is never kept across an `.await`.

use std::collections::HashMap;
use std::path::PathBuf;

use ropey::Rope;
use tower_lsp_server::ls_types::Uri;

use crate::analysis::image_facts::Asked;
use crate::analysis::memo::DockerfileMemo;
use crate::analysis::settings::{ConfigProblem, RuleSettings, parse_project_settings};
use crate::analysis::workspace::Workspace;
use crate::analysis::{Diagnostic, ImageFacts, diagnostics};
use crate::lsp::config::EditorSettings;
use crate::lsp::document::Document;
use crate::lsp::lookups::Lookups;
use crate::lsp::rendered::{EditLog, Rendered};
use crate::syntax::dockerfile::Dockerfile;
use crate::syntax::file_kind::{FileKind, SETTINGS_FILE};
use crate::text::Encoding;

/// Documents larger than this are not analysed; one information diagnostic says so.
pub const MAX_ANALYZED_BYTES: usize = 8 * 1024 * 1024;

/// `.driftls.toml` of the workspace root, from disk or from the editor when open.
#[derive(Debug, Default)]
pub struct ProjectSettings {
    pub uri: Option<Uri>,
    pub rope: Rope,
    pub settings: RuleSettings,
    pub problems: Vec<ConfigProblem>,
}

impl ProjectSettings {
    pub fn load(uri: Uri, text: &str) -> ProjectSettings {
        let (settings, problems) = parse_project_settings(text);
        ProjectSettings { uri: Some(uri), rope: Rope::from_str(text), settings, problems }
    }
}

#[derive(Default)]
pub struct State {
    pub encoding: Encoding,
    pub documents: HashMap<String, Document>,
    /// Documents whose diagnostics are out of date, oldest first, without duplicates.
    dirty: Vec<Uri>,
    /// The settings file's diagnostics need publishing.
    pub settings_dirty: bool,
    pub root: Option<PathBuf>,
    pub project: ProjectSettings,
    pub editor: EditorSettings,
    /// What the registry said so far; grows as background lookups answer.
    pub facts: ImageFacts,
    pub lookups: Lookups,
    /// Every file driftls reads in the workspace; open documents override disk. Read it through
    /// [`State::workspace`], which first copies in the documents edited since.
    pub workspace: Workspace,
    /// Open documents whose edits the workspace copy does not have yet (copying a 10,000-line
    /// Dockerfile on every keystroke, for the compose files that may read it, costs more than
    /// analysing the keystroke).
    unsynced: Vec<String>,
    /// Renders numbered so far (a document's edit log names the render it follows).
    renders: u64,
}

/// What an analysis needs, copied out of the state so the lock is not held while it runs.
pub struct Snapshot {
    pub uri: Uri,
    pub version: i32,
    pub kind: FileKind,
    pub rope: Rope,
    pub text: std::sync::Arc<String>,
    pub dockerfile: Option<std::sync::Arc<Dockerfile>>,
    pub path: PathBuf,
    pub settings: RuleSettings,
    /// A recording copy of the state's facts: `asked` says which images analysis looked up.
    pub facts: ImageFacts,
    pub asked: Asked,
    pub workspace: Workspace,
    /// The document's last render, the edits since, and this render's number.
    pub rendered: Option<Rendered>,
    pub edits: EditLog,
    pub render_id: u64,
    /// The Dockerfile analysis memo, handed back to the document after the analysis.
    pub memo: Option<DockerfileMemo>,
}

/// The outcome of analysing a snapshot.
pub enum Analysis {
    Diagnostics(Vec<Diagnostic>),
    TooLarge,
}

impl Snapshot {
    pub fn analyze(&mut self) -> Analysis {
        if self.text.len() > MAX_ANALYZED_BYTES {
            return Analysis::TooLarge;
        }
        match (&self.dockerfile, self.kind) {
            (Some(tree), _) => {
                let memo = self.memo.get_or_insert_with(DockerfileMemo::default);
                let found = diagnostics::dockerfile_incremental(tree, &self.text, &self.facts, &self.settings, memo);
                Analysis::Diagnostics(found)
            }
            (None, FileKind::Compose) => {
                Analysis::Diagnostics(diagnostics::compose(&self.workspace, &self.path, &self.facts, &self.settings))
            }
            (None, FileKind::Script(_) | FileKind::CiYaml(_)) => {
                Analysis::Diagnostics(diagnostics::deploy(&self.workspace, &self.path, &self.facts, &self.settings))
            }
            _ => Analysis::Diagnostics(Vec::new()),
        }
    }
}

impl State {
    pub fn key(uri: &Uri) -> String {
        uri.as_str().to_string()
    }

    pub fn mark_dirty(&mut self, uri: &Uri) {
        if !self.dirty.iter().any(|u| u == uri) {
            self.dirty.push(uri.clone());
        }
    }

    pub fn mark_all_dirty(&mut self) {
        self.mark_documents_dirty();
        self.settings_dirty = true;
    }

    /// Every open document (new image facts can change any of them).
    pub fn mark_documents_dirty(&mut self) {
        let uris: Vec<Uri> = self.documents.values().map(|d| d.uri.clone()).collect();
        for uri in uris {
            self.mark_dirty(&uri);
        }
    }

    pub fn rule_settings(&self) -> RuleSettings {
        self.project.settings.merged(&self.editor.rules)
    }

    /// The next document to analyse, snapshotted; `None` when all are up to date.
    pub fn next_snapshot(&mut self) -> Option<Snapshot> {
        while !self.dirty.is_empty() {
            let uri = self.dirty.remove(0);
            let settings = self.rule_settings();
            self.renders += 1;
            let render_id = self.renders;
            let key = State::key(&uri);
            let Some(kind) = self.documents.get(&key).map(|d| d.kind) else {
                continue;
            };
            let workspace = if kind == FileKind::Dockerfile { Workspace::default() } else { self.workspace().clone() };
            let Some(doc) = self.documents.get_mut(&key) else {
                continue;
            };
            let edits = std::mem::replace(&mut doc.edits, EditLog::since(render_id));
            let (facts, asked) = self.facts.recording();
            return Some(Snapshot {
                uri,
                version: doc.version,
                kind: doc.kind,
                rope: doc.rope.clone(),
                text: doc.text.clone(),
                dockerfile: doc.dockerfile.clone(),
                path: doc.path.clone(),
                settings,
                facts,
                asked,
                workspace,
                rendered: doc.rendered.take(),
                memo: doc.memo.take(),
                edits,
                render_id,
            });
        }
        None
    }

    /// Puts an open document's current text into the workspace, and marks the documents that
    /// read other files (compose files, deploy scripts) when it is one they read.
    pub fn sync_workspace(&mut self, key: &str) {
        let Some(doc) = self.documents.get(key) else { return };
        if !doc.kind.is_relevant() || doc.kind == FileKind::Settings {
            return;
        }
        let kind = doc.kind;
        if !self.unsynced.iter().any(|k| k == key) {
            self.unsynced.push(key.to_string());
        }
        if matches!(kind, FileKind::Dockerfile | FileKind::Compose | FileKind::Env) {
            self.mark_dependents_dirty();
        }
    }

    /// The workspace, with every open document's current text.
    pub fn workspace(&mut self) -> &Workspace {
        for key in std::mem::take(&mut self.unsynced) {
            if let Some(doc) = self.documents.get(&key) {
                self.workspace.insert(doc.source());
            }
        }
        &self.workspace
    }

    /// Compose files and deploy scripts read other files: re-analyse them.
    pub fn mark_dependents_dirty(&mut self) {
        let uris: Vec<Uri> = self
            .documents
            .values()
            .filter(|d| matches!(d.kind, FileKind::Compose | FileKind::Script(_) | FileKind::CiYaml(_)))
            .map(|d| d.uri.clone())
            .collect();
        for uri in uris {
            self.mark_dirty(&uri);
        }
    }

    /// A file on disk changed (or was closed in the editor): read it again unless it is open.
    pub fn reload_from_disk(&mut self, path: &std::path::Path) {
        let open = self.documents.values().any(|d| d.path == path);
        if open {
            return;
        }
        let kind = FileKind::detect(path, None);
        if !kind.is_relevant() {
            return;
        }
        match crate::files::load(path, kind) {
            Ok(file) => self.workspace.insert(file),
            Err(_) => {
                self.workspace.files.remove(path);
            }
        }
        crate::files::check_referenced_paths(&mut self.workspace);
        self.mark_dependents_dirty();
    }

    /// The workspace's settings file path, if there is a workspace.
    pub fn settings_path(&self) -> Option<PathBuf> {
        self.root.as_ref().map(|r| r.join(SETTINGS_FILE))
    }

    /// Whether `uri` is the workspace's settings file.
    pub fn is_settings_file(&self, uri: &Uri) -> bool {
        let path = uri.to_file_path();
        match (path, self.settings_path()) {
            (Some(p), Some(s)) => *p == *s,
            _ => false,
        }
    }

    /// Reads the settings file from the open document or from disk, and marks every document.
    pub fn reload_project_settings(&mut self) {
        let Some(path) = self.settings_path() else {
            return;
        };
        let Some(uri) = Uri::from_file_path(&path) else {
            return;
        };
        let open = self.documents.get(&State::key(&uri)).map(|d| d.text.to_string());
        let text = open.or_else(|| std::fs::read_to_string(&path).ok());
        let old_uri = self.project.uri.clone();
        self.project = match text {
            Some(t) => ProjectSettings::load(uri, &t),
            None => ProjectSettings { uri: old_uri, ..ProjectSettings::default() },
        };
        self.mark_all_dirty();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::document::Document;

    #[test]
    fn a_burst_of_changes_is_analysed_once_with_the_newest_text() {
        let mut state = State::default();
        let uri: Uri = "file:///w/Dockerfile".parse().unwrap();
        state
            .documents
            .insert(State::key(&uri), Document::new(uri.clone(), FileKind::Dockerfile, "FROM a\n".into(), 1));
        for version in 2..=50 {
            state.documents.get_mut(&State::key(&uri)).unwrap().version = version;
            state.mark_dirty(&uri);
        }
        let snapshot = state.next_snapshot().expect("one analysis");
        assert_eq!(snapshot.version, 50);
        assert!(state.next_snapshot().is_none());
    }

    #[test]
    fn closed_documents_are_not_analysed() {
        let mut state = State::default();
        let uri: Uri = "file:///w/Dockerfile".parse().unwrap();
        state
            .documents
            .insert(State::key(&uri), Document::new(uri.clone(), FileKind::Dockerfile, "FROM a\n".into(), 1));
        state.mark_dirty(&uri);
        state.documents.clear();
        assert!(state.next_snapshot().is_none());
    }
}
