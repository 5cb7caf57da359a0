//! The image config blob (`application/vnd.oci.image.config.v1+json` /
//! `application/vnd.docker.container.image.v1+json`), read into our own type: oci-client's
//! typed config has no `OnBuild`, and we want exactly what hovers and rules show.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::analysis::image_facts::{HistoryEntry, ImageConfig};

/// Configs larger than this are refused: a hostile registry cannot exhaust memory.
pub const MAX_CONFIG_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    TooLarge(usize),
    Malformed(String),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::TooLarge(n) => write!(f, "image config of {n} bytes is larger than {MAX_CONFIG_BYTES}"),
            ConfigError::Malformed(e) => write!(f, "image config is not valid JSON: {e}"),
        }
    }
}

#[derive(Deserialize, Default)]
struct Blob {
    #[serde(default)]
    config: Option<RunConfig>,
    #[serde(default)]
    history: Option<Vec<History>>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RunConfig {
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default)]
    entrypoint: Option<StringOrList>,
    #[serde(default)]
    cmd: Option<StringOrList>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    volumes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    on_build: Option<Vec<String>>,
    #[serde(default)]
    healthcheck: Option<Healthcheck>,
    #[serde(default)]
    stop_signal: Option<String>,
    #[serde(default)]
    shell: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrList {
    List(Vec<String>),
    One(String),
}

impl StringOrList {
    fn into_list(self) -> Vec<String> {
        match self {
            StringOrList::List(l) => l,
            StringOrList::One(s) => vec![s],
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Healthcheck {
    #[serde(default)]
    test: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
struct History {
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    empty_layer: Option<bool>,
    #[serde(default)]
    created: Option<String>,
}

/// Parses a config blob.
pub fn parse_config(bytes: &[u8]) -> Result<ImageConfig, ConfigError> {
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge(bytes.len()));
    }
    let blob: Blob = serde_json::from_slice(bytes).map_err(|e| ConfigError::Malformed(e.to_string()))?;
    let c = blob.config.unwrap_or_default();
    Ok(ImageConfig {
        volumes: c.volumes.map(|v| v.into_keys().collect()).unwrap_or_default(),
        working_dir: c.working_dir.filter(|w| !w.is_empty()),
        user: c.user.filter(|u| !u.is_empty()),
        env: c.env.unwrap_or_default(),
        entrypoint: c.entrypoint.map(StringOrList::into_list),
        cmd: c.cmd.map(StringOrList::into_list),
        exposed_ports: c.exposed_ports.map(|p| p.into_keys().collect()).unwrap_or_default(),
        labels: c.labels.unwrap_or_default(),
        on_build: c.on_build.unwrap_or_default(),
        healthcheck: c.healthcheck.and_then(|h| h.test),
        stop_signal: c.stop_signal,
        shell: c.shell,
        history: blob
            .history
            .unwrap_or_default()
            .into_iter()
            .map(|h| HistoryEntry {
                created_by: h.created_by.unwrap_or_default(),
                empty_layer: h.empty_layer.unwrap_or(false),
                created: h.created,
            })
            .collect(),
        created: blob.created,
        platform: match (blob.os, blob.architecture) {
            (Some(os), Some(arch)) => Some(format!("{os}/{arch}")),
            _ => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dbt_like_config() {
        let blob = br#"{
          "architecture": "amd64", "os": "linux", "created": "2023-02-01T10:00:00Z",
          "config": {
            "Env": ["PATH=/usr/local/bin:/usr/bin", "LANG=C.UTF-8"],
            "WorkingDir": "/usr/app", "User": "",
            "Entrypoint": ["dbt"], "Cmd": null,
            "Volumes": {"/usr/app": {}}, "ExposedPorts": {"8080/tcp": {}},
            "Labels": {"org.opencontainers.image.source": "https://github.com/dbt-labs/dbt-core"},
            "OnBuild": ["COPY . /usr/app"],
            "Healthcheck": {"Test": ["CMD-SHELL", "dbt --version"]},
            "StopSignal": "SIGTERM", "Shell": ["/bin/bash", "-c"]
          },
          "history": [
            {"created": "2023-01-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
            {"created_by": "VOLUME [/usr/app]", "empty_layer": true, "comment": "buildkit.dockerfile.v0"}
          ]
        }"#;
        let c = parse_config(blob).unwrap();
        assert_eq!(c.volumes, ["/usr/app"]);
        assert_eq!(c.working_dir.as_deref(), Some("/usr/app"));
        assert_eq!(c.user, None);
        assert_eq!(c.entrypoint, Some(vec!["dbt".to_string()]));
        assert_eq!(c.cmd, None);
        assert_eq!(c.on_build, ["COPY . /usr/app"]);
        assert_eq!(c.exposed_ports, ["8080/tcp"]);
        assert_eq!(c.platform.as_deref(), Some("linux/amd64"));
        assert_eq!(c.history.len(), 2);
        assert!(c.history[1].empty_layer);
    }

    #[test]
    fn hostile_configs() {
        assert!(matches!(parse_config(b"{\"config\": [1, 2"), Err(ConfigError::Malformed(_))));
        assert!(matches!(parse_config(&vec![b' '; MAX_CONFIG_BYTES + 1]), Err(ConfigError::TooLarge(_))));
        assert_eq!(parse_config(b"{}").unwrap(), ImageConfig::default());
        // A string where a list belongs is read as a one-element list.
        assert_eq!(parse_config(br#"{"config": {"Cmd": "sh"}}"#).unwrap().cmd, Some(vec!["sh".to_string()]));
    }
}
