//! Which rules run and at what severity: defaults from the catalogue, then `.driftls.toml`
//! (`[rules] code = "off" | "hint" | "information" | "warning" | "error"`), then the editor's
//! `driftls.rules`.

use std::collections::HashMap;

use crate::analysis::catalogue::Rule;
use crate::analysis::diagnostic::Severity;
use crate::syntax::TextRange;

/// A rule's configured level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Off,
    On(Severity),
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "off" | "none" => Some(Level::Off),
            _ => Severity::parse(text).map(Level::On),
        }
    }
}

/// Rule levels that differ from the catalogue defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSettings {
    overrides: HashMap<Rule, Level>,
}

impl RuleSettings {
    pub fn set(&mut self, rule: Rule, level: Level) {
        self.overrides.insert(rule, level);
    }

    /// The severity to report `rule` at, or `None` when it is off.
    pub fn severity(&self, rule: Rule) -> Option<Severity> {
        match self.overrides.get(&rule) {
            Some(Level::Off) => None,
            Some(Level::On(s)) => Some(*s),
            None => Some(rule.default_severity()),
        }
    }

    /// The level configured for `rule`, if any (`None`: the catalogue default applies).
    pub fn configured(&self, rule: Rule) -> Option<Level> {
        self.overrides.get(&rule).copied()
    }

    /// `self` with every level of `other` on top.
    pub fn merged(&self, other: &RuleSettings) -> RuleSettings {
        let mut out = self.clone();
        out.overrides.extend(other.overrides.iter().map(|(r, l)| (*r, *l)));
        out
    }
}

/// A problem in `.driftls.toml`, at a byte range of that file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub range: TextRange,
    pub message: String,
}

/// Reads `.driftls.toml`. Whatever can be read is used; each problem is reported once.
pub fn parse_project_settings(text: &str) -> (RuleSettings, Vec<ConfigProblem>) {
    use toml::de::{DeTable, DeValue};
    let mut settings = RuleSettings::default();
    let mut problems = Vec::new();
    let table = match DeTable::parse(text) {
        Ok(t) => t,
        Err(e) => {
            let range = e.span().map_or(TextRange::empty(0), TextRange::from);
            let message =
                format!("`.driftls.toml` is not valid TOML ({}); driftls uses its defaults", first_line(e.message()));
            return (settings, vec![ConfigProblem { range, message }]);
        }
    };
    for (key, value) in table.get_ref() {
        if key.get_ref().as_ref() != "rules" {
            problems.push(ConfigProblem {
                range: key.span().into(),
                message: format!("unknown section `{}`; `.driftls.toml` has only `[rules]`", key.get_ref()),
            });
            continue;
        }
        let DeValue::Table(rules) = value.get_ref() else {
            problems.push(ConfigProblem {
                range: value.span().into(),
                message: "`rules` must be a table of `code = \"level\"`".into(),
            });
            continue;
        };
        for (code, level) in rules {
            let Some(rule) = Rule::from_code(code.get_ref()) else {
                problems.push(ConfigProblem {
                    range: code.span().into(),
                    message: format!("unknown rule code `{}`; see the rule table in driftls's README", code.get_ref()),
                });
                continue;
            };
            match level.get_ref() {
                DeValue::String(s) if Level::parse(s).is_some() => {
                    settings.set(rule, Level::parse(s).unwrap_or(Level::Off))
                }
                _ => problems.push(ConfigProblem {
                    range: level.span().into(),
                    message: format!(
                        "`{}` must be one of \"off\", \"hint\", \"information\", \"warning\", \"error\"",
                        code.get_ref()
                    ),
                }),
            }
        }
    }
    (settings, problems)
}

/// Reads the editor's `driftls.rules` object (`{"image-unpinned": "off"}`). Unknown codes and
/// levels are returned as messages for the log.
pub fn parse_editor_rules(value: &serde_json::Value) -> (RuleSettings, Vec<String>) {
    let mut settings = RuleSettings::default();
    let mut problems = Vec::new();
    let Some(map) = value.as_object() else {
        if !value.is_null() {
            problems.push("driftls.rules must be an object of \"code\": \"level\"".to_string());
        }
        return (settings, problems);
    };
    for (code, level) in map {
        match (Rule::from_code(code), level.as_str().and_then(Level::parse)) {
            (Some(rule), Some(level)) => settings.set(rule, level),
            (None, _) => problems.push(format!("driftls.rules: unknown rule code `{code}`")),
            (_, None) => problems.push(format!("driftls.rules: `{code}` has an unknown level {level}")),
        }
    }
    (settings, problems)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_levels_and_reports_problems() {
        let text = "[rules]\nimage-unpinned = \"off\"\npackage-upgrade = \"error\"\nimage-lates = \"off\"\nimage-latest = \"loud\"\n";
        let (settings, problems) = parse_project_settings(text);
        assert_eq!(settings.severity(Rule::ImageUnpinned), None);
        assert_eq!(settings.severity(Rule::PackageUpgrade), Some(Severity::Error));
        assert_eq!(settings.severity(Rule::ImageLatest), Some(Severity::Warning));
        let shown: Vec<_> = problems.iter().map(|p| (&text[p.range.as_range()], p.message.as_str())).collect();
        expect_test::expect![[r#"
            [
                (
                    "image-lates",
                    "unknown rule code `image-lates`; see the rule table in driftls's README",
                ),
                (
                    "\"loud\"",
                    "`image-latest` must be one of \"off\", \"hint\", \"information\", \"warning\", \"error\"",
                ),
            ]
        "#]]
        .assert_debug_eq(&shown);
    }

    #[test]
    fn broken_toml_is_one_problem() {
        let (settings, problems) = parse_project_settings("[rules\nx = ");
        assert_eq!(settings, RuleSettings::default());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("not valid TOML"), "{}", problems[0].message);
    }
}
