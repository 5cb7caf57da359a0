//! Which language a document is in, decided from its file name first and the editor's
//! languageId second (editors disagree on ids for the same file).

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Dockerfile,
    /// `.driftls.toml`, the project settings.
    Settings,
    Other,
}

pub const SETTINGS_FILE: &str = ".driftls.toml";

impl FileKind {
    pub fn detect(path: &Path, language_id: Option<&str>) -> FileKind {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if is_dockerfile_name(name) {
            return FileKind::Dockerfile;
        }
        if name == SETTINGS_FILE {
            return FileKind::Settings;
        }
        match language_id {
            Some("dockerfile") | Some("containerfile") => FileKind::Dockerfile,
            _ => FileKind::Other,
        }
    }
}

/// `Dockerfile`, `Containerfile`, `*.Dockerfile`, `*.dockerfile`, `Dockerfile.*` (and the
/// `Containerfile` equivalents).
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    for base in ["dockerfile", "containerfile"] {
        if lower == base
            || lower.ends_with(&format!(".{base}"))
            || lower.starts_with(&format!("{base}."))
        {
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
        for yes in [
            "Dockerfile",
            "Containerfile",
            "api.Dockerfile",
            "web.dockerfile",
            "Dockerfile.prod",
            "dockerfile",
        ] {
            assert!(is_dockerfile_name(yes), "{yes}");
        }
        for no in [
            "Dockerfiles",
            "compose.yaml",
            "mydockerfile",
            "Dockerfile-old",
        ] {
            assert!(!is_dockerfile_name(no), "{no}");
        }
        assert_eq!(
            FileKind::detect(Path::new("/x/build.txt"), Some("dockerfile")),
            FileKind::Dockerfile
        );
        assert_eq!(
            FileKind::detect(Path::new("/x/.driftls.toml"), Some("toml")),
            FileKind::Settings
        );
    }
}
