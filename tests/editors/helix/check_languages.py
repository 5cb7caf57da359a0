#!/usr/bin/env python3
"""Validate editors/helix/languages.toml against Helix's configuration format.

    python3 tests/editors/helix/check_languages.py [editors/helix/languages.toml] [--server-bin PATH]

No Helix binary can be installed here (not in Debian 12, PyPI or npm; crates.io has only
placeholders), so this checks the file the way Helix would read it:

  * it parses as TOML, with only the tables Helix knows;
  * every [language-server.NAME] uses only Helix's keys, with the right types;
  * every [[language]] names a language in Helix's built-in languages.toml (in the 25.07.1
    release AND on master, since Helix merges user entries into built-in ones by name and a
    name it does not know would need a full language definition), with only Helix's keys;
  * every server a language names is defined in the file or built into Helix (both versions);
  * each list keeps Helix's default servers for that language and adds driftls, for exactly
    dockerfile, docker-compose, bash, groovy, make and yaml;
  * with --server-bin: the driftls command line from the file (its `command` looked up on a PATH
    holding the binary's directory, its `args`, its `config` as initializationOptions) starts a
    language server that answers initialize and shutdown over stdio, as Helix would start it.

The Helix facts below were read from helix-editor/helix's languages.toml (master, 2026) and
book/src/languages.md; the 25.07.1 differences are noted. Exit 0 when valid, 1 otherwise.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib

# Top-level keys of a languages.toml.
TOP_KEYS = {"language-server", "language", "grammar", "use-grammars"}

# Keys of a [language-server.NAME] table (book: languages.md, "Language Server configuration").
SERVER_KEYS = {"command", "args", "config", "timeout", "environment", "required-root-patterns"}

# Keys of a [[language]] entry (book: languages.md, "Language configuration").
LANGUAGE_KEYS = {
    "name", "language-id", "scope", "injection-regex", "file-types", "shebangs", "roots",
    "comment-token", "comment-tokens", "block-comment-tokens", "auto-format", "formatter",
    "diagnostic-severity", "grammar", "language-servers", "indent", "debugger", "auto-pairs",
    "text-width", "soft-wrap", "workspace-lsp-roots", "persistent-diagnostic-sources",
    "path-completion", "word-completion", "rulers", "rainbow-brackets",
}

# Feature names for only-features / except-features.
FEATURES = {
    "format", "goto-declaration", "goto-definition", "goto-type-definition", "goto-reference",
    "goto-implementation", "signature-help", "hover", "document-highlight", "completion",
    "code-action", "document-links", "workspace-command", "document-symbols", "workspace-symbols",
    "diagnostics", "pull-diagnostics", "rename-symbol", "inlay-hints", "document-colors",
    "call-hierarchy",
}

# Built-in `language-servers` of the languages driftls joins, Helix master.
HELIX_MASTER_DEFAULTS = {
    "dockerfile": ["docker-langserver", "docker-language-server"],
    "docker-compose": ["docker-compose-langserver", "yaml-language-server", "docker-language-server"],
    "bash": ["bash-language-server"],
    "groovy": [],
    "make": [],
    "yaml": ["yaml-language-server", "ansible-language-server"],
}
# Languages that exist in the 25.07.1 release too (github-action, docker-bake are master-only).
HELIX_RELEASE_LANGUAGES = {"dockerfile", "docker-compose", "bash", "groovy", "make", "yaml"}

# Servers built into Helix: name -> (command, args). docker-language-server is master-only.
HELIX_BUILTIN_SERVERS = {
    "docker-langserver": ("docker-langserver", ["--stdio"]),
    "docker-compose-langserver": ("docker-compose-langserver", ["--stdio"]),
    "yaml-language-server": ("yaml-language-server", ["--stdio"]),
    "ansible-language-server": ("ansible-language-server", ["--stdio"]),
    "bash-language-server": ("bash-language-server", ["start"]),
}
HELIX_MASTER_ONLY_SERVERS = {"docker-language-server": ("docker-language-server", ["start", "--stdio"])}

REQUIRED_LANGUAGES = set(HELIX_MASTER_DEFAULTS)
OUR_SERVER = "driftls"
TEMP_DIRS = []


def check_file(path):
    errors = []
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        return [f"cannot parse {path}: {e}"], None

    for key in set(doc) - TOP_KEYS:
        errors.append(f"unknown top-level key {key!r}")

    servers = doc.get("language-server", {})
    if not isinstance(servers, dict):
        errors.append("[language-server] is not a table")
        servers = {}
    for name, s in servers.items():
        if not isinstance(s, dict):
            errors.append(f"language-server.{name} is not a table")
            continue
        for key in set(s) - SERVER_KEYS:
            errors.append(f"language-server.{name}: unknown key {key!r}")
        if not isinstance(s.get("command"), str) or not s["command"]:
            errors.append(f"language-server.{name}: 'command' must be a non-empty string")
        if "args" in s and not (isinstance(s["args"], list) and all(isinstance(a, str) for a in s["args"])):
            errors.append(f"language-server.{name}: 'args' must be a list of strings")
        if "timeout" in s and not (isinstance(s["timeout"], int) and s["timeout"] > 0):
            errors.append(f"language-server.{name}: 'timeout' must be a positive integer (seconds)")
        if "environment" in s and not (
            isinstance(s["environment"], dict) and all(isinstance(v, str) for v in s["environment"].values())
        ):
            errors.append(f"language-server.{name}: 'environment' must be a table of strings")
        if "required-root-patterns" in s and not (
            isinstance(s["required-root-patterns"], list) and all(isinstance(p, str) for p in s["required-root-patterns"])
        ):
            errors.append(f"language-server.{name}: 'required-root-patterns' must be a list of strings")
        if name in HELIX_BUILTIN_SERVERS and (s.get("command"), s.get("args", [])) != HELIX_BUILTIN_SERVERS[name]:
            errors.append(f"language-server.{name}: redefines Helix's built-in server differently")
        if name in HELIX_MASTER_ONLY_SERVERS and (s.get("command"), s.get("args", [])) != HELIX_MASTER_ONLY_SERVERS[name]:
            errors.append(f"language-server.{name}: differs from Helix master's definition")

    ours = servers.get(OUR_SERVER)
    if not isinstance(ours, dict):
        errors.append(f"[language-server.{OUR_SERVER}] is missing")
    elif ours.get("command") != "driftls" or ours.get("args") != ["lsp"]:
        errors.append(f"[language-server.{OUR_SERVER}] should run `driftls lsp`, not {ours.get('command')} {ours.get('args')}")
    elif "config" in ours and not (isinstance(ours["config"], dict) and set(ours["config"]) == {"driftls"}):
        errors.append(f"[language-server.{OUR_SERVER}] config must hold only a `driftls` table (the settings section)")

    defined_everywhere = set(servers) | set(HELIX_BUILTIN_SERVERS)
    langs = doc.get("language", [])
    if not isinstance(langs, list):
        errors.append("[[language]] is not an array of tables")
        langs = []
    seen = set()
    for i, lang in enumerate(langs):
        name = lang.get("name")
        if name not in HELIX_RELEASE_LANGUAGES:
            errors.append(f"[[language]] #{i}: {name!r} is not a built-in Helix language in both 25.07.1 and master")
        if name in seen:
            errors.append(f"[[language]] {name!r} given twice")
        seen.add(name)
        for key in set(lang) - LANGUAGE_KEYS:
            errors.append(f"[[language]] {name!r}: unknown key {key!r}")
        ls = lang.get("language-servers")
        if not isinstance(ls, list):
            errors.append(f"[[language]] {name!r}: 'language-servers' must be a list")
            continue
        names = []
        for entry in ls:
            if isinstance(entry, str):
                names.append(entry)
            elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
                names.append(entry["name"])
                for key in set(entry) - {"name", "only-features", "except-features"}:
                    errors.append(f"[[language]] {name!r}: unknown key {key!r} in {entry}")
                if "only-features" in entry and "except-features" in entry:
                    errors.append(f"[[language]] {name!r}: only-features and except-features are exclusive")
                for key in ("only-features", "except-features"):
                    for feature in set(entry.get(key, [])) - FEATURES:
                        errors.append(f"[[language]] {name!r}: unknown feature {feature!r}")
            else:
                errors.append(f"[[language]] {name!r}: bad language-servers entry {entry!r}")
        if len(names) != len(set(names)):
            errors.append(f"[[language]] {name!r}: a server is listed twice")
        for n in names:
            if n not in defined_everywhere:
                errors.append(f"[[language]] {name!r}: server {n!r} is neither defined here nor built into Helix")
        if OUR_SERVER not in names:
            errors.append(f"[[language]] {name!r}: does not use {OUR_SERVER}")
        missing = [s for s in HELIX_MASTER_DEFAULTS.get(name, []) if s not in names]
        if missing:
            errors.append(f"[[language]] {name!r}: drops Helix's default servers {missing} (the list replaces Helix's)")
    for name in sorted(REQUIRED_LANGUAGES - seen):
        errors.append(f"no [[language]] entry for {name!r}")
    return errors, doc


def lsp_roundtrip(doc, server_bin):
    """Starts the driftls entry like Helix: `command` from PATH, `args`, `config` as initializationOptions."""
    entry = doc["language-server"][OUR_SERVER]
    bin_dir = os.path.dirname(os.path.abspath(server_bin))
    if os.path.basename(server_bin) != entry["command"]:  # e.g. a copy named driftls-test
        bin_dir = tempfile.mkdtemp(prefix="driftls-helix-")
        TEMP_DIRS.append(bin_dir)
        os.symlink(os.path.abspath(server_bin), os.path.join(bin_dir, entry["command"]))
    path = bin_dir + os.pathsep + os.environ.get("PATH", "")
    exe = shutil.which(entry["command"], path=path)
    if exe is None:
        return [f"`{entry['command']}` not found on PATH (with {bin_dir} first)"]
    env = dict(os.environ, PATH=path)
    env.update(entry.get("environment", {}))
    proc = subprocess.Popen([exe, *entry.get("args", [])], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)

    def send(msg):
        body = json.dumps(msg).encode()
        proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        proc.stdin.flush()

    def read_response(want_id):
        while True:
            length = None
            while True:
                line = proc.stdout.readline()
                if not line:
                    raise EOFError("server closed stdout")
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            msg = json.loads(proc.stdout.read(length))
            if msg.get("id") == want_id and "method" not in msg:
                return msg

    try:
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": os.getpid(), "rootUri": None, "capabilities": {},
            "clientInfo": {"name": "helix", "version": "25.07.1"},
            "initializationOptions": entry.get("config")}})
        init = read_response(1)
        caps = init.get("result", {}).get("capabilities", {})
        send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
        read_response(2)
        send({"jsonrpc": "2.0", "method": "exit"})
        proc.wait(timeout=10)
    except Exception as e:  # noqa: BLE001 - any failure is a finding
        proc.kill()
        return [f"`{exe} {' '.join(entry.get('args', []))}` did not complete an LSP handshake: {e}"]
    wanted = ["hoverProvider", "codeActionProvider", "textDocumentSync"]
    missing = [c for c in wanted if not caps.get(c)]
    if missing:
        return [f"server capabilities lack {missing}"]
    print(f"  [PASS] `{entry['command']} {' '.join(entry.get('args', []))}` answers initialize/shutdown "
          f"(hover, code actions, sync advertised)")
    return []


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "..", "editors", "helix", "languages.toml")
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default=os.path.normpath(default))
    ap.add_argument("--server-bin", help="driftls binary: also start the server the way the file says")
    a = ap.parse_args()
    errors, doc = check_file(a.path)
    if not errors:
        print(f"  [PASS] {os.path.relpath(a.path)} parses; keys, languages and servers match Helix's format; "
              f"Helix's default servers kept for {len(doc['language'])} languages")
        if a.server_bin:
            errors += lsp_roundtrip(doc, a.server_bin)
        for d in TEMP_DIRS:
            shutil.rmtree(d, ignore_errors=True)
    for e in errors:
        print("  [FAIL]", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
