//! The `driftls` binary: `lsp` serves editors, `check` serves CI.

use std::io::Write;
use std::process::ExitCode;

use driftls::cli::{self, Command, HELP};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse_args(&args) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("driftls: {message}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            print!("{HELP}");
            if args.is_empty() { ExitCode::from(2) } else { ExitCode::SUCCESS }
        }
        Command::Version => {
            println!("driftls {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Lsp => {
            use_one_malloc_arena();
            let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("driftls: cannot start the async runtime: {e}");
                    return ExitCode::from(2);
                }
            };
            runtime.block_on(driftls::lsp::run_stdio());
            // Do not wait for detached tasks (the publisher) once the client is gone.
            runtime.shutdown_background();
            ExitCode::SUCCESS
        }
        Command::Check { paths, format, offline, quiet } => {
            let mut registry = driftls::registry::lookup::LookupSettings::default();
            registry.client.offline = offline;
            let options = cli::check::CheckOptions { registry: Some(registry), progress: !quiet };
            let report = cli::check::run_with(&paths, &options);
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(cli::output::render(&report, format).as_bytes());
            let _ = stdout.flush();
            for e in &report.errors {
                eprintln!("driftls: {e}");
            }
            if !quiet {
                for n in &report.notes {
                    eprintln!("driftls: {n}");
                }
                let warnings =
                    report.findings.iter().filter(|f| f.severity >= driftls::analysis::Severity::Warning).count();
                eprintln!(
                    "driftls: {} file(s) checked, {} finding(s), {} at warning or above",
                    report.files_checked,
                    report.findings.len(),
                    warnings
                );
            }
            ExitCode::from(report.exit_code() as u8)
        }
    }
}

/// A language server allocates on a few threads that take turns (input, analysis, output);
/// glibc gives each its own arena, which keeps its own free memory: one arena is ~3 MiB less
/// resident memory on a 10,000-line Dockerfile, and no slower (BENCHMARKS.md). `check` keeps
/// the default: its threads analyse files in parallel. `MALLOC_ARENA_MAX` in the environment wins.
fn use_one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; called before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}
