//! Compose rules as data: a small workspace (compose file, Dockerfiles) and the findings on the
//! compose file, rendered as `line:col code severity `covered text``.

use std::path::{Path, PathBuf};

use expect_test::{Expect, expect};

use crate::analysis::diagnostics;
use crate::analysis::image_facts::{ImageConfig, ImageFacts};
use crate::analysis::settings::RuleSettings;
use crate::analysis::workspace::{SourceFile, Workspace};
use crate::syntax::file_kind::FileKind;

fn workspace(files: &[(&str, &str)]) -> Workspace {
    let mut ws = Workspace { root: Some(PathBuf::from("/w")), ..Workspace::default() };
    for (path, text) in files {
        let path = PathBuf::from(path);
        let kind = FileKind::detect(&path, None);
        ws.insert(SourceFile::new(path, kind, text.to_string()));
    }
    ws
}

fn render(ws: &Workspace, path: &str, facts: &ImageFacts) -> String {
    let text = &ws.get(Path::new(path)).unwrap().text;
    let mut out = String::new();
    for d in diagnostics::compose(ws, Path::new(path), facts, &RuleSettings::default()) {
        let before = &text[..d.range.start as usize];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        out.push_str(&format!("{line}:{col} {} {} `{}`\n", d.rule.code(), d.severity, &text[d.range.as_range()]));
        out.push_str(&format!("    {}\n", d.message));
        for r in &d.related {
            out.push_str(&format!("    related {:?} {:?}: {}\n", r.path, r.range, r.message));
        }
    }
    out
}

fn check(files: &[(&str, &str)], expect: Expect) {
    expect.assert_eq(&render(&workspace(files), files[0].0, &ImageFacts::default()));
}

#[test]
fn seed_000_local_parent_stage_volume() {
    check(
        &[
            ("/w/compose.yaml", "services:\n  app:\n    build: .\n    image: ourfancyregistry.lan/dbtstuff:latest\n"),
            (
                "/w/Dockerfile",
                "FROM python:3.11.9-slim@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067 AS base\nVOLUME /usr/app\nFROM base\nWORKDIR /usr/app\nCOPY . .\n",
            ),
        ],
        expect![[r#"
            3:5 compose-anonymous-volume warning `build`
                Service `app` gets an anonymous volume at `/usr/app` (its Dockerfile declares `VOLUME /usr/app`): `docker compose up` re-attaches the old container's volume on recreate, so new image content there never appears. Mount a named volume there if it holds data, or run `up --renew-anon-volumes` (or `down` first) when deploying.
                related Some("/w/Dockerfile") 111..119: `VOLUME /usr/app` is declared here
        "#]],
    );
}

#[test]
fn target_only_entries_and_data_variant() {
    check(
        &[(
            "/w/compose.yaml",
            r#"services:
  web:
    image: node:22.11.0@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067
    user: node
    volumes:
      - .:/app
      - /app/node_modules
  db:
    image: postgres:16.4@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067
    volumes:
      - /var/lib/postgresql/data
  cache:
    image: redis:7.4.1@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067
    volumes:
      - cache-data:/data
      - /data
volumes:
  cache-data:
"#,
        )],
        expect![[r#"
            7:9 compose-anonymous-volume warning `/app/node_modules`
                Service `web` gets an anonymous volume at `/app/node_modules`: `docker compose up` re-attaches the old container's volume on recreate, so new image content there never appears. Mount a named volume there if it holds data, or run `up --renew-anon-volumes` (or `down` first) when deploying.
            11:9 compose-anonymous-volume warning `/var/lib/postgresql/data`
                Service `db` keeps its data at `/var/lib/postgresql/data` only in an anonymous volume, which `docker compose down -v` or `up -V` destroys. Mount a named volume there to keep it.
        "#]],
    );
}

#[test]
fn registry_image_volumes_from_facts() {
    let ws = workspace(&[("/w/compose.yml", "services:\n  app:\n    image: ghcr.io/dbt-labs/dbt-core:1.4.1\n")]);
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
        3:12 image-unpinned hint `ghcr.io/dbt-labs/dbt-core:1.4.1`
            `ghcr.io/dbt-labs/dbt-core:1.4.1` is not pinned by digest, so a re-push of the tag silently changes what the service runs. Pin it as `ghcr.io/dbt-labs/dbt-core:1.4.1@sha256:<digest>`.
        3:12 compose-anonymous-volume warning `ghcr.io/dbt-labs/dbt-core:1.4.1`
            Service `app` gets an anonymous volume at `/usr/app` (the image `ghcr.io/dbt-labs/dbt-core:1.4.1` declares `VOLUME /usr/app`): `docker compose up` re-attaches the old container's volume on recreate, so new image content there never appears. Mount a named volume there if it holds data, or run `up --renew-anon-volumes` (or `down` first) when deploying.
    "#]].assert_eq(&render(&ws, "/w/compose.yml", &facts));
}

#[test]
fn image_rules_skip_the_output_of_build() {
    check(
        &[
            (
                "/w/docker-compose.yml",
                "services:\n  api:\n    build: ./api\n    image: myorg/api\n  proxy:\n    image: \"nginx\"\n  worker:\n    image: 'python:3.12'\n",
            ),
            ("/w/api/Dockerfile", "FROM scratch\n"),
        ],
        expect![[r#"
            6:13 image-untagged warning `nginx`
                `nginx` has no tag, so it means `latest` and the next build can pull a different image. Add a release tag (`nginx:<version>`) and pin its digest.
            6:13 image-unpinned hint `nginx`
                `nginx` is not pinned by digest, so a re-push of the tag silently changes what the service runs. Pin it as `nginx@sha256:<digest>`.
            8:13 image-unpinned hint `python:3.12`
                `python:3.12` is not pinned by digest, so a re-push of the tag silently changes what the service runs. Pin it as `python:3.12@sha256:<digest>`.
            8:20 image-floating-tag information `3.12`
                `python:3.12` names a series, not a release: `3.12` moves to each new release in it, so the next build can get a different image. Use a full version tag (`3.12.<patch>`) and pin its digest.
        "#]],
    );
}

#[test]
fn bind_mount_owner() {
    check(
        &[
            (
                "/w/compose.yaml",
                r#"services:
  blog:
    build:
      context: .
      args:
        - UID=${UID}
    volumes:
      - .:/app
  runs-as-user:
    build:
      context: ./user
    volumes:
      - ./data:/data
  has-user:
    image: jekyll/jekyll:4.2.2@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067
    user: "${UID:-1000}:${GID:-1000}"
    volumes:
      - .:/srv/jekyll
  read-only:
    image: nginx:1.27.2@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067
    volumes:
      - ./nginx.conf:/etc/nginx/nginx.conf:ro
      - /var/run/docker.sock:/var/run/docker.sock
"#,
            ),
            (
                "/w/Dockerfile",
                "FROM ruby:3.3.5@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067\nWORKDIR /app\n",
            ),
            ("/w/user/Dockerfile", "FROM scratch\nUSER 1000:1000\n"),
        ],
        expect![[r#"
            8:9 compose-bind-mount-owner information `.:/app`
                Service `blog` bind-mounts `.` and nothing says which user it runs as (images default to root), so files it creates there are owned by root on the host. Add `user: "${UID:-1000}:${GID:-1000}"` to the service.
        "#]],
    );
}

#[test]
fn undeclared_volume_missing_paths_and_targets() {
    let mut ws = workspace(&[
        (
            "/w/compose.yaml",
            r#"services:
  api:
    build:
      context: ./api
      target: prod
    volumes:
      - uploads:/srv/uploads
      - db-data:/data
  web:
    build:
      context: ./web
      dockerfile: Dockerfile.web
  gone:
    build: ./nowhere
volumes:
  db-data:
"#,
        ),
        ("/w/api/Dockerfile", "FROM scratch AS build\nFROM build AS runtime\n"),
    ]);
    ws.path_exists.insert(PathBuf::from("/w/web"), true);
    ws.path_exists.insert(PathBuf::from("/w/web/Dockerfile.web"), false);
    ws.path_exists.insert(PathBuf::from("/w/nowhere"), false);
    expect![[r#"
        5:15 compose-build-target-missing error `prod`
            `target: prod` names no stage of `/w/api/Dockerfile` (its stages are build, runtime), so the build fails. Use one of its stage names.
        7:9 compose-undeclared-volume error `uploads`
            Service `api` mounts the named volume `uploads`, which the top-level `volumes:` does not declare, so `docker compose up` refuses to start. Declare it under `volumes:` (or write `./uploads` for a host directory).
        12:19 compose-build-file-missing error `Dockerfile.web`
            The Dockerfile `/w/web/Dockerfile.web` of service `web` does not exist, so the build fails. Fix `dockerfile` (it is relative to `context`).
        14:12 compose-build-file-missing error `./nowhere`
            The build context `/w/nowhere` of service `gone` does not exist, so the build fails. Point `context` at the directory with the sources.
    "#]].assert_eq(&render(&ws, "/w/compose.yaml", &ImageFacts::default()));
}

#[test]
fn no_false_positives_on_a_typical_web_app() {
    check(
        &[
            (
                "/w/compose.yaml",
                r#"x-logging: &logging
  driver: json-file
services:
  web:
    build:
      context: .
      target: runtime
    image: shop/web:dev
    user: "1000:1000"
    logging: *logging
    depends_on: [db]
  db:
    image: postgres:16.4@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067
    volumes:
      - db-data:/var/lib/postgresql/data
    logging: *logging
volumes:
  db-data:
"#,
            ),
            (
                "/w/Dockerfile",
                "FROM python:3.12.7-slim@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067 AS runtime\nUSER app\n",
            ),
        ],
        expect![[""]],
    );
}

#[test]
fn five_megabyte_compose_file() {
    let mut big = String::from("services:\n");
    let mut i = 0;
    while big.len() < 5 * 1024 * 1024 {
        big.push_str(&format!("  svc{i}:\n    image: registry.example.com/app{i}:1.2.3@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067\n    user: \"1000\"\n    volumes:\n      - data{i}:/data\n"));
        i += 1;
    }
    big.push_str("  last:\n    image: nginx:latest\nvolumes:\n");
    for j in 0..i {
        big.push_str(&format!("  data{j}:\n"));
    }
    let ws = workspace(&[("/w/compose.yaml", &big)]);
    let t = std::time::Instant::now();
    let found =
        diagnostics::compose(&ws, Path::new("/w/compose.yaml"), &ImageFacts::default(), &RuleSettings::default());
    eprintln!("BIG {} findings in {:?}", found.len(), t.elapsed());
    assert_eq!(found.len(), 2);
}
