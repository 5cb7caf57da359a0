//! The seed-000 project over LSP: a Dockerfile with `VOLUME /usr/app` in a parent stage, a
//! compose file building it, and every kind of deploy script running `docker compose up`.

use serde_json::{Value, json};

use crate::support::{Client, apply_edits, copy_fixture, starts, summary, temp_dir, uri};

fn capabilities() -> Value {
    json!({
        "workspace": { "configuration": true, "didChangeWatchedFiles": { "dynamicRegistration": true } },
        "textDocument": { "codeAction": { "codeActionLiteralSupport": { "codeActionKind": { "valueSet": ["quickfix"] } } } }
    })
}

/// Waits until the diagnostics of `uri` start where `expected` says (the workspace scan runs in
/// the background, so the first publish of a deploy script may come before it).
fn wait_starts(client: &mut Client, uri: &str, expected: &[&str]) -> Vec<Value> {
    let message = client.wait_for(&format!("diagnostics {expected:?} for {uri}"), |m| {
        let found = m["params"]["diagnostics"].as_array().map_or(&[][..], |a| a.as_slice());
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == json!(uri)
            && starts(found) == expected
            // Until the workspace scan is done a deploy script's project is unknown (information).
            && found.iter().filter(|d| d["code"] != "volume-inherited").all(|d| d["severity"] == 2)
    });
    message["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
}

#[test]
fn seed_000_every_file_reports_and_every_fix_applies() {
    let root = copy_fixture("seed-000-project");
    let mut client = Client::start(&root, capabilities());
    let files = [
        (
            "Dockerfile",
            "dockerfile",
            vec!["volume-inherited 7:5", "volume-write-after-declare 9:17", "volume-write-after-declare 10:17"],
        ),
        ("compose.yaml", "dockercompose", vec!["compose-anonymous-volume 2:4"]),
        ("Jenkinsfile", "groovy", vec!["deploy-up-keeps-anonymous-volumes 12:70"]),
        (".github/workflows/deploy.yml", "yaml", vec!["deploy-up-keeps-anonymous-volumes 12:10"]),
        (".gitlab-ci.yml", "yaml", vec!["deploy-up-keeps-anonymous-volumes 5:6"]),
        ("Makefile", "makefile", vec!["deploy-up-keeps-anonymous-volumes 2:1"]),
        ("scripts/deploy.sh", "shellscript", vec!["deploy-up-keeps-anonymous-volumes 4:0"]),
    ];
    let mut texts = Vec::new();
    for (path, language, expected) in &files {
        let u = uri(&root.join(path));
        let text = std::fs::read_to_string(root.join(path)).unwrap();
        client.open(&u, language, &text);
        let found = wait_starts(&mut client, &u, expected);
        texts.push((u, text, found));
    }
    // The compose finding points at the VOLUME in the Dockerfile; the deploy findings at the service.
    let compose_related = &texts[1].2[0]["relatedInformation"][0]["location"];
    assert_eq!(compose_related["uri"], json!(uri(&root.join("Dockerfile"))));
    assert_eq!(compose_related["range"]["start"]["line"], 4);
    for (u, _, found) in &texts[2..] {
        assert_eq!(found[0]["severity"], 2, "{u}: {:#?}", found[0]);
    }
    let jenkins_related = &texts[2].2[0]["relatedInformation"][0]["location"];
    assert_eq!(jenkins_related["uri"], json!(uri(&root.join("compose.yaml"))));

    // Every deploy script offers the three fixes; each applied keeps the script's own syntax.
    let mut applied = String::new();
    for (u, text, found) in &texts[2..] {
        let d = &found[0];
        let actions = client.request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": u }, "range": d["range"], "context": { "diagnostics": [d] } }),
        );
        let actions = actions.as_array().expect("actions");
        assert_eq!(actions.len(), 3, "{u}: {actions:#?}");
        assert_eq!(actions[0]["isPreferred"], true);
        assert_eq!(actions.iter().filter(|a| a["isPreferred"] == true).count(), 1);
        assert_eq!(actions[0]["diagnostics"][0]["code"], "deploy-up-keeps-anonymous-volumes");
        for a in actions {
            let edits = a["edit"]["changes"][u.as_str()].as_array().expect("edits for the script");
            let fixed = apply_edits(text, edits);
            let changed: Vec<&str> = fixed.lines().filter(|l| !text.lines().any(|o| o == *l)).collect();
            applied.push_str(&format!("{} | {}\n", a["title"].as_str().unwrap(), changed.join(" ⏎ ")));
        }
    }
    expect_test::expect![[r#"
        Add --renew-anon-volumes to this `up` (renews anonymous volumes only) |       sshCommand remote: remote, command: "cd /srv/docker/dbtstuff && docker compose up --renew-anon-volumes -d --pull always"
        Run `docker compose down` before `up` (the old anonymous volume is left behind, not re-attached) |       sshCommand remote: remote, command: "cd /srv/docker/dbtstuff && docker compose down && docker compose up -d --pull always"
        Run `docker compose down -v` before `up` (also removes the left-behind anonymous volumes) |       sshCommand remote: remote, command: "cd /srv/docker/dbtstuff && docker compose down -v && docker compose up -d --pull always"
        Add --renew-anon-volumes to this `up` (renews anonymous volumes only) |           docker compose up --renew-anon-volumes -d
        Run `docker compose down` before `up` (the old anonymous volume is left behind, not re-attached) |           docker compose down
        Run `docker compose down -v` before `up` (also removes the left-behind anonymous volumes) |           docker compose down -v
        Add --renew-anon-volumes to this `up` (renews anonymous volumes only) |     - docker compose up --renew-anon-volumes -d
        Run `docker compose down` before `up` (the old anonymous volume is left behind, not re-attached) |     - docker compose down && docker compose up -d
        Run `docker compose down -v` before `up` (also removes the left-behind anonymous volumes) |     - docker compose down -v && docker compose up -d
        Add --renew-anon-volumes to this `up` (renews anonymous volumes only) | 	docker compose up --renew-anon-volumes -d
        Run `docker compose down` before `up` (the old anonymous volume is left behind, not re-attached) | 	docker compose down
        Run `docker compose down -v` before `up` (also removes the left-behind anonymous volumes) | 	docker compose down -v
        Add --renew-anon-volumes to this `up` (renews anonymous volumes only) | docker compose -f compose.yaml up --renew-anon-volumes -d --remove-orphans
        Run `docker compose -f compose.yaml down` before `up` (the old anonymous volume is left behind, not re-attached) | docker compose -f compose.yaml down
        Run `docker compose -f compose.yaml down -v` before `up` (also removes the left-behind anonymous volumes) | docker compose -f compose.yaml down -v
    "#]].assert_eq(&applied);

    // Mount a named volume at /usr/app: the deploy scripts are fine now, without reopening them.
    let (compose_uri, compose_text, _) = &texts[1];
    let end_line = compose_text.lines().count() as u32;
    client.change(
        compose_uri,
        2,
        (end_line, 0),
        (end_line, 0),
        "    volumes:\n      - app-code:/usr/app\nvolumes:\n  app-code:\n",
    );
    client.wait_summary(compose_uri, &[]);
    for (u, _, _) in &texts[2..] {
        client.wait_summary(u, &[]);
    }
    assert_eq!(summary(&texts[0].2).len(), 3);
    assert_eq!(client.shutdown().code(), Some(0));
}

#[test]
fn an_edit_to_an_open_dockerfile_reaches_the_compose_file_that_builds_it() {
    let dir = temp_dir("dockerfile-to-compose");
    let dockerfile = "FROM scratch\nVOLUME /usr/app\n";
    let compose = "services:\n  app:\n    build: .\n";
    std::fs::write(dir.join("Dockerfile"), dockerfile).unwrap();
    std::fs::write(dir.join("compose.yaml"), compose).unwrap();
    let mut client = Client::start(&dir, capabilities());
    let (d, c) = (uri(&dir.join("Dockerfile")), uri(&dir.join("compose.yaml")));
    client.open(&d, "dockerfile", dockerfile);
    client.open(&c, "dockercompose", compose);
    let before = client.wait_for("compose findings", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == json!(c)
            && !m["params"]["diagnostics"].as_array().is_some_and(|a| a.is_empty())
    });
    assert!(before.to_string().contains("/usr/app"), "{before}");
    // Typing in the Dockerfile (never saved) moves the volume; the compose file follows.
    client.change(&d, 2, (1, 12), (1, 15), "data");
    let after = client.wait_for("compose findings for /usr/data", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == json!(c)
            && m.to_string().contains("/usr/data")
    });
    assert!(!after.to_string().contains("/usr/app"), "{after}");
}
