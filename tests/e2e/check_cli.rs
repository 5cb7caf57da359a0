//! `driftls check` as CI runs it: output formats, exit codes, directory walking.

use std::path::Path;
use std::process::{Command, Output};

use expect_test::expect;
use serde_json::Value;

use crate::support::{driftls, fixtures, temp_dir};

/// Runs driftls with a cache and Docker config of its own; `check` runs `--offline` (these
/// tests are about the text; the registry tests go online).
fn run(args: &[&str], cwd: &Path) -> Output {
    let home = crate::support::fresh_home();
    let offline = (args.first() == Some(&"check")).then_some("--offline");
    Command::new(driftls())
        .args(args.iter().copied().chain(offline))
        .env("DRIFTLS_CACHE_DIR", home.join("cache"))
        .env("DOCKER_CONFIG", home.join("docker"))
        .current_dir(cwd)
        .output()
        .expect("run driftls")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn text_output_and_exit_code_one_for_warnings() {
    let out = run(&["check", "seed-003-drift-sources"], &fixtures());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            // `path:line:col: severity code message`: keep everything but the message.
            let mut parts = l.splitn(4, ' ');
            format!("{} {} {}", parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap())
        })
        .collect();
    expect![[r#"
        [
            "seed-003-drift-sources/Dockerfile:2:17: information image-floating-tag",
            "seed-003-drift-sources/Dockerfile:2:17: hint image-unpinned",
            "seed-003-drift-sources/Dockerfile:8:23: information package-upgrade",
            "seed-003-drift-sources/Dockerfile:9:5: warning package-unpinned",
            "seed-003-drift-sources/Dockerfile:12:5: warning add-url-unchecked",
            "seed-003-drift-sources/Dockerfile:13:5: warning remote-script-pipe",
            "seed-003-drift-sources/Dockerfile:16:5: warning package-unpinned",
        ]
    "#]]
    .assert_debug_eq(&lines);
    assert!(stderr(&out).contains("1 file(s) checked, 7 finding(s), 4 at warning or above"), "{}", stderr(&out));
}

#[test]
fn exit_code_zero_when_nothing_at_warning_or_above() {
    let clean = run(&["check", "pinned"], &fixtures());
    assert_eq!(clean.status.code(), Some(0), "{}{}", stdout(&clean), stderr(&clean));
    assert_eq!(stdout(&clean), "");
    // Information and hints are printed but do not fail the build.
    let quiet = run(&["check", "--quiet", "seed-004-shared-tag/Dockerfile"], &fixtures());
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stdout(&quiet).lines().count(), 2);
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn exit_code_two_for_usage_and_io_errors() {
    let missing = run(&["check", "no/such/path"], &fixtures());
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no/such/path: no such file or directory"));
    let bad_option = run(&["check", "--frobnicate"], &fixtures());
    assert_eq!(bad_option.status.code(), Some(2));
    assert!(stderr(&bad_option).contains("unknown option --frobnicate"));
    let bad_format = run(&["check", "--format", "xml", "."], &fixtures());
    assert_eq!(bad_format.status.code(), Some(2));
    let dir = temp_dir("not-utf8");
    std::fs::write(dir.join("Dockerfile"), b"FROM ubuntu\n\xff\xfe\n").unwrap();
    let binary = run(&["check", "Dockerfile"], &dir);
    assert_eq!(binary.status.code(), Some(2));
    assert!(stderr(&binary).contains("Dockerfile: not UTF-8 text; not checked"), "{}", stderr(&binary));
}

#[test]
fn version_help_and_bare_invocation() {
    let version = run(&["--version"], &fixtures());
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(stdout(&version).trim(), format!("driftls {}", env!("CARGO_PKG_VERSION")));
    let help = run(&["--help"], &fixtures());
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("driftls check [OPTIONS] [PATH]..."));
    // A bare `driftls` prints help instead of waiting for LSP on stdin.
    let bare = Command::new(driftls()).stdin(std::process::Stdio::piped()).output().unwrap();
    assert_eq!(bare.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bare.stdout).contains("USAGE:"));
}

#[test]
fn directories_honour_gitignore_and_project_settings() {
    let dir = temp_dir("walk");
    std::fs::create_dir_all(dir.join("ignored")).unwrap();
    std::fs::create_dir_all(dir.join("svc/api")).unwrap();
    std::fs::write(dir.join(".gitignore"), "ignored/\n").unwrap();
    std::fs::write(dir.join("ignored/Dockerfile"), "FROM ubuntu\n").unwrap();
    std::fs::write(dir.join("svc/api/api.Dockerfile"), "FROM node:latest\n").unwrap();
    std::fs::write(dir.join("svc/README.md"), "FROM ubuntu\n").unwrap();
    std::fs::write(dir.join(".driftls.toml"), "[rules]\nimage-unpinned = \"off\"\nimage-latest = \"information\"\n")
        .unwrap();
    let out = run(&["check", "."], &dir);
    assert_eq!(
        stdout(&out),
        "./svc/api/api.Dockerfile:1:11: information image-latest `node:latest` uses the channel tag `latest`, which points at a new image every release (and compose does not re-pull one it has). Use a release tag and pin its digest.\n"
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A malformed settings file is one `config-invalid` error; defaults apply elsewhere.
    std::fs::write(dir.join(".driftls.toml"), "[rules]\nimage-unpinned = 3\n").unwrap();
    let out = run(&["check", "--format", "json", "."], &dir);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let codes: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["image-unpinned", "image-latest", "config-invalid"]);
    assert_eq!(report["findings"][2]["range"]["start"], serde_json::json!({ "line": 2, "column": 18 }));
    assert_eq!(report["filesChecked"], 1);
}

#[test]
fn sarif_output_is_valid_against_the_sarif_2_1_0_schema() {
    let out = run(&["check", "--format", "sarif", "."], &fixtures());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let sarif: Value = serde_json::from_str(&stdout(&out)).expect("SARIF is JSON");
    let schema_text = std::fs::read_to_string(fixtures().join("sarif-schema-2.1.0.json")).unwrap();
    // The official schema's `language` pattern has a stray `]`, valid in ECMAScript regexes but
    // not in Rust's; escape it so the schema compiles (it constrains a property we never emit).
    let schema_text = schema_text.replace(r#"{2}-[a-zA-Z]{2}]?$"#, r#"{2}-[a-zA-Z]{2}\\]?$"#);
    let schema: Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(&sarif).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "SARIF invalid: {errors:#?}");
    // The schema accepts a lot; check the parts CI systems read.
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "driftls");
    let results = run0["results"].as_array().unwrap();
    let text = run(&["check", "."], &fixtures());
    assert_eq!(results.len(), stdout(&text).lines().count());
    let first = &results[0];
    let rule_index = first["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run0["tool"]["driver"]["rules"][rule_index]["id"], first["ruleId"]);
    assert!(first["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap() >= 1);
    // A result with related locations (the VOLUME a write collides with).
    let volume = results.iter().find(|r| r["ruleId"] == "volume-write-after-declare").expect("volume finding");
    assert_eq!(volume["relatedLocations"][0]["physicalLocation"]["region"]["startLine"], 2);
}

#[test]
fn no_false_positives_on_real_world_shaped_compose_files() {
    let out = run(&["check", "compose-corpus"], &fixtures());
    assert_eq!(stdout(&out), "", "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("5 file(s) checked, 0 finding(s)"), "{}", stderr(&out));
}

#[test]
fn the_seed_000_project_is_reported_in_every_file() {
    let out = run(&["check", "--format", "json", "seed-000-project"], &fixtures());
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let found: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["path"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    expect![[r#"
        [
            "seed-000-project/.github/workflows/deploy.yml deploy-up-keeps-anonymous-volumes",
            "seed-000-project/.gitlab-ci.yml deploy-up-keeps-anonymous-volumes",
            "seed-000-project/Dockerfile volume-inherited",
            "seed-000-project/Dockerfile volume-write-after-declare",
            "seed-000-project/Dockerfile volume-write-after-declare",
            "seed-000-project/Jenkinsfile deploy-up-keeps-anonymous-volumes",
            "seed-000-project/Makefile deploy-up-keeps-anonymous-volumes",
            "seed-000-project/compose.yaml compose-anonymous-volume",
            "seed-000-project/scripts/deploy.sh deploy-up-keeps-anonymous-volumes",
        ]
    "#]]
    .assert_debug_eq(&found);
}

#[test]
fn check_uses_the_registry_then_its_disk_cache_offline() {
    use crate::registry::{Registry, image_config};
    let registry = Registry::start().expect("docker-registry (run tests/registry/install.sh)");
    let config = image_config(
        "linux",
        "amd64",
        serde_json::json!({ "WorkingDir": "/usr/app", "Volumes": { "/usr/app": {} } }),
        &[("/bin/sh -c #(nop)  VOLUME [/usr/app]", true)],
    );
    registry.push_image("dbt-labs/dbt-core", "1.4.1", &config).expect("push");
    registry.push_image("dbtstuff", "latest", &config).expect("push");
    let dir = crate::support::copy_fixture("seed-000-dbt");
    for (file, from) in [("Dockerfile", "ghcr.io"), ("docker-compose.yml", "ourfancyregistry.lan")] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap().replace(from, &registry.host);
        std::fs::write(dir.join(file), text).unwrap();
    }
    let home = crate::support::fresh_home();
    let check = |offline: bool| {
        let mut command = Command::new(driftls());
        command.args(["check", "--format", "json", "."]).current_dir(&dir);
        if offline {
            command.arg("--offline");
        }
        command.env("DRIFTLS_CACHE_DIR", home.join("cache")).env("DOCKER_CONFIG", home.join("docker"));
        let output = command.output().expect("run");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        let mut codes: Vec<String> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| format!("{} {}", f["path"].as_str().unwrap(), f["code"].as_str().unwrap()))
            .filter(|c| c.contains("volume") || c.contains("not-found"))
            .collect();
        codes.sort();
        codes.dedup();
        codes
    };
    let expected = [
        "./Dockerfile volume-inherited",
        "./Dockerfile volume-write-after-declare",
        "./Jenkinsfile deploy-up-keeps-anonymous-volumes",
        "./docker-compose.yml compose-anonymous-volume",
    ];
    assert_eq!(check(false), expected);
    drop(registry);
    assert_eq!(check(true), expected);
    // Offline without a cache: only what the text shows.
    let bare = run(&["check", "--format", "json", "."], &dir);
    assert!(!stdout(&bare).contains("volume-inherited"), "{}", stdout(&bare));
}

#[test]
fn a_file_that_is_not_utf8_is_an_error_and_the_rest_is_still_checked() {
    let dir = temp_dir("check-not-utf8");
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("a/Dockerfile"), b"FROM alpine\nRUN echo \xff\xfe\n").unwrap();
    std::fs::write(dir.join("Dockerfile"), "FROM ubuntu\n").unwrap();
    let out = run(&["check", "."], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("a/Dockerfile: not UTF-8 text; not checked"), "{}", stderr(&out));
    assert!(stdout(&out).contains("image-untagged"), "{}", stdout(&out));
}
