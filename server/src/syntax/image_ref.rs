//! Image references (`[registry/]repository[:tag][@digest]`), parsed with a range for each
//! part and normalised the way docker does: `ubuntu` → `docker.io/library/ubuntu`.

use crate::syntax::TextRange;

/// A parsed image reference; ranges are relative to the parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry as written (`ghcr.io`, `localhost:5000`), if any.
    pub registry: Option<TextRange>,
    /// The repository path as written (`library/ubuntu`, `ubuntu`, `o/r`).
    pub repository: TextRange,
    pub tag: Option<TextRange>,
    /// The whole digest (`sha256:…`), without the `@`.
    pub digest: Option<TextRange>,
    /// The registry host after normalisation (`docker.io` for Docker Hub).
    pub domain: String,
    /// The repository path after normalisation (`library/ubuntu`).
    pub path: String,
}

/// Why a text is not an image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefError {
    Empty,
    /// Uppercase letters, bad characters or empty components in the repository path.
    InvalidRepository,
    InvalidTag,
    InvalidDigest,
}

pub const DOCKER_HUB: &str = "docker.io";

impl ImageRef {
    pub fn parse(text: &str) -> Result<ImageRef, RefError> {
        if text.is_empty() {
            return Err(RefError::Empty);
        }
        let (name_end, digest) = match text.rfind('@') {
            Some(at) => {
                let d = &text[at + 1..];
                if !valid_digest(d) {
                    return Err(RefError::InvalidDigest);
                }
                (at, Some(TextRange::new(at + 1, text.len())))
            }
            None => (text.len(), None),
        };
        let name_and_tag = &text[..name_end];
        let last_slash = name_and_tag.rfind('/');
        let (name_len, tag) = match name_and_tag.rfind(':') {
            Some(colon) if last_slash.is_none_or(|s| colon > s) => {
                let t = &name_and_tag[colon + 1..];
                if !valid_tag(t) {
                    return Err(RefError::InvalidTag);
                }
                (colon, Some(TextRange::new(colon + 1, name_end)))
            }
            _ => (name_end, None),
        };
        let name = &text[..name_len];
        let (registry, repository) = match name.find('/') {
            Some(slash) if is_domain(&name[..slash]) => {
                (Some(TextRange::new(0, slash)), TextRange::new(slash + 1, name_len))
            }
            _ => (None, TextRange::new(0, name_len)),
        };
        let repo_text = &text[repository.as_range()];
        if !valid_repository(repo_text) {
            return Err(RefError::InvalidRepository);
        }
        let written_domain = registry.map(|r| &text[r.as_range()]);
        let domain = match written_domain {
            None | Some("index.docker.io") | Some("registry-1.docker.io") | Some("docker.io") => DOCKER_HUB.to_string(),
            Some(d) => d.to_string(),
        };
        let path = if domain == DOCKER_HUB && !repo_text.contains('/') {
            format!("library/{repo_text}")
        } else {
            repo_text.to_string()
        };
        Ok(ImageRef { registry, repository, tag, digest, domain, path })
    }

    /// `docker.io/library/ubuntu`: registry and repository, without tag or digest.
    pub fn normalized_name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    pub fn is_docker_hub(&self) -> bool {
        self.domain == DOCKER_HUB
    }

    /// The last path component (`ubuntu` for `docker.io/library/ubuntu`).
    pub fn short_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// True for Docker Hub's official images (`library/…`).
    pub fn is_official(&self) -> bool {
        self.is_docker_hub() && self.path.starts_with("library/")
    }
}

/// docker's rule: the first component is a registry when it has a `.` or `:`, is `localhost`,
/// or has uppercase letters.
fn is_domain(component: &str) -> bool {
    component.contains(['.', ':']) || component == "localhost" || component.chars().any(|c| c.is_ascii_uppercase())
}

fn valid_repository(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|component| {
            let b = component.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-'))
        })
}

fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn valid_digest(digest: &str) -> bool {
    let Some((algo, hex)) = digest.split_once(':') else {
        return false;
    };
    !algo.is_empty()
        && algo.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'+' | b'.' | b'_' | b'-'))
        && hex.len() >= 32
        && hex.bytes().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> String {
        match ImageRef::parse(text) {
            Ok(r) => {
                let part = |p: Option<TextRange>| p.map(|p| text[p.as_range()].to_string());
                format!(
                    "{} registry={:?} repo={:?} tag={:?} digest={:?}",
                    r.normalized_name(),
                    part(r.registry),
                    &text[r.repository.as_range()],
                    part(r.tag),
                    part(r.digest).map(|d| d[..15].to_string())
                )
            }
            Err(e) => format!("{e:?}"),
        }
    }

    #[test]
    fn normalisation() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let cases = [
            "ubuntu".to_string(),
            "ubuntu:22.04".to_string(),
            "bitnami/redis:7".to_string(),
            "index.docker.io/library/node:20".to_string(),
            "localhost:5000/x".to_string(),
            "127.0.0.1:5000/team/app:1.2".to_string(),
            format!("ghcr.io/o/r:1.4.1@{digest}"),
            format!("python@{digest}"),
            "Ubuntu".to_string(),
            "node:".to_string(),
        ];
        let out: Vec<String> = cases.iter().map(|c| show(c)).collect();
        expect_test::expect![[r#"
            [
                "docker.io/library/ubuntu registry=None repo=\"ubuntu\" tag=None digest=None",
                "docker.io/library/ubuntu registry=None repo=\"ubuntu\" tag=Some(\"22.04\") digest=None",
                "docker.io/bitnami/redis registry=None repo=\"bitnami/redis\" tag=Some(\"7\") digest=None",
                "docker.io/library/node registry=Some(\"index.docker.io\") repo=\"library/node\" tag=Some(\"20\") digest=None",
                "localhost:5000/x registry=Some(\"localhost:5000\") repo=\"x\" tag=None digest=None",
                "127.0.0.1:5000/team/app registry=Some(\"127.0.0.1:5000\") repo=\"team/app\" tag=Some(\"1.2\") digest=None",
                "ghcr.io/o/r registry=Some(\"ghcr.io\") repo=\"o/r\" tag=Some(\"1.4.1\") digest=Some(\"sha256:01234567\")",
                "docker.io/library/python registry=None repo=\"python\" tag=None digest=Some(\"sha256:01234567\")",
                "InvalidRepository",
                "InvalidTag",
            ]
        "#]]
        .assert_debug_eq(&out);
    }
}
