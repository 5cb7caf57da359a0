//! The editor's `driftls` settings section, as sent by `workspace/configuration`,
//! `workspace/didChangeConfiguration` or `initializationOptions`.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::analysis::settings::{RuleSettings, parse_editor_rules};
use crate::registry::lookup::LookupSettings;

#[derive(Debug, Clone, Default)]
pub struct EditorSettings {
    pub rules: RuleSettings,
    /// `driftls.offline` and `driftls.registry.*`.
    pub registry: RegistryOptions,
}

/// The registry settings as the editor sent them; `None` means the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryOptions {
    pub offline: bool,
    pub timeout_ms: Option<u64>,
    pub insecure: Vec<String>,
    pub platform: Option<String>,
    pub tag_ttl_seconds: Option<u64>,
    pub allow_private_networks: bool,
    pub ca_files: Vec<PathBuf>,
}

impl RegistryOptions {
    pub fn lookup_settings(&self) -> LookupSettings {
        let mut settings = LookupSettings::default();
        settings.client.offline = self.offline;
        if let Some(ms) = self.timeout_ms {
            settings.client.timeout = Duration::from_millis(ms.clamp(100, 120_000));
        }
        settings.client.insecure = self.insecure.clone();
        if let Some(platform) = &self.platform {
            settings.client.platform = platform.clone();
        }
        settings.client.allow_private = self.allow_private_networks;
        settings.client.ca_files = self.ca_files.clone();
        if let Some(seconds) = self.tag_ttl_seconds {
            settings.tag_ttl = Duration::from_secs(seconds);
        }
        settings
    }
}

/// Reads the section; unknown or malformed entries are returned as log lines.
pub fn parse(section: &Value) -> (EditorSettings, Vec<String>) {
    let (rules, mut problems) = parse_editor_rules(section.get("rules").unwrap_or(&Value::Null));
    let mut registry = RegistryOptions { offline: flag(section, "offline", &mut problems), ..Default::default() };
    match section.get("registry") {
        None | Some(Value::Null) => {}
        Some(Value::Object(r)) => {
            let r = Value::Object(r.clone());
            registry.timeout_ms = number(&r, "timeoutMs", &mut problems);
            registry.tag_ttl_seconds = number(&r, "tagTtlSeconds", &mut problems);
            registry.insecure = strings(&r, "insecure", &mut problems);
            registry.platform = match r.get("platform") {
                Some(Value::String(p)) if p.contains('/') => Some(p.clone()),
                None | Some(Value::Null) => None,
                Some(other) => {
                    problems.push(format!("driftls.registry.platform must be \"os/arch\", not {other}"));
                    None
                }
            };
            registry.allow_private_networks = flag(&r, "allowPrivateNetworks", &mut problems);
            registry.ca_files = strings(&r, "caFiles", &mut problems).into_iter().map(PathBuf::from).collect();
        }
        Some(other) => problems.push(format!("driftls.registry must be an object, not {other}")),
    }
    (EditorSettings { rules, registry }, problems)
}

fn flag(section: &Value, key: &str, problems: &mut Vec<String>) -> bool {
    match section.get(key) {
        Some(Value::Bool(b)) => *b,
        None | Some(Value::Null) => false,
        Some(other) => {
            problems.push(format!("driftls setting `{key}` must be true or false, not {other}"));
            false
        }
    }
}

fn number(section: &Value, key: &str, problems: &mut Vec<String>) -> Option<u64> {
    match section.get(key) {
        Some(v) if v.as_u64().is_some() => v.as_u64(),
        None | Some(Value::Null) => None,
        Some(other) => {
            problems.push(format!("driftls.registry.{key} must be a whole number, not {other}"));
            None
        }
    }
}

fn strings(section: &Value, key: &str, problems: &mut Vec<String>) -> Vec<String> {
    match section.get(key) {
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
        }
        None | Some(Value::Null) => Vec::new(),
        Some(other) => {
            problems.push(format!("driftls.registry.{key} must be a list of strings, not {other}"));
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_settings_are_read_and_bad_ones_reported() {
        let section = serde_json::json!({
            "offline": true,
            "registry": { "timeoutMs": 1500, "insecure": ["reg.internal:5000"], "platform": "linux/arm64",
                          "tagTtlSeconds": 2, "caFiles": 3 }
        });
        let (settings, problems) = parse(&section);
        let lookup = settings.registry.lookup_settings();
        assert!(lookup.client.offline);
        assert_eq!(lookup.client.timeout, Duration::from_millis(1500));
        assert_eq!(lookup.client.insecure, ["reg.internal:5000"]);
        assert_eq!(lookup.client.platform, "linux/arm64");
        assert_eq!(lookup.tag_ttl, Duration::from_secs(2));
        assert_eq!(problems, ["driftls.registry.caFiles must be a list of strings, not 3"]);
        let (settings, problems) = parse(&serde_json::json!({ "offline": "yes", "registry": [] }));
        assert!(!settings.registry.offline);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
