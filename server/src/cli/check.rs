//! `driftls check`: the same analysis as the server, over files and directories, for CI.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ropey::Rope;

use crate::analysis::settings::{ConfigProblem, RuleSettings, parse_project_settings};
use crate::analysis::workspace::{Parsed, SourceFile, Workspace};
use crate::analysis::{ImageFacts, Rule, Severity, diagnostics};
use crate::files;
use crate::registry::client::LookupError;
use crate::registry::lookup::{ImageService, LookupSettings};
use crate::syntax::TextRange;
use crate::syntax::file_kind::{FileKind, SETTINGS_FILE};
use crate::text::{self, Encoding, LineCol};

/// A finding with its place as line and column (zero-based; columns count characters).
#[derive(Debug, Clone)]
pub struct Finding {
    pub path: PathBuf,
    pub start: LineCol,
    pub end: LineCol,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub related: Vec<RelatedPlace>,
}

#[derive(Debug, Clone)]
pub struct RelatedPlace {
    /// `None`: the finding's own file.
    pub path: Option<PathBuf>,
    pub start: LineCol,
    pub end: LineCol,
    pub message: String,
}

/// Everything a check run produced.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub files_checked: usize,
    /// Files that could not be read (exit status 2).
    pub errors: Vec<String>,
    /// Files skipped with a note (not text, not a kind driftls checks).
    pub notes: Vec<String>,
}

impl Report {
    /// 0: nothing at warning or above; 1: findings at warning or above; 2: IO errors.
    pub fn exit_code(&self) -> i32 {
        if !self.errors.is_empty() {
            2
        } else if self.findings.iter().any(|f| f.severity >= Severity::Warning) {
            1
        } else {
            0
        }
    }
}

/// How `check` reaches registries.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// `None`: no registry lookups at all (only the text); `Some`: lookups through the caches,
    /// offline or not as the settings say.
    pub registry: Option<LookupSettings>,
    /// A progress line on stderr when lookups take more than a moment.
    pub progress: bool,
}

/// Checks `paths` from their text alone, without registry lookups.
pub fn run(paths: &[PathBuf]) -> Report {
    run_with(paths, &CheckOptions::default())
}

/// Checks `paths` (files and directories; directories are walked honouring `.gitignore`).
/// Compose files and deploy scripts are read with the rest of their directory, so a service's
/// Dockerfile and a script's compose file are seen even when only one file is named. With a
/// registry, the images analysis asks about are looked up and the files analysed again.
pub fn run_with(paths: &[PathBuf], options: &CheckOptions) -> Report {
    let mut report = Report::default();
    // (absolute path, path as shown)
    let mut targets: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut context_dirs: Vec<PathBuf> = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut errors = Vec::new();
            for (file, kind) in files::walk(path, &mut errors) {
                if is_checked(kind) {
                    targets.push((absolute(&file), file));
                }
            }
            report.errors.extend(errors);
            context_dirs.push(absolute(path));
        } else if path.is_file() {
            let kind = FileKind::detect(path, None);
            if is_checked(kind) {
                targets.push((absolute(path), path.clone()));
                context_dirs.push(absolute(path).parent().map(Path::to_path_buf).unwrap_or_default());
            } else {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                report.notes.push(format!("{}: not a file driftls checks ({name}); skipped", path.display()));
            }
        } else {
            report.errors.push(format!("{}: no such file or directory", path.display()));
        }
    }
    targets.sort();
    targets.dedup_by(|a, b| a.0 == b.0);
    report.files_checked = targets.len();
    let (workspace, load_errors) = load_workspace(&context_dirs, &targets);
    for (path, error) in load_errors {
        if targets.iter().any(|(abs, _)| *abs == path) {
            report.errors.push(error);
        }
    }
    let configs = ConfigCache::default();
    let (recording, asked) = ImageFacts::default().recording();
    let mut results = analyze_parallel(&targets, &workspace, &configs, &recording);
    if let Some(settings) = &options.registry {
        let wanted = asked.take();
        if !wanted.is_empty() {
            let (facts, problems) = registry_facts(settings, wanted, options.progress);
            report.notes.extend(problems);
            if !facts.is_empty() {
                let configs = ConfigCache::default();
                results = analyze_parallel(&targets, &workspace, &configs, &facts);
            }
        }
    }
    for mut findings in results {
        report.findings.append(&mut findings);
    }
    report.findings.extend(configs.problem_findings());
    report.findings.sort_by(|a, b| (&a.path, a.start, a.code).cmp(&(&b.path, b.start, b.code)));
    report
}

fn is_checked(kind: FileKind) -> bool {
    matches!(kind, FileKind::Dockerfile | FileKind::Compose | FileKind::Script(_) | FileKind::CiYaml(_))
}

/// Every file of the context directories (and the targets), keyed by absolute path.
fn load_workspace(dirs: &[PathBuf], targets: &[(PathBuf, PathBuf)]) -> (Workspace, Vec<(PathBuf, String)>) {
    let mut wanted: Vec<(PathBuf, FileKind)> = Vec::new();
    let mut dirs = dirs.to_vec();
    dirs.sort();
    dirs.dedup();
    for dir in &dirs {
        let mut ignored = Vec::new();
        wanted.extend(files::walk(dir, &mut ignored).into_iter().map(|(p, k)| (absolute(&p), k)));
    }
    wanted.extend(targets.iter().map(|(abs, _)| (abs.clone(), FileKind::detect(abs, None))));
    wanted.sort_by(|a, b| a.0.cmp(&b.0));
    wanted.dedup_by(|a, b| a.0 == b.0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = wanted.len().div_ceil(threads).max(1);
    let loaded: Vec<(PathBuf, Result<SourceFile, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = wanted
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|(p, k)| (p.clone(), files::load(p, *k))).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    let mut workspace = Workspace { root: dirs.first().cloned(), ..Workspace::default() };
    let mut errors = Vec::new();
    for (path, result) in loaded {
        match result {
            Ok(file) => workspace.insert(file),
            Err(e) => errors.push((path, e)),
        }
    }
    files::check_referenced_paths(&mut workspace);
    (workspace, errors)
}

/// Looks up `wanted` (in parallel, through the caches) and returns the answers and one note
/// per registry that failed.
fn registry_facts(settings: &LookupSettings, wanted: BTreeSet<String>, progress: bool) -> (ImageFacts, Vec<String>) {
    let mut facts = ImageFacts::default();
    let mut problems = Vec::new();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return (facts, vec![format!("registry lookups skipped: cannot start the async runtime: {e}")]),
    };
    let service = Arc::new(ImageService::new(settings.clone()));
    let count = wanted.len();
    let answers = runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for reference in wanted {
            let service = service.clone();
            set.spawn(async move {
                let answer = service.lookup(&reference).await;
                (reference, answer)
            });
        }
        let mut answers = Vec::with_capacity(count);
        let mut announced = false;
        let started = std::time::Instant::now();
        loop {
            match tokio::time::timeout(PROGRESS_AFTER, set.join_next()).await {
                Ok(Some(Ok(answer))) => answers.push(answer),
                Ok(Some(Err(_))) => {}
                Ok(None) => break,
                Err(_) => {}
            }
            if progress && !announced && started.elapsed() >= PROGRESS_AFTER {
                announced = true;
                eprintln!("driftls: looking up {count} image(s) in their registries…");
            }
        }
        answers
    });
    let mut reported = BTreeSet::new();
    for (reference, answer) in answers {
        match answer {
            Ok(lookup) => facts.insert_lookup(reference, lookup),
            Err(LookupError::Offline) => {}
            Err(e) => {
                let registry = ImageService::registry_of(&reference);
                if reported.insert(registry.clone()) {
                    problems.push(format!(
                        "no answer from {registry} for `{reference}` ({e}); checks that need the registry were skipped for its images"
                    ));
                }
            }
        }
    }
    (facts, problems)
}

/// How long lookups run before `check` says it is waiting for them.
const PROGRESS_AFTER: std::time::Duration = std::time::Duration::from_millis(1000);

fn analyze_parallel(
    targets: &[(PathBuf, PathBuf)],
    workspace: &Workspace,
    configs: &ConfigCache,
    facts: &ImageFacts,
) -> Vec<Vec<Finding>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(targets.len().max(1));
    let chunk = targets.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(abs, shown)| analyze_file(abs, shown, workspace, configs, facts))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

fn analyze_file(
    path: &Path,
    shown: &Path,
    workspace: &Workspace,
    configs: &ConfigCache,
    facts: &ImageFacts,
) -> Vec<Finding> {
    let Some(file) = workspace.get(path) else { return Vec::new() };
    let settings = configs.settings_for(path);
    let found = match &file.parsed {
        Parsed::Dockerfile(tree) => diagnostics::dockerfile(tree, &file.text, facts, &settings),
        Parsed::Compose(_) => diagnostics::compose(workspace, path, facts, &settings),
        Parsed::Script => diagnostics::deploy(workspace, path, facts, &settings),
        _ => Vec::new(),
    };
    let rope = Rope::from_str(&file.text);
    let mut others: HashMap<PathBuf, Rope> = HashMap::new();
    found
        .into_iter()
        .map(|d| {
            let (start, end) = line_cols(&rope, d.range);
            Finding {
                path: shown.to_path_buf(),
                start,
                end,
                severity: d.severity,
                code: d.rule.code(),
                message: d.message.to_string(),
                related: d
                    .related
                    .into_iter()
                    .map(|r| {
                        let (start, end) = match &r.path {
                            Some(other) => {
                                if !others.contains_key(other)
                                    && let Some(f) = workspace.get(other)
                                {
                                    others.insert(other.clone(), Rope::from_str(&f.text));
                                }
                                others.get(other).map(|o| line_cols(o, r.range)).unwrap_or_default()
                            }
                            None => line_cols(&rope, r.range),
                        };
                        RelatedPlace {
                            path: r.path.map(|p| relative_to_cwd(&p)),
                            start,
                            end,
                            message: r.message.to_string(),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

fn line_cols(rope: &Rope, range: TextRange) -> (LineCol, LineCol) {
    (
        text::line_col(rope, range.start as usize, Encoding::Chars),
        text::line_col(rope, range.end as usize, Encoding::Chars),
    )
}

/// A `.driftls.toml` read once, with its problems.
struct LoadedConfig {
    path: PathBuf,
    text: String,
    settings: RuleSettings,
    problems: Vec<ConfigProblem>,
}

/// The nearest `.driftls.toml` for each directory, read once.
#[derive(Default)]
struct ConfigCache {
    by_dir: std::sync::Mutex<HashMap<PathBuf, Option<Arc<LoadedConfig>>>>,
}

impl ConfigCache {
    fn settings_for(&self, file: &Path) -> RuleSettings {
        let dir = file.parent().map(absolute).unwrap_or_default();
        self.lookup(&dir).map(|c| c.settings.clone()).unwrap_or_default()
    }

    fn lookup(&self, dir: &Path) -> Option<Arc<LoadedConfig>> {
        if let Some(found) = self.by_dir.lock().unwrap_or_else(|p| p.into_inner()).get(dir) {
            return found.clone();
        }
        let candidate = dir.join(SETTINGS_FILE);
        let found = match std::fs::read_to_string(&candidate) {
            Ok(text) => {
                let (settings, problems) = parse_project_settings(&text);
                Some(Arc::new(LoadedConfig { path: candidate, text, settings, problems }))
            }
            Err(_) => dir.parent().and_then(|parent| self.lookup(parent)),
        };
        self.by_dir.lock().unwrap_or_else(|p| p.into_inner()).insert(dir.to_path_buf(), found.clone());
        found
    }

    /// One `config-invalid` finding per problem of every settings file that was used.
    fn problem_findings(&self) -> Vec<Finding> {
        let map = self.by_dir.lock().unwrap_or_else(|p| p.into_inner());
        let mut seen: HashMap<PathBuf, Arc<LoadedConfig>> = HashMap::new();
        for config in map.values().flatten() {
            seen.entry(config.path.clone()).or_insert_with(|| config.clone());
        }
        let mut out = Vec::new();
        for config in seen.values() {
            let rope = Rope::from_str(&config.text);
            for p in &config.problems {
                let (start, end) = line_cols(&rope, p.range);
                out.push(Finding {
                    path: relative_to_cwd(&config.path),
                    start,
                    end,
                    severity: Rule::ConfigInvalid.default_severity(),
                    code: Rule::ConfigInvalid.code(),
                    message: p.message.clone(),
                    related: Vec::new(),
                });
            }
        }
        out
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn relative_to_cwd(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}
