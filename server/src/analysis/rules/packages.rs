//! Build-step drift: `package-unpinned` (installs without versions) and `package-upgrade`
//! (whole-distribution upgrades), read from the shell code of every `RUN`.

use crate::analysis::catalogue::Rule;
use crate::analysis::diagnostic::Diagnostic;
use crate::analysis::rules::scripts;
use crate::syntax::TextRange;
use crate::syntax::dockerfile::Dockerfile;
use crate::syntax::shell::Command;
use crate::syntax::words::Word;

pub fn check(file: &Dockerfile, out: &mut Vec<Diagnostic>) {
    for (_, located, script) in scripts(file) {
        for command in script.commands() {
            if let Some(finding) = judge(command) {
                let range = located.abs(finding.range);
                let diagnostic = match finding.kind {
                    FindingKind::Unpinned { packages, example } => Diagnostic::new(
                        Rule::PackageUnpinned,
                        range,
                        format!(
                            "`{}` installs {} without a version, so each build takes whatever the mirror has that day. \
                             Pin versions ({example}) or install from a lock file.",
                            finding.verb,
                            list(&packages)
                        ),
                    ),
                    FindingKind::Upgrade => Diagnostic::new(
                        Rule::PackageUpgrade,
                        range,
                        format!(
                            "`{}` makes the image whatever the mirror had on build day. \
                             Rely on a pinned base image digest and pinned package versions instead.",
                            finding.verb
                        ),
                    ),
                };
                out.push(diagnostic);
            }
        }
    }
}

fn list(packages: &[String]) -> String {
    let quoted: Vec<String> = packages.iter().take(4).map(|p| format!("`{p}`")).collect();
    match packages.len() {
        n if n > 4 => format!("{} and {} more", quoted.join(", "), n - 4),
        _ => quoted.join(", "),
    }
}

struct Finding {
    /// From the program word to the subcommand word (`apt-get install`), instruction-relative.
    range: TextRange,
    verb: String,
    kind: FindingKind,
}

enum FindingKind {
    Unpinned { packages: Vec<String>, example: &'static str },
    Upgrade,
}

/// A package manager's command line: where the subcommand is and which options take a value.
struct Manager {
    /// Options that consume the next word (`-o X`, `--virtual name`).
    valued: &'static [&'static str],
}

const APT: Manager =
    Manager { valued: &["-o", "--option", "-c", "--config-file", "-t", "--target-release", "--default-release"] };
const APK: Manager = Manager {
    valued: &[
        "-t",
        "--virtual",
        "-X",
        "--repository",
        "-p",
        "--root",
        "--arch",
        "--keys-dir",
        "--cache-dir",
        "--repositories-file",
    ],
};
const PIP: Manager = Manager {
    valued: &[
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--trusted-host",
        "--cache-dir",
        "--src",
        "--upgrade-strategy",
        "--progress-bar",
        "--log",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--global-option",
        "--install-option",
        "--config-settings",
        "-C",
        "--only-binary",
        "--no-binary",
        "--report",
        "--python",
    ],
};
const NPM: Manager = Manager {
    valued: &[
        "--prefix",
        "--registry",
        "--cache",
        "--tag",
        "-w",
        "--workspace",
        "--omit",
        "--include",
        "--install-strategy",
    ],
};
const GEM: Manager =
    Manager { valued: &["-v", "--version", "-i", "--install-dir", "-n", "--bindir", "-s", "--source", "--platform"] };
const RPM: Manager = Manager {
    valued: &["-c", "--config", "--installroot", "--releasever", "-x", "--exclude", "--setopt", "-r", "--repo"],
};
const GO: Manager = Manager {
    valued: &["-C", "-o", "-p", "-tags", "-ldflags", "-gcflags", "-mod", "-modfile", "-pkgdir", "-toolexec"],
};

/// Splits arguments into options (with the values they take) and operands.
fn operands<'a>(args: &'a [Word], manager: &Manager) -> (Vec<&'a Word>, Vec<&'a str>) {
    let mut operands = Vec::new();
    let mut options = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let v = args[i].value.as_str();
        if v.starts_with('-') && v.len() > 1 {
            options.push(v);
            let name = v.split('=').next().unwrap_or(v);
            if manager.valued.contains(&name) && !v.contains('=') {
                if let Some(value) = args.get(i + 1) {
                    options.push(value.value.as_str());
                }
                i += 1;
            }
        } else {
            operands.push(&args[i]);
        }
        i += 1;
    }
    (operands, options)
}

fn judge(command: &Command) -> Option<Finding> {
    let program_at = command.program_index()?;
    let program = crate::syntax::shell::basename(&command.words[program_at].value);
    if normalize_manager(program).is_none() && !program.starts_with("python") {
        return None;
    }
    let mut args = &command.words[program_at + 1..];
    let mut manager_name = program.to_string();
    // `python -m pip install …`
    if program.starts_with("python") && args.first().is_some_and(|a| a.value == "-m") {
        if args.get(1).is_some_and(|a| a.value == "pip" || a.value == "pip3") {
            manager_name = "pip".into();
            args = &args[2..];
        } else {
            return None;
        }
    }
    let manager_name = normalize_manager(&manager_name)?;
    let manager = match manager_name {
        "apt" => &APT,
        "apk" => &APK,
        "pip" => &PIP,
        "npm" => &NPM,
        "gem" => &GEM,
        "rpm" => &RPM,
        "go" => &GO,
        _ => return None,
    };
    let (operands, options) = operands(args, manager);
    let (sub, packages) = operands.split_first()?;
    let verb_range = |sub: &Word| command.words[program_at].range.cover(sub.range);
    let verb = |sub: &Word| format!("{program} {}", sub.value);
    let sub_name = sub.value.as_str();
    let upgrade = match manager_name {
        "apt" => matches!(sub_name, "upgrade" | "dist-upgrade" | "full-upgrade"),
        "apk" => sub_name == "upgrade",
        "rpm" => {
            matches!(sub_name, "update" | "upgrade" | "up" | "dist-upgrade" | "dup" | "distro-sync")
                && packages.is_empty()
        }
        _ => false,
    };
    if upgrade {
        return Some(Finding { range: verb_range(sub), verb: verb(sub), kind: FindingKind::Upgrade });
    }
    let install = match manager_name {
        "apt" | "rpm" | "gem" | "pip" | "go" => matches!(sub_name, "install" | "in"),
        "apk" => sub_name == "add",
        "npm" => matches!(sub_name, "install" | "i" | "add" | "isntall"),
        _ => false,
    };
    if !install {
        return None;
    }
    if manager_name == "pip" && options.iter().any(|o| matches!(*o, "--require-hashes" | "-c" | "--constraint")) {
        return None;
    }
    if manager_name == "gem" && options.iter().any(|o| matches!(*o, "-v" | "--version") || o.starts_with("--version="))
    {
        return None;
    }
    let unpinned: Vec<String> = packages
        .iter()
        .map(|p| p.value.as_str())
        .filter(|p| !is_local_or_variable(p) && !is_pinned(manager_name, p))
        .map(str::to_string)
        .collect();
    if unpinned.is_empty() {
        return None;
    }
    let example = match manager_name {
        "apt" => "`curl=7.88.1-10+deb12u5`",
        "apk" => "`curl=8.5.0-r0`",
        "pip" => "`requests==2.32.3`",
        "npm" => "`typescript@5.6.3`",
        "gem" => "`gem install rails -v 7.1.3`",
        "rpm" => "`curl-7.76.1`",
        _ => "`golang.org/x/tools/gopls@v0.16.2`",
    };
    Some(Finding {
        range: verb_range(sub),
        verb: verb(sub),
        kind: FindingKind::Unpinned { packages: unpinned, example },
    })
}

/// The manager family of a program name (`pip3.12` → pip, `dnf` → rpm), if it installs packages.
fn normalize_manager(program: &str) -> Option<&'static str> {
    Some(match program {
        "apt-get" | "apt" | "aptitude" => "apt",
        "apk" => "apk",
        "npm" => "npm",
        "gem" => "gem",
        "yum" | "dnf" | "microdnf" | "tdnf" | "zypper" => "rpm",
        "go" => "go",
        p if p == "pip" || p.starts_with("pip3") || p.starts_with("pip2") => "pip",
        _ => return None,
    })
}

fn is_local_or_variable(p: &str) -> bool {
    p.starts_with(['.', '/', '$', '~'])
        || p.contains("://")
        || p.starts_with("git+")
        || p.starts_with("file:")
        || [".deb", ".rpm", ".whl", ".tar.gz", ".tgz", ".zip", ".gem", ".apk"].iter().any(|ext| p.ends_with(ext))
}

fn is_pinned(manager: &str, p: &str) -> bool {
    match manager {
        "apt" => p.contains('='),
        "apk" => p.contains(['=', '~', '<', '>']),
        "pip" => (p.contains("==") && !p.contains('*')) || p.contains(" @ ") || p.contains('@'),
        "npm" => {
            // `pkg@1.2.3`, `@scope/pkg@1.2.3`; ranges and dist-tags move.
            // The `@` of a scope is not a version separator (and the first character may be
            // any character: slice after it, not after byte 1).
            let skip = usize::from(p.starts_with('@'));
            let at = p[skip..].rfind('@').map(|i| i + skip).filter(|&i| i > 0);
            at.is_some_and(|i| {
                let version = &p[i + 1..];
                version.starts_with(|c: char| c.is_ascii_digit())
                    && version.split(['.', '-', '+']).take(3).filter(|n| n.bytes().all(|b| b.is_ascii_digit())).count()
                        == 3
            })
        }
        "gem" => p.contains(':'),
        "rpm" => {
            p.contains(['=', '<', '>'])
                || p.split('-').skip(1).any(|part| part.starts_with(|c: char| c.is_ascii_digit()))
        }
        "go" => p.rsplit_once('@').is_some_and(|(_, v)| v != "latest" && !v.is_empty()),
        _ => true,
    }
}
