//! `cargo bench`: full parse, full parse + every rule, and a one-character incremental edit on
//! generated Dockerfiles of 100, 1,000 and 10,000 lines. Prints a Markdown table (medians and
//! 95th percentiles) for BENCHMARKS.md. A harness of our own: no timing inside tests.

use std::hint::black_box;

use driftls::analysis::{ImageFacts, RuleSettings, diagnostics};
use driftls::generate;
use driftls::syntax::TextRange;
use driftls::syntax::dockerfile::Dockerfile;

mod common;

use common::{fmt, measure};

fn main() {
    // `cargo bench -- --quick` runs fewer iterations (CI's regression check).
    let quick = std::env::args().any(|a| a == "--quick");
    // `--once`: one full parse + rules of the 10,000-line file, for callgrind's instruction count.
    if std::env::args().any(|a| a == "--once") {
        let text = generate::dockerfile(10_000, 42);
        let tree = Dockerfile::parse(&text);
        let found = diagnostics::dockerfile(&tree, &text, &ImageFacts::default(), &RuleSettings::default());
        println!("{} findings", found.len());
        return;
    }
    let facts = ImageFacts::default();
    let settings = RuleSettings::default();
    println!(
        "| lines | instructions | full parse | full parse + rules | 1-char edit (reparse) | 1-char edit + rules |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut edit_medians = Vec::new();
    for lines in [100usize, 1_000, 10_000] {
        let text = generate::dockerfile(lines, 42);
        let iterations = if quick { 20 } else { (2_000_000 / lines).clamp(50, 2_000) };
        let parsed = Dockerfile::parse(&text);
        let (parse_median, parse_p95) = measure(iterations, || {
            black_box(Dockerfile::parse(black_box(&text)));
        });
        let (full_median, full_p95) = measure(iterations, || {
            let tree = Dockerfile::parse(&text);
            black_box(diagnostics::dockerfile(&tree, &text, &facts, &settings));
        });
        // Type one character into the middle of a RUN line, then delete it again.
        let at = text[text.len() / 2..].find("apt-get install").map(|i| text.len() / 2 + i + 3).expect("a RUN line");
        let mut with_char = text.clone();
        with_char.insert(at, 'x');
        let mut tree = parsed.clone();
        let mut inserted = false;
        let (edit_median, edit_p95) = measure((iterations * 4).max(2_000), || {
            if inserted {
                tree.edit(TextRange::new(at, at + 1), 0, &text);
            } else {
                tree.edit(TextRange::empty(at), 1, &with_char);
            }
            inserted = !inserted;
            black_box(&tree);
        });
        let mut tree = parsed.clone();
        let mut inserted = false;
        let (edit_rules_median, edit_rules_p95) = measure(iterations, || {
            let current = if inserted {
                tree.edit(TextRange::new(at, at + 1), 0, &text);
                &text
            } else {
                tree.edit(TextRange::empty(at), 1, &with_char);
                &with_char
            };
            inserted = !inserted;
            black_box(diagnostics::dockerfile(&tree, current, &facts, &settings));
        });
        edit_medians.push(edit_median);
        println!(
            "| {} | {} | {} (p95 {}) | {} (p95 {}) | {} (p95 {}) | {} (p95 {}) |",
            text.lines().count(),
            parsed.instructions.len(),
            fmt(parse_median),
            fmt(parse_p95),
            fmt(full_median),
            fmt(full_p95),
            fmt(edit_median),
            fmt(edit_p95),
            fmt(edit_rules_median),
            fmt(edit_rules_p95)
        );
    }
    let ratio = edit_medians[2].as_secs_f64() / edit_medians[0].as_secs_f64();
    println!("\nincremental edit, 10,000 lines / 100 lines: {ratio:.2}x");
    // `--check`: fail only on a gross regression, measured against a baseline from this same
    // run (noise on a shared machine hits both sizes alike): an edit must not grow with the file.
    if std::env::args().any(|a| a == "--check") && ratio > 3.0 {
        eprintln!(
            "regression: a one-character edit on 10,000 lines costs {ratio:.2}x the edit on 100 lines (limit 3x)"
        );
        std::process::exit(1);
    }
}
