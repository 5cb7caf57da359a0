//! driftls's registry client against a real registry (Debian's `docker-registry`, started per
//! test on loopback): digests equal the registry's `Docker-Content-Digest`, configs keep
//! `Volumes` and `OnBuild`, multi-platform indexes list their platforms, a missing tag is
//! `NotFound`, and basic auth over TLS works with credentials from a `config.json` whose
//! password never shows in any output.

use driftls::registry::client::{LookupError, RegistryClient, RegistrySettings, credentials_in};
use driftls::registry::endpoint::Endpoint;
use driftls::syntax::image_ref::ImageRef;
use oci_client::secrets::RegistryAuth;
use serde_json::json;

use crate::registry::{Registry, image_config};
use crate::support::base64;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn dbt_config(arch: &str, volume: &str) -> serde_json::Value {
    image_config(
        "linux",
        arch,
        json!({
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "DBT_HOME=/usr/app"],
            "WorkingDir": "/usr/app",
            "Entrypoint": ["dbt"],
            "Volumes": { volume: {} },
            "OnBuild": ["COPY . /usr/app"],
        }),
        &[("/bin/sh -c #(nop) ADD file:abc in / ", false), ("VOLUME [/usr/app]", true)],
    )
}

#[test]
fn digest_and_config_of_a_single_platform_image() {
    let registry = Registry::start().expect("docker-registry (run tests/registry/install.sh)");
    let pushed = registry.push_image("dbt-labs/dbt-core", "1.4.1", &dbt_config("amd64", "/usr/app")).expect("push");
    let client =
        RegistryClient::new(RegistrySettings { platform: "linux/amd64".into(), ..RegistrySettings::default() });
    let rt = runtime();
    let text = format!("{}/dbt-labs/dbt-core:1.4.1", registry.host);
    assert_eq!(rt.block_on(client.digest(&text, &RegistryAuth::Anonymous)), Ok(pushed.clone()));
    let resolved = rt.block_on(client.resolve(&text, &RegistryAuth::Anonymous)).expect("resolve");
    assert_eq!(resolved.digest, pushed);
    assert_eq!(resolved.platforms, Vec::<String>::new());
    assert_eq!(resolved.config.volumes, ["/usr/app"]);
    assert_eq!(resolved.config.working_dir.as_deref(), Some("/usr/app"));
    assert_eq!(resolved.config.on_build, ["COPY . /usr/app"]);
    assert_eq!(resolved.config.entrypoint, Some(vec!["dbt".to_string()]));
    assert_eq!(resolved.config.history.len(), 2);
    // A tag that does not exist, and a repository that does not exist.
    let missing = format!("{}/dbt-labs/dbt-core:9.9.9", registry.host);
    assert_eq!(rt.block_on(client.digest(&missing, &RegistryAuth::Anonymous)), Err(LookupError::NotFound));
    let nowhere = format!("{}/nobody/nothing:1", registry.host);
    assert_eq!(rt.block_on(client.resolve(&nowhere, &RegistryAuth::Anonymous)).err(), Some(LookupError::NotFound));
    // Re-pushing the tag moves it.
    let repushed =
        registry.push_image("dbt-labs/dbt-core", "1.4.1", &dbt_config("amd64", "/srv/app")).expect("re-push");
    assert_ne!(repushed, pushed);
    assert_eq!(rt.block_on(client.digest(&text, &RegistryAuth::Anonymous)), Ok(repushed));
}

#[test]
fn multi_platform_index_digest_and_platform_choice() {
    let registry = Registry::start().expect("docker-registry (run tests/registry/install.sh)");
    let index = registry
        .push_index(
            "library/python",
            "3.12",
            &[("linux", "amd64", dbt_config("amd64", "/amd64")), ("linux", "arm64", dbt_config("arm64", "/arm64"))],
        )
        .expect("push index");
    let rt = runtime();
    let text = format!("{}/library/python:3.12", registry.host);
    for (platform, volume) in [("linux/amd64", "/amd64"), ("linux/arm64", "/arm64")] {
        let client = RegistryClient::new(RegistrySettings { platform: platform.into(), ..RegistrySettings::default() });
        let resolved = rt.block_on(client.resolve(&text, &RegistryAuth::Anonymous)).expect("resolve");
        assert_eq!(resolved.digest, index, "the index digest is what gets pinned");
        assert_eq!(resolved.platforms, ["linux/amd64", "linux/arm64"]);
        assert_eq!(resolved.platform.as_deref(), Some(platform));
        assert_eq!(resolved.config.volumes, [volume]);
    }
}

#[test]
fn basic_auth_over_tls_with_credentials_from_config_json() {
    let password = "s3cr3t-Pa55-never-printed";
    let (registry, pem) = Registry::start_with_auth_and_tls("ci", password).expect("TLS registry");
    let pushed = registry.push_image("team/app", "2.0.1", &dbt_config("amd64", "/data")).expect("push");
    let text = format!("{}/team/app:2.0.1", registry.host);
    let settings = RegistrySettings { ca_files: vec![pem], ..RegistrySettings::default() };
    let client = RegistryClient::new(settings.clone());
    let rt = runtime();
    // Without credentials the registry refuses.
    let anonymous = rt.block_on(client.digest(&text, &RegistryAuth::Anonymous));
    assert_eq!(anonymous, Err(LookupError::Unauthorized));
    // With the test's config.json, it answers.
    let config_dir = std::env::temp_dir().join(format!("driftls-docker-config-{}", std::process::id()));
    std::fs::create_dir_all(&config_dir).unwrap();
    let auth = base64(format!("ci:{password}").as_bytes());
    std::fs::write(
        config_dir.join("config.json"),
        json!({ "auths": { registry.host.clone(): { "auth": auth } } }).to_string(),
    )
    .unwrap();
    let endpoint = Endpoint::of(&ImageRef::parse(&text).unwrap());
    let credentials = credentials_in(&config_dir, &endpoint);
    assert!(matches!(credentials, RegistryAuth::Basic(..)));
    let client = RegistryClient::new(settings);
    let digest = rt.block_on(client.digest(&text, &credentials));
    assert_eq!(digest, Ok(pushed));
    let resolved = rt.block_on(client.resolve(&text, &credentials)).expect("resolve with credentials");
    // Nothing driftls prints about these lookups contains the password.
    let printed = format!("{anonymous:?} {digest:?} {resolved:?} {credentials:?} {}", anonymous.clone().unwrap_err());
    assert!(!printed.contains(password), "{printed}");
    // Credentials for another registry are not these.
    let other = Endpoint::of(&ImageRef::parse("ghcr.io/o/r:1").unwrap());
    assert!(matches!(credentials_in(&config_dir, &other), RegistryAuth::Anonymous));
    let _ = std::fs::remove_dir_all(config_dir);
}

#[test]
fn ten_lookups_of_one_image_share_one_request_and_answers_are_cached() {
    use driftls::analysis::image_facts::Lookup;
    use driftls::registry::lookup::{ImageService, LookupSettings};
    let registry = Registry::start().expect("docker-registry (run tests/registry/install.sh)");
    let pushed = registry.push_image("team/app", "1.0.3", &dbt_config("amd64", "/usr/app")).expect("push");
    let cache = std::env::temp_dir().join(format!("driftls-lookup-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let settings = LookupSettings { cache_dir: Some(cache.clone()), ..LookupSettings::default() };
    let service = std::sync::Arc::new(ImageService::new(settings.clone()));
    let text = format!("{}/team/app:1.0.3", registry.host);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let answers: Vec<_> = rt.block_on(async {
        let lookups = (0..10).map(|_| {
            let service = service.clone();
            let text = text.clone();
            tokio::spawn(async move { service.lookup(&text).await })
        });
        let mut answers = Vec::new();
        for handle in lookups.collect::<Vec<_>>() {
            answers.push(handle.await.expect("join"));
        }
        answers
    });
    for answer in &answers {
        let Ok(Lookup::Found(found)) = answer else { panic!("{answer:?}") };
        assert_eq!(found.digest, pushed);
        assert_eq!(found.config.volumes, ["/usr/app"]);
    }
    // One HEAD for the tag, one manifest + config read for the digest: ten documents, two requests.
    assert_eq!(service.requests(), 2);
    rt.block_on(service.lookup(&text)).expect("cached");
    assert_eq!(service.requests(), 2);
    // A new process with the same disk cache makes no request within the TTL.
    let fresh = ImageService::new(settings);
    assert!(matches!(rt.block_on(fresh.lookup(&text)), Ok(Lookup::Found(_))));
    assert_eq!(fresh.requests(), 0);
    let _ = std::fs::remove_dir_all(cache);
}
