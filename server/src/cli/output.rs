//! `driftls check` output: text (`path:line:col: severity code message`), JSON, SARIF 2.1.0.
//! Lines and columns are one-based here; columns count Unicode characters.

use serde_json::{Value, json};

use crate::analysis::{Rule, Severity};
use crate::cli::check::{Finding, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            _ => None,
        }
    }
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text(report),
        Format::Json => serde_json::to_string_pretty(&json_report(report)).unwrap_or_default() + "\n",
        Format::Sarif => serde_json::to_string_pretty(&sarif(report)).unwrap_or_default() + "\n",
    }
}

fn text(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&format!(
            "{}:{}:{}: {} {} {}\n",
            f.path.display(),
            f.start.line + 1,
            f.start.col + 1,
            f.severity,
            f.code,
            f.message
        ));
    }
    out
}

/// The JSON report as typed structs borrowing the findings: a `serde_json::Value` tree of a
/// 10,000-file repository's findings took most of a gigabyte. Fields are in the order
/// `serde_json` used to sort them, so the output is unchanged.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    errors: &'a [String],
    #[serde(rename = "filesChecked")]
    files_checked: usize,
    findings: Vec<JsonFinding<'a>>,
    version: &'static str,
}

#[derive(serde::Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    message: &'a str,
    path: String,
    range: JsonRange,
    related: Vec<JsonRelated<'a>>,
    severity: &'static str,
}

#[derive(serde::Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    path: String,
    range: JsonRange,
}

#[derive(serde::Serialize)]
struct JsonRange {
    end: JsonPlace,
    start: JsonPlace,
}

#[derive(serde::Serialize)]
struct JsonPlace {
    column: u32,
    line: u32,
}

fn json_range(start: crate::text::LineCol, end: crate::text::LineCol) -> JsonRange {
    JsonRange {
        start: JsonPlace { line: start.line + 1, column: start.col + 1 },
        end: JsonPlace { line: end.line + 1, column: end.col + 1 },
    }
}

fn json_report(report: &Report) -> JsonReport<'_> {
    let findings = report
        .findings
        .iter()
        .map(|f| JsonFinding {
            code: f.code,
            message: &f.message,
            path: f.path.display().to_string(),
            range: json_range(f.start, f.end),
            related: f
                .related
                .iter()
                .map(|r| JsonRelated {
                    message: &r.message,
                    path: r.path.as_ref().map_or_else(|| f.path.display().to_string(), |p| p.display().to_string()),
                    range: json_range(r.start, r.end),
                })
                .collect(),
            severity: f.severity.as_str(),
        })
        .collect();
    JsonReport {
        errors: &report.errors,
        files_checked: report.files_checked,
        findings,
        version: env!("CARGO_PKG_VERSION"),
    }
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

fn region(f_start: (u32, u32), f_end: (u32, u32)) -> Value {
    json!({
        "startLine": f_start.0 + 1,
        "startColumn": f_start.1 + 1,
        "endLine": f_end.0 + 1,
        "endColumn": f_end.1 + 1,
    })
}

fn artifact_uri(f: &Finding) -> String {
    f.path.to_string_lossy().replace('\\', "/")
}

fn sarif(report: &Report) -> Value {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.code(),
                "name": r.code(),
                "shortDescription": { "text": r.summary() },
                "defaultConfiguration": { "level": sarif_level(r.default_severity()) },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let rule_index = Rule::ALL.iter().position(|r| r.code() == f.code).unwrap_or(0);
            let location = json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": artifact_uri(f) },
                    "region": region((f.start.line, f.start.col), (f.end.line, f.end.col)),
                }
            });
            let related: Vec<Value> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    json!({
                        "id": i,
                        "message": { "text": r.message },
                        "physicalLocation": {
                            "artifactLocation": { "uri": r.path.as_ref().map_or_else(|| artifact_uri(f), |p| p.to_string_lossy().replace('\\', "/")) },
                            "region": region((r.start.line, r.start.col), (r.end.line, r.end.col)),
                        }
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": f.code,
                "ruleIndex": rule_index,
                "level": sarif_level(f.severity),
                "message": { "text": f.message },
                "locations": [location],
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "driftls",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}
