//! What a compose file says, read from its YAML tree: services with their image or build, their
//! mounts and user, and the top-level volumes. Anchors, merge keys, same-file `extends` and
//! `${VAR}` interpolation (values from `.env`) are applied. Ranges point into the compose file.

pub mod interpolate;

use crate::syntax::TextRange;
use crate::syntax::yaml::{Node, NodeKind, ScalarStyle, Yaml};

pub use interpolate::{EnvFile, Interpolated, interpolate};

/// A scalar as read: its interpolated value, where it is, and how it was quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub value: String,
    pub range: TextRange,
    /// Every `${VAR}` had a value or a default.
    pub resolved: bool,
    pub style: ScalarStyle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    /// A host path (`./src:/app`, `type: bind`).
    Bind,
    /// A named volume (`db-data:/var/lib/postgresql/data`).
    Named,
    /// Target only (`- /app/node_modules`, or `type: volume` without `source`).
    Anonymous,
    Tmpfs,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The whole entry (the sequence item).
    pub range: TextRange,
    pub kind: MountKind,
    pub source: Option<String>,
    /// Where the source is written (for named volumes: the name).
    pub source_range: Option<TextRange>,
    pub target: String,
    pub read_only: bool,
    /// Short syntax (`src:dst:mode` as one string).
    pub short: bool,
    /// Inherited from another service (`extends`, anchors): not editable here.
    pub inherited: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// The `build:` key.
    pub key_range: TextRange,
    pub context: Option<Value>,
    pub dockerfile: Option<Value>,
    pub target: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub key_range: TextRange,
    /// Byte offset of the line after `name:` and the indentation of the service's keys, for
    /// edits that add a key.
    pub body_insert_at: usize,
    pub body_indent: String,
    pub image: Option<Value>,
    pub build: Option<Build>,
    pub volumes: Vec<Mount>,
    pub user: Option<Value>,
    pub pull_policy: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredVolume {
    pub name: String,
    pub range: TextRange,
    pub external: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposeFile {
    /// The document is a mapping (a list or a scalar is not a compose file).
    pub is_mapping: bool,
    pub services: Vec<Service>,
    pub volumes: Vec<DeclaredVolume>,
    /// The top-level `volumes:` key, if any, and the indentation of its entries.
    pub volumes_key: Option<(TextRange, String)>,
    /// Files named by `include:`.
    pub includes: Vec<Value>,
    /// Names of `volumes`, for lookups.
    volume_names: std::collections::HashSet<String>,
}

impl ComposeFile {
    pub fn read(yaml: &Yaml, text: &str, env: &EnvFile) -> ComposeFile {
        let mut file = ComposeFile::default();
        let Some(root) = yaml.root.as_ref().map(|r| yaml.resolve(r)) else { return file };
        file.is_mapping = matches!(root.kind, NodeKind::Mapping(_));
        let reader = Reader { yaml, text, env };
        if let Some(volumes) = yaml.get_pair(root, "volumes") {
            let entries = volumes.value.as_ref().map(|v| yaml.merged_pairs(v)).unwrap_or_default();
            let indent = entries
                .first()
                .map(|p| indentation_of(text, p.key.range.start as usize))
                .unwrap_or_else(|| "  ".into());
            file.volumes_key = Some((volumes.key.range, indent));
            for pair in entries {
                let Some(name) = pair.key.as_str() else { continue };
                let external =
                    pair.value.as_ref().and_then(|v| yaml.get(v, "external")).is_some_and(|e| {
                        e.as_str().is_some_and(|s| s == "true") || !matches!(e.kind, NodeKind::Scalar(_))
                    });
                file.volume_names.insert(name.to_string());
                file.volumes.push(DeclaredVolume { name: name.to_string(), range: pair.key.range, external });
            }
        }
        if let Some(include) = yaml.get(root, "include") {
            for item in include.items() {
                let item = yaml.resolve(item);
                let path = if item.as_scalar().is_some() { Some(item) } else { yaml.get(item, "path") };
                if let Some(v) = path.and_then(|p| reader.value(p)) {
                    file.includes.push(v);
                }
            }
        }
        let Some(services) = yaml.get(root, "services") else { return file };
        let mut extends: Vec<(usize, String)> = Vec::new();
        for pair in yaml.merged_pairs(services) {
            let Some(name) = pair.key.as_str() else { continue };
            let Some(body) = pair.value.as_ref().map(|v| yaml.resolve(v)) else { continue };
            let service = reader.service(name, pair, body);
            if let Some(base) = reader.extends_same_file(body) {
                extends.push((file.services.len(), base));
            }
            file.services.push(service);
        }
        // `extends` within the file: what the service does not set comes from its base.
        for (index, base_name) in extends {
            let Some(base) = file.services.iter().find(|s| s.name == base_name).cloned() else { continue };
            let service = &mut file.services[index];
            if service.image.is_none() && service.build.is_none() {
                service.image = base.image;
                service.build = base.build;
            }
            if service.user.is_none() {
                service.user = base.user;
            }
            for mut mount in base.volumes {
                if !service.volumes.iter().any(|m| m.target == mount.target) {
                    mount.inherited = true;
                    service.volumes.push(mount);
                }
            }
        }
        file
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    pub fn declares_volume(&self, name: &str) -> bool {
        self.volume_names.contains(name)
    }
}

struct Reader<'a> {
    yaml: &'a Yaml,
    text: &'a str,
    env: &'a EnvFile,
}

impl Reader<'_> {
    fn value(&self, node: &Node) -> Option<Value> {
        let node = self.yaml.resolve(node);
        let scalar = node.as_scalar()?;
        let Interpolated { value, resolved } = interpolate(&scalar.value, self.env);
        Some(Value { value, range: node.range, resolved, style: scalar.style })
    }

    fn service(&self, name: &str, pair: &crate::syntax::yaml::Pair, body: &Node) -> Service {
        let yaml = self.yaml;
        let first_key = body.pairs().first().map(|p| p.key.range.start as usize);
        let body_indent = first_key.map(|k| indentation_of(self.text, k)).unwrap_or_else(|| {
            let key_indent = indentation_of(self.text, pair.key.range.start as usize);
            format!("{key_indent}  ")
        });
        let body_insert_at = line_end_after(self.text, pair.key.range.end as usize);
        // The service's keys with merges applied, once (not once per key looked up).
        let merged = yaml.merged_pairs(body);
        let get_pair = |key: &str| merged.iter().copied().find(|p| p.key.as_str() == Some(key));
        let get = |key: &str| get_pair(key).and_then(|p| p.value.as_ref()).map(|v| yaml.resolve(v));
        let build = get_pair("build").map(|b| {
            let (context, dockerfile, target) = match b.value.as_ref().map(|v| yaml.resolve(v)) {
                Some(v) if v.as_scalar().is_some() => (self.value(v), None, None),
                Some(v) => (
                    yaml.get(v, "context").and_then(|n| self.value(n)),
                    yaml.get(v, "dockerfile").and_then(|n| self.value(n)),
                    yaml.get(v, "target").and_then(|n| self.value(n)),
                ),
                None => (None, None, None),
            };
            Build { key_range: b.key.range, context, dockerfile, target }
        });
        let volumes =
            get("volumes").map(|v| v.items().iter().filter_map(|item| self.mount(item)).collect()).unwrap_or_default();
        Service {
            name: name.to_string(),
            key_range: pair.key.range,
            body_insert_at,
            body_indent,
            image: get("image").and_then(|n| self.value(n)),
            build,
            volumes,
            user: get("user").and_then(|n| self.value(n)),
            pull_policy: get("pull_policy").and_then(|n| self.value(n)),
        }
    }

    /// `extends: base` or `extends: {service: base}` without `file:`.
    fn extends_same_file(&self, body: &Node) -> Option<String> {
        let e = self.yaml.get(body, "extends")?;
        if let Some(name) = e.as_str() {
            return Some(name.to_string());
        }
        if self.yaml.get(e, "file").is_some() {
            return None;
        }
        self.yaml.get(e, "service").and_then(|s| s.as_str()).map(str::to_string)
    }

    fn mount(&self, item: &Node) -> Option<Mount> {
        let item_range = item.range;
        let resolved = self.yaml.resolve(item);
        if let Some(v) = self.value(resolved) {
            return Some(short_mount(&v, item_range, self.text));
        }
        // Long syntax.
        let get = |k: &str| self.yaml.get(resolved, k).and_then(|n| self.value(n));
        let target = get("target")?.value;
        let source = get("source");
        let kind = match get("type").map(|t| t.value).as_deref() {
            Some("bind") => MountKind::Bind,
            Some("tmpfs") => MountKind::Tmpfs,
            Some("volume") | None => {
                if source.is_some() {
                    MountKind::Named
                } else {
                    MountKind::Anonymous
                }
            }
            Some(_) => MountKind::Other,
        };
        let read_only = get("read_only").is_some_and(|r| r.value == "true");
        Some(Mount {
            range: item_range,
            kind,
            source_range: source.as_ref().map(|s| s.range),
            source: source.map(|s| s.value),
            target: normalize_path(&target),
            read_only,
            short: false,
            inherited: item_range.start < resolved.range.start || item_range.end > resolved.range.end,
        })
    }
}

/// `src:dst[:mode]` or a target alone.
fn short_mount(v: &Value, item_range: TextRange, text: &str) -> Mount {
    let parts: Vec<&str> = v.value.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [target] => (None, *target, None),
        [source, target] => (Some(*source), *target, None),
        [source, target, mode, ..] => (Some(*source), *target, Some(*mode)),
        [] => (None, "", None),
    };
    let kind = match source {
        None => MountKind::Anonymous,
        Some(s) if s.starts_with(['.', '/', '~']) || s.contains('/') => MountKind::Bind,
        Some(_) => MountKind::Named,
    };
    // The name's range inside the scalar, when written plainly.
    let raw = &text[v.range.as_range()];
    let quote = usize::from(matches!(v.style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted));
    let source_range = source.filter(|s| raw[quote..].starts_with(s)).map(|s| {
        let start = v.range.start as usize + quote;
        TextRange::new(start, start + s.len())
    });
    Mount {
        range: item_range,
        kind,
        source: source.map(str::to_string),
        source_range,
        target: normalize_path(target),
        read_only: mode.is_some_and(|m| m.split(',').any(|o| o == "ro")),
        short: true,
        inherited: !item_range.contains(v.range.start as usize),
    }
}

pub fn normalize_path(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { "/".to_string() } else { trimmed.to_string() }
}

/// The whitespace before the text on the line containing `offset`.
pub fn indentation_of(text: &str, offset: usize) -> String {
    let line_start = text[..offset.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..].chars().take_while(|c| *c == ' ' || *c == '\t').collect()
}

/// The offset just after the line break that ends the line containing `offset`.
pub fn line_end_after(text: &str, offset: usize) -> usize {
    text[offset.min(text.len())..].find('\n').map_or(text.len(), |i| offset + i + 1)
}

#[cfg(test)]
mod tests;
