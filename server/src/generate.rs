//! Deterministic, realistic inputs for benchmarks and stress tests: multi-stage Dockerfiles
//! with continuations, heredocs, many images, package installs and the drift patterns driftls
//! looks for. The same `(lines, seed)` always gives the same text.

/// A small fixed-seed generator (xorshift), so inputs do not depend on a crate's RNG.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const IMAGES: [&str; 12] = [
    "ubuntu:22.04",
    "debian:bookworm-slim",
    "python:3.12.7-slim",
    "node:20",
    "node:latest",
    "golang:1.22.5",
    "alpine",
    "ghcr.io/dbt-labs/dbt-core:1.4.1",
    "nginx:1.27.2-alpine@sha256:2140dad235c130ac861018a4e13a6bc8aea3a35f3a40e20c1b060d51a7efd250",
    "postgres:16.4",
    "registry.example.com:5000/team/base:2024.03",
    "python:2.7",
];
const PACKAGES: [&str; 10] = [
    "curl",
    "git",
    "ca-certificates",
    "openssh-client",
    "make",
    "gcc",
    "libpq-dev",
    "jq",
    "unzip",
    "tzdata=2024a-0+deb12u1",
];

/// A Dockerfile of about `lines` lines.
pub fn dockerfile(lines: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(lines * 40);
    out.push_str("# syntax=docker/dockerfile:1.7\nARG BASE=python:3.12\nARG TAG\n");
    let mut stage = 0;
    let (mut counted, mut line_count) = (0, 0);
    loop {
        line_count += out[counted..].bytes().filter(|&b| b == b'\n').count();
        counted = out.len();
        if line_count >= lines {
            break;
        }
        let image = rng.pick(&IMAGES);
        match rng.below(6) {
            0 => out.push_str("FROM ${BASE}"),
            1 if stage > 0 => out.push_str(&format!("FROM stage{}", rng.below(stage))),
            _ => out.push_str(&format!("FROM {image}")),
        }
        out.push_str(&format!(" AS stage{stage}\n"));
        stage += 1;
        out.push_str("WORKDIR /usr/app\nENV LANG=C.UTF-8 \\\n    PYTHONUNBUFFERED=1\n");
        for _ in 0..4 + rng.below(4) {
            match rng.below(9) {
                0 | 1 => {
                    out.push_str("RUN apt-get update \\\n && apt-get install -y --no-install-recommends \\\n");
                    for _ in 0..1 + rng.below(4) {
                        out.push_str(&format!("      {} \\\n", rng.pick(&PACKAGES)));
                    }
                    out.push_str(" && rm -rf /var/lib/apt/lists/*\n");
                }
                2 => out.push_str(
                    "RUN pip install --no-cache-dir -r requirements.txt && pip install flask==3.0.3 gunicorn\n",
                ),
                3 => out.push_str("RUN <<EOF\nset -eux\nnpm ci\nnpm install -g pnpm\nEOF\n"),
                4 => out.push_str("RUN curl -fsSL https://example.com/install.sh | sh -s -- -y\n"),
                5 => out.push_str("ADD https://example.com/tool.tar.gz /opt/\nCOPY --link --chown=1000:1000 . .\n"),
                6 => out.push_str("VOLUME /data\nCOPY seed/ /data/\n"),
                7 => out.push_str(&format!(
                    "COPY --from={} /out /out\n",
                    if stage > 1 { "stage0" } else { "alpine:3.20.3" }
                )),
                _ => {
                    out.push_str("RUN --mount=type=cache,target=/root/.cache \\\n    go build -o /out/app ./cmd/app\n")
                }
            }
        }
        out.push_str("EXPOSE 8080\nCMD [\"/out/app\"]\n\n");
    }
    out
}

/// Images for compose services: tags of every specificity, digests, `latest`, none.
const COMPOSE_IMAGES: [&str; 14] = [
    "node:20",
    "node:22.11.0-alpine",
    "node:latest",
    "python:3.12.7-slim",
    "postgres:16.4@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067",
    "postgres:16",
    "redis:7.4.1-alpine",
    "redis",
    "nginx:1.27.2-alpine@sha256:2140dad235c130ac861018a4e13a6bc8aea3a35f3a40e20c1b060d51a7efd250",
    "nginx:stable",
    "ghcr.io/acme/api:2024.03.1",
    "registry.example.com:5000/team/worker:1.8",
    "rabbitmq:3.13-management",
    "mysql:8.0.40",
];
const USERS: [&str; 4] = ["\"1000:1000\"", "node", "\"${UID:-1000}:${GID:-1000}\"", "root"];

/// A compose file of about `lines` lines: an `x-common: &common` anchor merged into services
/// with `<<: *common`; services with images (tags, digests, `latest`, none) or `build:` (short
/// and long, with `dockerfile` and `target`), `user:`, `environment:`, `ports:`,
/// `depends_on:`, `volumes:` mixing named volumes, bind mounts, target-only entries and the
/// long syntax; and the top-level `volumes:` declaring the named volumes.
pub fn compose(lines: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(lines * 28);
    out.push_str(concat!(
        "# generated by driftls::generate::compose\n",
        "x-common: &common\n",
        "  restart: unless-stopped\n",
        "  logging:\n",
        "    driver: json-file\n",
        "    options:\n",
        "      max-size: \"10m\"\n",
        "      max-file: \"3\"\n",
        "  environment:\n",
        "    TZ: UTC\n",
        "\n",
        "services:\n",
    ));
    let mut line_count = out.lines().count();
    let mut named = 0usize;
    let mut service = 0usize;
    // Each named volume adds one line to the top-level `volumes:` (plus its key).
    while line_count + named + 1 < lines {
        let start = out.len();
        let name = format!("svc{service}");
        out.push_str(&format!("  {name}:\n"));
        if rng.below(3) > 0 {
            out.push_str("    <<: *common\n");
        }
        match rng.below(6) {
            0 => out.push_str(&format!("    build: ./{name}\n    image: example/{name}:dev\n")),
            1 => {
                out.push_str(&format!("    build:\n      context: ./{name}\n"));
                if rng.below(2) == 0 {
                    out.push_str("      dockerfile: docker/Dockerfile.prod\n");
                }
                out.push_str(&format!("      target: {}\n", rng.pick(&["runtime", "prod", "dev"])));
                out.push_str("      args:\n        - APP_VERSION=${APP_VERSION:-1.0.0}\n");
            }
            _ => out.push_str(&format!("    image: {}\n", rng.pick(&COMPOSE_IMAGES))),
        }
        if rng.below(2) == 0 {
            out.push_str(&format!("    user: {}\n", rng.pick(&USERS)));
        }
        if rng.below(3) > 0 {
            out.push_str("    environment:\n");
            for i in 0..1 + rng.below(4) {
                out.push_str(&format!("      - {}_{i}=value-{}\n", name.to_uppercase(), rng.below(1000)));
            }
            if rng.below(4) == 0 {
                out.push_str("      - DATABASE_URL=postgres://app:${DB_PASSWORD:-secret}@db:5432/app\n");
            }
        }
        if rng.below(2) == 0 {
            let port = 8000 + service % 1000;
            out.push_str(&format!("    ports:\n      - \"{port}:8080\"\n"));
        }
        if service > 0 && rng.below(2) == 0 {
            out.push_str("    depends_on:\n");
            let first = rng.below(service);
            out.push_str(&format!("      - svc{first}\n"));
            if service > 1 && rng.below(2) == 0 {
                out.push_str(&format!("      - svc{}\n", (first + 1 + rng.below(service - 1)) % service));
            }
        }
        // Each kind of entry at most once per service, so no two entries share a target.
        let kinds: Vec<usize> = (0..6).filter(|_| rng.below(3) == 0).collect();
        if !kinds.is_empty() {
            out.push_str("    volumes:\n");
            for kind in kinds {
                match kind {
                    0 => {
                        out.push_str(&format!("      - data-{named}:/var/lib/{name}\n"));
                        named += 1;
                    }
                    1 => out.push_str(&format!("      - ./{name}/src:/app\n")),
                    2 => out.push_str("      - /app/node_modules\n"),
                    3 => out.push_str("      - ./config/app.conf:/etc/app/app.conf:ro\n"),
                    4 => {
                        out.push_str(&format!(
                            "      - type: volume\n        source: data-{named}\n        target: /srv/cache\n"
                        ));
                        named += 1;
                    }
                    _ => out.push_str(&format!(
                        "      - type: bind\n        source: ./{name}/static\n        target: /usr/share/static\n        read_only: true\n"
                    )),
                }
            }
        }
        out.push_str(&format!(
            "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: {}s\n",
            10 + rng.below(50)
        ));
        line_count += out[start..].bytes().filter(|&b| b == b'\n').count();
        service += 1;
    }
    out.push_str("\nvolumes:\n");
    for i in 0..named {
        out.push_str(&format!("  data-{i}:\n"));
    }
    out
}

/// Writes a repository of exactly `files` files under `dir` (created if missing): a
/// `.github/workflows/deploy.yml` whose `run: |` block deploys the first services, then
/// `services/svc-NNNN/` directories, each with a `Dockerfile` (40 to 200 lines), a
/// `compose.yaml` building it (`build: .`), a `deploy.sh` running `docker compose up -d` and,
/// in every fourth, a `Makefile`. The last directory holds what is left over.
pub fn repository(dir: &std::path::Path, files: usize, seed: u64) -> std::io::Result<()> {
    use std::fs;
    let mut rng = Rng::new(seed);
    let mut written = 0usize;
    if files == 0 {
        return Ok(());
    }
    let workflows = dir.join(".github/workflows");
    fs::create_dir_all(&workflows)?;
    let mut workflow = String::from(concat!(
        "name: deploy\n",
        "on:\n",
        "  push:\n",
        "    branches: [main]\n",
        "jobs:\n",
        "  deploy:\n",
        "    runs-on: ubuntu-24.04\n",
        "    steps:\n",
        "      - uses: actions/checkout@v4\n",
        "      - name: deploy\n",
        "        run: |\n",
        "          set -eux\n",
    ));
    for i in 0..files.div_ceil(4).min(20) {
        workflow.push_str(&format!("          (cd services/svc-{i:04} && docker compose up -d --build)\n"));
    }
    fs::write(workflows.join("deploy.yml"), workflow)?;
    written += 1;
    let mut index = 0usize;
    while written < files {
        let sub = dir.join(format!("services/svc-{index:04}"));
        fs::create_dir_all(&sub)?;
        let lines = 40 + rng.below(161);
        fs::write(sub.join("Dockerfile"), dockerfile(lines, seed.wrapping_add(index as u64)))?;
        written += 1;
        if written < files {
            let mut compose = format!("services:\n  app:\n    build: .\n    image: example/svc-{index:04}:dev\n");
            match rng.below(3) {
                0 => compose.push_str("    volumes:\n      - .:/app\n      - /app/node_modules\n"),
                1 => compose.push_str("    user: \"1000:1000\"\n    volumes:\n      - app-data:/var/lib/app\n"),
                _ => {}
            }
            compose.push_str("    ports:\n      - \"8080:8080\"\n");
            if rng.below(2) == 0 {
                compose.push_str(&format!(
                    "    depends_on:\n      - db\n  db:\n    image: {}\n    volumes:\n      - db-data:/var/lib/postgresql/data\n",
                    rng.pick(&["postgres:16.4", "postgres:16", "postgres"])
                ));
            }
            compose.push_str("volumes:\n  app-data:\n  db-data:\n");
            fs::write(sub.join("compose.yaml"), compose)?;
            written += 1;
        }
        if written < files {
            let script = match rng.below(3) {
                0 => "#!/bin/sh\nset -eu\ncd \"$(dirname \"$0\")\"\ndocker compose pull\ndocker compose up -d\n",
                1 => {
                    "#!/bin/sh\nset -eu\ngit pull --ff-only\ndocker compose build --pull\ndocker compose up -d --remove-orphans\n"
                }
                _ => "#!/bin/bash\nset -euo pipefail\ndocker compose down\ndocker compose up -d --build\n",
            };
            fs::write(sub.join("deploy.sh"), script)?;
            written += 1;
        }
        if written < files && index.is_multiple_of(4) {
            fs::write(
                sub.join("Makefile"),
                ".PHONY: build deploy\n\nbuild:\n\tdocker compose build\n\ndeploy: build\n\tdocker compose up -d\n",
            )?;
            written += 1;
        }
        index += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::analysis::workspace::{SourceFile, Workspace};
    use crate::analysis::{ImageFacts, Rule, RuleSettings, diagnostics};
    use crate::syntax::file_kind::FileKind;

    #[test]
    fn compose_is_deterministic_valid_and_declares_its_volumes() {
        assert_eq!(compose(500, 7), compose(500, 7));
        let text = compose(5_000, 42);
        let lines = text.lines().count();
        assert!((5_000..5_100).contains(&lines), "{lines} lines");
        let path = PathBuf::from("/w/compose.yaml");
        let mut ws = Workspace::default();
        ws.insert(SourceFile::new(path.clone(), FileKind::Compose, text));
        assert!(!ws.get(&path).and_then(|f| f.yaml()).is_some_and(|y| y.has_error));
        let compose = ws.compose(&path).expect("a compose file");
        assert!(compose.services.len() > 250);
        assert!(compose.services.iter().any(|s| s.build.is_some()));
        let found = diagnostics::compose(&ws, &path, &ImageFacts::default(), &RuleSettings::default());
        assert!(found.iter().any(|d| d.rule == Rule::ComposeAnonymousVolume));
        assert!(!found.iter().any(|d| d.rule == Rule::ComposeUndeclaredVolume));
    }

    #[test]
    fn repository_has_exactly_the_files_asked_for() {
        fn count(dir: &Path) -> usize {
            std::fs::read_dir(dir)
                .unwrap()
                .flatten()
                .map(|e| if e.path().is_dir() { count(&e.path()) } else { 1 })
                .sum()
        }
        let dir = std::env::temp_dir().join(format!("driftls-generate-test-{}", std::process::id()));
        for files in [1, 2, 5, 50] {
            let _ = std::fs::remove_dir_all(&dir);
            repository(&dir, files, 1).unwrap();
            assert_eq!(count(&dir), files);
        }
        assert!(dir.join("services/svc-0000/compose.yaml").is_file());
        assert!(dir.join(".github/workflows/deploy.yml").is_file());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
