//! The rule catalogue (`../shared/RULES.md`): stable codes, default severities and the one-line
//! summary shown in docs and hovers. Codes never change once shipped.

use crate::analysis::diagnostic::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    ImageUntagged,
    ImageLatest,
    ImageFloatingTag,
    ImageUnpinned,
    ImagePinStale,
    ImageNotFound,
    FromArgUnresolved,
    PackageUnpinned,
    PackageUpgrade,
    RemoteScriptPipe,
    AddUrlUnchecked,
    VolumeInherited,
    VolumeWriteAfterDeclare,
    ComposeAnonymousVolume,
    ComposeBindMountOwner,
    ComposeUndeclaredVolume,
    ComposeBuildTargetMissing,
    ComposeBuildFileMissing,
    DeployUpKeepsAnonymousVolumes,
    /// driftls's own: `.driftls.toml` cannot be read as written.
    ConfigInvalid,
}

use Rule::*;

impl Rule {
    pub const ALL: [Rule; 20] = [
        ImageUntagged,
        ImageLatest,
        ImageFloatingTag,
        ImageUnpinned,
        ImagePinStale,
        ImageNotFound,
        FromArgUnresolved,
        PackageUnpinned,
        PackageUpgrade,
        RemoteScriptPipe,
        AddUrlUnchecked,
        VolumeInherited,
        VolumeWriteAfterDeclare,
        ComposeAnonymousVolume,
        ComposeBindMountOwner,
        ComposeUndeclaredVolume,
        ComposeBuildTargetMissing,
        ComposeBuildFileMissing,
        DeployUpKeepsAnonymousVolumes,
        ConfigInvalid,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ImageUntagged => "image-untagged",
            ImageLatest => "image-latest",
            ImageFloatingTag => "image-floating-tag",
            ImageUnpinned => "image-unpinned",
            ImagePinStale => "image-pin-stale",
            ImageNotFound => "image-not-found",
            FromArgUnresolved => "from-arg-unresolved",
            PackageUnpinned => "package-unpinned",
            PackageUpgrade => "package-upgrade",
            RemoteScriptPipe => "remote-script-pipe",
            AddUrlUnchecked => "add-url-unchecked",
            VolumeInherited => "volume-inherited",
            VolumeWriteAfterDeclare => "volume-write-after-declare",
            ComposeAnonymousVolume => "compose-anonymous-volume",
            ComposeBindMountOwner => "compose-bind-mount-owner",
            ComposeUndeclaredVolume => "compose-undeclared-volume",
            ComposeBuildTargetMissing => "compose-build-target-missing",
            ComposeBuildFileMissing => "compose-build-file-missing",
            DeployUpKeepsAnonymousVolumes => "deploy-up-keeps-anonymous-volumes",
            ConfigInvalid => "config-invalid",
        }
    }

    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn default_severity(self) -> Severity {
        match self {
            ImageUntagged
            | ImageLatest
            | ImageNotFound
            | FromArgUnresolved
            | PackageUnpinned
            | RemoteScriptPipe
            | AddUrlUnchecked
            | VolumeWriteAfterDeclare
            | ComposeAnonymousVolume
            | DeployUpKeepsAnonymousVolumes => Severity::Warning,
            ImageFloatingTag | ImagePinStale | PackageUpgrade | VolumeInherited | ComposeBindMountOwner => {
                Severity::Information
            }
            ImageUnpinned => Severity::Hint,
            ComposeUndeclaredVolume | ComposeBuildTargetMissing | ComposeBuildFileMissing | ConfigInvalid => {
                Severity::Error
            }
        }
    }

    /// What the rule catches, in one sentence.
    pub fn summary(self) -> &'static str {
        match self {
            ImageUntagged => "An image reference with neither tag nor digest means `latest`, which moves.",
            ImageLatest => "A channel tag (`latest`, `stable`, `lts`, …) points at a different image every release.",
            ImageFloatingTag => {
                "A tag that names a series (`python:2.7`, `node:20`, `bookworm`) moves to each new release in it."
            }
            ImageUnpinned => "A pullable image without `@sha256:` can be re-pushed under the same tag.",
            ImagePinStale => "The pinned digest is no longer what the tag resolves to: the tag moved.",
            ImageNotFound => "The registry says this repository or tag does not exist.",
            FromArgUnresolved => {
                "The base image depends on a build argument without a default, so whoever runs the build chooses it."
            }
            PackageUnpinned => "A package install without versions takes whatever the mirror has on build day.",
            PackageUpgrade => "A distribution upgrade makes the image whatever the mirror had that day.",
            RemoteScriptPipe => "A script downloaded and piped into an interpreter runs whatever the server sends.",
            AddUrlUnchecked => "`ADD` of a URL without `--checksum` takes whatever the server sends.",
            VolumeInherited => {
                "The base image declares VOLUME paths; compose re-attaches their anonymous volumes on every `up`."
            }
            VolumeWriteAfterDeclare => {
                "A build step writes under a path an earlier VOLUME declared: builders disagree on keeping it, and volumes hide it at run time."
            }
            ComposeAnonymousVolume => {
                "A compose service gets an anonymous volume that `up` re-attaches, so new image content there never appears."
            }
            ComposeBindMountOwner => "A bind mount without `user:` leaves root-owned files on the host.",
            ComposeUndeclaredVolume => {
                "A service mounts a named volume that the top-level `volumes:` does not declare."
            }
            ComposeBuildTargetMissing => "`build.target` names no stage of the Dockerfile.",
            ComposeBuildFileMissing => "`build.context` or `build.dockerfile` points at a path that does not exist.",
            DeployUpKeepsAnonymousVolumes => {
                "`compose up` without `down` or `--renew-anon-volumes` keeps stale anonymous volumes."
            }
            ConfigInvalid => "`.driftls.toml` cannot be read as written; defaults apply.",
        }
    }
}
