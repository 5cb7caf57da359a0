//! Rule tests as data: a Dockerfile snippet and the expected findings, rendered as
//! `line:col code severity `covered text``.

use expect_test::{Expect, expect};

use crate::analysis::diagnostics;
use crate::analysis::image_facts::{Found, HistoryEntry, ImageConfig, ImageFacts, Lookup};
use crate::analysis::settings::{Level, RuleSettings};
use crate::analysis::{Rule, Severity};
use crate::syntax::dockerfile::Dockerfile;

fn render(text: &str, facts: &ImageFacts, with_messages: bool) -> String {
    let file = Dockerfile::parse(text);
    let mut out = String::new();
    for d in diagnostics::dockerfile(&file, text, facts, &RuleSettings::default()) {
        let before = &text[..d.range.start as usize];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        let covered = text[d.range.as_range()].replace('\n', "⏎");
        out.push_str(&format!("{line}:{col} {} {} `{covered}`\n", d.rule.code(), d.severity));
        if with_messages {
            out.push_str(&format!("    {}\n", d.message));
            for r in &d.related {
                out.push_str(&format!("    related `{}`: {}\n", &text[r.range.as_range()], r.message));
            }
        }
    }
    out
}

fn check(text: &str, expect: Expect) {
    expect.assert_eq(&render(text, &ImageFacts::default(), false));
}

fn check_messages(text: &str, expect: Expect) {
    expect.assert_eq(&render(text, &ImageFacts::default(), true));
}

#[test]
fn image_tags_and_digests() {
    check(
        r#"FROM ubuntu
FROM node:latest
FROM python:2.7
FROM python:2.7.17-slim
FROM ghcr.io/dbt-labs/dbt-core:1.4.1 as build
FROM nginx:0.0.1-alpine@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067
FROM scratch
FROM --platform=$BUILDPLATFORM golang:1.22 AS gobuild
"#,
        expect![[r#"
            1:6 image-untagged warning `ubuntu`
            1:6 image-unpinned hint `ubuntu`
            2:6 image-unpinned hint `node:latest`
            2:11 image-latest warning `latest`
            3:6 image-unpinned hint `python:2.7`
            3:13 image-floating-tag information `2.7`
            4:6 image-unpinned hint `python:2.7.17-slim`
            5:6 image-unpinned hint `ghcr.io/dbt-labs/dbt-core:1.4.1`
            8:32 image-unpinned hint `golang:1.22`
            8:39 image-floating-tag information `1.22`
        "#]],
    );
}

#[test]
fn stage_references_are_not_images() {
    check(
        r#"FROM golang:1.22.5@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067 AS build
RUN go build -o /out/app ./...
FROM build AS test
RUN go test ./...
FROM gcr.io/distroless/static-debian12@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067
COPY --from=build /out/app /app
COPY --from=0 /out/app /app2
COPY --from=nginx:1.27 /etc/nginx/nginx.conf /etc/nginx/
RUN --mount=type=bind,from=alpine,source=/bin/busybox,target=/bb /bb true
"#,
        expect![[r#"
            8:13 image-unpinned hint `nginx:1.27`
            8:19 image-floating-tag information `1.27`
            9:28 image-untagged warning `alpine`
            9:28 image-unpinned hint `alpine`
        "#]],
    );
}

#[test]
fn arg_defaults_are_judged_on_the_arg_line() {
    check_messages(
        r#"ARG BASE=python:2.7
ARG TAG
FROM ${BASE}
FROM debian:${TAG}
FROM $UNDECLARED
FROM ${OS:-alpine}:3.20.1
"#,
        expect![[r#"
            1:10 image-floating-tag information `python:2.7`
                `python:2.7` (from the default of ARG BASE) names a series, not a release: `2.7` moves to each new release in it, so the next build can get a different image. Use a full version tag (`2.7.<patch>`) and pin its digest.
            1:10 image-unpinned hint `python:2.7`
                `python:2.7` (from the default of ARG BASE) is not pinned by digest, so a re-push of the tag silently changes the base image. Pin it as `python:2.7@sha256:<digest>`.
            4:13 from-arg-unresolved warning `${TAG}`
                The base image depends on `$TAG`, and `ARG TAG` has no default, so whoever runs the build chooses the image. Give `ARG TAG` a default (ideally a digest-pinned reference) before the first FROM.
            5:6 from-arg-unresolved warning `$UNDECLARED`
                `$UNDECLARED` is not declared by an ARG before the first FROM, so the image is whatever the build passes (or empty). Declare `ARG UNDECLARED=<image>` before the first FROM.
            6:6 image-unpinned hint `${OS:-alpine}:3.20.1`
                `alpine:3.20.1` is not pinned by digest, so a re-push of the tag silently changes the base image. Pin it as `alpine:3.20.1@sha256:<digest>`.
        "#]],
    );
}

#[test]
fn seed_003_arg_pinned_by_digest_is_quiet() {
    check(
        r#"ARG SRCSHA=870b187824ecb90dbb968ff713e30ad950c42c6b2ddbae30559a48694b87fd77
FROM debian:buster@sha256:${SRCSHA}
"#,
        expect![[""]],
    );
}

#[test]
fn apt_get_with_continuations() {
    check_messages(
        r#"FROM debian:12.6@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      # the pinned one
      curl=7.88.1-10+deb12u5 \
      git \
 && rm -rf /var/lib/apt/lists/*
RUN apt-get install -y curl=7.88.1-10+deb12u5 ./local.deb $EXTRA
RUN apt-get dist-upgrade -y && apt-get -o Dpkg::Options::=--force-confnew upgrade
"#,
        expect![[r#"
            3:5 package-unpinned warning `apt-get install`
                `apt-get install` installs `ca-certificates`, `git` without a version, so each build takes whatever the mirror has that day. Pin versions (`curl=7.88.1-10+deb12u5`) or install from a lock file.
            10:5 package-upgrade information `apt-get dist-upgrade`
                `apt-get dist-upgrade` makes the image whatever the mirror had on build day. Rely on a pinned base image digest and pinned package versions instead.
            10:32 package-upgrade information `apt-get -o Dpkg::Options::=--force-confnew upgrade`
                `apt-get upgrade` makes the image whatever the mirror had on build day. Rely on a pinned base image digest and pinned package versions instead.
        "#]],
    );
}

#[test]
fn language_package_managers() {
    check(
        r#"FROM scratch
RUN pip install --no-cache-dir -r requirements.txt --require-hashes
RUN pip install -r requirements.txt
RUN pip install flask==3.0.3 "requests>=2" .
RUN python3 -m pip install --upgrade pip
RUN pip install -c constraints.txt flask
RUN npm ci && npm install && npm i -g typescript@5.6.3 pnpm
RUN npm install --save-exact lodash@4.17.21 @scope/pkg@^1.2.0
RUN apk add --no-cache --virtual .build-deps gcc musl-dev=1.2.4-r2
RUN gem install bundler -v 2.5.6 && gem install rails
RUN go install golang.org/x/tools/gopls@latest && go install ./cmd/... && go install honnef.co/go/tools/cmd/staticcheck@v0.5.1
RUN dnf install -y httpd-2.4.62 python3-pip && yum update -y
"#,
        expect![[r#"
            4:5 package-unpinned warning `pip install`
            5:5 package-unpinned warning `python3 -m pip install`
            7:30 package-unpinned warning `npm i`
            8:5 package-unpinned warning `npm install`
            9:5 package-unpinned warning `apk add`
            10:37 package-unpinned warning `gem install`
            11:5 package-unpinned warning `go install`
            12:5 package-unpinned warning `dnf install`
            12:48 package-upgrade information `yum update`
        "#]],
    );
}

#[test]
fn heredoc_and_exec_form_and_sh_c() {
    check(
        r#"FROM scratch
RUN <<EOF
set -e
apt-get update
apt-get install -y curl
EOF
RUN python3 <<EOF
print("apt-get install -y curl")
EOF
RUN ["apt-get", "install", "-y", "jq"]
RUN ["/bin/sh", "-c", "pip install requests"]
RUN sh -c 'npm install -g yarn'
"#,
        expect![[r#"
            5:1 package-unpinned warning `apt-get install`
            10:7 package-unpinned warning `apt-get", "install`
            11:24 package-unpinned warning `pip install`
            12:12 package-unpinned warning `npm install`
        "#]],
    );
}

#[test]
fn remote_scripts() {
    check(
        r#"FROM scratch
RUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
RUN wget -qO- https://get.example.com | sudo -E sh -s -- --yes
RUN curl -sSL https://install.python-poetry.org | python3 -
RUN sh -c "$(curl -fsSL https://raw.githubusercontent.com/ohmyzsh/ohmyzsh/master/tools/install.sh)"
RUN bash <(curl -s https://x/i.sh)
RUN curl -fsSLo /tmp/i.sh https://x/i.sh && echo "abc  /tmp/i.sh" | sha256sum -c && sh /tmp/i.sh
RUN curl -s https://x/data.json | jq .
ADD https://example.com/tool.tar.gz /opt/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool.tar.gz /opt/
ADD https://github.com/moby/buildkit.git#v0.10.1 /src
ADD git@github.com:moby/buildkit.git#a1b2c3d4e5f60718293a4b5c6d7e8f9012345678 /src2
ADD ./local.tar.gz /opt/
"#,
        expect![[r#"
            2:5 remote-script-pipe warning `curl -fsSL https://deb.nodesource.com/setup_20.x | bash -`
            3:5 remote-script-pipe warning `wget -qO- https://get.example.com | sudo -E sh -s -- --yes`
            4:5 remote-script-pipe warning `curl -sSL https://install.python-poetry.org | python3 -`
            5:5 remote-script-pipe warning `sh -c "$(curl -fsSL https://raw.githubusercontent.com/ohmyzsh/ohmyzsh/master/tools/install.sh)"`
            6:5 remote-script-pipe warning `bash <(curl -s https://x/i.sh)`
            9:5 add-url-unchecked warning `https://example.com/tool.tar.gz`
            11:5 add-url-unchecked warning `https://github.com/moby/buildkit.git#v0.10.1`
        "#]],
    );
}

#[test]
fn volume_writes_in_stage_and_parent_stage() {
    check_messages(
        r#"FROM alpine:3.20.1@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067 AS base
VOLUME /usr/app
FROM base
WORKDIR /usr/app
COPY ourproject/ .
RUN --mount=type=cache,target=/usr/app/.cache touch /usr/app/.cache/x
RUN echo hi > /usr/app/marker
RUN cat newfile.txt
"#,
        expect![[r#"
            3:6 volume-inherited information `base`
                `base` declares VOLUME `/usr/app` (`/usr/app` by a VOLUME of a parent stage). Files the build writes there may be discarded, and every container gets an anonymous volume there that `docker compose up` re-attaches on each deploy: mount a named volume or a bind mount at that path, or write elsewhere.
                related `/usr/app`: `/usr/app` is declared a volume here
            5:18 volume-write-after-declare warning `.`
                COPY writes to `/usr/app`, but `VOLUME /usr/app` declared earlier: the legacy builder discards this write, BuildKit keeps it, and at run time an existing volume hides it. Write before declaring the VOLUME, or drop the VOLUME and mount a named volume.
                related `/usr/app`: `/usr/app` is declared a volume here
            7:15 volume-write-after-declare warning `/usr/app/marker`
                RUN writes to `/usr/app/marker`, but `VOLUME /usr/app` declared earlier: the legacy builder discards this write, BuildKit keeps it, and at run time an existing volume hides it. Write before declaring the VOLUME, or drop the VOLUME and mount a named volume.
                related `/usr/app`: `/usr/app` is declared a volume here
        "#]],
    );
}

#[test]
fn volume_from_image_facts() {
    let text = "FROM ghcr.io/dbt-labs/dbt-core:1.4.1 as build\nWORKDIR /usr/app\nCOPY ourproject/ .\n";
    let mut facts = ImageFacts::default();
    facts.insert(
        "ghcr.io/dbt-labs/dbt-core:1.4.1",
        ImageConfig {
            volumes: vec!["/usr/app".into()],
            working_dir: Some("/usr/app".into()),
            ..ImageConfig::default()
        },
    );
    expect![[r#"
        1:6 image-unpinned hint `ghcr.io/dbt-labs/dbt-core:1.4.1`
        1:6 volume-inherited information `ghcr.io/dbt-labs/dbt-core:1.4.1`
        3:18 volume-write-after-declare warning `.`
    "#]]
    .assert_eq(&render(text, &facts, false));
}

fn found(digest: &str, config: ImageConfig) -> Lookup {
    Lookup::Found(std::sync::Arc::new(Found { digest: digest.into(), config, ..Found::default() }))
}

#[test]
fn registry_answers_give_pin_stale_not_found_and_inherited_volumes() {
    let old = format!("sha256:{}", "a".repeat(64));
    let new = format!("sha256:{}", "b".repeat(64));
    let text = format!(
        "ARG BASE=registry.example/team/base:1.0\n\
         FROM registry.example/team/base:1.0@{old} AS pinned\n\
         FROM registry.example/team/gone:2.0 AS gone\n\
         FROM $BASE\n\
         FROM ghcr.io/dbt-labs/dbt-core:1.4.1\n\
         WORKDIR /usr/app\n\
         COPY ourproject/ .\n"
    );
    let mut facts = ImageFacts::default();
    facts.insert_lookup("registry.example/team/base:1.0", found(&new, ImageConfig::default()));
    facts.insert_lookup(format!("registry.example/team/base:1.0@{old}"), found(&old, ImageConfig::default()));
    facts.insert_lookup("registry.example/team/gone:2.0", Lookup::NotFound);
    let dbt = ImageConfig {
        volumes: vec!["/usr/app".into()],
        working_dir: Some("/usr/app".into()),
        history: vec![
            HistoryEntry { created_by: "/bin/sh -c #(nop)  ENV PYTHONIOENCODING=utf-8".into(), ..Default::default() },
            HistoryEntry { created_by: "/bin/sh -c #(nop)  VOLUME [/usr/app]".into(), ..Default::default() },
            HistoryEntry { created_by: "/bin/sh -c #(nop) WORKDIR /usr/app/dbt/".into(), ..Default::default() },
        ],
        ..Default::default()
    };
    facts.insert_lookup("ghcr.io/dbt-labs/dbt-core:1.4.1", found(&new, dbt));
    let rendered = render(&text, &facts, true).replace(&old, "sha256:aaa…").replace(&new, "sha256:bbb…");
    expect![[r#"
        1:10 image-floating-tag information `registry.example/team/base:1.0`
            `registry.example/team/base:1.0` (from the default of ARG BASE) names a series, not a release: `1.0` moves to each new release in it, so the next build can get a different image. Use a full version tag (`1.0.<patch>`) and pin its digest.
        1:10 image-unpinned hint `registry.example/team/base:1.0`
            `registry.example/team/base:1.0` (from the default of ARG BASE) is not pinned by digest, so a re-push of the tag silently changes the base image. Pin it as `registry.example/team/base:1.0@sha256:<digest>`.
        2:37 image-pin-stale information `sha256:aaa…`
            Drift detected: `registry.example/team/base:1.0` now resolves to `sha256:bbb…`, not the pinned `sha256:aaa…`: the tag was re-pushed. Review what changed, then update the pin.
        3:6 image-unpinned hint `registry.example/team/gone:2.0`
            `registry.example/team/gone:2.0` is not pinned by digest, so a re-push of the tag silently changes the base image. Pin it as `registry.example/team/gone:2.0@sha256:<digest>`.
        3:6 image-not-found warning `registry.example/team/gone:2.0`
            The registry answered that this repository or tag does not exist: `registry.example/team/gone:2.0` cannot be pulled. Check the name and tag (a private registry may also hide repositories you cannot read).
        3:33 image-floating-tag information `2.0`
            `registry.example/team/gone:2.0` names a series, not a release: `2.0` moves to each new release in it, so the next build can get a different image. Use a full version tag (`2.0.<patch>`) and pin its digest.
        5:6 image-unpinned hint `ghcr.io/dbt-labs/dbt-core:1.4.1`
            `ghcr.io/dbt-labs/dbt-core:1.4.1` is not pinned by digest, so a re-push of the tag silently changes the base image. Pin it as `ghcr.io/dbt-labs/dbt-core:1.4.1@sha256:<digest>`.
        5:6 volume-inherited information `ghcr.io/dbt-labs/dbt-core:1.4.1`
            `ghcr.io/dbt-labs/dbt-core:1.4.1` declares VOLUME `/usr/app` (`/usr/app` in its history step 2 of 3: `/bin/sh -c #(nop)  VOLUME [/usr/app]`). Files the build writes there may be discarded, and every container gets an anonymous volume there that `docker compose up` re-attaches on each deploy: mount a named volume or a bind mount at that path, or write elsewhere.
        7:18 volume-write-after-declare warning `.`
            COPY writes to `/usr/app`, but the base image `ghcr.io/dbt-labs/dbt-core:1.4.1` (history step 2 of 3: `/bin/sh -c #(nop)  VOLUME [/usr/app]`) declares `VOLUME /usr/app`: the legacy builder discards this write, BuildKit keeps it, and at run time an existing volume hides it. Write before declaring the VOLUME, or drop the VOLUME and mount a named volume.
            related `ghcr.io/dbt-labs/dbt-core:1.4.1`: `/usr/app` is declared a volume here
    "#]]
    .assert_eq(&rendered);
}

#[test]
fn volume_declared_after_writes_is_fine() {
    check(
        "FROM scratch\nCOPY data/ /data/\nRUN mkdir -p /data/x\nVOLUME /data\nFROM scratch\nCOPY . /data\n",
        expect![[""]],
    );
}

#[test]
fn suppressions_and_settings() {
    let text = "# driftls-ignore-file: image-unpinned\n# driftls-ignore: image-latest\nFROM node:latest\nFROM node:latest\nRUN npm i -g pnpm # driftls-ignore: package-unpinned\n";
    let file = Dockerfile::parse(text);
    let mut settings = RuleSettings::default();
    settings.set(Rule::ImageLatest, Level::On(Severity::Error));
    let found: Vec<String> = diagnostics::dockerfile(&file, text, &ImageFacts::default(), &settings)
        .iter()
        .map(|d| format!("{} {} {:?}", d.rule.code(), d.severity, d.range))
        .collect();
    expect![[r#"
        [
            "image-latest error 96..102",
        ]
    "#]]
    .assert_debug_eq(&found);
}

#[test]
fn half_typed_lines_keep_the_rest() {
    check(
        "FROM ubuntu:22.04\nFR\nRUN apt-get install -y curl\nFROM\nCOPY --from= /x /y\nRUN curl -s https://x | sh\n",
        expect![[r#"
            1:6 image-unpinned hint `ubuntu:22.04`
            1:13 image-floating-tag information `22.04`
            3:5 package-unpinned warning `apt-get install`
            6:5 remote-script-pipe warning `curl -s https://x | sh`
        "#]],
    );
}

#[test]
fn non_ascii_and_crlf() {
    check(
        "# 日本語 😀\r\nFROM ubuntu:latest\r\nRUN echo 'é' && apt-get install -y curl\r\n",
        expect![[r#"
            2:6 image-unpinned hint `ubuntu:latest`
            2:13 image-latest warning `latest`
            3:17 package-unpinned warning `apt-get install`
        "#]],
    );
}

/// Every fixture Dockerfile (real-world shapes: multi-stage Go and Node, apt-get with
/// continuations, heredocs, the seeds' files), rendered: firing and quiet lines alike.
#[test]
fn fixture_dockerfiles() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut dirs: Vec<_> =
        std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    let mut out = String::new();
    for dir in dirs {
        let path = dir.join("Dockerfile");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        out.push_str(&format!("== {}\n", dir.file_name().unwrap().to_string_lossy()));
        out.push_str(&render(&text, &ImageFacts::default(), false));
    }
    expect![[r#"
        == go-multistage
        2:16 image-floating-tag information `1.22`
        3:32 image-unpinned hint `golang:${GO_VERSION}-bookworm`
        8:5 package-unpinned warning `go install`
        14:6 image-unpinned hint `gcr.io/distroless/static-debian12:nonroot`
        == local-volume
        4:6 volume-inherited information `db-base`
        6:38 volume-write-after-declare warning `/var/lib/postgresql/data/postgresql.conf`
        == node-heredoc
        1:6 image-unpinned hint `node:20-bookworm-slim`
        1:11 image-floating-tag information `20-bookworm-slim`
        6:6 image-unpinned hint `node:latest`
        6:11 image-latest warning `latest`
        12:1 package-unpinned warning `npm install`
        14:1 package-unpinned warning `apt-get install`
        == pinned
        == seed-000-dbt
        2:6 image-unpinned hint `ghcr.io/dbt-labs/dbt-core:1.4.1`
        5:5 package-unpinned warning `apt-get install`
        == seed-000-project
        8:6 volume-inherited information `dbt-base`
        10:18 volume-write-after-declare warning `.`
        11:18 volume-write-after-declare warning `.`
        == seed-002-internal-base
        2:6 image-unpinned hint `registry.internal.example:5000/platform/app-base:2024.03`
        == seed-003-drift-sources
        2:17 image-floating-tag information `buster`
        2:17 image-unpinned hint `buster`
        8:23 package-upgrade information `apt-get upgrade`
        9:5 package-unpinned warning `apt-get install`
        12:5 add-url-unchecked warning `https://github.com/mikefarah/yq/releases/download/v4.44.3/yq_linux_amd64`
        13:5 remote-script-pipe warning `curl -fsSL https://get.example-tool.dev/install.sh | bash -s -- --yes`
        16:5 package-unpinned warning `pip3 install`
        == seed-004-shared-tag
        2:6 image-unpinned hint `python:2.7`
        2:13 image-floating-tag information `2.7`
    "#]]
    .assert_eq(&out);
}
