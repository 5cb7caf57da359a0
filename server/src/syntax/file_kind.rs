//! Which language a document is in, decided from its file name first and the editor's
//! languageId second (editors disagree on ids for the same file).

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Dockerfile,
    Compose,
    /// `.env` next to a compose file: values for `${VAR}`.
    Env,
    /// A deploy script.
    Script(ScriptSyntax),
    /// A CI pipeline whose `run:` / `script:` blocks are shell.
    CiYaml(CiFlavor),
    /// `.driftls.toml`, the project settings.
    Settings,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScriptSyntax {
    Shell,
    Jenkinsfile,
    Makefile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CiFlavor {
    GithubActions,
    GitlabCi,
}

pub const SETTINGS_FILE: &str = ".driftls.toml";

impl FileKind {
    pub fn detect(path: &Path, language_id: Option<&str>) -> FileKind {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if is_dockerfile_name(name) {
            return FileKind::Dockerfile;
        }
        if is_compose_name(name) {
            return FileKind::Compose;
        }
        if name == SETTINGS_FILE {
            return FileKind::Settings;
        }
        if name == ".env" {
            return FileKind::Env;
        }
        let lower = name.to_ascii_lowercase();
        let is_yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
        let path_text = path.to_string_lossy().replace('\\', "/");
        if is_yaml && path_text.contains("/.github/workflows/") {
            return FileKind::CiYaml(CiFlavor::GithubActions);
        }
        if lower == ".gitlab-ci.yml" || lower == ".gitlab-ci.yaml" || (is_yaml && path_text.contains("/.gitlab/ci/")) {
            return FileKind::CiYaml(CiFlavor::GitlabCi);
        }
        if lower.ends_with(".sh") || lower.ends_with(".bash") {
            return FileKind::Script(ScriptSyntax::Shell);
        }
        if lower == "jenkinsfile" || lower.starts_with("jenkinsfile.") || lower.ends_with(".jenkinsfile") {
            return FileKind::Script(ScriptSyntax::Jenkinsfile);
        }
        if lower == "makefile" || lower == "gnumakefile" || lower.ends_with(".mk") {
            return FileKind::Script(ScriptSyntax::Makefile);
        }
        match language_id {
            Some("dockerfile") | Some("containerfile") => FileKind::Dockerfile,
            Some("dockercompose") | Some("docker-compose") => FileKind::Compose,
            Some("shellscript") | Some("sh") | Some("bash") => FileKind::Script(ScriptSyntax::Shell),
            Some("groovy") | Some("jenkinsfile") => FileKind::Script(ScriptSyntax::Jenkinsfile),
            Some("makefile") | Some("make") => FileKind::Script(ScriptSyntax::Makefile),
            _ => FileKind::Other,
        }
    }

    /// Whether the workspace scan should read files of this kind.
    pub fn is_relevant(self) -> bool {
        self != FileKind::Other
    }
}

/// `compose.yaml`, `compose.yml`, `docker-compose.yaml`, `docker-compose.yml`, and the
/// `compose.*.yaml` / `docker-compose.*.yml` overrides.
pub fn is_compose_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let Some(stem) = lower.strip_suffix(".yaml").or_else(|| lower.strip_suffix(".yml")) else { return false };
    stem == "compose" || stem == "docker-compose" || stem.starts_with("compose.") || stem.starts_with("docker-compose.")
}

/// `Dockerfile`, `Containerfile`, `*.Dockerfile`, `*.dockerfile`, `Dockerfile.*` (and the
/// `Containerfile` equivalents).
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    for base in ["dockerfile", "containerfile"] {
        if lower == base || lower.ends_with(&format!(".{base}")) || lower.starts_with(&format!("{base}.")) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for yes in ["Dockerfile", "Containerfile", "api.Dockerfile", "web.dockerfile", "Dockerfile.prod", "dockerfile"]
        {
            assert!(is_dockerfile_name(yes), "{yes}");
        }
        for no in ["Dockerfiles", "compose.yaml", "mydockerfile", "Dockerfile-old"] {
            assert!(!is_dockerfile_name(no), "{no}");
        }
        assert_eq!(FileKind::detect(Path::new("/x/build.txt"), Some("dockerfile")), FileKind::Dockerfile);
        assert_eq!(FileKind::detect(Path::new("/x/.driftls.toml"), Some("toml")), FileKind::Settings);
    }
}
