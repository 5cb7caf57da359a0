//! Deploy scripts as data: source → snippets → compose commands → edits, rendered and
//! compared with `expect-test` snapshots (`UPDATE_EXPECT=1 cargo test -p driftls --lib deploy`).

use expect_test::{Expect, expect};

use super::*;
use crate::syntax::words::Word;

/// `\t` and `\r` made visible in snapshots.
fn visible(s: &str) -> String {
    s.replace('\t', "\\t").replace('\r', "\\r")
}

/// A word as `value`, or `value (as written)` when the source spells it differently.
fn word(w: &Word, source: &str) -> String {
    let raw = &source[w.range.as_range()];
    if raw == w.value { visible(raw) } else { format!("{} ({})", visible(&w.value), visible(raw)) }
}

fn words(ws: &[Word], source: &str) -> String {
    let all: Vec<String> = ws.iter().map(|w| word(w, source)).collect();
    format!("[{}]", all.join(", "))
}

/// The whole lines of `edited` that the edit touched.
fn changed_lines(source: &str, edit: &TextEdit) -> String {
    let edited = edit.apply(source);
    let start = edit.range.start as usize;
    let end = start + edit.new_text.len();
    let line_start = edited[..start].rfind('\n').map_or(0, |n| n + 1);
    let line_end = edited[end..].find('\n').map_or(edited.len(), |n| end + n);
    let lines: Vec<String> = edited[line_start..line_end].split('\n').map(visible).collect();
    lines.join("\n            | ")
}

/// Every compose command of `source` with its parts, and the three edits a rule offers:
/// `--renew-anon-volumes` after the subcommand, `down` and `down -v` before the command.
fn render(kind: ScriptKind, source: &str) -> String {
    let snippets = snippets(kind, source);
    let commands = find(&snippets);
    let mut out = String::new();
    for c in &commands {
        let s = &snippets[c.snippet];
        assert_valid(source, c.range);
        out.push_str(&format!(
            "`{}` snippet {} group {} {:?}\n",
            visible(&source[c.range.as_range()]),
            c.snippet,
            s.group,
            s.style
        ));
        let mut facts = vec![format!("after {:?}", c.preceded_by)];
        if c.legacy {
            facts.push("legacy".into());
        }
        if c.nested {
            facts.push("nested".into());
        }
        if let Some(h) = &c.ssh_host {
            facts.push(format!("ssh {}", word(h, source)));
        }
        if !c.prefix.is_empty() {
            facts.push(format!("prefix {}", words(&c.prefix, source)));
        }
        if !c.docker_flags.is_empty() {
            facts.push(format!("docker flags {}", words(&c.docker_flags, source)));
        }
        if !c.global_flags.is_empty() {
            facts.push(format!("global {}", words(&c.global_flags, source)));
        }
        if !c.files.is_empty() {
            facts.push(format!("files {}", words(&c.files, source)));
        }
        if let Some(p) = &c.project_name {
            facts.push(format!("project {}", word(p, source)));
        }
        if let Some(d) = &c.project_directory {
            facts.push(format!("project dir {}", word(d, source)));
        }
        if let Some(d) = &c.cd {
            facts.push(format!("cd {}", word(d, source)));
        }
        if let Some(s) = &c.subcommand {
            facts.push(format!("sub {}", word(s, source)));
        }
        if !c.args.is_empty() {
            facts.push(format!("args {}", words(&c.args, source)));
        }
        if c.renews_anon_volumes() {
            facts.push("renews anon volumes".into());
        }
        if c.removes_volumes() {
            facts.push("removes volumes".into());
        }
        out.push_str(&format!("    {}\n", facts.join("; ")));
        let flag = add_flag_after_subcommand(c, "--renew-anon-volumes");
        let down = companion_command(c, source, "down");
        let down_v = companion_command(c, source, "down -v");
        let edits = [
            ("flag", flag),
            ("down", insert_before(&snippets, source, c, &down)),
            ("down -v", insert_before(&snippets, source, c, &down_v)),
        ];
        for (name, edit) in edits {
            assert_valid(source, edit.range);
            out.push_str(&format!("    {name:7} | {}\n", changed_lines(source, &edit)));
        }
    }
    if commands.is_empty() {
        out.push_str("no compose commands\n");
    }
    out
}

fn assert_valid(source: &str, r: crate::syntax::TextRange) {
    assert!(r.start <= r.end, "inverted {r:?}");
    assert!((r.end as usize) <= source.len(), "{r:?} past the end");
    assert!(source.is_char_boundary(r.start as usize), "{r:?} start");
    assert!(source.is_char_boundary(r.end as usize), "{r:?} end");
}

fn check(kind: ScriptKind, source: &str, expect: Expect) {
    expect.assert_eq(&render(kind, source));
}

#[test]
fn jenkins_ssh_command_seed() {
    check(
        ScriptKind::Jenkinsfile,
        r#"pipeline {
  agent any
  stages {
    stage('Deploy') {
      steps {
        script {
          def remote = [name: 'prod', host: 'prod.example.com', allowAnyHosts: true]
          // sh 'docker compose down'
          /* sh 'docker compose down -v' */
          sshCommand remote: remote, command: "cd /srv/docker/dbtstuff && docker compose up -d --pull always"
        }
      }
    }
  }
}
"#,
        expect![[r#"
            `docker compose up -d --pull always` snippet 0 group 0 AndChain
                after AndAnd; cd /srv/docker/dbtstuff; sub up; args [-d, --pull, always]
                flag    |           sshCommand remote: remote, command: "cd /srv/docker/dbtstuff && docker compose up --renew-anon-volumes -d --pull always"
                down    |           sshCommand remote: remote, command: "cd /srv/docker/dbtstuff && docker compose down && docker compose up -d --pull always"
                down -v |           sshCommand remote: remote, command: "cd /srv/docker/dbtstuff && docker compose down -v && docker compose up -d --pull always"
        "#]],
    );
}

#[test]
fn jenkins_multi_line_and_named_scripts() {
    check(
        ScriptKind::Jenkinsfile,
        r#"node {
    stage('deploy') {
        sh '''
            docker compose -f compose.prod.yaml -p shop pull
            docker compose -f compose.prod.yaml -p shop up -d
        '''
        sh(script: 'docker compose -f "a b.yml" up -d', returnStdout: true)
        sh label: 'legacy', script: """
          cd ${env.DIR} && \
            docker-compose up -d
        """
        sh "docker compose -f \"${env.FILE}\" up -d --renew-anon-volumes"
        echo 'docker compose up -d'
    }
}
"#,
        expect![[r#"
            `docker compose -f compose.prod.yaml -p shop pull` snippet 0 group 0 Lines
                after Start; global [-f, compose.prod.yaml, -p, shop]; files [compose.prod.yaml]; project shop; sub pull
                flag    |             docker compose -f compose.prod.yaml -p shop pull --renew-anon-volumes
                down    |             docker compose -f compose.prod.yaml -p shop down
                        |             docker compose -f compose.prod.yaml -p shop pull
                down -v |             docker compose -f compose.prod.yaml -p shop down -v
                        |             docker compose -f compose.prod.yaml -p shop pull
            `docker compose -f compose.prod.yaml -p shop up -d` snippet 0 group 0 Lines
                after Newline; global [-f, compose.prod.yaml, -p, shop]; files [compose.prod.yaml]; project shop; sub up; args [-d]
                flag    |             docker compose -f compose.prod.yaml -p shop up --renew-anon-volumes -d
                down    |             docker compose -f compose.prod.yaml -p shop down
                        |             docker compose -f compose.prod.yaml -p shop up -d
                down -v |             docker compose -f compose.prod.yaml -p shop down -v
                        |             docker compose -f compose.prod.yaml -p shop up -d
            `docker compose -f "a b.yml" up -d` snippet 1 group 0 AndChain
                after Start; global [-f, a b.yml ("a b.yml")]; files [a b.yml ("a b.yml")]; sub up; args [-d]
                flag    |         sh(script: 'docker compose -f "a b.yml" up --renew-anon-volumes -d', returnStdout: true)
                down    |         sh(script: 'docker compose -f "a b.yml" down && docker compose -f "a b.yml" up -d', returnStdout: true)
                down -v |         sh(script: 'docker compose -f "a b.yml" down -v && docker compose -f "a b.yml" up -d', returnStdout: true)
            `docker-compose up -d` snippet 2 group 0 Lines
                after AndAnd; legacy; cd ${env.DIR}; sub up; args [-d]
                flag    |             docker-compose up --renew-anon-volumes -d
                down    |             docker-compose down && docker-compose up -d
                down -v |             docker-compose down -v && docker-compose up -d
            `docker compose -f \"${env.FILE}\" up -d --renew-anon-volumes` snippet 3 group 0 AndChain
                after Start; global [-f, ${env.FILE} (\"${env.FILE}\")]; files [${env.FILE} (\"${env.FILE}\")]; sub up; args [-d, --renew-anon-volumes]; renews anon volumes
                flag    |         sh "docker compose -f \"${env.FILE}\" up --renew-anon-volumes -d --renew-anon-volumes"
                down    |         sh "docker compose -f \"${env.FILE}\" down && docker compose -f \"${env.FILE}\" up -d --renew-anon-volumes"
                down -v |         sh "docker compose -f \"${env.FILE}\" down -v && docker compose -f \"${env.FILE}\" up -d --renew-anon-volumes"
        "#]],
    );
}

#[test]
fn shell_script_legacy_form() {
    check(
        ScriptKind::Shell,
        "#!/bin/sh\nset -e\ncd \"$(dirname \"$0\")\"\ndocker-compose -f a.yml up -d --build\n",
        expect![[r#"
            `docker-compose -f a.yml up -d --build` snippet 0 group 0 Lines
                after Newline; legacy; global [-f, a.yml]; files [a.yml]; cd $(dirname "$0") ("$(dirname "$0")"); sub up; args [-d, --build]
                flag    | docker-compose -f a.yml up --renew-anon-volumes -d --build
                down    | docker-compose -f a.yml down
                        | docker-compose -f a.yml up -d --build
                down -v | docker-compose -f a.yml down -v
                        | docker-compose -f a.yml up -d --build
        "#]],
    );
}

#[test]
fn makefile_rules_are_groups() {
    check(
        ScriptKind::Makefile,
        ".PHONY: deploy clean\nDIR := deploy\n\ndeploy: build\n\t@cd deploy && docker compose up -d\n\n# comment\nclean:\n\tdocker compose down -v\n\nprod:\n\t-docker compose -p $$PROJECT \\\n\t  -f $(DIR)/compose.yml up -d\nquick: ; docker compose up -d\n\
         define HELP\n\tdocker compose up -d\nendef\nURL = http://x:80\n\tdocker compose up -d\n\
         later:\n\techo start; cd x && docker compose up -d\n\
         remote:\n\t@ssh prod docker compose up -d\n",
        expect![[r#"
            `docker compose up -d` snippet 0 group 1 MakeRecipe
                after AndAnd; cd deploy; sub up; args [-d]
                flag    | \t@cd deploy && docker compose up --renew-anon-volumes -d
                down    | \t@cd deploy && docker compose down
                        | \t@cd deploy && docker compose up -d
                down -v | \t@cd deploy && docker compose down -v
                        | \t@cd deploy && docker compose up -d
            `docker compose down -v` snippet 1 group 2 MakeRecipe
                after Start; sub down; args [-v]; removes volumes
                flag    | \tdocker compose down --renew-anon-volumes -v
                down    | \tdocker compose down
                        | \tdocker compose down -v
                down -v | \tdocker compose down -v
                        | \tdocker compose down -v
            `docker compose -p $$PROJECT \
            \t  -f $(DIR)/compose.yml up -d` snippet 2 group 3 MakeRecipe
                after Start; global [-p, $PROJECT ($$PROJECT), -f, $(DIR)/compose.yml]; files [$(DIR)/compose.yml]; project $PROJECT ($$PROJECT); sub up; args [-d]
                flag    | \t  -f $(DIR)/compose.yml up --renew-anon-volumes -d
                down    | \t-docker compose -p $$PROJECT -f $(DIR)/compose.yml down
                        | \t-docker compose -p $$PROJECT \
                down -v | \t-docker compose -p $$PROJECT -f $(DIR)/compose.yml down -v
                        | \t-docker compose -p $$PROJECT \
            `docker compose up -d` snippet 3 group 4 AndChain
                after Start; sub up; args [-d]
                flag    | quick: ; docker compose up --renew-anon-volumes -d
                down    | quick: ; docker compose down && docker compose up -d
                down -v | quick: ; docker compose down -v && docker compose up -d
            `docker compose up -d` snippet 4 group 5 MakeRecipe
                after AndAnd; cd x; sub up; args [-d]
                flag    | \techo start; cd x && docker compose up --renew-anon-volumes -d
                down    | \techo start; cd x && docker compose down && docker compose up -d
                down -v | \techo start; cd x && docker compose down -v && docker compose up -d
            `docker compose up -d` snippet 5 group 6 MakeRecipe
                after Start; nested; ssh prod; sub up; args [-d]
                flag    | \t@ssh prod docker compose up --renew-anon-volumes -d
                down    | \t@ssh prod docker compose down
                        | \t@ssh prod docker compose up -d
                down -v | \t@ssh prod docker compose down -v
                        | \t@ssh prod docker compose up -d
        "#]],
    );
}

#[test]
fn ssh_remote_commands() {
    check(
        ScriptKind::Shell,
        "ssh prod 'cd /srv/app && docker compose up -d'\n\
         ssh -i ~/.ssh/deploy -p 2222 deploy@host \"docker compose -f \\\"x y.yml\\\" up -d\"\n\
         ssh -tt prod docker compose -p shop up -d\n\
         cd /srv && ssh prod cd app '&&' docker compose up -d\n\
         ssh prod \"bash -lc 'cd /srv && docker compose up -d'\"\n\
         ssh prod uptime\n",
        expect![[r#"
            `docker compose up -d` snippet 0 group 0 Lines
                after AndAnd; nested; ssh prod; cd /srv/app; sub up; args [-d]
                flag    | ssh prod 'cd /srv/app && docker compose up --renew-anon-volumes -d'
                down    | ssh prod 'cd /srv/app && docker compose down && docker compose up -d'
                down -v | ssh prod 'cd /srv/app && docker compose down -v && docker compose up -d'
            `docker compose -f \"x y.yml\" up -d` snippet 0 group 0 Lines
                after Start; nested; ssh deploy@host; global [-f, x y.yml (\"x y.yml\")]; files [x y.yml (\"x y.yml\")]; sub up; args [-d]
                flag    | ssh -i ~/.ssh/deploy -p 2222 deploy@host "docker compose -f \"x y.yml\" up --renew-anon-volumes -d"
                down    | ssh -i ~/.ssh/deploy -p 2222 deploy@host "docker compose -f \"x y.yml\" down && docker compose -f \"x y.yml\" up -d"
                down -v | ssh -i ~/.ssh/deploy -p 2222 deploy@host "docker compose -f \"x y.yml\" down -v && docker compose -f \"x y.yml\" up -d"
            `docker compose -p shop up -d` snippet 0 group 0 Lines
                after Start; nested; ssh prod; global [-p, shop]; project shop; sub up; args [-d]
                flag    | ssh -tt prod docker compose -p shop up --renew-anon-volumes -d
                down    | ssh -tt prod docker compose -p shop down
                        | ssh -tt prod docker compose -p shop up -d
                down -v | ssh -tt prod docker compose -p shop down -v
                        | ssh -tt prod docker compose -p shop up -d
            `docker compose up -d` snippet 0 group 0 Lines
                after AndAnd; nested; ssh prod; cd app; sub up; args [-d]
                flag    | cd /srv && ssh prod cd app '&&' docker compose up --renew-anon-volumes -d
                down    | cd /srv && ssh prod cd app '&&' docker compose down && ssh prod cd app '&&' docker compose up -d
                down -v | cd /srv && ssh prod cd app '&&' docker compose down -v && ssh prod cd app '&&' docker compose up -d
            `docker compose up -d` snippet 0 group 0 Lines
                after AndAnd; nested; ssh prod; cd /srv; sub up; args [-d]
                flag    | ssh prod "bash -lc 'cd /srv && docker compose up --renew-anon-volumes -d'"
                down    | ssh prod "bash -lc 'cd /srv && docker compose down && docker compose up -d'"
                down -v | ssh prod "bash -lc 'cd /srv && docker compose down -v && docker compose up -d'"
        "#]],
    );
}

#[test]
fn flags_and_wrappers() {
    check(
        ScriptKind::Shell,
        "docker compose up -dV\n\
         docker compose --project-directory ops up\n\
         sudo -E docker --context prod compose -fa.yml --file=b.yml -p=x up --wait\n\
         env X=1 docker-compose up\n\
         if docker compose pull; then\n  docker compose up -d --renew-anon-volumes\nfi\n\
         sh -c 'docker compose down --volumes'\n\
         cd /srv &&\n  docker compose up\n",
        expect![[r#"
            `docker compose up -dV` snippet 0 group 0 Lines
                after Start; sub up; args [-dV]; renews anon volumes
                flag    | docker compose up --renew-anon-volumes -dV
                down    | docker compose down
                        | docker compose up -dV
                down -v | docker compose down -v
                        | docker compose up -dV
            `docker compose --project-directory ops up` snippet 0 group 0 Lines
                after Newline; global [--project-directory, ops]; project dir ops; sub up
                flag    | docker compose --project-directory ops up --renew-anon-volumes
                down    | docker compose --project-directory ops down
                        | docker compose --project-directory ops up
                down -v | docker compose --project-directory ops down -v
                        | docker compose --project-directory ops up
            `docker --context prod compose -fa.yml --file=b.yml -p=x up --wait` snippet 0 group 0 Lines
                after Newline; prefix [sudo, -E]; docker flags [--context, prod]; global [-fa.yml, --file=b.yml, -p=x]; files [a.yml, b.yml]; project x; sub up; args [--wait]
                flag    | sudo -E docker --context prod compose -fa.yml --file=b.yml -p=x up --renew-anon-volumes --wait
                down    | sudo -E docker --context prod compose -fa.yml --file=b.yml -p=x down
                        | sudo -E docker --context prod compose -fa.yml --file=b.yml -p=x up --wait
                down -v | sudo -E docker --context prod compose -fa.yml --file=b.yml -p=x down -v
                        | sudo -E docker --context prod compose -fa.yml --file=b.yml -p=x up --wait
            `docker-compose up` snippet 0 group 0 Lines
                after Newline; legacy; prefix [env, X=1]; sub up
                flag    | env X=1 docker-compose up --renew-anon-volumes
                down    | env X=1 docker-compose down
                        | env X=1 docker-compose up
                down -v | env X=1 docker-compose down -v
                        | env X=1 docker-compose up
            `docker compose pull` snippet 0 group 0 Lines
                after Newline; sub pull
                flag    | if docker compose pull --renew-anon-volumes; then
                down    | if docker compose down && docker compose pull; then
                down -v | if docker compose down -v && docker compose pull; then
            `docker compose up -d --renew-anon-volumes` snippet 0 group 0 Lines
                after Newline; sub up; args [-d, --renew-anon-volumes]; renews anon volumes
                flag    |   docker compose up --renew-anon-volumes -d --renew-anon-volumes
                down    |   docker compose down
                        |   docker compose up -d --renew-anon-volumes
                down -v |   docker compose down -v
                        |   docker compose up -d --renew-anon-volumes
            `docker compose down --volumes` snippet 0 group 0 Lines
                after Start; nested; sub down; args [--volumes]; removes volumes
                flag    | sh -c 'docker compose down --renew-anon-volumes --volumes'
                down    | sh -c 'docker compose down && docker compose down --volumes'
                down -v | sh -c 'docker compose down -v && docker compose down --volumes'
            `docker compose up` snippet 0 group 0 Lines
                after AndAnd; cd /srv; sub up
                flag    |   docker compose up --renew-anon-volumes
                down    |   docker compose down && docker compose up
                down -v |   docker compose down -v && docker compose up
        "#]],
    );
}

#[test]
fn not_compose_commands() {
    check(
        ScriptKind::Shell,
        "docker compose version\necho docker compose up\ndocker build .\n# docker compose up\ndocker compose\ndocker-compose help up\n",
        expect![[r#"
            no compose commands
        "#]],
    );
}

#[test]
fn crlf_line_endings() {
    check(
        ScriptKind::Shell,
        "set -e\r\ncd /srv\r\n  docker compose up -d\r\n",
        expect![[r#"
            `docker compose up -d` snippet 0 group 0 Lines
                after Newline; cd /srv; sub up; args [-d]
                flag    |   docker compose up --renew-anon-volumes -d\r
                down    |   docker compose down\r
                        |   docker compose up -d\r
                down -v |   docker compose down -v\r
                        |   docker compose up -d\r
        "#]],
    );
}

#[test]
fn kinds_from_names_then_language() {
    let cases = [
        ("deploy.sh", None),
        ("scripts/deploy.bash", None),
        ("Jenkinsfile", None),
        ("Jenkinsfile.prod", None),
        ("deploy.jenkinsfile", None),
        ("deploy.Jenkinsfile.groovy", None),
        ("vars/deploy.groovy", Some("groovy")),
        ("Makefile", None),
        ("makefile", None),
        ("GNUmakefile", None),
        ("rules.mk", None),
        ("deploy", Some("shellscript")),
        ("pipeline", Some("jenkinsfile")),
        ("build-rules", Some("make")),
        ("notes.txt", Some("plaintext")),
        ("Dockerfile", None),
    ];
    let out: Vec<String> =
        cases.iter().map(|(name, lang)| format!("{name} {lang:?} -> {:?}", script_kind(name, *lang))).collect();
    expect![[r#"
        deploy.sh None -> Some(Shell)
        scripts/deploy.bash None -> Some(Shell)
        Jenkinsfile None -> Some(Jenkinsfile)
        Jenkinsfile.prod None -> Some(Jenkinsfile)
        deploy.jenkinsfile None -> Some(Jenkinsfile)
        deploy.Jenkinsfile.groovy None -> Some(Jenkinsfile)
        vars/deploy.groovy Some("groovy") -> None
        Makefile None -> Some(Makefile)
        makefile None -> Some(Makefile)
        GNUmakefile None -> Some(Makefile)
        rules.mk None -> Some(Makefile)
        deploy Some("shellscript") -> Some(Shell)
        pipeline Some("jenkinsfile") -> Some(Jenkinsfile)
        build-rules Some("make") -> Some(Makefile)
        notes.txt Some("plaintext") -> None
        Dockerfile None -> None"#]]
    .assert_eq(&out.join("\n"));
}

#[test]
fn snippet_maps_escapes_and_gaps() {
    // Groovy `\"` reads as `"`, `\$` as `$`.
    let source = r#"sh "a \"b\" \$c""#;
    let s = &snippets(ScriptKind::Jenkinsfile, source)[0];
    assert_eq!(s.text, r#"a "b" $c"#);
    let quoted_b = crate::syntax::TextRange::new(2, 5);
    assert_eq!(&source[s.source_range(quoted_b).as_range()], r#"\"b\""#);
    assert_eq!(&source[s.source_range((6..8).into()).as_range()], r"\$c");
    // A caller-made map with a gap (stripped indentation): the end of a range before the gap
    // stays before it when the map says where the run ends.
    let s = Snippet::new("ab\ncd".into(), vec![(0, 10), (3, 13), (3, 15)], InsertStyle::Lines, 0);
    assert_eq!(s.source_offset(3), 15);
    assert_eq!(s.source_end(3), 13);
    assert_eq!(s.source_offset(5), 17);
}

// ---------------------------------------------------------------------------------------------
// Robustness

/// Fragments random inputs are made of: the syntax every extractor and parser reacts to.
const FRAGMENTS: [&str; 48] = [
    "docker",
    " compose",
    "docker-compose",
    " up",
    " down",
    " -f",
    " x.yml",
    " -p",
    " -dV",
    " ",
    "'",
    "\"",
    "'''",
    "\"\"\"",
    "\\",
    "\\\"",
    "\n",
    "\r\n",
    "\t",
    "$$",
    "${",
    "}",
    "$(",
    ")",
    "é",
    "😀",
    " && ",
    ";",
    "ssh h ",
    "sh -c ",
    "cd x",
    ":",
    "#",
    "//",
    "/*",
    "*/",
    "(",
    "`",
    "sh ",
    "command: ",
    "deploy:",
    "@",
    "-",
    "\\\n",
    "|",
    "define",
    "endef",
    "sudo ",
];

/// A small deterministic generator (no seed files, same inputs every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

/// Everything the module returns for `source` stays inside it, on character boundaries, and
/// nothing panics.
fn exercise(kind: ScriptKind, source: &str) {
    let snippets = snippets(kind, source);
    for s in &snippets {
        for (t, _) in s.text.char_indices().chain([(s.text.len(), ' ')]) {
            let a = s.source_offset(t);
            let b = s.source_end(t);
            assert!(a <= source.len() && b <= source.len(), "{kind:?} {source:?}");
        }
    }
    for c in find(&snippets) {
        let ranges = [c.range, c.program.range]
            .into_iter()
            .chain(c.prefix.iter().map(|w| w.range))
            .chain(c.docker_flags.iter().map(|w| w.range))
            .chain(c.global_flags.iter().map(|w| w.range))
            .chain(c.files.iter().map(|w| w.range))
            .chain(c.project_name.iter().map(|w| w.range))
            .chain(c.project_directory.iter().map(|w| w.range))
            .chain(c.cd.iter().map(|w| w.range))
            .chain(c.subcommand.iter().map(|w| w.range))
            .chain(c.ssh_host.iter().map(|w| w.range))
            .chain(c.args.iter().map(|w| w.range));
        for r in ranges {
            assert_valid(source, r);
        }
        let companion = companion_command(&c, source, "down -v");
        for edit in
            [insert_before(&snippets, source, &c, &companion), add_flag_after_subcommand(&c, "--renew-anon-volumes")]
        {
            assert_valid(source, edit.range);
            edit.apply(source);
        }
    }
}

#[test]
fn never_panics_and_ranges_stay_inside() {
    let kinds = [ScriptKind::Shell, ScriptKind::Jenkinsfile, ScriptKind::Makefile];
    let fixed = [
        "",
        "\t",
        "\t\t\n\t\n",
        "all:\n\t\n\t\t\n",
        "all:\n\t\\",
        "sh '''docker compose up",
        "sh 'docker compose up",
        "sh \"docker compose up ${x",
        "sh \"\"\"\ndocker compose up -d é😀\n",
        "ssh h 'cd é && docker compose up -d",
        "sh -c 'é",
        "sh -c \"docker compose up -dé\"",
        "docker compose -f",
        "docker compose -f=",
        "docker --context",
        "cd é😀 && docker compose up -d é😀\r\n",
        "x:\r\n\t@cd d && docker compose up\r\n",
        "command: '",
        "sh '\\",
        "sh \"\\",
        "/*",
        "a: ; ",
        "ssh",
        "ssh -p",
        "ssh h \"\\",
    ];
    let mut inputs: Vec<String> = fixed.iter().map(|s| s.to_string()).collect();
    let mut rng = Lcg(0x5eed);
    for _ in 0..1500 {
        let n = rng.next() % 24;
        let s: String = (0..n).map(|_| FRAGMENTS[rng.next() % FRAGMENTS.len()]).collect();
        inputs.push(s);
    }
    // Every prefix of a realistic file, cut at each character.
    let realistic = "pipeline {\n  steps {\n    sh '''\n      cd /srv && docker compose -f \"a.yml\" up -d\n    '''\n    sshCommand remote: r, command: \"cd /x && docker compose up -dV\"\n  }\n}\ndeploy:\n\t@cd d && docker compose -p $$P \\\n\t\tup -d é😀\n";
    for (i, _) in realistic.char_indices() {
        inputs.push(realistic[..i].to_string());
    }
    for input in &inputs {
        for kind in kinds {
            exercise(kind, input);
        }
    }
}
