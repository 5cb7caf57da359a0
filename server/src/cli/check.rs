//! `driftls check`: the same analysis as the server, over files and directories, for CI.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ropey::Rope;

use crate::analysis::settings::{ConfigProblem, RuleSettings, parse_project_settings};
use crate::analysis::{ImageFacts, Rule, Severity, diagnostics};
use crate::syntax::TextRange;
use crate::syntax::dockerfile::Dockerfile;
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

/// Checks `paths` (files and directories; directories are walked honouring `.gitignore`).
pub fn run(paths: &[PathBuf]) -> Report {
    let mut report = Report::default();
    let mut files: Vec<PathBuf> = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(walk(path, &mut report));
        } else if path.is_file() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if FileKind::detect(path, None) == FileKind::Dockerfile {
                files.push(path.clone());
            } else {
                report.notes.push(format!("{}: not a Dockerfile by its name ({name}); skipped", path.display()));
            }
        } else {
            report.errors.push(format!("{}: no such file or directory", path.display()));
        }
    }
    files.sort();
    files.dedup();
    report.files_checked = files.len();
    let configs = ConfigCache::default();
    let results = analyze_parallel(&files, &configs);
    for result in results {
        match result {
            Ok(mut findings) => report.findings.append(&mut findings),
            Err(message) => report.errors.push(message),
        }
    }
    report.findings.extend(configs.problem_findings());
    report.findings.sort_by(|a, b| (&a.path, a.start, a.code).cmp(&(&b.path, b.start, b.code)));
    report
}

/// Dockerfiles below `dir`, honouring `.gitignore` (also outside a git repository).
fn walk(dir: &Path, report: &mut Report) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                if FileKind::detect(e.path(), None) == FileKind::Dockerfile {
                    out.push(e.into_path());
                }
            }
            Ok(_) => {}
            Err(err) => report.errors.push(format!("{}: {err}", dir.display())),
        }
    }
    out
}

fn analyze_parallel(files: &[PathBuf], configs: &ConfigCache) -> Vec<Result<Vec<Finding>, String>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len().max(1));
    let chunk = files.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|f| analyze_file(f, configs)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

fn analyze_file(path: &Path, configs: &ConfigCache) -> Result<Vec<Finding>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text; not checked", path.display()))?;
    let settings = configs.settings_for(path);
    let tree = Dockerfile::parse(&text);
    let found = diagnostics::dockerfile(&tree, &text, &ImageFacts::default(), &settings);
    let rope = Rope::from_str(&text);
    Ok(found
        .into_iter()
        .map(|d| {
            let (start, end) = line_cols(&rope, d.range);
            Finding {
                path: path.to_path_buf(),
                start,
                end,
                severity: d.severity,
                code: d.rule.code(),
                message: d.message,
                related: d
                    .related
                    .into_iter()
                    .map(|r| {
                        let (start, end) = line_cols(&rope, r.range);
                        RelatedPlace { start, end, message: r.message }
                    })
                    .collect(),
            }
        })
        .collect())
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
