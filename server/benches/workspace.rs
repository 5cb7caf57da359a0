//! `cargo bench --bench workspace`: compose files of 100 and 5,000 lines (full parse +
//! diagnostics, and a one-character edit applied the way the server applies it), and
//! `driftls check` over a generated 1,000-file repository (wall time, files per second, peak
//! memory). Prints Markdown tables (medians and 95th percentiles) for BENCHMARKS.md.
//!
//! Flags (after `--`): `--quick` fewer iterations; `--check` exit 1 on a gross regression;
//! `--write-repo <dir>` only write the 1,000-file repository to `<dir>` and exit (to run the
//! release binary on it under `/usr/bin/time -v`); `--write-compose <file>` only write the
//! 5,000-line compose file; `--edit-loop <n> [--lines <l>]` only run the compose edit +
//! diagnostics `n` times on the file of `l` lines (5,000 unless given), for `perf record` and
//! callgrind.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use driftls::analysis::workspace::{SourceFile, Workspace};
use driftls::analysis::{ImageFacts, RuleSettings, diagnostics};
use driftls::cli::check;
use driftls::generate;
use driftls::lsp::document::{Change, Document};
use driftls::syntax::file_kind::FileKind;
use driftls::text::{Encoding, LineCol};

mod common;

use common::{fmt, measure};

const COMPOSE_PATH: &str = "/bench/compose.yaml";
const REPO_FILES: usize = 1_000;

fn value_after(flag: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1).cloned())
}

/// Where to type: inside the tag of the first pulled `image:` with a tag after the middle of the
/// file (just after the tag's first character), as a line and UTF-16 column (the text is ASCII).
fn edit_point(text: &str) -> LineCol {
    if std::env::var_os("DRIFTLS_EDIT_AT_LINE_END").is_some() {
        let lines: Vec<&str> = text.lines().collect();
        let line = (lines.len() / 2..lines.len())
            .find(|&i| lines[i].trim_start().starts_with("- ") && lines[i].contains('='))
            .unwrap_or(lines.len() / 2);
        return LineCol { line: line as u32, col: lines[line].encode_utf16().count() as u32 };
    }
    let mut offset = text.len() / 2;
    loop {
        let found = text[offset..].find("\n    image: ").expect("an image line after the middle");
        let line_start = offset + found + 1;
        let line = &text[line_start..line_start + text[line_start..].find('\n').unwrap_or(0)];
        let name = line.split('@').next().unwrap_or(line);
        // Not the `image:` naming what a `build:` produces (`example/…`): one that is pulled.
        let pulled = !line.contains("example/");
        if let Some(colon) = name.rfind(':').filter(|&c| pulled && c > "    image:".len()) {
            let line_number = text[..line_start].bytes().filter(|&b| b == b'\n').count();
            return LineCol { line: line_number as u32, col: (colon + 2) as u32 };
        }
        offset = line_start;
    }
}

/// A compose document as the server holds it, plus the workspace analysis reads.
struct Session {
    doc: Document,
    workspace: Workspace,
    at: LineCol,
    inserted: bool,
}

impl Session {
    fn new(text: &str) -> Session {
        let uri = format!("file://{COMPOSE_PATH}").parse().expect("a file URI");
        let doc = Document::new(uri, FileKind::Compose, text.to_string(), 1);
        let mut workspace = Workspace { root: Some(PathBuf::from("/bench")), ..Workspace::default() };
        workspace.insert(doc.source());
        Session { doc, workspace, at: edit_point(text), inserted: false }
    }

    /// Types `x` at the edit point, or deletes it again, and updates the workspace copy.
    fn edit(&mut self) {
        let at = self.at;
        let change = if self.inserted {
            Change { range: Some((at, LineCol { line: at.line, col: at.col + 1 })), text: "" }
        } else {
            Change { range: Some((at, at)), text: "x" }
        };
        self.doc.apply(&change, Encoding::Utf16).expect("a valid change");
        self.inserted = !self.inserted;
        self.workspace.insert(self.doc.source());
    }

    fn analyse(&self) -> usize {
        let found = diagnostics::compose(
            &self.workspace,
            Path::new(COMPOSE_PATH),
            &ImageFacts::default(),
            &RuleSettings::default(),
        );
        black_box(found).len()
    }
}

/// `VmHWM` (peak resident set) and `VmRSS` of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn bench_check(quick: bool) {
    let dir = std::env::temp_dir().join(format!("driftls-bench-workspace-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let t = Instant::now();
    generate::repository(&dir, REPO_FILES, 42).expect("write the generated repository");
    let generated = t.elapsed();
    let lines: usize = walk_lines(&dir);
    // Reset the peak to the current resident set (Linux: `5` to clear_refs), so the peak read
    // after the first run is that run's own, on top of what the process already holds.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let (hwm_before, rss_before) = memory_kib();
    let first = Instant::now();
    let report = check::run(std::slice::from_ref(&dir));
    let first = first.elapsed();
    let (hwm_after, _) = memory_kib();
    let findings = report.findings.len();
    let files = report.files_checked;
    drop(report);
    let runs = if quick { 3 } else { 7 };
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(check::run(std::slice::from_ref(&dir)));
            t.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "| files | lines | findings | first run | median of {runs} runs (min – max) | files/s (median) | peak RSS during the run | growth over RSS before |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {files} | {lines} | {findings} | {} | {} ({} – {}) | {:.0} | {} | {} |",
        fmt(first),
        fmt(median),
        fmt(times[0]),
        fmt(times[times.len() - 1]),
        files as f64 / median.as_secs_f64(),
        mib(hwm_after),
        mib(hwm_after.saturating_sub(if reset { rss_before } else { hwm_before })),
    );
    println!(
        "\n(generated in {}; {} threads; peak {})",
        fmt(generated),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        if reset {
            "reset with /proc/self/clear_refs before the run"
        } else {
            "not reset: growth over the earlier peak"
        }
    );
}

fn walk_lines(dir: &Path) -> usize {
    let mut total = 0;
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            total += walk_lines(&path);
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            total += text.lines().count();
        }
    }
    total
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    if let Some(dir) = value_after("--write-repo") {
        let dir = PathBuf::from(dir);
        let files = value_after("--files").map_or(REPO_FILES, |n| n.parse().expect("--files <count>"));
        generate::repository(&dir, files, 42).expect("write the generated repository");
        println!("wrote {files} files under {}", dir.display());
        return;
    }
    if let Some(file) = value_after("--write-compose") {
        std::fs::write(&file, generate::compose(5_000, 42)).expect("write the compose file");
        println!("wrote the 5,000-line compose file to {file}");
        return;
    }
    if let Some(n) = value_after("--edit-loop") {
        let n: usize = n.parse().expect("--edit-loop <count>");
        let lines = value_after("--lines").map_or(5_000, |l| l.parse().expect("--lines <count>"));
        let mut session = Session::new(&generate::compose(lines, 42));
        let mut found = 0;
        for _ in 0..n {
            session.edit();
            found += session.analyse();
        }
        println!("{n} edits, {found} findings in all");
        return;
    }

    // The repository check first: the process holds little yet, so its peak is the check's.
    println!("`driftls check` over a generated repository (`generate::repository(dir, {REPO_FILES}, 42)`):\n");
    bench_check(quick);

    println!("\nCompose files (`generate::compose(lines, 42)`):\n");
    println!(
        "| lines | services | findings | full parse + diagnostics | 1-char edit (apply + workspace insert) | 1-char edit + diagnostics |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut edit_medians = Vec::new();
    for lines in [100usize, 5_000] {
        let text = generate::compose(lines, 42);
        let iterations = if quick { 20 } else { (500_000 / lines).clamp(100, 2_000) };
        let path = PathBuf::from(COMPOSE_PATH);
        let mut workspace = Workspace { root: Some(PathBuf::from("/bench")), ..Workspace::default() };
        workspace.insert(SourceFile::new(path.clone(), FileKind::Compose, text.clone()));
        let services = workspace.compose(&path).map_or(0, |c| c.services.len());
        let findings = diagnostics::compose(&workspace, &path, &ImageFacts::default(), &RuleSettings::default()).len();
        let (full_median, full_p95) = measure(iterations, || {
            let mut workspace = Workspace { root: Some(PathBuf::from("/bench")), ..Workspace::default() };
            workspace.insert(SourceFile::new(path.clone(), FileKind::Compose, text.clone()));
            black_box(diagnostics::compose(&workspace, &path, &ImageFacts::default(), &RuleSettings::default()));
        });
        let mut session = Session::new(&text);
        let (apply_median, apply_p95) = measure(iterations, || session.edit());
        // Insert and delete alternate: the text never grows.
        assert_eq!(session.doc.text.len(), text.len() + usize::from(session.inserted));
        let mut session = Session::new(&text);
        let (edit_median, edit_p95) = measure(iterations, || {
            session.edit();
            session.analyse();
        });
        edit_medians.push(edit_median);
        println!(
            "| {} | {services} | {findings} | {} (p95 {}) | {} (p95 {}) | {} (p95 {}) |",
            text.lines().count(),
            fmt(full_median),
            fmt(full_p95),
            fmt(apply_median),
            fmt(apply_p95),
            fmt(edit_median),
            fmt(edit_p95),
        );
    }
    let ratio = edit_medians[1].as_secs_f64() / edit_medians[0].as_secs_f64();
    println!("\ncompose edit + diagnostics, 5,000 lines / 100 lines: {ratio:.1}x");
    // `--check`: fail only on a gross regression, against a baseline from this same run. The
    // YAML tree reuses the pairs an edit did not touch, but diagnostics still re-read every
    // service and the pairs after the edit are copied with moved ranges (linear in the size, 50x
    // the lines), so the limit is generous; it catches a quadratic step.
    if std::env::args().any(|a| a == "--check") && ratio > 25.0 {
        eprintln!(
            "regression: a compose edit + diagnostics on 5,000 lines costs {ratio:.1}x the one on 100 lines (limit 25x)"
        );
        std::process::exit(1);
    }
}
