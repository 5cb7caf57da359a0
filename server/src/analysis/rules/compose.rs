//! Compose rules: image drift on `image:`, `compose-anonymous-volume`,
//! `compose-bind-mount-owner`, `compose-undeclared-volume`, `compose-build-target-missing`,
//! `compose-build-file-missing`.

use std::path::{Path, PathBuf};

use crate::analysis::catalogue::Rule;
use crate::analysis::compose::{ComposeFile, MountKind, Service};
use crate::analysis::diagnostic::Diagnostic;
use crate::analysis::dockerfile_model::{ImageUse, Model};
use crate::analysis::image_facts::ImageFacts;
use crate::analysis::rules::image;
use crate::analysis::stage_facts::{self, DeclaredVolume, ImageSummary};
use crate::analysis::workspace::{Workspace, build_paths};
use crate::syntax::TextRange;
use crate::syntax::yaml::ScalarStyle;

/// Image paths where databases and brokers keep their data: an anonymous volume there loses
/// data on `down -v` / `up -V` rather than serving stale files.
const DATA_PATHS: [&str; 14] = [
    "/var/lib/postgresql/data",
    "/var/lib/postgresql",
    "/var/lib/mysql",
    "/data/db",
    "/data/configdb",
    "/var/lib/rabbitmq",
    "/var/lib/redis",
    "/usr/share/elasticsearch/data",
    "/var/lib/clickhouse",
    "/var/lib/influxdb",
    "/var/lib/neo4j/data",
    "/opt/couchdb/data",
    "/var/lib/cassandra",
    "/bitnami",
];
const DATA_IMAGES: [&str; 14] = [
    "postgres",
    "mysql",
    "mariadb",
    "mongo",
    "redis",
    "rabbitmq",
    "elasticsearch",
    "clickhouse",
    "influxdb",
    "neo4j",
    "couchdb",
    "cassandra",
    "valkey",
    "minio",
];

/// What a service's image brings, as far as local files and image facts tell.
pub struct ServiceImage {
    pub summary: Option<ImageSummary>,
    /// The Dockerfile the service builds, when found in the workspace.
    pub dockerfile: Option<PathBuf>,
}

/// The image facts of a service: its build's Dockerfile (target stage chain) or its registry
/// image's config.
pub fn service_image(
    workspace: &Workspace,
    compose_path: &Path,
    service: &Service,
    facts: &ImageFacts,
) -> ServiceImage {
    let dir = compose_path.parent().unwrap_or(Path::new("/"));
    if let Some(build) = &service.build {
        let dockerfile = build_paths(dir, build).and_then(|(_, d)| d);
        let summary =
            dockerfile.as_ref().and_then(|d| workspace.get(d)).and_then(|f| f.dockerfile()).and_then(|tree| {
                stage_facts::summarize(
                    tree,
                    build.target.as_ref().filter(|t| t.resolved).map(|t| t.value.as_str()),
                    facts,
                )
            });
        let found = summary.is_some();
        return ServiceImage { summary, dockerfile: dockerfile.filter(|_| found) };
    }
    let summary =
        service.image.as_ref().filter(|i| i.resolved).and_then(|i| facts.config(&i.value)).map(|config| ImageSummary {
            volumes: config
                .volumes
                .iter()
                .map(|v| DeclaredVolume {
                    path: v.clone(),
                    range: service.image.as_ref().map_or(service.key_range, |i| i.range),
                    from_image: service.image.as_ref().map(|i| i.value.clone()),
                })
                .collect(),
            user: config.user.clone().filter(|u| !u.is_empty()),
            complete: true,
        });
    ServiceImage { summary, dockerfile: None }
}

/// An anonymous volume a service will get.
#[derive(Debug, Clone)]
pub struct AnonymousVolume {
    pub service: String,
    pub path: String,
    /// Where to report it in the compose file.
    pub range: TextRange,
    /// Where it is declared: the compose entry (`None`), or a `VOLUME` in `dockerfile`/the
    /// base image.
    pub declared: Option<(Option<PathBuf>, DeclaredVolume)>,
    pub holds_data: bool,
}

/// Every anonymous volume of every service of a compose file.
pub fn anonymous_volumes(
    workspace: &Workspace,
    compose_path: &Path,
    compose: &ComposeFile,
    facts: &ImageFacts,
) -> Vec<AnonymousVolume> {
    let mut out = Vec::new();
    for service in &compose.services {
        let covered = |path: &str| {
            service.volumes.iter().any(|m| matches!(m.kind, MountKind::Named | MountKind::Bind) && m.target == path)
        };
        let image_name = service.image.as_ref().map(|i| i.value.as_str()).unwrap_or("");
        let data_image = DATA_IMAGES.iter().any(|d| {
            let repo = image_name.split([':', '@']).next().unwrap_or("");
            repo.rsplit('/').next() == Some(d)
        });
        let holds_data =
            |path: &str| data_image || DATA_PATHS.iter().any(|d| path == *d || path.starts_with(&format!("{d}/")));
        for m in service.volumes.iter().filter(|m| m.kind == MountKind::Anonymous) {
            if !covered(&m.target) {
                out.push(AnonymousVolume {
                    service: service.name.clone(),
                    path: m.target.clone(),
                    range: m.range,
                    declared: None,
                    holds_data: holds_data(&m.target),
                });
            }
        }
        let image = service_image(workspace, compose_path, service, facts);
        for v in image.summary.map(|s| s.volumes).unwrap_or_default() {
            if covered(&v.path) || service.volumes.iter().any(|m| m.kind == MountKind::Anonymous && m.target == v.path)
            {
                continue;
            }
            let range = service
                .build
                .as_ref()
                .map(|b| b.key_range)
                .or(service.image.as_ref().map(|i| i.range))
                .unwrap_or(service.key_range);
            let dockerfile = if v.from_image.is_none() { image.dockerfile.clone() } else { None };
            out.push(AnonymousVolume {
                service: service.name.clone(),
                path: v.path.clone(),
                range,
                holds_data: holds_data(&v.path),
                declared: Some((dockerfile, v)),
            });
        }
    }
    out
}

pub fn check(
    workspace: &Workspace,
    compose_path: &Path,
    compose: &ComposeFile,
    text: &str,
    facts: &ImageFacts,
    out: &mut Vec<Diagnostic>,
) {
    let empty_model = Model::default();
    for service in &compose.services {
        // `image:` names what `build:` produces when both are present: nothing is pulled.
        if service.build.is_none()
            && let Some(value) = service.image.as_ref().filter(|i| i.resolved)
        {
            let quote = usize::from(matches!(value.style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted));
            let inner = TextRange::new(value.range.start as usize + quote, value.range.end as usize - quote);
            let exact = text[inner.as_range()] == value.value;
            if let Some(use_) = ImageUse::compose(&value.value, if exact { inner } else { value.range }, exact) {
                image::check_image(&empty_model, &use_, out);
                image::check_registry(&empty_model, &use_, facts, out);
            }
        }
        check_undeclared_volumes(compose, service, out);
        check_build_paths(workspace, compose_path, service, out);
        check_bind_mount_owner(workspace, compose_path, service, facts, out);
    }
    for v in anonymous_volumes(workspace, compose_path, compose, facts) {
        out.push(anonymous_volume_diagnostic(&v, compose_path));
    }
}

fn anonymous_volume_diagnostic(v: &AnonymousVolume, _compose_path: &Path) -> Diagnostic {
    let origin = match &v.declared {
        None => String::new(),
        Some((_, d)) => match &d.from_image {
            Some(image) => format!(" (the image `{image}` declares `VOLUME {}`)", v.path),
            None => format!(" (its Dockerfile declares `VOLUME {}`)", v.path),
        },
    };
    let message = if v.holds_data {
        format!(
            "Service `{}` keeps its data at `{}` only in an anonymous volume{origin}, which `docker compose down -v` or `up -V` destroys. \
             Mount a named volume there to keep it.",
            v.service, v.path
        )
    } else {
        format!(
            "Service `{}` gets an anonymous volume at `{}`{origin}: `docker compose up` re-attaches the old container's volume on recreate, so new image content there never appears. \
             Mount a named volume there if it holds data, or run `up --renew-anon-volumes` (or `down` first) when deploying.",
            v.service, v.path
        )
    };
    let mut d = Diagnostic::new(Rule::ComposeAnonymousVolume, v.range, message);
    if let Some((dockerfile, declared)) = &v.declared
        && let Some(path) = dockerfile
    {
        d = d.with_related_in(path, declared.range, format!("`VOLUME {}` is declared here", v.path));
    }
    d
}

fn check_undeclared_volumes(compose: &ComposeFile, service: &Service, out: &mut Vec<Diagnostic>) {
    if !compose.includes.is_empty() {
        return; // an included file may declare it
    }
    for m in service.volumes.iter().filter(|m| m.kind == MountKind::Named && !m.inherited) {
        let Some(name) = &m.source else { continue };
        if name.contains('$') || compose.declares_volume(name) {
            continue;
        }
        out.push(Diagnostic::new(
            Rule::ComposeUndeclaredVolume,
            m.source_range.unwrap_or(m.range),
            format!(
                "Service `{}` mounts the named volume `{name}`, which the top-level `volumes:` does not declare, so `docker compose up` refuses to start. \
                 Declare it under `volumes:` (or write `./{name}` for a host directory).",
                service.name
            ),
        ));
    }
}

fn check_build_paths(workspace: &Workspace, compose_path: &Path, service: &Service, out: &mut Vec<Diagnostic>) {
    let Some(build) = &service.build else { return };
    let dir = compose_path.parent().unwrap_or(Path::new("/"));
    let Some((context, dockerfile)) = build_paths(dir, build) else { return };
    let context_range = build.context.as_ref().map_or(build.key_range, |c| c.range);
    if !workspace.exists(&context) {
        out.push(Diagnostic::new(
            Rule::ComposeBuildFileMissing,
            context_range,
            format!(
                "The build context `{}` of service `{}` does not exist, so the build fails. Point `context` at the directory with the sources.",
                context.display(),
                service.name
            ),
        ));
        return;
    }
    let Some(dockerfile) = dockerfile else { return };
    if !workspace.exists(&dockerfile) {
        out.push(Diagnostic::new(
            Rule::ComposeBuildFileMissing,
            build.dockerfile.as_ref().map_or(context_range, |d| d.range),
            format!(
                "The Dockerfile `{}` of service `{}` does not exist, so the build fails. Fix `dockerfile` (it is relative to `context`).",
                dockerfile.display(),
                service.name
            ),
        ));
        return;
    }
    let Some(target) = build.target.as_ref().filter(|t| t.resolved) else { return };
    let Some(tree) = workspace.get(&dockerfile).and_then(|f| f.dockerfile()) else { return };
    let stages = stage_facts::stage_names(tree);
    if !stages.iter().any(|s| s.eq_ignore_ascii_case(&target.value)) {
        let known = if stages.is_empty() {
            "it names no stages".to_string()
        } else {
            format!("its stages are {}", stages.join(", "))
        };
        out.push(Diagnostic::new(
            Rule::ComposeBuildTargetMissing,
            target.range,
            format!(
                "`target: {}` names no stage of `{}` ({known}), so the build fails. Use one of its stage names.",
                target.value,
                dockerfile.display()
            ),
        ));
    }
}

fn check_bind_mount_owner(
    workspace: &Workspace,
    compose_path: &Path,
    service: &Service,
    facts: &ImageFacts,
    out: &mut Vec<Diagnostic>,
) {
    if service.user.is_some() {
        return;
    }
    // Host directories of the project (not system paths such as /var/run/docker.sock).
    let Some(mount) = service.volumes.iter().find(|m| {
        m.kind == MountKind::Bind
            && !m.read_only
            && m.source.as_deref().is_some_and(|s| {
                s.starts_with('.') || s.starts_with('~') || s.starts_with("$HOME") || s.starts_with("${HOME")
            })
    }) else {
        return;
    };
    let image = service_image(workspace, compose_path, service, facts);
    let user = image.summary.as_ref().and_then(|s| s.user.clone());
    if user.as_deref().is_some_and(|u| !matches!(u.split(':').next().unwrap_or(""), "root" | "0" | "")) {
        return;
    }
    let why = match user {
        Some(_) => "its image runs as root",
        None => "nothing says which user it runs as (images default to root)",
    };
    out.push(Diagnostic::new(
        Rule::ComposeBindMountOwner,
        mount.range,
        format!(
            "Service `{}` bind-mounts `{}` and {why}, so files it creates there are owned by root on the host. \
             Add `user: \"${{UID:-1000}}:${{GID:-1000}}\"` to the service.",
            service.name,
            mount.source.as_deref().unwrap_or("")
        ),
    ));
}
