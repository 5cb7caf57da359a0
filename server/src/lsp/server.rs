//! The protocol handlers. Each is short: it updates the state under the lock (no `.await`
//! while holding it) and wakes the publisher; nothing here waits on the network.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::Notify;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::lsp::config::{self, RegistryOptions};
use crate::lsp::convert;
use crate::lsp::document::{Change, Document};
use crate::lsp::output::Outbox;
use crate::lsp::publish;
use crate::lsp::rendered::protocol_message;
use crate::lsp::state::State;
use crate::registry::lookup::ImageService;
use crate::syntax::file_kind::{FileKind, SETTINGS_FILE};
use crate::text::Encoding;

/// Shared between the handlers and the publisher task.
pub struct Shared {
    pub client: Client,
    pub state: Mutex<State>,
    /// Wakes the publisher when documents become dirty.
    pub wake: Notify,
    /// Serialises publishing, so a close is never overtaken by a late publish.
    pub publish_lock: tokio::sync::Mutex<()>,
    pub client_caps: Mutex<ClientCapabilities>,
    /// The registry lookups with their caches; replaced when the registry settings change.
    pub registry: Mutex<Arc<ImageService>>,
    /// Notified whenever a background lookup ends (answered or failed).
    pub lookup_done: Notify,
    /// Counts `didChangeConfiguration` notifications. An answer to `workspace/configuration`
    /// applies only if none came after the request: its task may resume after a newer push.
    pub settings_generation: AtomicU64,
    /// Where publishes are written, serialised by us (see `lsp::output`).
    pub outbox: Outbox,
}

impl Shared {
    /// The state; a handler that panicked while holding the lock does not poison the server.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Publishes `diagnostics` of `uri` through the outbox, in order with every other publish.
    pub async fn publish(&self, uri: &Uri, diagnostics: &[Diagnostic], version: Option<i32>) {
        self.outbox.send_body(protocol_message(uri, version, diagnostics)).await;
    }

    /// Sends a notification through the outbox, so it keeps its order with publishes (a log
    /// line about an edit arrives before the diagnostics of that edit).
    pub async fn notify<N: notification::Notification>(&self, params: N::Params) {
        let message = serde_json::json!({ "jsonrpc": "2.0", "method": N::METHOD, "params": params });
        self.outbox.send(message.to_string().into_bytes()).await;
    }

    pub async fn log(&self, level: MessageType, message: impl Into<String>) {
        self.notify::<notification::LogMessage>(LogMessageParams { typ: level, message: message.into() }).await;
    }

    pub async fn show(&self, level: MessageType, message: impl Into<String>) {
        self.notify::<notification::ShowMessage>(ShowMessageParams { typ: level, message: message.into() }).await;
    }

    pub fn registry(&self) -> Arc<ImageService> {
        self.registry.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Applies new registry settings: a new service (new caches and clients) when they differ.
    fn set_registry(&self, options: &RegistryOptions, previous: &RegistryOptions) {
        if options != previous {
            *self.registry.lock().unwrap_or_else(|p| p.into_inner()) =
                Arc::new(ImageService::new(options.lookup_settings()));
        }
    }

    fn caps(&self) -> ClientCapabilities {
        self.client_caps.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

pub struct Server {
    shared: Arc<Shared>,
}

impl Server {
    pub fn new(client: Client, outbox: Outbox) -> Server {
        let shared = Arc::new(Shared {
            client,
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            publish_lock: tokio::sync::Mutex::new(()),
            client_caps: Mutex::new(ClientCapabilities::default()),
            registry: Mutex::new(Arc::new(ImageService::new(RegistryOptions::default().lookup_settings()))),
            lookup_done: Notify::new(),
            settings_generation: AtomicU64::new(0),
            outbox,
        });
        tokio::spawn(publish::run(shared.clone()));
        Server { shared }
    }

    async fn log_all(&self, warnings: Vec<String>) {
        for message in warnings {
            self.shared.log(MessageType::WARNING, message).await;
        }
    }

    /// Pulls the `driftls` section from the client and applies it.
    async fn pull_configuration(shared: Arc<Shared>) {
        let supported = shared.caps().workspace.and_then(|w| w.configuration).unwrap_or(false);
        if !supported {
            return;
        }
        let generation = shared.settings_generation.load(Ordering::SeqCst);
        let item = ConfigurationItem { scope_uri: None, section: Some("driftls".to_string()) };
        match shared.client.configuration(vec![item]).await {
            Ok(values) => {
                let section = values.into_iter().next().unwrap_or(Value::Null);
                // `null`: the client has no `driftls` section (Neovim answers so when only
                // `init_options` are set). The initializationOptions stand; applying `null`
                // would turn an `offline` session online.
                if section.is_null() {
                    let note =
                        "workspace/configuration: the client has no `driftls` section; the initializationOptions stand";
                    shared.log(MessageType::LOG, note).await;
                } else {
                    Server::apply_configuration(&shared, &section, Some(generation)).await;
                }
            }
            Err(e) => shared.log(MessageType::WARNING, format!("workspace/configuration failed: {e}")).await,
        }
    }

    /// Applies a `driftls` settings section; a pulled one (`pulled_at` = the generation when it
    /// was asked for) is dropped when a notification came after it.
    async fn apply_configuration(shared: &Shared, section: &Value, pulled_at: Option<u64>) {
        let (settings, problems) = config::parse(section);
        {
            let mut state = shared.state();
            if pulled_at.is_some_and(|g| g != shared.settings_generation.load(Ordering::SeqCst)) {
                return;
            }
            shared.set_registry(&settings.registry, &state.editor.registry);
            if settings.registry != state.editor.registry {
                state.lookups.reset();
            }
            state.editor = settings;
            state.mark_all_dirty();
        }
        shared.wake.notify_one();
        for p in problems {
            shared.log(MessageType::WARNING, p).await;
        }
    }

    /// Reads every file driftls uses below the workspace root, off the async threads.
    async fn scan_workspace(shared: Arc<Shared>) {
        let Some(root) = shared.state().root.clone() else { return };
        let scanner = shared.clone();
        let scanned = tokio::task::spawn_blocking(move || {
            let mut errors = Vec::new();
            // A file open by now is not read from disk: its document is what counts, and a
            // second parse of a large open file would only raise the peak memory.
            let is_open = |path: &std::path::Path| scanner.state().documents.values().any(|d| d.path == path);
            let files: Vec<_> = crate::files::walk(&root, &mut errors)
                .into_iter()
                .filter(|(path, _)| !is_open(path))
                .filter_map(|(path, kind)| crate::files::load(&path, kind).map_err(|e| errors.push(e)).ok())
                .collect();
            (files, errors)
        })
        .await;
        let Ok((files, errors)) = scanned else { return };
        {
            let mut state = shared.state();
            for file in files {
                let open = state.documents.values().any(|d| d.path == file.path);
                if !open {
                    state.workspace.insert(file);
                }
            }
            crate::files::check_referenced_paths(&mut state.workspace);
            state.mark_all_dirty();
        }
        shared.wake.notify_one();
        for e in errors {
            shared.log(MessageType::INFO, format!("workspace scan: {e}")).await;
        }
    }

    async fn register_watchers(shared: Arc<Shared>) {
        let dynamic = shared
            .caps()
            .workspace
            .and_then(|w| w.did_change_watched_files)
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        if !dynamic {
            return;
        }
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: WATCHED
                .iter()
                .map(|g| g.to_string())
                .chain(std::iter::once(format!("**/{SETTINGS_FILE}")))
                .map(|g| FileSystemWatcher { glob_pattern: GlobPattern::String(g), kind: None })
                .collect(),
        };
        let registration = Registration {
            id: "driftls-watch".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(options).ok(),
        };
        if let Err(e) = shared.client.register_capability(vec![registration]).await {
            shared.log(MessageType::WARNING, format!("could not watch {SETTINGS_FILE}: {e}")).await;
        }
    }
}

impl Server {
    /// "Pin all images in this file": waits for the lookups still running (all at once), then
    /// one edit with every digest known.
    async fn resolve_pin_all(&self, mut action: CodeAction, target: &Value) -> CodeAction {
        let Some(uri) = target["uri"].as_str().and_then(|u| u.parse::<Uri>().ok()) else { return action };
        let (workspace, path, rope, encoding) = {
            let mut state = self.shared.state();
            let workspace = state.workspace().clone();
            let Some(doc) = state.documents.get(&State::key(&uri)) else { return action };
            (workspace, doc.path.clone(), doc.rope.clone(), state.encoding)
        };
        let deadline = self.shared.registry().settings().client.timeout;
        let all = crate::lsp::lookups::with_facts(&self.shared, deadline, |facts| {
            let whole = crate::syntax::TextRange::new(0, workspace.get(&path).map_or(0, |f| f.text.len()));
            // Ask about every image, so that all lookups start together.
            let _ = crate::analysis::pin::pending(&workspace, &path, whole, facts);
            crate::analysis::pin::pin_all(&workspace, &path, facts)
        })
        .await;
        match all {
            Some(fix) => {
                action.title = fix.title;
                action.edit = Some(convert::workspace_edit(&uri, &rope, &fix.edits, encoding));
            }
            None => action.title = "Pin all images: the registry did not answer".into(),
        }
        action
    }

    /// "Pin to the version tag with the same digest": the image's digest (from the facts, or
    /// looked up now), then the repository's tag list and a few `HEAD`s.
    async fn resolve_version_pin(&self, mut action: CodeAction, target: &Value) -> CodeAction {
        let (Some(uri), Some(start), Some(end)) = (
            target["uri"].as_str().and_then(|u| u.parse::<Uri>().ok()),
            target["start"].as_u64().map(|n| n as usize),
            target["end"].as_u64().map(|n| n as usize),
        ) else {
            return action;
        };
        let (value, rope, encoding) = {
            let state = self.shared.state();
            let Some(doc) = state.documents.get(&State::key(&uri)) else { return action };
            let Some(value) = doc.text.get(start..end) else { return action };
            (value.to_string(), doc.rope.clone(), state.encoding)
        };
        let service = self.shared.registry();
        let deadline = service.settings().client.timeout;
        let digest = crate::lsp::lookups::with_facts(&self.shared, deadline, |facts| {
            facts.found(&value).map(|f| f.digest.clone()).filter(|d| !d.is_empty())
        })
        .await;
        let version = match &digest {
            Some(d) => tokio::time::timeout(deadline * 2, service.version_tag(&value, d))
                .await
                .ok()
                .and_then(|r| r.ok())
                .flatten(),
            None => None,
        };
        let written = crate::syntax::TextRange::new(start, end);
        match (digest, version) {
            (Some(digest), Some(version)) => {
                if let Some(edit) = crate::analysis::pin::version_pin_edit(&value, written, &version, &digest) {
                    action.title = format!("Pin to {version}@{}", &digest[..digest.len().min(19)]);
                    action.edit = Some(convert::workspace_edit(&uri, &rope, &[edit], encoding));
                }
            }
            (Some(_), None) => action.title = "No version tag has the same digest".into(),
            (None, _) => action.title = "Pin to a version tag: the registry did not answer".into(),
        }
        action
    }
}

/// The source action that pins every image of a file.
const PIN_ALL_KIND: &str = "source.pinDigests.driftls";

/// Files other files depend on: Dockerfiles, compose files and their `.env`, deploy scripts.
const WATCHED: [&str; 12] = [
    "**/Dockerfile*",
    "**/Containerfile*",
    "**/*.{Dockerfile,dockerfile}",
    "**/{compose,docker-compose}*.{yaml,yml}",
    "**/.env",
    "**/*.{sh,bash}",
    "**/Jenkinsfile*",
    "**/{Makefile,makefile,GNUmakefile}",
    "**/*.mk",
    "**/.github/workflows/*.{yml,yaml}",
    "**/.gitlab-ci.{yml,yaml}",
    "**/.gitlab/ci/*.{yml,yaml}",
];

fn negotiate_encoding(caps: &ClientCapabilities) -> Encoding {
    let offered = caps.general.as_ref().and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(list) if list.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

fn workspace_root(params: &InitializeParams) -> Option<PathBuf> {
    let from_folders = params.workspace_folders.as_ref().and_then(|f| f.first()).and_then(|f| f.uri.to_file_path());
    #[allow(deprecated)]
    let from_root = params.root_uri.as_ref().and_then(|u| u.to_file_path());
    from_folders.or(from_root).map(|p| p.into_owned())
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = negotiate_encoding(&params.capabilities);
        {
            let mut state = self.shared.state();
            state.encoding = encoding;
            state.root = workspace_root(&params);
            state.workspace.root = state.root.clone();
            if let Some(section) = params.initialization_options.as_ref() {
                let (settings, _) = config::parse(section);
                self.shared.set_registry(&settings.registry, &RegistryOptions::default());
                state.editor = settings;
            }
        }
        *self.shared.client_caps.lock().unwrap_or_else(|p| p.into_inner()) = params.capabilities.clone();
        let encoding_kind = match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            _ => PositionEncodingKind::UTF16,
        };
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(encoding_kind),
                text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    ..Default::default()
                })),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                document_link_provider: Some(DocumentLinkOptions {
                    resolve_provider: Some(false),
                    work_done_progress_options: Default::default(),
                }),
                code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                    code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::new(PIN_ALL_KIND)]),
                    resolve_provider: Some(true),
                    ..Default::default()
                })),
                ..Default::default()
            },
            offset_encoding: None,
            server_info: Some(ServerInfo {
                name: "driftls".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.shared.state().reload_project_settings();
        self.shared.wake.notify_one();
        let shared = self.shared.clone();
        tokio::spawn(async move {
            Server::register_watchers(shared.clone()).await;
            Server::pull_configuration(shared.clone()).await;
            Server::scan_workspace(shared).await;
        });
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        {
            let mut state = self.shared.state();
            let path = doc
                .uri
                .to_file_path()
                .map(|p| p.into_owned())
                .unwrap_or_else(|| PathBuf::from(doc.uri.path().as_str()));
            let kind = FileKind::detect(&path, Some(&doc.language_id));
            let key = State::key(&doc.uri);
            state
                .documents
                .insert(key.clone(), Document::new(doc.uri.clone(), kind, doc.text.to_string(), doc.version));
            state.sync_workspace(&key);
            if kind == FileKind::Settings && state.is_settings_file(&doc.uri) {
                state.reload_project_settings();
            }
            state.mark_dirty(&doc.uri);
        }
        self.shared.wake.notify_one();
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let problems = apply_changes(&mut self.shared.state(), params);
        // Log first, so a client sees why before it sees the diagnostics.
        self.log_all(problems).await;
        self.shared.wake.notify_one();
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let was_settings = {
            let mut state = self.shared.state();
            if let Some(doc) = state.documents.remove(&State::key(&uri)) {
                state.reload_from_disk(&doc.path);
            }
            let is_settings = state.is_settings_file(&uri);
            if is_settings {
                // Back to what is on disk.
                state.reload_project_settings();
            }
            is_settings
        };
        if was_settings {
            self.shared.wake.notify_one();
        }
        let _guard = self.shared.publish_lock.lock().await;
        if !was_settings {
            self.shared.publish(&uri, &[], None).await;
        }
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let (workspace, path, rope, range, encoding, facts, uri) = {
            let mut state = self.shared.state();
            let workspace = state.workspace().clone();
            let Some(doc) = state.documents.get(&State::key(&params.text_document.uri)) else { return Ok(None) };
            let start = crate::text::offset(&doc.rope, convert::line_col(params.range.start), state.encoding).offset;
            let end = crate::text::offset(&doc.rope, convert::line_col(params.range.end), state.encoding).offset;
            (
                workspace,
                doc.path.clone(),
                doc.rope.clone(),
                crate::syntax::TextRange::new(start.min(end), end.max(start)),
                state.encoding,
                state.facts.clone(),
                doc.uri.clone(),
            )
        };
        let (facts, asked) = facts.recording();
        let wants = |kind: &CodeActionKind| {
            params.context.only.as_ref().is_none_or(|only| {
                only.iter()
                    .any(|o| kind.as_str() == o.as_str() || kind.as_str().starts_with(&format!("{}.", o.as_str())))
            })
        };
        let (fixes, pin_all, pending, file_pending) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut fixes = crate::analysis::actions::fixes(&workspace, &path, range, &facts);
            fixes.extend(crate::analysis::pin::actions(&workspace, &path, range, &facts));
            let mut pending: Vec<(&str, crate::syntax::TextRange)> =
                crate::analysis::pin::pending(&workspace, &path, range, &facts)
                    .into_iter()
                    .map(|at| ("pin", at))
                    .collect();
            pending.extend(
                crate::analysis::pin::version_pin_targets(&workspace, &path, range)
                    .into_iter()
                    .map(|at| ("versionPin", at)),
            );
            let whole = crate::syntax::TextRange::new(0, workspace.get(&path).map_or(0, |f| f.text.len()));
            let file_pending = !crate::analysis::pin::pending(&workspace, &path, whole, &facts).is_empty();
            (fixes, crate::analysis::pin::pin_all(&workspace, &path, &facts), pending, file_pending)
        }))
        .map_err(|_| tower_lsp_server::jsonrpc::Error::internal_error())?;
        // Pins whose digest is not known yet: offered now, resolved when asked (the registry's time).
        let resolvable = self
            .shared
            .caps()
            .text_document
            .and_then(|t| t.code_action)
            .and_then(|c| c.resolve_support)
            .is_some_and(|r| r.properties.iter().any(|p| p == "edit"));
        let pending: Vec<CodeActionOrCommand> = pending
            .into_iter()
            .filter(|_| resolvable && wants(&CodeActionKind::QUICKFIX))
            .map(|(what, at)| {
                let title = match what {
                    "pin" => "Pin to its digest (asks the registry)",
                    _ => "Pin to the version tag with the same digest (asks the registry)",
                };
                CodeActionOrCommand::CodeAction(CodeAction {
                    title: title.into(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    data: Some(serde_json::json!({ what: { "uri": uri.as_str(), "start": at.start, "end": at.end } })),
                    ..Default::default()
                })
            })
            .collect();
        // Images the actions needed but nobody has looked up yet: the next request will have them.
        crate::lsp::lookups::schedule(&self.shared, asked.take());
        let pin_all_kind = CodeActionKind::new(PIN_ALL_KIND);
        // With digests still unknown, "pin all" is resolved later, when every lookup has answered.
        let pin_all_later = (file_pending && resolvable && wants(&pin_all_kind)).then(|| {
            CodeActionOrCommand::CodeAction(CodeAction {
                title: "Pin all images in this file (asks the registry)".into(),
                kind: Some(pin_all_kind.clone()),
                data: Some(serde_json::json!({ "pinAll": { "uri": uri.as_str() } })),
                ..Default::default()
            })
        });
        let pin_all = pin_all.filter(|_| wants(&pin_all_kind) && pin_all_later.is_none()).map(|fix| {
            CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title,
                kind: Some(pin_all_kind.clone()),
                edit: Some(convert::workspace_edit(&uri, &rope, &fix.edits, encoding)),
                ..Default::default()
            })
        });
        let fixes = if wants(&CodeActionKind::QUICKFIX) { fixes } else { Vec::new() };
        let actions = fixes
            .into_iter()
            .map(|fix| {
                let diag_range = convert::range(&rope, fix.diagnostic, encoding);
                let diagnostic = params
                    .context
                    .diagnostics
                    .iter()
                    .find(|d| {
                        d.range == diag_range && d.code == Some(NumberOrString::String(fix.rule.code().to_string()))
                    })
                    .cloned();
                CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: diagnostic.map(|d| vec![d]),
                    edit: Some(convert::workspace_edit(&uri, &rope, &fix.edits, encoding)),
                    is_preferred: Some(fix.preferred),
                    ..Default::default()
                })
            })
            .chain(pin_all)
            .chain(pin_all_later)
            .chain(pending)
            .collect();
        Ok(Some(actions))
    }

    async fn code_action_resolve(&self, mut action: CodeAction) -> Result<CodeAction> {
        if let Some(target) = action.data.as_ref().and_then(|d| d.get("versionPin")).cloned() {
            return Ok(self.resolve_version_pin(action, &target).await);
        }
        if let Some(target) = action.data.as_ref().and_then(|d| d.get("pinAll")).cloned() {
            return Ok(self.resolve_pin_all(action, &target).await);
        }
        let Some(pin) = action.data.as_ref().and_then(|d| d.get("pin")).cloned() else { return Ok(action) };
        let (Some(uri), Some(start), Some(end)) =
            (pin["uri"].as_str().and_then(|u| u.parse::<Uri>().ok()), pin["start"].as_u64(), pin["end"].as_u64())
        else {
            return Ok(action);
        };
        let at = crate::syntax::TextRange::new(start as usize, end as usize);
        let (workspace, path, rope, encoding) = {
            let mut state = self.shared.state();
            let workspace = state.workspace().clone();
            let Some(doc) = state.documents.get(&State::key(&uri)) else { return Ok(action) };
            if end as usize > doc.text.len() {
                return Ok(action);
            }
            (workspace, doc.path.clone(), doc.rope.clone(), state.encoding)
        };
        let deadline = self.shared.registry().settings().client.timeout;
        let fixes = crate::lsp::lookups::with_facts(&self.shared, deadline, |facts| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::analysis::pin::actions(&workspace, &path, at, facts)
            }))
            .unwrap_or_default()
        })
        .await;
        match fixes.into_iter().find(|f| f.diagnostic == at && f.rule == crate::analysis::Rule::ImageUnpinned) {
            Some(fix) => {
                action.title = fix.title;
                action.edit = Some(convert::workspace_edit(&uri, &rope, &fix.edits, encoding));
            }
            None => action.title = "Pin to its digest: the registry did not answer".into(),
        }
        Ok(action)
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        let (workspace, path, rope, encoding) = {
            let mut state = self.shared.state();
            let workspace = state.workspace().clone();
            let Some(doc) = state.documents.get(&State::key(&params.text_document.uri)) else { return Ok(None) };
            (workspace, doc.path.clone(), doc.rope.clone(), state.encoding)
        };
        let links =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| crate::analysis::links::links(&workspace, &path)))
                .map_err(|_| tower_lsp_server::jsonrpc::Error::internal_error())?;
        Ok(Some(
            links
                .into_iter()
                .filter_map(|link| {
                    let target = match link.target {
                        crate::analysis::links::Target::Url(url) => url.parse::<Uri>().ok()?,
                        crate::analysis::links::Target::File(path) => Uri::from_file_path(&path)?,
                    };
                    Some(DocumentLink {
                        range: convert::range(&rope, link.range, encoding),
                        target: Some(target),
                        tooltip: Some(link.tooltip),
                        data: None,
                    })
                })
                .collect(),
        ))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params;
        let (workspace, path, rope, offset, encoding, rules) = {
            let mut state = self.shared.state();
            let workspace = state.workspace().clone();
            let Some(doc) = state.documents.get(&State::key(&position.text_document.uri)) else { return Ok(None) };
            let offset = crate::text::offset(&doc.rope, convert::line_col(position.position), state.encoding).offset;
            let rules: Vec<_> = doc
                .published
                .iter()
                .filter(|(r, _)| r.start as usize <= offset && offset <= r.end as usize)
                .copied()
                .collect();
            (workspace, doc.path.clone(), doc.rope.clone(), offset, state.encoding, rules)
        };
        // A lookup in flight is waited for, up to the registry deadline; then "resolving…".
        let deadline = self.shared.registry().settings().client.timeout;
        let found = crate::lsp::lookups::with_facts(&self.shared, deadline, |facts| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::analysis::hover::hover(&workspace, &path, offset, facts)
            }))
        })
        .await
        .map_err(|_| tower_lsp_server::jsonrpc::Error::internal_error())?;
        // The rules of the findings under the cursor: what each catches and why.
        let mut explained: Vec<String> =
            rules.iter().map(|(_, rule)| format!("**`{}`**: {}", rule.code(), rule.summary())).collect();
        explained.dedup();
        let found = match (found, rules.first()) {
            (Some(mut h), _) if !explained.is_empty() => {
                h.markdown = format!("{}\n\n---\n{}", h.markdown.trim_end(), explained.join("\n\n"));
                Some(h)
            }
            (None, Some((range, _))) => {
                Some(crate::analysis::hover::Hover { range: *range, markdown: explained.join("\n\n") })
            }
            (found, _) => found,
        };
        Ok(found.map(|h| Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: h.markdown }),
            range: Some(convert::range(&rope, h.range, encoding)),
        }))
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.shared.settings_generation.fetch_add(1, Ordering::SeqCst);
        match params.settings.get("driftls") {
            Some(section) if !section.is_null() => Server::apply_configuration(&self.shared, section, None).await,
            _ => {
                tokio::spawn(Server::pull_configuration(self.shared.clone()));
            }
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        {
            let mut state = self.shared.state();
            for change in &params.changes {
                if state.is_settings_file(&change.uri) {
                    state.reload_project_settings();
                } else if let Some(path) = change.uri.to_file_path() {
                    state.reload_from_disk(&path);
                }
            }
        }
        self.shared.wake.notify_one();
    }
}

/// Applies a `didChange` to the state; returns what to log. Never fails: a bad change is
/// skipped and logged, and the document stays consistent.
fn apply_changes(state: &mut State, params: DidChangeTextDocumentParams) -> Vec<String> {
    let uri = params.text_document.uri;
    let mut problems = Vec::new();
    let encoding = state.encoding;
    let Some(doc) = state.documents.get_mut(&State::key(&uri)) else {
        problems.push(format!("didChange for {} which is not open; ignored", uri.as_str()));
        return problems;
    };
    if params.text_document.version <= doc.version {
        problems.push(format!(
            "didChange for {} has version {} after {}; applied anyway",
            uri.as_str(),
            params.text_document.version,
            doc.version
        ));
    }
    for change in &params.content_changes {
        let change = Change {
            range: change.range.map(|r| (convert::line_col(r.start), convert::line_col(r.end))),
            text: &change.text,
        };
        match doc.apply(&change, encoding) {
            Ok(false) => {}
            Ok(true) => problems.push(format!("didChange for {}: a position past the end was clamped", uri.as_str())),
            Err(e) => problems.push(format!("didChange for {}: {e}; change ignored", uri.as_str())),
        }
    }
    doc.version = params.text_document.version;
    let key = State::key(&uri);
    state.sync_workspace(&key);
    let Some(doc) = state.documents.get(&key) else { return problems };
    let settings_changed = doc.kind == FileKind::Settings && state.is_settings_file(&uri);
    if settings_changed {
        state.reload_project_settings();
    }
    state.mark_dirty(&uri);
    problems
}
