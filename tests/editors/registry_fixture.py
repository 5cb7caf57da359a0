#!/usr/bin/env python3
"""The seed-000 project against a real registry, for the editor tests.

    python3 tests/editors/registry_fixture.py start WORKDIR   # prints JSON, leaves the registry running
    python3 tests/editors/registry_fixture.py stop WORKDIR

`start` runs Debian's docker-registry on a free 127.0.0.1 port (storage under WORKDIR), pushes
`dbt-labs/dbt-core:1.4.1` and `dbtstuff:latest` (configs declaring VOLUME /usr/app, WORKDIR
/usr/app, ENTRYPOINT dbt), copies fixtures/seed-000-dbt to WORKDIR/project with the image hosts
replaced by the registry, and prints:

    {"host": "127.0.0.1:PORT", "pid": N, "project": "...", "base_digest": "sha256:...",
     "cache_dir": "WORKDIR/cache", "docker_config": "WORKDIR/docker"}

Editors should run driftls with DRIFTLS_CACHE_DIR=cache_dir and DOCKER_CONFIG=docker_config so
nothing of the user's is read or written. Only the standard library is used.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def request(method, url, body=b"", headers=None):
    req = urllib.request.Request(url, data=body if method in ("POST", "PUT") else None, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with urllib.request.urlopen(req, timeout=20) as resp:
        return resp.status, dict(resp.headers), resp.read()


def push_blob(base, repo, data):
    d = digest(data)
    _, headers, _ = request("POST", f"{base}/v2/{repo}/blobs/uploads/")
    location = headers.get("Location") or headers.get("location")
    if location.startswith("/"):
        location = base + location
    sep = "&" if "?" in location else "?"
    request("PUT", f"{location}{sep}digest={d}", data, {"Content-Type": "application/octet-stream"})
    return d


def layer():
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        content = b"driftls editor test\n"
        info = tarfile.TarInfo("etc/driftls-test")
        info.size = len(content)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    return tar_bytes, gzip.compress(tar_bytes, mtime=0)


def push_image(base, repo, tag, config):
    tar_bytes, gz = layer()
    blob = dict(config)
    blob["rootfs"] = {"type": "layers", "diff_ids": [digest(tar_bytes)]}
    config_bytes = json.dumps(blob).encode()
    config_digest = push_blob(base, repo, config_bytes)
    layer_digest = push_blob(base, repo, gz)
    manifest = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": DOCKER_CONFIG, "size": len(config_bytes), "digest": config_digest},
        "layers": [{"mediaType": DOCKER_LAYER, "size": len(gz), "digest": layer_digest}],
    }
    body = json.dumps(manifest).encode()
    _, headers, _ = request("PUT", f"{base}/v2/{repo}/manifests/{tag}", body, {"Content-Type": DOCKER_MANIFEST})
    return headers.get("Docker-Content-Digest") or digest(body)


def dbt_config():
    created = "2024-01-01T00:00:00Z"
    return {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "DBT_PROFILES_DIR=/usr/app"],
            "WorkingDir": "/usr/app",
            "Entrypoint": ["dbt"],
            "Volumes": {"/usr/app": {}},
        },
        "history": [
            {"created": created, "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
            {"created": created, "created_by": "/bin/sh -c #(nop)  VOLUME [/usr/app]", "empty_layer": True},
            {"created": created, "created_by": "/bin/sh -c #(nop) WORKDIR /usr/app", "empty_layer": True},
        ],
    }


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(workdir):
    binary = "/usr/bin/docker-registry" if os.path.isfile("/usr/bin/docker-registry") else shutil.which("docker-registry")
    if not binary:
        sys.exit("docker-registry not found: run `bash tests/registry/install.sh`")
    os.makedirs(workdir, exist_ok=True)
    port = free_port()
    config = {
        "version": "0.1",
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": os.path.join(workdir, "storage")}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": "driftls-editor-tests"},
    }
    config_path = os.path.join(workdir, "registry.yml")
    with open(config_path, "w") as f:
        json.dump(config, f)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    log = open(os.path.join(workdir, "registry.log"), "w")
    proc = subprocess.Popen([binary, "serve", config_path], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                            env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while True:
        try:
            request("GET", f"{base}/v2/")
            break
        except Exception:
            if time.time() > deadline or proc.poll() is not None:
                sys.exit(f"docker-registry did not start; see {workdir}/registry.log")
            time.sleep(0.1)
    with open(os.path.join(workdir, "registry.pid"), "w") as f:
        f.write(str(proc.pid))
    host = f"127.0.0.1:{port}"
    base_digest = push_image(base, "dbt-labs/dbt-core", "1.4.1", dbt_config())
    push_image(base, "dbtstuff", "latest", dbt_config())
    project = os.path.join(workdir, "project")
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "fixtures", "seed-000-dbt"), project)
    for name, old in (("Dockerfile", "ghcr.io"), ("docker-compose.yml", "ourfancyregistry.lan")):
        path = os.path.join(project, name)
        with open(path) as f:
            text = f.read().replace(old, host)
        with open(path, "w") as f:
            f.write(text)
    for d in ("cache", "docker"):
        os.makedirs(os.path.join(workdir, d), exist_ok=True)
    print(json.dumps({
        "host": host,
        "pid": proc.pid,
        "project": project,
        "base_digest": base_digest,
        "cache_dir": os.path.join(workdir, "cache"),
        "docker_config": os.path.join(workdir, "docker"),
    }))


def stop(workdir):
    try:
        with open(os.path.join(workdir, "registry.pid")) as f:
            os.killpg(int(f.read()), signal.SIGTERM)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit(__doc__)
    (start if sys.argv[1] == "start" else stop)(os.path.abspath(sys.argv[2]))
