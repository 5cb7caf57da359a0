//! Document links: image references to their registry's web page (Docker Hub, ghcr, quay,
//! mcr, gcr), and a compose `build:`'s context and Dockerfile to the files.

use std::path::{Path, PathBuf};

use crate::analysis::dockerfile_model::Model;
use crate::analysis::workspace::{Workspace, build_paths};
use crate::syntax::TextRange;
use crate::syntax::file_kind::FileKind;
use crate::syntax::image_ref::ImageRef;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Url(String),
    File(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub range: TextRange,
    pub target: Target,
    pub tooltip: String,
}

pub fn links(workspace: &Workspace, path: &Path) -> Vec<Link> {
    let Some(file) = workspace.get(path) else { return Vec::new() };
    let mut out = Vec::new();
    match file.kind {
        FileKind::Dockerfile => {
            let Some(tree) = file.dockerfile() else { return out };
            for image_use in &Model::build(tree).images {
                if let Some(url) = page(&image_use.image) {
                    out.push(Link {
                        range: image_use.written,
                        target: Target::Url(url),
                        tooltip: tooltip(&image_use.image),
                    });
                }
            }
        }
        FileKind::Compose => {
            let Some(compose) = workspace.compose(path) else { return out };
            let dir = path.parent().unwrap_or(Path::new("/"));
            for service in &compose.services {
                if let Some(image) = service.image.as_ref().filter(|i| i.resolved && service.build.is_none())
                    && let Ok(parsed) = ImageRef::parse(&image.value)
                    && let Some(url) = page(&parsed)
                {
                    out.push(Link { range: image.range, target: Target::Url(url), tooltip: tooltip(&parsed) });
                }
                let Some(build) = &service.build else { continue };
                let Some((context, dockerfile)) = build_paths(dir, build) else { continue };
                if let Some(value) = &build.context
                    && workspace.exists(&context)
                {
                    out.push(Link {
                        range: value.range,
                        target: Target::File(context),
                        tooltip: "the build context".into(),
                    });
                }
                if let (Some(value), Some(dockerfile)) = (&build.dockerfile, dockerfile)
                    && workspace.exists(&dockerfile)
                {
                    out.push(Link {
                        range: value.range,
                        target: Target::File(dockerfile),
                        tooltip: "the Dockerfile this service builds".into(),
                    });
                }
            }
        }
        _ => {}
    }
    out
}

fn tooltip(image: &ImageRef) -> String {
    format!("{}/{} on its registry's web page", image.domain, image.path)
}

/// The web page of an image's repository, for the registries that have one.
pub fn page(image: &ImageRef) -> Option<String> {
    let path = &image.path;
    Some(match image.domain.as_str() {
        "docker.io" => match path.strip_prefix("library/") {
            Some(official) => format!("https://hub.docker.com/_/{official}"),
            None => format!("https://hub.docker.com/r/{path}"),
        },
        "ghcr.io" => {
            let (owner, package) = path.split_once('/')?;
            format!(
                "https://github.com/{owner}/{}/pkgs/container/{}",
                package.split('/').next()?,
                package.replace('/', "%2F")
            )
        }
        "quay.io" => format!("https://quay.io/repository/{path}"),
        "mcr.microsoft.com" => format!("https://mcr.microsoft.com/artifact/mar/{path}"),
        "gcr.io" => format!("https://gcr.io/{path}"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_pages() {
        let page_of = |t: &str| page(&ImageRef::parse(t).unwrap());
        assert_eq!(page_of("python:3.12").as_deref(), Some("https://hub.docker.com/_/python"));
        assert_eq!(page_of("bitnami/redis:7").as_deref(), Some("https://hub.docker.com/r/bitnami/redis"));
        assert_eq!(
            page_of("ghcr.io/dbt-labs/dbt-core:1.4.1").as_deref(),
            Some("https://github.com/dbt-labs/dbt-core/pkgs/container/dbt-core")
        );
        assert_eq!(
            page_of("quay.io/prometheus/node-exporter").as_deref(),
            Some("https://quay.io/repository/prometheus/node-exporter")
        );
        assert_eq!(
            page_of("mcr.microsoft.com/dotnet/sdk:8.0").as_deref(),
            Some("https://mcr.microsoft.com/artifact/mar/dotnet/sdk")
        );
        assert_eq!(page_of("registry.internal:5000/app:1"), None);
    }
}
