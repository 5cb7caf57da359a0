//! The command line: `driftls lsp`, `driftls check`, `--version`, `--help`.

pub mod check;
pub mod output;

use std::path::PathBuf;

use crate::cli::output::Format;

pub const HELP: &str = "\
driftls: stops Docker image drift and volume pitfalls before they reach production

USAGE:
    driftls lsp [--stdio]            serve the Language Server Protocol over stdin/stdout
    driftls check [OPTIONS] [PATH]...
                                     check files and directories (default: .) and print findings
    driftls --version                print the version
    driftls --help                   print this help

CHECK OPTIONS:
    --format text|json|sarif         output format (default: text)
    --offline                        never use the network
    --quiet                          print findings only, no summary on stderr

Directories are walked honouring .gitignore; every Dockerfile-like file below is checked
(Dockerfile, Containerfile, *.Dockerfile, *.dockerfile, Dockerfile.*). Settings come from the
nearest .driftls.toml ([rules] code = \"off\"|\"hint\"|\"information\"|\"warning\"|\"error\").

Text output: path:line:col: severity code message (lines and columns start at 1; columns count
characters).

EXIT STATUS (check):
    0  nothing at warning or above
    1  findings at warning or above
    2  usage or IO errors
";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Lsp,
    Check { paths: Vec<PathBuf>, format: Format, offline: bool, quiet: bool },
    Version,
    Help,
}

/// Parses the arguments after the program name. `Err` is a usage error message.
pub fn parse_args(args: &[String]) -> Result<Command, String> {
    let Some(first) = args.first() else {
        return Ok(Command::Help);
    };
    match first.as_str() {
        "--version" | "-V" | "version" => Ok(Command::Version),
        "--help" | "-h" | "help" => Ok(Command::Help),
        "lsp" | "--stdio" => {
            for a in &args[1..] {
                if a != "--stdio" {
                    return Err(format!("unknown argument to lsp: {a}"));
                }
            }
            Ok(Command::Lsp)
        }
        "check" => {
            let mut paths = Vec::new();
            let mut format = Format::Text;
            let mut offline = false;
            let mut quiet = false;
            let mut rest = args[1..].iter();
            while let Some(a) = rest.next() {
                match a.as_str() {
                    "--format" => {
                        let v = rest.next().ok_or("--format needs a value: text, json or sarif")?;
                        format =
                            Format::parse(v).ok_or_else(|| format!("unknown format {v}: use text, json or sarif"))?;
                    }
                    s if s.starts_with("--format=") => {
                        let v = &s["--format=".len()..];
                        format =
                            Format::parse(v).ok_or_else(|| format!("unknown format {v}: use text, json or sarif"))?;
                    }
                    "--offline" => offline = true,
                    "--quiet" | "-q" => quiet = true,
                    "--help" | "-h" => return Ok(Command::Help),
                    s if s.starts_with('-') && s != "-" => {
                        return Err(format!("unknown option {s}"));
                    }
                    s => paths.push(PathBuf::from(s)),
                }
            }
            if paths.is_empty() {
                paths.push(PathBuf::from("."));
            }
            Ok(Command::Check { paths, format, offline, quiet })
        }
        other => Err(format!("unknown command {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn commands() {
        assert_eq!(parse_args(&[]), Ok(Command::Help));
        assert_eq!(parse_args(&args("lsp --stdio")), Ok(Command::Lsp));
        assert_eq!(parse_args(&args("--stdio")), Ok(Command::Lsp));
        assert_eq!(
            parse_args(&args("check --format=sarif --offline a b")),
            Ok(Command::Check {
                paths: vec!["a".into(), "b".into()],
                format: Format::Sarif,
                offline: true,
                quiet: false
            })
        );
        assert!(parse_args(&args("check --format xml")).is_err());
        assert!(parse_args(&args("frobnicate")).is_err());
    }
}
