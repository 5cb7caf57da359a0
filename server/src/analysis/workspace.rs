//! The workspace as analysis sees it: every relevant file, parsed, keyed by path (open
//! documents override disk), plus which referenced paths exist. Built and kept current by the
//! server and by `driftls check`; analysis only reads it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::analysis::compose::{ComposeFile, EnvFile};
use crate::syntax::dockerfile::Dockerfile;
use crate::syntax::file_kind::FileKind;
use crate::syntax::yaml::Yaml;

/// A file and what it parses to.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub kind: FileKind,
    pub text: String,
    pub parsed: Parsed,
}

#[derive(Debug, Clone)]
pub enum Parsed {
    Dockerfile(Dockerfile),
    /// A compose file's YAML tree (read into a `ComposeFile` with the `.env` next to it).
    Compose(Arc<Yaml>),
    /// A deploy script or CI YAML file.
    Script,
    Env(EnvFile),
    None,
}

impl SourceFile {
    /// Parses `text` as `kind`.
    pub fn new(path: PathBuf, kind: FileKind, text: String) -> SourceFile {
        let parsed = match kind {
            FileKind::Dockerfile => Parsed::Dockerfile(Dockerfile::parse(&text)),
            FileKind::Compose => Parsed::Compose(Arc::new(Yaml::parse(&text))),
            FileKind::Env => Parsed::Env(EnvFile::parse(&text)),
            FileKind::Script(_) | FileKind::CiYaml(_) => Parsed::Script,
            FileKind::Settings | FileKind::Other => Parsed::None,
        };
        SourceFile { path, kind, text, parsed }
    }

    pub fn dockerfile(&self) -> Option<&Dockerfile> {
        match &self.parsed {
            Parsed::Dockerfile(d) => Some(d),
            _ => None,
        }
    }

    pub fn yaml(&self) -> Option<&Yaml> {
        match &self.parsed {
            Parsed::Compose(y) => Some(y),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Workspace {
    pub root: Option<PathBuf>,
    pub files: BTreeMap<PathBuf, Arc<SourceFile>>,
    /// Whether paths that compose files reference exist (filled by the IO layer from
    /// [`Workspace::referenced_paths`]); a path not in here is assumed to exist.
    pub path_exists: HashMap<PathBuf, bool>,
}

impl Workspace {
    pub fn insert(&mut self, file: SourceFile) {
        self.files.insert(file.path.clone(), Arc::new(file));
    }

    pub fn get(&self, path: &Path) -> Option<&SourceFile> {
        self.files.get(path).map(|f| &**f)
    }

    /// The `.env` next to a compose file.
    pub fn env_for(&self, compose: &Path) -> EnvFile {
        let env_path = compose.parent().map(|d| d.join(".env")).unwrap_or_default();
        match self.get(&env_path).map(|f| &f.parsed) {
            Some(Parsed::Env(env)) => env.clone(),
            _ => EnvFile::default(),
        }
    }

    /// The compose file at `path`, read.
    pub fn compose(&self, path: &Path) -> Option<ComposeFile> {
        let file = self.get(path)?;
        let yaml = file.yaml()?;
        Some(ComposeFile::read(yaml, &file.text, &self.env_for(path)))
    }

    pub fn compose_files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.values().filter(|f| f.kind == FileKind::Compose).map(|f| &**f)
    }

    pub fn exists(&self, path: &Path) -> bool {
        self.files.contains_key(path) || self.path_exists.get(path).copied().unwrap_or(true)
    }

    /// Paths compose files reference (build contexts and Dockerfiles) that are not workspace
    /// files: the IO layer checks them and fills `path_exists`.
    pub fn referenced_paths(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for file in self.compose_files() {
            let Some(compose) = self.compose(&file.path) else { continue };
            let dir = file.path.parent().unwrap_or(Path::new("/"));
            for service in &compose.services {
                if let Some(build) = &service.build
                    && let Some((context, dockerfile)) = build_paths(dir, build)
                {
                    out.push(context);
                    out.extend(dockerfile);
                }
            }
        }
        out.retain(|p| !self.files.contains_key(p));
        out
    }
}

/// The build context directory and Dockerfile path of a `build:` (`None` for a remote
/// context such as a git URL, or one with unresolved variables).
pub fn build_paths(compose_dir: &Path, build: &crate::analysis::compose::Build) -> Option<(PathBuf, Option<PathBuf>)> {
    let context = match &build.context {
        Some(c) if !c.resolved => return None,
        Some(c) if c.value.contains("://") || c.value.starts_with("git@") => return None,
        Some(c) => c.value.clone(),
        None => ".".to_string(),
    };
    let context_dir = normalize(&compose_dir.join(&context));
    let dockerfile = match &build.dockerfile {
        Some(d) if !d.resolved => None,
        Some(d) => Some(normalize(&context_dir.join(&d.value))),
        None => Some(context_dir.join("Dockerfile")),
    };
    Some((context_dir, dockerfile))
}

/// `a/./b/../c` → `a/c`, without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
