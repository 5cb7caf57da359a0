//! Registry lookups in the background. Analysis runs on the facts at hand and says which
//! images it asked about; the lookups it needs start here, off the handlers, and when an answer
//! changes what is known every document is analysed again and re-published. A failure is
//! logged, shown once per registry, and retried only after a pause: it never becomes a
//! diagnostic.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tower_lsp_server::ls_types::{MessageType, Uri};

use crate::lsp::server::Shared;
use crate::registry::client::LookupError;
use crate::registry::lookup::ImageService;

/// A failed lookup is not tried again for this long.
const RETRY_AFTER: Duration = Duration::from_secs(30);

/// Which lookups are running, when each answer came, which failed, which registries were
/// reported to the user.
#[derive(Debug, Default)]
pub struct Lookups {
    pending: HashSet<String>,
    answered: HashMap<String, Instant>,
    failed: HashMap<String, Instant>,
    reported: HashSet<String>,
    /// Which documents asked about each reference in their last analysis: an answer
    /// re-analyses those, not every open document (answers arrive one by one).
    asked_by: HashMap<String, HashSet<Uri>>,
}

impl Lookups {
    /// The references of `asked` to look up now: unknown, or tags older than the TTL; not
    /// running already, not failed a moment ago.
    fn due(&mut self, asked: BTreeSet<String>, tag_ttl: Duration, now: Instant) -> Vec<String> {
        let due: Vec<String> = asked
            .into_iter()
            .filter(|r| !self.pending.contains(r))
            .filter(|r| self.failed.get(r).is_none_or(|t| now.duration_since(*t) >= RETRY_AFTER))
            .filter(|r| match self.answered.get(r) {
                Some(t) => !r.contains('@') && now.duration_since(*t) >= tag_ttl,
                None => true,
            })
            .collect();
        self.pending.extend(due.iter().cloned());
        due
    }

    /// Remembers that `uri` asked about `references` (bounded: forgotten past 10,000 references,
    /// which only costs re-analysing every document once).
    pub fn record(&mut self, uri: &Uri, references: &BTreeSet<String>) {
        if self.asked_by.len() > 10_000 {
            self.asked_by.clear();
        }
        for reference in references {
            self.asked_by.entry(reference.clone()).or_default().insert(uri.clone());
        }
    }

    /// The documents that asked about `reference`; `None` when nobody is known to have.
    fn askers(&self, reference: &str) -> Option<Vec<Uri>> {
        self.asked_by.get(reference).map(|uris| uris.iter().cloned().collect())
    }

    /// Whether a lookup of `reference` is running.
    pub fn is_pending(&self, reference: &str) -> bool {
        self.pending.contains(reference)
    }

    /// Forgets answers and failures (new registry settings).
    pub fn reset(&mut self) {
        self.answered.clear();
        self.failed.clear();
        self.reported.clear();
    }
}

/// Runs `compute` on the current facts; while lookups it asked for are running, waits for them
/// (up to `deadline`) and computes again. For requests that answer with registry facts
/// (hover): the handler waits on our own lookups, never on a socket.
pub async fn with_facts<T>(
    shared: &Arc<Shared>,
    deadline: Duration,
    compute: impl Fn(&crate::analysis::ImageFacts) -> T,
) -> T {
    let until = Instant::now() + deadline;
    loop {
        let notified = shared.lookup_done.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (facts, asked) = shared.state().facts.recording();
        let result = compute(&facts);
        let asked = asked.take();
        let unknown: Vec<String> = {
            let state = shared.state();
            asked.iter().filter(|r| state.facts.known(r).is_none()).cloned().collect()
        };
        schedule(shared, asked);
        let waiting = {
            let state = shared.state();
            unknown.iter().any(|r| state.lookups.is_pending(r))
        };
        let left = until.saturating_duration_since(Instant::now());
        if !waiting || left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
            return result;
        }
    }
}

/// Starts the lookups `asked` needs.
pub fn schedule(shared: &Arc<Shared>, asked: BTreeSet<String>) {
    if asked.is_empty() {
        return;
    }
    let service = shared.registry();
    let (due, running) = {
        let mut state = shared.state();
        let due = state.lookups.due(asked, service.settings().tag_ttl, Instant::now());
        (due, state.lookups.pending.len())
    };
    if due.is_empty() {
        return;
    }
    // The count goes out before any lookup can end, so a fast "0" never overtakes this one.
    let shared = shared.clone();
    tokio::spawn(async move {
        send_status(&shared, running).await;
        for reference in due {
            tokio::spawn(lookup(shared.clone(), service.clone(), reference));
        }
    });
}

/// `driftls/status`: how many registry lookups are running (editors show it in a status bar).
async fn send_status(shared: &Shared, running: usize) {
    shared.notify::<StatusNotification>(Status { lookups: running }).await;
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Status {
    /// Registry lookups running now.
    pub lookups: usize,
}

pub enum StatusNotification {}

impl tower_lsp_server::ls_types::notification::Notification for StatusNotification {
    type Params = Status;
    const METHOD: &'static str = "driftls/status";
}

async fn lookup(shared: Arc<Shared>, service: Arc<ImageService>, reference: String) {
    let result = service.lookup(&reference).await;
    let mut changed = false;
    let mut report = None;
    let running;
    {
        let mut state = shared.state();
        state.lookups.pending.remove(&reference);
        running = state.lookups.pending.len();
        match result {
            Ok(answer) => {
                state.lookups.failed.remove(&reference);
                state.lookups.answered.insert(reference.clone(), Instant::now());
                changed = state.facts.known(&reference) != Some(&answer);
                if changed {
                    state.facts.insert_lookup(reference.clone(), answer);
                    match state.lookups.askers(&reference) {
                        Some(uris) => uris.iter().for_each(|u| state.mark_dirty(u)),
                        None => state.mark_documents_dirty(),
                    }
                }
            }
            Err(e) => {
                let first_failure = state.lookups.failed.insert(reference.clone(), Instant::now()).is_none();
                let registry = ImageService::registry_of(&reference);
                let first_for_registry = state.lookups.reported.insert(registry.clone());
                if first_failure {
                    report = Some((registry, e, first_for_registry));
                }
            }
        }
    }
    if changed {
        shared.wake.notify_one();
    }
    shared.lookup_done.notify_waiters();
    send_status(&shared, running).await;
    if let Some((registry, error, first_for_registry)) = report {
        let level = if error == LookupError::Offline { MessageType::LOG } else { MessageType::WARNING };
        shared.log(level, format!("driftls: no registry answer for `{reference}`: {error}")).await;
        if first_for_registry && error != LookupError::Offline {
            let message = format!(
                "driftls could not get image facts from {registry} ({error}). Checks that need the registry are \
                 skipped for its images; details are in the log."
            );
            shared.show(MessageType::WARNING, message).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_lookups_skip_running_recent_failures_and_fresh_answers() {
        let mut lookups = Lookups::default();
        let now = Instant::now();
        let ttl = Duration::from_secs(600);
        let asked = |refs: &[&str]| refs.iter().map(|r| r.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(lookups.due(asked(&["a:1", "b:1"]), ttl, now), ["a:1", "b:1"]);
        // Both are running now.
        assert!(lookups.due(asked(&["a:1"]), ttl, now).is_empty());
        lookups.pending.clear();
        lookups.answered.insert("a:1".into(), now);
        lookups.answered.insert("c@sha256:ab".into(), now - Duration::from_secs(3600));
        lookups.failed.insert("b:1".into(), now);
        assert!(lookups.due(asked(&["a:1", "b:1", "c@sha256:ab"]), ttl, now).is_empty());
        // A tag answer expires; a failure is retried after a pause; a digest never expires.
        let later = now + Duration::from_secs(601);
        assert_eq!(lookups.due(asked(&["a:1", "b:1", "c@sha256:ab"]), ttl, later), ["a:1", "b:1"]);
    }
}
