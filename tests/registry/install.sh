#!/usr/bin/env bash
# Installs what the registry end-to-end tests need (tests/e2e/registry.rs):
#   - docker-registry (CNCF distribution 2.8, Debian package) to run a real OCI registry on loopback;
#   - htpasswd (apache2-utils) for the basic-auth registry;
#   - openssl for its self-signed TLS certificate.
# Idempotent: does nothing when all three are present. Never starts or stops a system service:
# the tests run their own registry instances (the package's own service, if it starts, is unused).
set -euo pipefail

have() {
    command -v "$1" >/dev/null 2>&1
}

missing=()
if [ ! -x /usr/bin/docker-registry ] && ! have docker-registry; then
    missing+=(docker-registry)
fi
if ! have htpasswd; then
    missing+=(apache2-utils)
fi
if ! have openssl; then
    missing+=(openssl)
fi

if [ "${#missing[@]}" -eq 0 ]; then
    echo "tests/registry/install.sh: docker-registry, htpasswd and openssl present"
    exit 0
fi

fail() {
    echo "tests/registry/install.sh: $*" >&2
    echo "tests/registry/install.sh: install manually: apt-get install docker-registry apache2-utils openssl" >&2
    exit 1
}

if ! have apt-get; then
    fail "missing ${missing[*]} and apt-get is not available"
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if have sudo && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        fail "missing ${missing[*]}; installing needs root (or password-less sudo)"
    fi
fi

echo "tests/registry/install.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    || fail "apt-get update failed"
# policy-rc.d is not touched: a service the package starts (or fails to start without an init
# system) does not matter, the tests start their own instances on free ports.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    docker-registry apache2-utils openssl >/dev/null \
    || fail "apt-get install docker-registry apache2-utils openssl failed"

if [ ! -x /usr/bin/docker-registry ] && ! have docker-registry; then
    fail "docker-registry is still missing after apt-get install"
fi
have htpasswd || fail "htpasswd is still missing after apt-get install"
have openssl || fail "openssl is still missing after apt-get install"
echo "tests/registry/install.sh: installed $(docker-registry --version 2>/dev/null || echo docker-registry)"
