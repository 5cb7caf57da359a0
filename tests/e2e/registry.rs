//! A real OCI registry for end-to-end tests: Debian's `docker-registry` (CNCF distribution 2.8)
//! started per test on a free 127.0.0.1 port with its own storage, stopped on drop; and a
//! minimal client for the registry HTTP API that pushes test images (config blob, one small
//! layer, Docker v2 schema 2 manifest) and OCI image indexes for multi-platform tags.
//!
//! Install the registry with `bash tests/registry/install.sh`. A missing binary is an error, not
//! a skip: a test that needs the registry fails and says how to install it.
//!
//! Requests to the plain registry go through the small HTTP/1.1 client at the bottom of this file
//! (`std::net::TcpStream`, one connection per request, `Connection: close`). The TLS + basic
//! auth registry is spoken to with `curl` instead (see [`Registry::start_with_auth_and_tls`]):
//! distribution 2.8 has a single `http.addr`, so there is no second, plain listener to push
//! through, and pushing before enabling auth would need a restart over the same storage. `curl`
//! is on every test machine and does TLS with the test certificate as its only trust root.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// How long a registry may take to answer `GET /v2/` after it is started.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// Connect, read and write limit of one request.
const IO_TIMEOUT: Duration = Duration::from_secs(20);
/// Ports tried before giving up when another process takes the free port first.
const PORT_ATTEMPTS: usize = 5;

pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// The manifest types a client accepts when resolving a tag (`Accept` of `HEAD`/`GET`).
pub const MANIFEST_ACCEPT: [&str; 4] = [DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX];

/// `created` of every config and history entry: fixed, so pushes are reproducible.
const CREATED: &str = "2024-01-01T00:00:00Z";

static UNIQUE: AtomicU64 = AtomicU64::new(0);

/// A running `docker-registry serve`, killed (and its storage deleted) on drop.
pub struct Registry {
    pub port: u16,
    /// `127.0.0.1:PORT`: the registry part of image references pushed here.
    pub host: String,
    tls: Option<Tls>,
    // Drop order is declaration order: the process dies before its directory is removed.
    process: Process,
    _dir: TempDir,
}

/// The TLS + basic auth setup: requests go through `curl`.
struct Tls {
    cacert: PathBuf,
    user: String,
    password: String,
    /// Where `curl` dumps response headers.
    scratch: PathBuf,
}

impl Registry {
    /// Starts `docker-registry serve <config.yml>` with fresh storage in a temp directory on a
    /// free 127.0.0.1 port and waits until `GET /v2/` answers. Errs (with how to install it) when
    /// the binary is missing.
    pub fn start() -> Result<Registry, String> {
        let binary = registry_binary()?;
        let dir = TempDir::new()?;
        Registry::launch(&binary, dir, None)
    }

    /// Like [`Registry::start`], with HTTP basic auth (`htpasswd -Bbn user password`) and TLS
    /// with a self-signed certificate for `127.0.0.1` (IP SAN, 2 days); returns the certificate's
    /// PEM path to trust.
    ///
    /// Every request to this registry, the harness's own pushes included, runs
    /// `curl --cacert <pem> --user user:password` (see the module comment for why not a plain
    /// listener); [`Registry::request_as`] sends other credentials, or none.
    pub fn start_with_auth_and_tls(user: &str, password: &str) -> Result<(Registry, PathBuf), String> {
        let binary = registry_binary()?;
        for tool in ["htpasswd", "openssl", "curl"] {
            if find_on_path(tool).is_none() {
                return Err(format!("{tool} not found on PATH: run `bash tests/registry/install.sh`"));
            }
        }
        let dir = TempDir::new()?;
        let htpasswd = run("htpasswd", Command::new("htpasswd").args(["-Bbn", user, password]))?;
        std::fs::write(dir.0.join("htpasswd"), htpasswd).map_err(|e| format!("write htpasswd: {e}"))?;
        // A CA and a server certificate it signs: rustls (webpki) does not accept a self-signed
        // CA certificate as the server's own.
        let ca = dir.0.join("ca.pem");
        let ca_key = dir.0.join("ca-key.pem");
        let cert = dir.0.join("cert.pem");
        let key = dir.0.join("key.pem");
        let csr = dir.0.join("server.csr");
        let ext = dir.0.join("server.ext");
        run(
            "openssl",
            Command::new("openssl")
                .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=driftls test CA", "-days", "2"])
                .arg("-keyout")
                .arg(&ca_key)
                .arg("-out")
                .arg(&ca),
        )?;
        run(
            "openssl",
            Command::new("openssl")
                .args(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1"])
                .arg("-keyout")
                .arg(&key)
                .arg("-out")
                .arg(&csr),
        )?;
        std::fs::write(&ext, "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
            .map_err(|e| format!("write {}: {e}", ext.display()))?;
        run(
            "openssl",
            Command::new("openssl")
                .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
                .arg("-in")
                .arg(&csr)
                .arg("-CA")
                .arg(&ca)
                .arg("-CAkey")
                .arg(&ca_key)
                .arg("-extfile")
                .arg(&ext)
                .arg("-out")
                .arg(&cert),
        )?;
        let scratch = dir.0.join("curl");
        std::fs::create_dir_all(&scratch).map_err(|e| format!("create {}: {e}", scratch.display()))?;
        let tls = Tls { cacert: ca.clone(), user: user.to_string(), password: password.to_string(), scratch };
        let registry = Registry::launch(&binary, dir, Some(tls))?;
        Ok((registry, ca))
    }

    fn launch(binary: &Path, mut dir: TempDir, mut tls: Option<Tls>) -> Result<Registry, String> {
        let mut failures = Vec::new();
        for attempt in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            let config = registry_config(&dir.0, port, tls.is_some());
            let config_path = dir.0.join("config.yml");
            // JSON is YAML: distribution reads it with its YAML parser.
            std::fs::write(&config_path, serde_json::to_string_pretty(&config).expect("json"))
                .map_err(|e| format!("write {}: {e}", config_path.display()))?;
            let log_path = dir.0.join(format!("registry-{attempt}.log"));
            let log = File::create(&log_path).map_err(|e| format!("create {}: {e}", log_path.display()))?;
            let log_err = log.try_clone().map_err(|e| format!("clone log handle: {e}"))?;
            let mut command = Command::new(binary);
            command.arg("serve").arg(&config_path).stdin(Stdio::null()).stdout(log).stderr(log_err);
            // The registry lets REGISTRY_* variables override its configuration.
            for (name, _) in std::env::vars_os() {
                if name.to_string_lossy().starts_with("REGISTRY_") {
                    command.env_remove(name);
                }
            }
            let child = command.spawn().map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
            let mut registry =
                Registry { port, host: format!("127.0.0.1:{port}"), tls, process: Process(child), _dir: dir };
            match registry.wait_ready(&log_path) {
                Ok(()) => return Ok(registry),
                Err(Startup::PortTaken(log)) => {
                    failures.push(format!("port {port} taken: {}", log.trim()));
                    drop(registry.process);
                    tls = registry.tls;
                    dir = registry._dir;
                }
                Err(Startup::Failed(message)) => return Err(message),
            }
        }
        Err(format!("docker-registry could not bind a free port in {PORT_ATTEMPTS} attempts: {failures:#?}"))
    }

    /// Waits until the registry logs that it listens (so it owns the port, not another process)
    /// and answers `GET /v2/` with 200 (authenticated, for the auth registry).
    fn wait_ready(&mut self, log_path: &Path) -> Result<(), Startup> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let mut last = String::from("no answer yet");
        loop {
            let log = std::fs::read_to_string(log_path).unwrap_or_default();
            match self.process.0.try_wait() {
                Ok(Some(_)) if log.contains("address already in use") => return Err(Startup::PortTaken(log)),
                Ok(Some(status)) => {
                    return Err(Startup::Failed(format!(
                        "docker-registry exited ({status}) before answering on {}; its log:\n{log}",
                        self.host
                    )));
                }
                Ok(None) => {}
                Err(e) => return Err(Startup::Failed(format!("wait for docker-registry: {e}"))),
            }
            if log.contains("listening on") {
                match self.request("GET", "/v2/", &[], b"") {
                    Ok(response) if response.status == 200 => return Ok(()),
                    Ok(response) => last = format!("GET /v2/ answered {}: {}", response.status, response.text()),
                    Err(e) => last = e,
                }
            }
            if Instant::now() >= deadline {
                return Err(Startup::Failed(format!(
                    "docker-registry on {} not ready within {STARTUP_TIMEOUT:?} ({last}); its log:\n{log}",
                    self.host
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id of `docker-registry` (to check it is gone after drop).
    pub fn pid(&self) -> u32 {
        self.process.0.id()
    }

    /// `http://127.0.0.1:PORT<path>` (`https` for the TLS registry).
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.host)
    }

    /// One request with the registry's own credentials (none for [`Registry::start`]).
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Response, String> {
        let credentials = self.tls.as_ref().map(|tls| (tls.user.as_str(), tls.password.as_str()));
        self.request_as(credentials, method, path, headers, body)
    }

    /// One request with the given basic-auth credentials, or none; `path` starts with `/v2/`.
    pub fn request_as(
        &self,
        credentials: Option<(&str, &str)>,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, String> {
        match &self.tls {
            Some(tls) => curl(tls, &self.url(path), credentials, method, headers, body),
            None => {
                let authorization = credentials.map(|(user, password)| basic_auth(user, password));
                let mut all: Vec<(&str, &str)> = headers.to_vec();
                if let Some(authorization) = &authorization {
                    all.push(("Authorization", authorization));
                }
                http(self.port, method, path, &all, body)
            }
        }
    }

    /// Uploads a blob monolithically (`POST /v2/<repo>/blobs/uploads/`, then `PUT <Location>`
    /// with `digest=`); returns its digest.
    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> Result<String, String> {
        let digest = digest(bytes);
        let what = format!("start upload of {digest} to {repo}");
        let started = self.request("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], b"")?.expect(202, &what)?;
        let location = started.header("location").ok_or_else(|| format!("{what}: no Location header"))?;
        let location = path_of(location);
        let separator = if location.contains('?') { '&' } else { '?' };
        let what = format!("upload {digest} to {repo}");
        let put = self
            .request(
                "PUT",
                &format!("{location}{separator}digest={digest}"),
                &[("Content-Type", "application/octet-stream")],
                bytes,
            )?
            .expect(201, &what)?;
        match put.header("docker-content-digest") {
            Some(reported) if reported != digest => Err(format!("{what}: registry reports digest {reported}")),
            _ => Ok(digest),
        }
    }

    /// `PUT /v2/<repo>/manifests/<reference>`; returns `Docker-Content-Digest`.
    pub fn push_manifest(&self, repo: &str, reference: &str, media_type: &str, body: &[u8]) -> Result<String, String> {
        let what = format!("push manifest {repo}:{reference}");
        let response = self
            .request("PUT", &format!("/v2/{repo}/manifests/{reference}"), &[("Content-Type", media_type)], body)?
            .expect(201, &what)?;
        let reported =
            response.header("docker-content-digest").ok_or_else(|| format!("{what}: no Docker-Content-Digest"))?;
        if reported != digest(body) {
            return Err(format!("{what}: registry reports {reported}, the body hashes to {}", digest(body)));
        }
        Ok(reported.to_string())
    }

    /// Pushes an image under `tag`: the `config` blob (see [`image_config`]), the test layer
    /// ([`test_layer`], listed once per entry of the config's `rootfs.diff_ids`, else once) and a
    /// Docker v2 schema 2 manifest. Returns the manifest digest the registry reports.
    pub fn push_image(&self, repo: &str, tag: &str, config: &Value) -> Result<String, String> {
        self.push_image_manifest(repo, Some(tag), config).map(|(digest, _)| digest)
    }

    /// Pushes an image under `tag`, or by digest when `tag` is `None`; returns (digest, size).
    fn push_image_manifest(&self, repo: &str, tag: Option<&str>, config: &Value) -> Result<(String, usize), String> {
        let config_bytes = serde_json::to_vec(config).expect("json");
        let config_digest = self.push_blob(repo, &config_bytes)?;
        let layer = test_layer();
        let layer_digest = self.push_blob(repo, &layer.gzip)?;
        let layers = config["rootfs"]["diff_ids"].as_array().map_or(1, Vec::len);
        let layer = json!({ "mediaType": DOCKER_LAYER, "size": layer.gzip.len(), "digest": layer_digest });
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": { "mediaType": DOCKER_CONFIG, "size": config_bytes.len(), "digest": config_digest },
            "layers": vec![layer; layers],
        });
        let bytes = serde_json::to_vec(&manifest).expect("json");
        let reference = tag.map_or_else(|| digest(&bytes), str::to_string);
        let pushed = self.push_manifest(repo, &reference, DOCKER_MANIFEST, &bytes)?;
        Ok((pushed, bytes.len()))
    }

    /// Pushes one image per `(os, arch, config)` by digest (`config` is the whole config blob, as
    /// [`image_config`] makes it; `arch` may carry a variant, `arm/v7`), then an OCI image index
    /// listing them with their platforms under `tag`. Returns the index digest.
    pub fn push_index(&self, repo: &str, tag: &str, platforms: &[(&str, &str, Value)]) -> Result<String, String> {
        let mut manifests = Vec::new();
        for (os, arch, config) in platforms {
            let (digest, size) = self.push_image_manifest(repo, None, config)?;
            let (architecture, variant) = split_variant(arch);
            let mut platform = json!({ "architecture": architecture, "os": os });
            if let Some(variant) = variant {
                platform["variant"] = json!(variant);
            }
            manifests
                .push(json!({ "mediaType": DOCKER_MANIFEST, "size": size, "digest": digest, "platform": platform }));
        }
        let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests });
        self.push_manifest(repo, tag, OCI_INDEX, &serde_json::to_vec(&index).expect("json"))
    }

    /// `HEAD /v2/<repo>/manifests/<tag>` accepting the four manifest types; `Docker-Content-Digest`.
    pub fn head_digest(&self, repo: &str, tag: &str) -> Result<String, String> {
        let accept = MANIFEST_ACCEPT.join(", ");
        let what = format!("HEAD {repo}:{tag}");
        let response = self
            .request("HEAD", &format!("/v2/{repo}/manifests/{tag}"), &[("Accept", &accept)], b"")?
            .expect(200, &what)?;
        response.header("docker-content-digest").map(str::to_string).ok_or_else(|| format!("{what}: no digest"))
    }

    /// `GET /v2/<repo>/manifests/<reference>` accepting the four manifest types.
    pub fn get_manifest(&self, repo: &str, reference: &str) -> Result<Response, String> {
        let accept = MANIFEST_ACCEPT.join(", ");
        self.request("GET", &format!("/v2/{repo}/manifests/{reference}"), &[("Accept", &accept)], b"")?
            .expect(200, &format!("GET manifest {repo}:{reference}"))
    }

    /// `GET /v2/<repo>/blobs/<digest>`, checked against the digest.
    pub fn get_blob(&self, repo: &str, blob: &str) -> Result<Vec<u8>, String> {
        let response = self
            .request("GET", &format!("/v2/{repo}/blobs/{blob}"), &[], b"")?
            .expect(200, &format!("GET blob {repo}@{blob}"))?;
        let served = digest(&response.body);
        if served != blob {
            return Err(format!("GET blob {repo}@{blob}: served bytes hash to {served}"));
        }
        Ok(response.body)
    }

    /// The tags of `repo` (`GET /v2/<repo>/tags/list`), as the registry orders them.
    pub fn tags(&self, repo: &str) -> Result<Vec<String>, String> {
        let what = format!("GET tags of {repo}");
        let list = self.request("GET", &format!("/v2/{repo}/tags/list"), &[], b"")?.expect(200, &what)?.json()?;
        let tags = list["tags"].as_array().ok_or_else(|| format!("{what}: no tags in {list}"))?;
        Ok(tags.iter().filter_map(|t| t.as_str().map(str::to_string)).collect())
    }
}

enum Startup {
    /// Another process bound the port between our probe and the registry: try another.
    PortTaken(String),
    Failed(String),
}

/// A child process killed and reaped on drop.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        let n = UNIQUE.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("driftls-registry-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("storage")).map_err(|e| format!("create {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn registry_config(dir: &Path, port: u16, tls: bool) -> Value {
    let mut config = json!({
        "version": "0.1",
        "log": { "level": "info", "formatter": "text", "accesslog": { "disabled": true } },
        "storage": {
            "filesystem": { "rootdirectory": dir.join("storage") },
            "delete": { "enabled": true },
            "maintenance": { "uploadpurging": { "enabled": false } },
        },
        "http": { "addr": format!("127.0.0.1:{port}"), "secret": "driftls-e2e-registry" },
    });
    if tls {
        config["http"]["tls"] = json!({ "certificate": dir.join("cert.pem"), "key": dir.join("key.pem") });
        config["auth"] = json!({ "htpasswd": { "realm": "driftls-e2e", "path": dir.join("htpasswd") } });
    }
    config
}

fn registry_binary() -> Result<PathBuf, String> {
    let debian = Path::new("/usr/bin/docker-registry");
    if debian.is_file() {
        return Ok(debian.to_path_buf());
    }
    find_on_path("docker-registry").ok_or_else(|| {
        "docker-registry (CNCF distribution 2.8) not found at /usr/bin/docker-registry or on PATH: \
         run `bash tests/registry/install.sh` (apt-get install docker-registry)"
            .to_string()
    })
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

/// A port free on 127.0.0.1 right now (bound to port 0 and released).
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| format!("local_addr: {e}"))
}

/// Runs a tool to completion; its stdout, or an error with its stderr.
fn run(name: &str, command: &mut Command) -> Result<Vec<u8>, String> {
    let output = command.stdin(Stdio::null()).output().map_err(|e| format!("cannot run {name}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{name} failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr)));
    }
    Ok(output.stdout)
}

/// `sha256:<hex>` of `bytes`: the digest registries name blobs and manifests by.
pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// `arm/v7` → (`arm`, Some(`v7`)).
fn split_variant(arch: &str) -> (&str, Option<&str>) {
    match arch.split_once('/') {
        Some((arch, variant)) => (arch, Some(variant)),
        None => (arch, None),
    }
}

/// The `/v2/…` path (and query) of a `Location`, absolute or not.
fn path_of(location: &str) -> &str {
    match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => location,
    }
}

/// An image config blob: `config` holds the container config fields (`Volumes`, `WorkingDir`,
/// `Env`, `User`, `OnBuild`, `Entrypoint`, `Cmd`, `ExposedPorts`, `Labels`, in docker's
/// spelling), `history` is `(created_by, empty_layer)` per entry. `rootfs.diff_ids` has the
/// [`test_layer`] once per non-empty history entry (at least once), matching the layers
/// [`Registry::push_image`] lists.
pub fn image_config(os: &str, arch: &str, config: Value, history: &[(&str, bool)]) -> Value {
    let layers = history.iter().filter(|(_, empty)| !empty).count().max(1);
    let diff_id = digest(&test_layer().tar);
    let history: Vec<Value> = history
        .iter()
        .map(|(created_by, empty)| {
            let mut entry = json!({ "created": CREATED, "created_by": created_by });
            if *empty {
                entry["empty_layer"] = json!(true);
            }
            entry
        })
        .collect();
    let (architecture, variant) = split_variant(arch);
    let mut blob = json!({
        "architecture": architecture,
        "os": os,
        "created": CREATED,
        "config": config,
        "rootfs": { "type": "layers", "diff_ids": vec![diff_id; layers] },
        "history": history,
    });
    if let Some(variant) = variant {
        blob["variant"] = json!(variant);
    }
    blob
}

/// The layer every pushed image carries: a real tar with one file, gzipped.
pub struct Layer {
    /// The uncompressed tar (its digest is the config's diff ID).
    pub tar: Vec<u8>,
    /// The blob pushed (gzip of `tar`).
    pub gzip: Vec<u8>,
}

pub fn test_layer() -> Layer {
    let tar = tar_one_file("driftls-test-layer.txt", b"a layer pushed by driftls end-to-end tests\n");
    let gzip = gzip_stored(&tar);
    Layer { tar, gzip }
}

/// A ustar archive holding one regular file.
fn tar_one_file(name: &str, content: &[u8]) -> Vec<u8> {
    fn put(field: &mut [u8], value: &[u8]) {
        field[..value.len()].copy_from_slice(value);
    }
    let mut header = [0u8; 512];
    put(&mut header[0..100], name.as_bytes());
    put(&mut header[100..108], b"0000644\0");
    put(&mut header[108..116], b"0000000\0");
    put(&mut header[116..124], b"0000000\0");
    put(&mut header[124..136], format!("{:011o}\0", content.len()).as_bytes());
    put(&mut header[136..148], b"00000000000\0");
    header[148..156].fill(b' ');
    header[156] = b'0';
    put(&mut header[257..263], b"ustar\0");
    put(&mut header[263..265], b"00");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    put(&mut header[148..156], format!("{sum:06o}\0 ").as_bytes());
    let mut tar = header.to_vec();
    tar.extend_from_slice(content);
    tar.resize(tar.len().next_multiple_of(512) + 1024, 0);
    tar
}

/// gzip with one stored (uncompressed) deflate block: valid gzip without a compressor.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let len = u16::try_from(data.len()).expect("stored block holds at most 64 KiB");
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.push(1); // BFINAL, BTYPE = stored
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn basic_auth(user: &str, password: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}");
    let mut encoded = String::from("Basic ");
    for chunk in input.as_bytes().chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                encoded.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

/// A registry's answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// In order received; look them up with [`Response::header`].
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name`, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("response is not JSON ({e}): {}", self.text()))
    }

    /// `self` if its status is `status`, else an error naming `what` with the registry's answer.
    fn expect(self, status: u16, what: &str) -> Result<Response, String> {
        if self.status == status {
            Ok(self)
        } else {
            Err(format!("{what}: expected HTTP {status}, got {}: {}", self.status, self.text().trim()))
        }
    }
}

/// One HTTP/1.1 request to 127.0.0.1:`port` on a fresh connection (`Connection: close`: the
/// response ends where the stream does).
fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Response, String> {
    let what = format!("{method} http://127.0.0.1:{port}{path}");
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, IO_TIMEOUT).map_err(|e| format!("{what}: {e}"))?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| format!("{what}: {e}"))?;
    stream.set_write_timeout(Some(IO_TIMEOUT)).map_err(|e| format!("{what}: {e}"))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nUser-Agent: driftls-e2e\r\n"
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).map_err(|e| format!("{what}: write: {e}"))?;
    stream.write_all(body).map_err(|e| format!("{what}: write: {e}"))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| format!("{what}: read: {e}"))?;
    parse_response(&raw, method == "HEAD").map_err(|e| format!("{what}: {e}"))
}

/// Parses a whole `Connection: close` response (`head`: the answer to a `HEAD`, no body).
pub fn parse_response(raw: &[u8], head: bool) -> Result<Response, String> {
    let end = find(raw, b"\r\n\r\n").ok_or_else(|| format!("incomplete response: {}", String::from_utf8_lossy(raw)))?;
    let (status, headers) = parse_head(&String::from_utf8_lossy(&raw[..end]))?;
    let rest = &raw[end + 4..];
    let mut response = Response { status, headers, body: Vec::new() };
    if head || status < 200 || status == 204 || status == 304 {
        return Ok(response);
    }
    response.body =
        if response.header("transfer-encoding").is_some_and(|te| te.to_ascii_lowercase().contains("chunked")) {
            dechunk(rest)?
        } else if let Some(length) = response.header("content-length") {
            let length: usize = length.trim().parse().map_err(|_| format!("bad Content-Length {length:?}"))?;
            rest.get(..length).ok_or_else(|| format!("body shorter than Content-Length {length}"))?.to_vec()
        } else {
            rest.to_vec()
        };
    Ok(response)
}

/// Status and headers of a response head (status line and header lines, CRLF separated).
fn parse_head(head: &str) -> Result<(u16, Vec<(String, String)>), String> {
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    Ok((status, headers))
}

fn dechunk(mut raw: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = find(raw, b"\r\n").ok_or("chunked body: missing chunk size")?;
        let size_line = String::from_utf8_lossy(&raw[..line_end]);
        let size_hex = size_line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| format!("chunked body: bad size {size_hex:?}"))?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = raw.get(..size).ok_or("chunked body: truncated chunk")?;
        body.extend_from_slice(chunk);
        raw = raw.get(size + 2..).ok_or("chunked body: missing CRLF after chunk")?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One request through `curl` over HTTPS, trusting only the test certificate. The body goes in
/// on stdin, the response body comes out on stdout and the headers are dumped to a scratch file
/// (of which the last response counts).
fn curl(
    tls: &Tls,
    url: &str,
    credentials: Option<(&str, &str)>,
    method: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response, String> {
    let what = format!("curl {method} {url}");
    let header_file = tls.scratch.join(format!("headers-{}", UNIQUE.fetch_add(1, Ordering::Relaxed)));
    let mut command = Command::new("curl");
    command
        .args(["--silent", "--show-error", "--http1.1", "--noproxy", "*", "--max-time", "20"])
        .arg("--cacert")
        .arg(&tls.cacert)
        .arg("--dump-header")
        .arg(&header_file)
        // No `Expect: 100-continue` round trip.
        .args(["--header", "Expect:"]);
    if let Some((user, password)) = credentials {
        command.arg("--user").arg(format!("{user}:{password}"));
    }
    if method == "HEAD" {
        command.arg("--head");
    } else {
        command.args(["--request", method]);
    }
    for (name, value) in headers {
        command.arg("--header").arg(format!("{name}: {value}"));
    }
    let send_body = !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH");
    if send_body {
        command.args(["--data-binary", "@-"]);
    }
    command.arg(url).stdin(if send_body { Stdio::piped() } else { Stdio::null() });
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{what}: cannot run curl: {e}"))?;
    let writer = child.stdin.take().map(|mut stdin| {
        let body = body.to_vec();
        std::thread::spawn(move || stdin.write_all(&body))
    });
    let output = child.wait_with_output().map_err(|e| format!("{what}: {e}"))?;
    if let Some(writer) = writer {
        writer.join().expect("curl stdin writer").map_err(|e| format!("{what}: write body: {e}"))?;
    }
    let dump = std::fs::read(&header_file).unwrap_or_default();
    let _ = std::fs::remove_file(&header_file);
    if !output.status.success() {
        return Err(format!("{what} failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr).trim()));
    }
    let dump = String::from_utf8_lossy(&dump);
    let last = dump.split("\r\n\r\n").filter(|block| block.starts_with("HTTP/")).last();
    let (status, headers) = parse_head(last.ok_or_else(|| format!("{what}: no response headers"))?)?;
    Ok(Response { status, headers, body: output.stdout })
}
