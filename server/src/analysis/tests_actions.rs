//! Quick fixes as data: a workspace, the file and finding to fix, and the text after applying
//! each fix, checked to still be valid in its language.

use std::path::{Path, PathBuf};

use expect_test::expect;

use crate::analysis::actions::{Action, fixes};
use crate::analysis::image_facts::ImageFacts;
use crate::analysis::workspace::{SourceFile, Workspace};
use crate::syntax::TextRange;
use crate::syntax::file_kind::FileKind;
use crate::syntax::yaml::Yaml;

const DOCKERFILE: &str = "FROM python:3.11.9-slim@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067 AS base\nVOLUME /usr/app\nFROM base\nCOPY . /usr/app\n";
const COMPOSE: &str = "services:\n  app:\n    build: .\n  db:\n    image: postgres:16.4@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067\n    volumes:\n      - db-data:/var/lib/postgresql/data\nvolumes:\n  db-data:\n";

fn workspace(extra: &[(&str, &str)]) -> Workspace {
    let mut ws = Workspace { root: Some(PathBuf::from("/w")), ..Workspace::default() };
    for (path, text) in [("/w/Dockerfile", DOCKERFILE), ("/w/compose.yaml", COMPOSE)].iter().chain(extra) {
        let path = PathBuf::from(path);
        let kind = FileKind::detect(&path, None);
        ws.insert(SourceFile::new(path, kind, text.to_string()));
    }
    ws
}

fn apply(text: &str, action: &Action) -> String {
    let mut edits = action.edits.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    let mut out = text.to_string();
    for e in edits {
        out.replace_range(e.range.as_range(), &e.new_text);
    }
    out
}

/// Every fix of `path`, rendered as its title, preferred flag and the changed file.
fn render(ws: &Workspace, path: &str) -> (String, Vec<String>) {
    let text = ws.get(Path::new(path)).unwrap().text.clone();
    let actions = fixes(ws, Path::new(path), TextRange::new(0, text.len()), &ImageFacts::default());
    let mut out = String::new();
    let mut results = Vec::new();
    for a in &actions {
        let fixed = apply(&text, a);
        out.push_str(&format!("== {} (preferred: {})\n{fixed}", a.title, a.preferred));
        results.push(fixed);
    }
    (out, results)
}

/// The commands a shell text runs, program and arguments.
fn commands(text: &str) -> Vec<String> {
    crate::syntax::shell::parse(text)
        .commands()
        .iter()
        .map(|c| c.words.iter().map(|w| w.value.as_str()).collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn jenkinsfile_one_line_ssh_command() {
    let jenkins = "node {\n  stage('Deploy') {\n    sshCommand remote: remote, command: \"cd /srv/docker/dbtstuff && docker compose up -d --pull always\"\n  }\n}\n";
    let (out, _) = render(&workspace(&[("/w/Jenkinsfile", jenkins)]), "/w/Jenkinsfile");
    expect![[r#"
        == Add --renew-anon-volumes to this `up` (renews anonymous volumes only) (preferred: true)
        node {
          stage('Deploy') {
            sshCommand remote: remote, command: "cd /srv/docker/dbtstuff && docker compose up --renew-anon-volumes -d --pull always"
          }
        }
        == Run `docker compose down` before `up` (the old anonymous volume is left behind, not re-attached) (preferred: false)
        node {
          stage('Deploy') {
            sshCommand remote: remote, command: "cd /srv/docker/dbtstuff && docker compose down && docker compose up -d --pull always"
          }
        }
        == Run `docker compose down -v` before `up`: deletes volumes db-data with all their data (preferred: false)
        node {
          stage('Deploy') {
            sshCommand remote: remote, command: "cd /srv/docker/dbtstuff && docker compose down -v && docker compose up -d --pull always"
          }
        }
    "#]].assert_eq(&out);
}

#[test]
fn shell_script_lines_keep_flags_and_run_the_same_commands_plus_one() {
    let script = "#!/bin/sh\nset -e\ncd \"$(dirname \"$0\")\"\n  docker compose -f compose.yaml -p shop up -d\n";
    let (out, results) = render(&workspace(&[("/w/deploy.sh", script)]), "/w/deploy.sh");
    expect![[r#"
        == Add --renew-anon-volumes to this `up` (renews anonymous volumes only) (preferred: true)
        #!/bin/sh
        set -e
        cd "$(dirname "$0")"
          docker compose -f compose.yaml -p shop up --renew-anon-volumes -d
        == Run `docker compose -f compose.yaml -p shop down` before `up` (the old anonymous volume is left behind, not re-attached) (preferred: false)
        #!/bin/sh
        set -e
        cd "$(dirname "$0")"
          docker compose -f compose.yaml -p shop down
          docker compose -f compose.yaml -p shop up -d
        == Run `docker compose -f compose.yaml -p shop down -v` before `up`: deletes volumes db-data with all their data (preferred: false)
        #!/bin/sh
        set -e
        cd "$(dirname "$0")"
          docker compose -f compose.yaml -p shop down -v
          docker compose -f compose.yaml -p shop up -d
    "#]].assert_eq(&out);
    let before = commands(script);
    for fixed in &results {
        let after = commands(fixed);
        assert_eq!(after.len(), before.len() + usize::from(after.len() > before.len()), "{fixed}");
        assert!(
            before.iter().all(|c| after.iter().any(|a| a == c || a.starts_with(c.split(" up").next().unwrap()))),
            "{fixed}"
        );
    }
}

#[test]
fn makefile_recipe_stays_tab_indented() {
    let make = "deploy:\n\t@cd . && docker compose up -d\n";
    let (out, results) = render(&workspace(&[("/w/Makefile", make)]), "/w/Makefile");
    expect![[r#"
        == Add --renew-anon-volumes to this `up` (renews anonymous volumes only) (preferred: true)
        deploy:
        	@cd . && docker compose up --renew-anon-volumes -d
        == Run `docker compose down` before `up` (the old anonymous volume is left behind, not re-attached) (preferred: false)
        deploy:
        	@cd . && docker compose down
        	@cd . && docker compose up -d
        == Run `docker compose down -v` before `up`: deletes volumes db-data with all their data (preferred: false)
        deploy:
        	@cd . && docker compose down -v
        	@cd . && docker compose up -d
    "#]].assert_eq(&out);
    for fixed in results {
        for line in fixed.lines().skip(1).filter(|l| !l.is_empty()) {
            assert!(line.starts_with('\t'), "recipe line without a tab: {line:?}");
        }
    }
}

#[test]
fn ci_yaml_fixes_stay_valid_yaml() {
    let github = "jobs:\n  deploy:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: |\n          docker compose pull\n          docker compose up -d\n";
    let gitlab = "deploy:\n  script:\n    - docker compose build\n    - docker compose up -d\n";
    let ws = workspace(&[("/w/.github/workflows/deploy.yml", github), ("/w/.gitlab-ci.yml", gitlab)]);
    let (gh_out, gh) = render(&ws, "/w/.github/workflows/deploy.yml");
    let (gl_out, gl) = render(&ws, "/w/.gitlab-ci.yml");
    expect![[r#"
        == Add --renew-anon-volumes to this `up` (renews anonymous volumes only) (preferred: true)
        jobs:
          deploy:
            runs-on: ubuntu-24.04
            steps:
              - run: |
                  docker compose pull
                  docker compose up --renew-anon-volumes -d
        == Run `docker compose down` before `up` (the old anonymous volume is left behind, not re-attached) (preferred: false)
        jobs:
          deploy:
            runs-on: ubuntu-24.04
            steps:
              - run: |
                  docker compose pull
                  docker compose down
                  docker compose up -d
        == Run `docker compose down -v` before `up`: deletes volumes db-data with all their data (preferred: false)
        jobs:
          deploy:
            runs-on: ubuntu-24.04
            steps:
              - run: |
                  docker compose pull
                  docker compose down -v
                  docker compose up -d
    "#]].assert_eq(&gh_out);
    expect![[r#"
        == Add --renew-anon-volumes to this `up` (renews anonymous volumes only) (preferred: true)
        deploy:
          script:
            - docker compose build
            - docker compose up --renew-anon-volumes -d
        == Run `docker compose down` before `up` (the old anonymous volume is left behind, not re-attached) (preferred: false)
        deploy:
          script:
            - docker compose build
            - docker compose down && docker compose up -d
        == Run `docker compose down -v` before `up`: deletes volumes db-data with all their data (preferred: false)
        deploy:
          script:
            - docker compose build
            - docker compose down -v && docker compose up -d
    "#]].assert_eq(&gl_out);
    for fixed in gh.iter().chain(&gl) {
        assert!(!Yaml::parse(fixed).has_error, "invalid YAML:\n{fixed}");
    }
}

#[test]
fn down_v_names_the_volumes_it_deletes_and_is_never_preferred() {
    let script = "docker compose up -d\n";
    let ws = workspace(&[("/w/deploy.sh", script)]);
    let actions = fixes(&ws, Path::new("/w/deploy.sh"), TextRange::new(0, script.len()), &ImageFacts::default());
    let down_v = actions.iter().find(|a| a.title.contains("down -v")).unwrap();
    assert!(down_v.title.contains("deletes volumes db-data"), "{}", down_v.title);
    assert!(!down_v.preferred);
}

#[test]
fn compose_fixes_user_and_named_volume() {
    let compose = "services:\n  web:\n    image: node:22.11.0@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067\n    volumes:\n      - .:/app\n      - /app/node_modules\n";
    let mut ws = Workspace { root: Some(PathBuf::from("/w")), ..Workspace::default() };
    ws.insert(SourceFile::new(PathBuf::from("/w/compose.yaml"), FileKind::Compose, compose.to_string()));
    let (out, results) = render(&ws, "/w/compose.yaml");
    expect![[r#"
        == Run service `web` as your user: add `user: "${UID:-1000}:${GID:-1000}"` (preferred: true)
        services:
          web:
            user: "${UID:-1000}:${GID:-1000}"
            image: node:22.11.0@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067
            volumes:
              - .:/app
              - /app/node_modules
        == Make `/app/node_modules` a named volume `app_node_modules` (its content then persists across deploys) (preferred: false)
        services:
          web:
            image: node:22.11.0@sha256:829a63ad2b1389e393e5decf5df25860347d09643c335d1dc3d91d25326d3067
            volumes:
              - .:/app
              - app_node_modules:/app/node_modules
        volumes:
          app_node_modules:
    "#]].assert_eq(&out);
    for fixed in results {
        assert!(!Yaml::parse(&fixed).has_error, "invalid YAML:\n{fixed}");
    }
}
