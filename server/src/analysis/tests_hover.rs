//! Hovers as data: files with a `$0` cursor, image facts given directly, the hover rendered as
//! `covered text` then its Markdown.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use expect_test::{Expect, expect};

use crate::analysis::hover::hover;
use crate::analysis::image_facts::{Found, HistoryEntry, ImageConfig, ImageFacts, Lookup};
use crate::analysis::workspace::{SourceFile, Workspace};
use crate::syntax::file_kind::FileKind;

fn check(files: &[(&str, &str)], facts: &ImageFacts, expect: Expect) {
    let mut ws = Workspace { root: Some(PathBuf::from("/w")), ..Workspace::default() };
    let mut cursor = None;
    for (path, text) in files {
        let offset = text.find("$0");
        let text = text.replace("$0", "");
        if let Some(offset) = offset {
            cursor = Some((PathBuf::from(path), offset));
        }
        let path = PathBuf::from(path);
        let kind = FileKind::detect(&path, None);
        ws.insert(SourceFile::new(path, kind, text));
    }
    let (path, offset) = cursor.expect("a $0 cursor");
    let rendered = match hover(&ws, &path, offset, facts) {
        Some(h) => {
            let text = &ws.get(Path::new(&path)).unwrap().text;
            format!("`{}`\n{}", &text[h.range.as_range()], h.markdown)
        }
        None => "(no hover)".to_string(),
    };
    expect.assert_eq(&rendered);
}

fn dbt_facts() -> ImageFacts {
    let mut facts = ImageFacts::default();
    let config = ImageConfig {
        volumes: vec!["/usr/app".into()],
        working_dir: Some("/usr/app".into()),
        env: vec!["PATH=/usr/local/bin:/usr/bin".into(), "DBT_PROFILES_DIR=/usr/app/profiles".into()],
        entrypoint: Some(vec!["dbt".into()]),
        labels: [
            ("org.opencontainers.image.source".to_string(), "https://github.com/dbt-labs/dbt-core".to_string()),
            ("maintainer".to_string(), "dbt".to_string()),
        ]
        .into(),
        history: vec![
            HistoryEntry {
                created_by: "/bin/sh -c #(nop) ADD file:9a4f77dfaba7fd2aa in / ".into(),
                ..Default::default()
            },
            HistoryEntry {
                created_by: "/bin/sh -c #(nop)  CMD [\"bash\"]".into(),
                empty_layer: true,
                ..Default::default()
            },
            HistoryEntry {
                created_by: "RUN /bin/sh -c apt-get update && apt-get install -y git # buildkit".into(),
                ..Default::default()
            },
            HistoryEntry { created_by: "VOLUME [/usr/app]".into(), empty_layer: true, ..Default::default() },
            HistoryEntry { created_by: "WORKDIR /usr/app".into(), empty_layer: true, ..Default::default() },
            HistoryEntry { created_by: "ENTRYPOINT [\"dbt\"]".into(), empty_layer: true, ..Default::default() },
        ],
        created: Some("2023-02-16T19:06:37Z".into()),
        ..Default::default()
    };
    let digest = format!("sha256:{}", "d".repeat(64));
    let found = Found {
        digest,
        platforms: vec!["linux/amd64".into(), "linux/arm64".into()],
        platform: Some("linux/amd64".into()),
        config,
        cached_for: None,
    };
    facts.insert_lookup("ghcr.io/dbt-labs/dbt-core:1.4.1", Lookup::Found(Arc::new(found)));
    facts
}

#[test]
fn image_hover_lists_inherited_instructions_and_the_effective_config() {
    check(
        &[("/w/Dockerfile", "FROM ghcr.io/dbt-labs/dbt$0-core:1.4.1 AS build\n")],
        &dbt_facts(),
        expect![[r#"
            `ghcr.io/dbt-labs/dbt-core:1.4.1`
            **`ghcr.io/dbt-labs/dbt-core:1.4.1`**

            Resolves now to `sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd` (not pinned: pin it as `ghcr.io/dbt-labs/dbt-core:1.4.1@sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd`).

            Platforms: `linux/amd64`, `linux/arm64` (shown: `linux/amd64`)

            Created: 2023-02-16T19:06:37Z

            ⚠ **Declares `VOLUME ["/usr/app"]`**: what a build writes there after this may be discarded, and compose gives every container an anonymous volume there that `up` re-attaches, so new image content at that path never shows. Mount a named volume or a bind mount there.

            Inherited instructions (oldest first):
            ```dockerfile
            ADD file:9a4f77dfaba7fd2aa in /
            CMD ["bash"]
            RUN apt-get update && apt-get install -y git
            VOLUME ["/usr/app"]
            WORKDIR /usr/app
            ENTRYPOINT ["dbt"]
            ```

            A container starts with:
            ```dockerfile
            ENV PATH=/usr/local/bin:/usr/bin
            ENV DBT_PROFILES_DIR=/usr/app/profiles
            WORKDIR /usr/app
            USER root (default)
            VOLUME ["/usr/app"]
            ENTRYPOINT ["dbt"]
            LABEL org.opencontainers.image.source="https://github.com/dbt-labs/dbt-core"
            ```

            and 1 other label(s).
        "#]],
    );
}

#[test]
fn variables_resolve_through_stages_to_the_base_image_env() {
    let text = "ARG TAG=1.4.1\nFROM ghcr.io/dbt-labs/dbt-core:$TAG AS base\nENV APP_HOME=/srv/app\nFROM base\nRUN ls $APP_HOME ${DBT_PROFILES_$0DIR} $TAG\n";
    check(
        &[("/w/Dockerfile", text)],
        &dbt_facts(),
        expect![[r#"
        `${DBT_PROFILES_DIR}`
        `DBT_PROFILES_DIR` = `/usr/app/profiles`

        (`ENV` inherited from `ghcr.io/dbt-labs/dbt-core:1.4.1`)"#]],
    );
    let text = "ARG TAG=1.4.1\nFROM ghcr.io/dbt-labs/dbt-core:$TAG AS base\nENV APP_HOME=/srv/app\nFROM base\nRUN ls $APP_$0HOME\n";
    check(
        &[("/w/Dockerfile", text)],
        &dbt_facts(),
        expect![[r#"
        `$APP_HOME`
        `APP_HOME` = `/srv/app`

        (set by `ENV` in a parent stage)"#]],
    );
    let text = "ARG TAG=1.4.1\nFROM ghcr.io/dbt-labs/dbt-core:$T$0AG AS base\n";
    check(
        &[("/w/Dockerfile", text)],
        &dbt_facts(),
        expect![[r#"
            `$TAG`
            `TAG` = `1.4.1`

            (a global `ARG` default)"#]],
    );
    let text = "FROM scratch\nRUN echo $NO$0PE\n";
    check(
        &[("/w/Dockerfile", text)],
        &dbt_facts(),
        expect![[r#"
        `$NOPE`
        `NOPE` has no value here: no `ARG` or `ENV` before this line sets it, nor the base image."#]],
    );
}

#[test]
fn compose_build_target_names_its_stage() {
    let dockerfile = "FROM ghcr.io/dbt-labs/dbt-core:1.4.1 AS base\nUSER dbt\nFROM base AS build\nCOPY . .\n";
    let compose = "services:\n  app:\n    build:\n      context: .\n      target: bu$0ild\n";
    let facts = ImageFacts::default();
    check(
        &[("/w/Dockerfile", dockerfile), ("/w/compose.yaml", compose)],
        &facts,
        expect![[r#"
        `build`
        Builds stage `build` of `Dockerfile`: `FROM base AS build`

        ---
        **Stage chain** (this stage builds on these, nearest first)

        `build` sets:
        ```dockerfile
        # (nothing a container inherits)
        ```

        `base` sets:
        ```dockerfile
        USER dbt
        ```

        ---
        **`ghcr.io/dbt-labs/dbt-core:1.4.1`**

        *resolving…* (the registry has not answered yet; hover again in a moment)
    "#]],
    );
}

#[test]
fn nothing_to_say_is_no_hover() {
    check(&[("/w/Dockerfile", "FROM scratch\n\n$0\n")], &ImageFacts::default(), expect!["(no hover)"]);
}

#[test]
fn an_answer_from_the_disk_cache_says_how_old_it_is() {
    let mut facts = ImageFacts::default();
    let found = Found {
        digest: format!("sha256:{}", "e".repeat(64)),
        cached_for: Some(std::time::Duration::from_secs(2 * 3600 + 5)),
        ..Found::default()
    };
    facts.insert_lookup("alpine:3.20.3", Lookup::Found(Arc::new(found)));
    check(
        &[("/w/Dockerfile", "FROM alp$0ine:3.20.3\n")],
        &facts,
        expect![[r#"
            `alpine:3.20.3`
            **`docker.io/library/alpine:3.20.3`**

            Resolves now to `sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee` (not pinned: pin it as `alpine:3.20.3@sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee`).

            *From the disk cache: the registry said this 2 hours ago.*

            A container starts with:
            ```dockerfile
            USER root (default)
            ```
        "#]],
    );
}
