//! The editor's `driftls` settings section, as sent by `workspace/configuration` or
//! `workspace/didChangeConfiguration`.

use crate::analysis::settings::{RuleSettings, parse_editor_rules};

#[derive(Debug, Clone, Default)]
pub struct EditorSettings {
    pub rules: RuleSettings,
    /// No network at all (registry lookups come in a later version; accepted now).
    pub offline: bool,
}

/// Reads the section; unknown or malformed entries are returned as log lines.
pub fn parse(section: &serde_json::Value) -> (EditorSettings, Vec<String>) {
    let (rules, problems) = parse_editor_rules(section.get("rules").unwrap_or(&serde_json::Value::Null));
    let offline = section.get("offline").and_then(|v| v.as_bool()).unwrap_or(false);
    (EditorSettings { rules, offline }, problems)
}
