//! Remote content that can change under the same file: `remote-script-pipe` (`curl … | sh`,
//! `sh -c "$(curl …)"`) and `add-url-unchecked` (`ADD <url>` without `--checksum`).

use crate::analysis::catalogue::Rule;
use crate::analysis::diagnostic::Diagnostic;
use crate::analysis::rules::scripts;
use crate::syntax::dockerfile::{Dockerfile, Kind, Source};
use crate::syntax::shell::{self, Command};

const FETCHERS: [&str; 4] = ["curl", "wget", "fetch", "aria2c"];
const INTERPRETERS: [&str; 17] = [
    "sh", "bash", "ash", "dash", "zsh", "ksh", "fish", "python", "python2", "python3", "perl", "ruby", "node", "php",
    "pwsh", "busybox", "tclsh",
];

fn is_interpreter(program: &str) -> bool {
    INTERPRETERS.contains(&program)
        || (program.starts_with("python3.") && program[8..].bytes().all(|b| b.is_ascii_digit()))
}

fn is_fetcher(command: &Command) -> bool {
    command.program().is_some_and(|p| FETCHERS.contains(&p))
}

pub fn check(file: &Dockerfile, out: &mut Vec<Diagnostic>) {
    for (_, located, script) in scripts(file) {
        for commands in script.all_pipelines() {
            let Some(fetch) = commands.iter().position(is_fetcher) else {
                continue;
            };
            let Some(run) = commands[fetch + 1..].iter().find(|c| c.program().is_some_and(is_interpreter)) else {
                continue;
            };
            let (Some(from), Some(to)) = (commands[fetch].range(), run.range()) else {
                continue;
            };
            let interpreter = run.program().unwrap_or("sh");
            out.push(Diagnostic::new(
                Rule::RemoteScriptPipe,
                located.abs(from.cover(to)),
                format!(
                    "This pipes a downloaded script into `{interpreter}`, so the build runs whatever the server sends that day. \
                     Download a fixed version, verify its checksum (`sha256sum -c`), then run it."
                ),
            ));
        }
        // `sh -c "$(curl …)"`, `bash <(curl …)`
        for command in script.commands() {
            let Some(program) = command.program() else {
                continue;
            };
            if !is_interpreter(program) {
                continue;
            }
            let substituted = command.args().iter().find(|a| {
                let v = a.value.trim_start_matches(['"', '\'']);
                ["$(", "<(", "`"].iter().any(|open| {
                    v.strip_prefix(open).is_some_and(|inner| {
                        let fetcher = inner.split_whitespace().next().map(shell::basename).unwrap_or("");
                        FETCHERS.contains(&fetcher)
                    })
                })
            });
            if let (Some(_), Some(range)) = (substituted, command.range()) {
                out.push(Diagnostic::new(
                    Rule::RemoteScriptPipe,
                    located.abs(range),
                    format!(
                        "This runs a downloaded script with `{program}`, so the build runs whatever the server sends that day. \
                         Download a fixed version, verify its checksum (`sha256sum -c`), then run it."
                    ),
                ));
            }
        }
    }
    check_add_urls(file, out);
}

fn check_add_urls(file: &Dockerfile, out: &mut Vec<Diagnostic>) {
    for located in &file.instructions {
        let Kind::Add(add) = &located.instruction.kind else {
            continue;
        };
        if located.instruction.flag("checksum").is_some() {
            continue;
        }
        for source in &add.sources {
            let Source::Path(word) = source else { continue };
            let url = word.value.as_str();
            let message = if is_git_url(url) {
                if git_ref_is_commit(url) {
                    continue;
                }
                format!(
                    "`ADD {url}` fetches a branch or tag at build time, which can point at new commits tomorrow. \
                     Pin the commit (`#<commit sha>`) or add `--checksum=<commit sha>`."
                )
            } else if url.starts_with("http://") || url.starts_with("https://") {
                format!(
                    "`ADD {url}` downloads at build time and takes whatever the server sends that day. \
                     Add `--checksum=sha256:<digest>` so a changed file fails the build."
                )
            } else {
                continue;
            };
            out.push(Diagnostic::new(Rule::AddUrlUnchecked, located.abs(word.range), message));
        }
    }
}

fn is_git_url(url: &str) -> bool {
    let without_ref = url.split('#').next().unwrap_or(url);
    url.starts_with("git@") || url.starts_with("git://") || without_ref.ends_with(".git")
}

fn git_ref_is_commit(url: &str) -> bool {
    url.split_once('#').is_some_and(|(_, fragment)| {
        let git_ref = fragment.split(':').next().unwrap_or(fragment);
        git_ref.len() >= 40 && git_ref.bytes().all(|b| b.is_ascii_hexdigit())
    })
}
