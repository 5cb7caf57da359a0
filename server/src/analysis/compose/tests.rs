use super::*;

fn show(text: &str, env: &str) -> String {
    let yaml = Yaml::parse(text);
    let file = ComposeFile::read(&yaml, text, &EnvFile::parse(env));
    let mut out = format!("mapping={}\n", file.is_mapping);
    for s in &file.services {
        out.push_str(&format!("service {} indent={:?}\n", s.name, s.body_indent));
        if let Some(i) = &s.image {
            out.push_str(&format!("  image {:?} resolved={} `{}`\n", i.value, i.resolved, &text[i.range.as_range()]));
        }
        if let Some(b) = &s.build {
            out.push_str(&format!(
                "  build context={:?} dockerfile={:?} target={:?}\n",
                b.context.as_ref().map(|v| &v.value),
                b.dockerfile.as_ref().map(|v| &v.value),
                b.target.as_ref().map(|v| &v.value)
            ));
        }
        if let Some(u) = &s.user {
            out.push_str(&format!("  user {:?}\n", u.value));
        }
        for m in &s.volumes {
            out.push_str(&format!(
                "  mount {:?} {:?} -> {} ro={} short={} inherited={} source@{:?}\n",
                m.kind,
                m.source,
                m.target,
                m.read_only,
                m.short,
                m.inherited,
                m.source_range.map(|r| &text[r.as_range()])
            ));
        }
    }
    for v in &file.volumes {
        out.push_str(&format!("volume {} external={}\n", v.name, v.external));
    }
    out
}

#[test]
fn services_mounts_anchors_extends_and_interpolation() {
    let text = r#"x-app: &app
  build:
    context: ./app
    dockerfile: Dockerfile.prod
    target: runtime
  volumes:
    - .:/app
    - /app/node_modules
services:
  web:
    <<: *app
    user: "${UID:-1000}:${GID:-1000}"
  worker:
    extends: web
    volumes:
      - type: volume
        source: cache
        target: /cache
      - type: volume
        target: /tmp/anon
  db:
    image: "postgres:${PG_TAG}"
    volumes:
      - db-data:/var/lib/postgresql/data
      - ./init.sql:/docker-entrypoint-initdb.d/init.sql:ro
volumes:
  db-data:
  cache:
    external: true
"#;
    expect_test::expect![[r#"
        mapping=true
        service web indent="    "
          build context=Some("./app") dockerfile=Some("Dockerfile.prod") target=Some("runtime")
          user "1000:1000"
          mount Bind Some(".") -> /app ro=false short=true inherited=false source@Some(".")
          mount Anonymous None -> /app/node_modules ro=false short=true inherited=false source@None
        service worker indent="    "
          build context=Some("./app") dockerfile=Some("Dockerfile.prod") target=Some("runtime")
          user "1000:1000"
          mount Named Some("cache") -> /cache ro=false short=false inherited=false source@Some("cache")
          mount Anonymous None -> /tmp/anon ro=false short=false inherited=false source@None
          mount Bind Some(".") -> /app ro=false short=true inherited=true source@Some(".")
          mount Anonymous None -> /app/node_modules ro=false short=true inherited=true source@None
        service db indent="    "
          image "postgres:16.4" resolved=true `"postgres:${PG_TAG}"`
          mount Named Some("db-data") -> /var/lib/postgresql/data ro=false short=true inherited=false source@Some("db-data")
          mount Bind Some("./init.sql") -> /docker-entrypoint-initdb.d/init.sql ro=true short=true inherited=false source@Some("./init.sql")
        volume db-data external=false
        volume cache external=true
    "#]]
    .assert_eq(&show(text, "PG_TAG=16.4\n"));
}

#[test]
fn not_a_mapping_and_broken_yaml() {
    assert_eq!(show("- a\n- b\n", ""), "mapping=false\n");
    let broken = "services:\n  app:\n    imag\n    image: nginx:1.27\n  db:\n    image: postgres\n";
    let out = show(broken, "");
    assert!(out.contains("service app") && out.contains("\"nginx:1.27\"") && out.contains("service db"), "{out}");
}
