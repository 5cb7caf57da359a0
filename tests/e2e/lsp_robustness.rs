//! Broken and hostile input in compose files and deploy scripts: no panic, and diagnostics
//! elsewhere (and in the rest of the same file) are not lost.

use serde_json::json;

use crate::support::{Client, summary, temp_dir, uri};

#[test]
fn broken_yaml_lists_tabs_huge_files_and_unterminated_quotes() {
    let dir = temp_dir("robust");
    let mut client = Client::start(&dir, json!({}));
    // A half-typed key in the middle keeps the findings of the other services.
    let broken = uri(&dir.join("compose.yaml"));
    client.open(
        &broken,
        "dockercompose",
        "services:\n  app:\n    imag\n    image: nginx:latest\n  db:\n    image: postgres\n",
    );
    client.wait_summary(
        &broken,
        &["image-unpinned 3:11-3:23", "image-latest 3:17-3:23", "image-untagged 5:11-5:19", "image-unpinned 5:11-5:19"],
    );
    // Not a mapping, tabs, an unclosed flow sequence: nothing to say, no crash.
    for (name, text) in [
        ("docker-compose.yml", "- a\n- b\n"),
        ("compose.tabs.yaml", "services:\n\tapp:\n\t\timage: nginx\n"),
        ("compose.flow.yaml", "services: {app: {image: [nginx\n"),
    ] {
        let u = uri(&dir.join(name));
        client.open(&u, "dockercompose", text);
        let _ = client.diagnostics(&u, Some(1));
    }
    // A 5 MB compose file is analysed.
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
    let huge = uri(&dir.join("compose.big.yaml"));
    client.open(&huge, "dockercompose", &big);
    let last_line = big.lines().position(|l| l == "    image: nginx:latest").unwrap() as u32;
    let found = summary(&client.diagnostics(&huge, Some(1)));
    assert_eq!(
        found,
        [
            format!("image-unpinned {last_line}:11-{last_line}:23"),
            format!("image-latest {last_line}:17-{last_line}:23")
        ]
    );
    // Scripts with unterminated quotes and heredocs.
    for (name, language, text) in [
        ("deploy.sh", "shellscript", "echo 'unterminated\ndocker compose up -d \"\n"),
        ("Jenkinsfile", "groovy", "sh '''\ndocker compose up -d\n"),
        ("Makefile", "makefile", "deploy:\n\tdocker compose up -d 'é😀\n\t\t\n"),
    ] {
        let u = uri(&dir.join(name));
        client.open(&u, language, text);
        let _ = client.diagnostics(&u, Some(1));
    }
    // The server still answers, and a Dockerfile still gets its findings.
    let docker = uri(&dir.join("Dockerfile"));
    client.open(&docker, "dockerfile", "FROM ubuntu\n");
    assert_eq!(summary(&client.diagnostics(&docker, Some(1))), ["image-untagged 0:5-0:11", "image-unpinned 0:5-0:11"]);
    assert_eq!(client.shutdown().code(), Some(0));
}
