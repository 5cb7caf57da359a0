//! Image history lines (`history[].created_by`) as Dockerfile instructions: the classic
//! builder's `/bin/sh -c #(nop) ` noise removed, its `/bin/sh -c …` shown as `RUN`, BuildKit's
//! `RUN /bin/sh -c … # buildkit` and Go-formatted values (`VOLUME [/a]`, `EXPOSE map[80/tcp:{}]`)
//! turned back into what the Dockerfile said.

/// One history line as the instruction that made it.
pub fn instruction(created_by: &str) -> String {
    let line = created_by.trim();
    let line = line.strip_suffix("# buildkit").map(str::trim_end).unwrap_or(line);
    // Classic builder: `/bin/sh -c #(nop) CMD ["bash"]` is metadata, `/bin/sh -c apt-get …` a RUN.
    if let Some(rest) = strip_shell(line) {
        return match rest.trim_start().strip_prefix("#(nop)") {
            Some(meta) => go_forms(meta.trim()),
            None => format!("RUN {}", rest.trim()),
        };
    }
    // BuildKit: `RUN /bin/sh -c apt-get … # buildkit`, `RUN |2 A=1 B=2 /bin/sh -c make`.
    if let Some(rest) = line.strip_prefix("RUN ") {
        let rest = skip_build_args(rest.trim_start());
        return match strip_shell(rest) {
            Some(script) => format!("RUN {}", script.trim()),
            None => format!("RUN {rest}"),
        };
    }
    go_forms(line)
}

/// `/bin/sh -c X` or `|2 A=1 B=2 /bin/sh -c X` → `X`.
fn strip_shell(line: &str) -> Option<&str> {
    let line = skip_build_args(line);
    ["/bin/sh -c ", "/bin/bash -c ", "/bin/sh -o pipefail -c ", "/bin/bash -o pipefail -c "]
        .iter()
        .find_map(|prefix| line.strip_prefix(prefix))
}

/// Build arguments the classic builder and BuildKit prefix to `RUN` lines: `|2 A=1 B=2 `.
fn skip_build_args(line: &str) -> &str {
    let Some(rest) = line.strip_prefix('|') else { return line };
    let count_len = rest.find(' ').unwrap_or(rest.len());
    let Ok(count) = rest[..count_len].parse::<usize>() else { return line };
    let mut rest = rest[count_len..].trim_start();
    for _ in 0..count {
        rest = rest.split_once(' ').map_or("", |(_, r)| r.trim_start());
    }
    rest
}

/// Go's `%v` of lists and maps back to Dockerfile syntax.
fn go_forms(line: &str) -> String {
    let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
    match keyword {
        "VOLUME" | "SHELL" if rest.starts_with('[') && !rest.starts_with("[\"") => {
            let items: Vec<String> = rest
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split_whitespace()
                .map(|i| format!("{i:?}"))
                .collect();
            format!("{keyword} [{}]", items.join(", "))
        }
        "EXPOSE" if rest.starts_with("map[") => {
            let ports: Vec<&str> = rest
                .trim_start_matches("map[")
                .trim_end_matches(']')
                .split_whitespace()
                .map(|p| p.trim_end_matches(":{}"))
                .collect();
            format!("EXPOSE {}", ports.join(" "))
        }
        "HEALTHCHECK" if rest.starts_with("&{[") => healthcheck(rest).unwrap_or_else(|| line.to_string()),
        _ => line.to_string(),
    }
}

/// `&{["CMD-SHELL" "curl -f http://localhost/"] "30s" …}` → `HEALTHCHECK CMD curl -f …`.
fn healthcheck(rest: &str) -> Option<String> {
    let list = rest.strip_prefix("&{[")?.split(']').next()?;
    let items: Vec<String> = serde_json::from_str(&format!("[{}]", list.replace("\" \"", "\", \""))).ok()?;
    match items.split_first()? {
        (kind, [command]) if kind == "CMD-SHELL" => Some(format!("HEALTHCHECK CMD {command}")),
        (kind, args) if kind == "CMD" => Some(format!("HEALTHCHECK CMD {}", serde_json::to_string(args).ok()?)),
        (kind, []) if kind == "NONE" => Some("HEALTHCHECK NONE".to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_from_real_images() {
        let lines = [
            "/bin/sh -c #(nop) ADD file:5f7e0f1a9d4c7a2b3c4d in / ",
            "/bin/sh -c #(nop)  CMD [\"bash\"]",
            "/bin/sh -c #(nop)  ENV LANG=C.UTF-8",
            "/bin/sh -c set -eux; apt-get update; rm -rf /var/lib/apt/lists/*",
            "|2 PYTHON_VERSION=3.11.9 TARGETARCH=amd64 /bin/sh -c make -j \"$(nproc)\"",
            "/bin/sh -c #(nop)  VOLUME [/usr/app]",
            "/bin/sh -c #(nop)  EXPOSE 8080",
            "RUN /bin/sh -c apt-get update && apt-get install -y git # buildkit",
            "RUN |1 TARGETARCH=amd64 /bin/sh -c echo $TARGETARCH # buildkit",
            "WORKDIR /usr/app",
            "VOLUME [/usr/app /data]",
            "EXPOSE map[8080/tcp:{} 9090/tcp:{}]",
            "SHELL [/bin/bash -c]",
            "ENTRYPOINT [\"dbt\"]",
            "ONBUILD COPY . /usr/app",
            "COPY . . # buildkit",
            "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://localhost/\"] \"30s\" \"3s\" \"0s\" \"0s\" '\\x03'}",
            "ARG TARGETARCH",
            "HEALTHCHECK &{[\"CMD\" \"/bin/check\" \"--fast\"] \"0s\" \"0s\" \"0s\" \"0s\" '\\x00'}",
        ];
        let out: Vec<String> = lines.iter().map(|l| instruction(l)).collect();
        expect_test::expect![[r#"
            [
                "ADD file:5f7e0f1a9d4c7a2b3c4d in /",
                "CMD [\"bash\"]",
                "ENV LANG=C.UTF-8",
                "RUN set -eux; apt-get update; rm -rf /var/lib/apt/lists/*",
                "RUN make -j \"$(nproc)\"",
                "VOLUME [\"/usr/app\"]",
                "EXPOSE 8080",
                "RUN apt-get update && apt-get install -y git",
                "RUN echo $TARGETARCH",
                "WORKDIR /usr/app",
                "VOLUME [\"/usr/app\", \"/data\"]",
                "EXPOSE 8080/tcp 9090/tcp",
                "SHELL [\"/bin/bash\", \"-c\"]",
                "ENTRYPOINT [\"dbt\"]",
                "ONBUILD COPY . /usr/app",
                "COPY . .",
                "HEALTHCHECK CMD curl -f http://localhost/",
                "ARG TARGETARCH",
                "HEALTHCHECK CMD [\"/bin/check\",\"--fast\"]",
            ]
        "#]]
        .assert_debug_eq(&out);
    }
}
