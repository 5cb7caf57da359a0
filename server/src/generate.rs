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
