//! The shell code of CI pipelines: GitHub Actions `jobs.*.steps[].run` and GitLab CI
//! `<job>.{before_script,script,after_script}`, as deploy-script snippets with exact source
//! offsets. Each job is one group (its commands run in order, on one runner).

use crate::syntax::deploy::{InsertStyle, Snippet};
use crate::syntax::file_kind::CiFlavor;
use crate::syntax::yaml::{Node, ScalarStyle, Yaml};

pub fn snippets(flavor: CiFlavor, yaml: &Yaml, text: &str) -> Vec<Snippet> {
    let Some(root) = yaml.root.as_ref() else { return Vec::new() };
    let mut out = Vec::new();
    match flavor {
        CiFlavor::GithubActions => {
            let Some(jobs) = yaml.get(root, "jobs") else { return out };
            for (group, job) in yaml.merged_pairs(jobs).into_iter().enumerate() {
                let Some(body) = job.value.as_ref() else { continue };
                let Some(steps) = yaml.get(body, "steps") else { continue };
                for step in steps.items() {
                    if let Some(run) = yaml.get(yaml.resolve(step), "run") {
                        out.extend(scalar_snippet(run, text, group));
                    }
                }
            }
        }
        CiFlavor::GitlabCi => {
            const KEYWORDS: [&str; 9] =
                ["stages", "variables", "include", "default", "workflow", "image", "services", "cache", "spec"];
            for (group, job) in yaml.merged_pairs(root).into_iter().enumerate() {
                let Some(name) = job.key.as_str() else { continue };
                if KEYWORDS.contains(&name) {
                    continue;
                }
                let Some(body) = job.value.as_ref() else { continue };
                for key in ["before_script", "script", "after_script"] {
                    let Some(script) = yaml.get(body, key) else { continue };
                    match script.items() {
                        [] => out.extend(scalar_snippet(script, text, group)),
                        items => {
                            for item in items {
                                out.extend(scalar_snippet(yaml.resolve(item), text, group));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// A scalar as shell code: a block scalar's lines (indentation removed) insert new lines; a
/// one-line scalar gets `&&` links.
fn scalar_snippet(node: &Node, text: &str, group: usize) -> Option<Snippet> {
    let scalar = node.as_scalar()?;
    let raw = &text[node.range.as_range()];
    let start = node.range.start as usize;
    match scalar.style {
        ScalarStyle::Block => {
            let mut body = String::new();
            let mut map = Vec::new();
            let mut offset = start + raw.find('\n')? + 1;
            let lines: Vec<&str> = raw[raw.find('\n')? + 1..].split_inclusive('\n').collect();
            let indent = lines
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            for line in lines {
                let skip = indent.min(line.len() - line.trim_start_matches([' ', '\t']).len());
                map.push((body.len(), offset + skip));
                body.push_str(&line[skip..]);
                offset += line.len();
            }
            Some(Snippet::new(body, map, InsertStyle::Lines, group))
        }
        ScalarStyle::Plain => Some(Snippet::new(scalar.value.clone(), vec![(0, start)], InsertStyle::AndChain, group)),
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
            Some(Snippet::new(scalar.value.clone(), vec![(0, start + 1)], InsertStyle::AndChain, group))
        }
    }
}
