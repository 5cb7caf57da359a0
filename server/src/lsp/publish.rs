//! The publisher: one task that analyses dirty documents and publishes their diagnostics with
//! the version they were computed for. A burst of edits marks a document dirty once, so only
//! the newest text is analysed; a result for a version that has since changed is dropped.

use std::sync::Arc;

use tower_lsp_server::ls_types as lsp;

use crate::analysis::settings::ConfigProblem;
use crate::lsp::convert;
use crate::lsp::rendered::{Rendered, protocol_message};
use crate::lsp::server::Shared;
use crate::lsp::state::{Analysis, MAX_ANALYZED_BYTES, State};

pub async fn run(shared: Arc<Shared>) {
    loop {
        shared.wake.notified().await;
        publish_settings_problems(&shared).await;
        loop {
            let next = shared.state().next_snapshot();
            let Some(mut snapshot) = next else { break };
            // A bug in a rule must not stop every later publish: catch it, log it, go on.
            let analysis = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| snapshot.analyze())) {
                Ok(a) => a,
                Err(_) => {
                    let message =
                        format!("driftls: analysis of {} failed (a bug); please report it", snapshot.uri.as_str());
                    shared.log(lsp::MessageType::ERROR, message).await;
                    continue;
                }
            };
            let asked = snapshot.asked.take();
            shared.state().lookups.record(&snapshot.uri, &asked);
            crate::lsp::lookups::schedule(&shared, asked);
            let encoding = shared.state().encoding;
            let (message, rendered) = match analysis {
                Analysis::Diagnostics(found) => {
                    let mut others = convert::OtherFiles::new();
                    let rendered = Rendered::render(
                        snapshot.rendered.take(),
                        &snapshot.edits,
                        snapshot.render_id,
                        encoding,
                        found,
                        |d| {
                            convert::diagnostic(
                                &snapshot.uri,
                                &snapshot.rope,
                                d,
                                encoding,
                                &snapshot.workspace,
                                &mut others,
                            )
                        },
                    );
                    (rendered.message(&snapshot.uri, Some(snapshot.version)), Some(rendered))
                }
                Analysis::TooLarge => {
                    let note = lsp::Diagnostic {
                        range: lsp::Range::default(),
                        severity: Some(lsp::DiagnosticSeverity::INFORMATION),
                        source: Some("driftls".into()),
                        message: format!(
                            "driftls stopped analysing this file: it is larger than {} MiB.",
                            MAX_ANALYZED_BYTES / (1024 * 1024)
                        ),
                        ..Default::default()
                    };
                    (protocol_message(&snapshot.uri, Some(snapshot.version), &[note]), None)
                }
            };
            let _guard = shared.publish_lock.lock().await;
            let current = {
                let mut state = shared.state();
                match state.documents.get_mut(&State::key(&snapshot.uri)) {
                    Some(doc) => {
                        // Kept even when the text moved on: the document's edit log starts here.
                        let published = rendered
                            .as_ref()
                            .map_or_else(Vec::new, |r| r.diagnostics().map(|d| (d.range, d.rule)).collect());
                        let current = doc.version == snapshot.version;
                        if current {
                            doc.published = published;
                        }
                        doc.rendered = rendered;
                        doc.memo = snapshot.memo.take();
                        current
                    }
                    None => false,
                }
            };
            if current {
                shared.outbox.send_body(message).await;
            }
        }
    }
}

/// Diagnostics of `.driftls.toml` (code `config-invalid`), published even when it is not open.
async fn publish_settings_problems(shared: &Shared) {
    let (uri, diagnostics, version) = {
        let mut state = shared.state();
        if !state.settings_dirty {
            return;
        }
        state.settings_dirty = false;
        let Some(uri) = state.project.uri.clone() else {
            return;
        };
        let encoding = state.encoding;
        let rope = &state.project.rope;
        let diagnostics: Vec<lsp::Diagnostic> =
            state.project.problems.iter().map(|p| config_diagnostic(rope, p, encoding)).collect();
        let version = state.documents.get(&State::key(&uri)).map(|d| d.version);
        (uri, diagnostics, version)
    };
    let _guard = shared.publish_lock.lock().await;
    shared.publish(&uri, &diagnostics, version).await;
}

fn config_diagnostic(rope: &ropey::Rope, p: &ConfigProblem, encoding: crate::text::Encoding) -> lsp::Diagnostic {
    lsp::Diagnostic {
        range: convert::range(rope, p.range, encoding),
        severity: Some(lsp::DiagnosticSeverity::ERROR),
        code: Some(lsp::NumberOrString::String("config-invalid".into())),
        source: Some("driftls".into()),
        message: p.message.clone(),
        ..Default::default()
    }
}
