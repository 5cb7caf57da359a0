//! An LSP client for tests: spawns the built `driftls lsp`, frames JSON-RPC over its stdio the
//! way editors do, answers the server's requests, and waits for notifications with a deadline.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub fn driftls() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_driftls"))
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Messages received but not yet consumed by a wait.
    pending: VecDeque<Value>,
    next_id: i64,
    /// The answer to `workspace/configuration` for the `driftls` section.
    pub configuration: Value,
    /// Every `window/logMessage` text seen so far.
    pub logs: Vec<String>,
    /// Every message received, as sent (to check what never appears in any output).
    pub transcript: Vec<String>,
}

static NEXT_HOME: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A new empty directory to hold one run's cache (`cache/`) and Docker config (`docker/`).
pub fn fresh_home() -> PathBuf {
    temp_dir(&format!("home-{}", NEXT_HOME.fetch_add(1, std::sync::atomic::Ordering::Relaxed)))
}

impl Client {
    /// Spawns with a cache directory and Docker config of its own (nothing of the user's).
    pub fn spawn() -> Client {
        let home = fresh_home();
        Client::spawn_with(&[("DRIFTLS_CACHE_DIR", home.join("cache")), ("DOCKER_CONFIG", home.join("docker"))])
    }

    /// Spawns with these environment variables set.
    pub fn spawn_with(env: &[(&str, PathBuf)]) -> Client {
        let mut child = Command::new(driftls())
            .args(["lsp", "--stdio"])
            .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn driftls");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Client {
            child,
            stdin,
            incoming: rx,
            pending: VecDeque::new(),
            next_id: 1,
            configuration: Value::Null,
            logs: Vec::new(),
            transcript: Vec::new(),
        }
    }

    /// Spawns and initializes with `capabilities` and the workspace `root`.
    pub fn start(root: &Path, capabilities: Value) -> Client {
        Client::start_with(Client::spawn(), root, capabilities, Value::Null)
    }

    /// Initializes a spawned `client` with `capabilities`, `root` and `initializationOptions`.
    pub fn start_with(mut client: Client, root: &Path, capabilities: Value, options: Value) -> Client {
        let result = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "workspaceFolders": [{ "uri": uri(root), "name": "ws" }],
                "capabilities": capabilities,
                "initializationOptions": options,
            }),
        );
        assert!(result.get("capabilities").is_some(), "initialize result: {result}");
        client.notify("initialized", json!({}));
        client
    }

    pub fn send(&mut self, message: &Value) {
        let body = serde_json::to_string(message).expect("json");
        self.send_raw(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    }

    pub fn send_raw(&mut self, raw: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(raw.as_bytes()).expect("write to server");
        stdin.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response; returns `result` (or panics on an error).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        match response.get("error") {
            Some(e) => panic!("{method} failed: {e}"),
            None => response["result"].clone(),
        }
    }

    /// Sends a request and returns the whole response message.
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(&format!("response to {method}"), |m| {
            m.get("id") == Some(&json!(id)) && m.get("method").is_none()
        })
    }

    /// Waits for a message matching `pred`, answering server requests meanwhile.
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&pred) {
            return self.pending.remove(i).expect("pending");
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(message) => {
                    self.transcript.push(message.to_string());
                    if self.answer_server_request(&message) {
                        continue;
                    }
                    if message.get("method") == Some(&json!("window/logMessage")) {
                        self.logs.push(message["params"]["message"].as_str().unwrap_or("").to_string());
                    }
                    if pred(&message) {
                        return message;
                    }
                    self.pending.push_back(message);
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("timed out waiting for {what}; pending: {:#?}", self.pending)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("server exited while waiting for {what}")
                }
            }
        }
    }

    fn answer_server_request(&mut self, message: &Value) -> bool {
        let (Some(id), Some(method)) = (message.get("id"), message.get("method").and_then(|m| m.as_str())) else {
            return false;
        };
        let result = match method {
            "workspace/configuration" => {
                let items = message["params"]["items"].as_array().map_or(0, |a| a.len());
                Value::Array(vec![self.configuration.clone(); items])
            }
            _ => Value::Null,
        };
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "result": result }));
        true
    }

    /// The next `publishDiagnostics` for `uri` (optionally of a given version).
    pub fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let message = self.wait_for(&format!("diagnostics for {uri} v{version:?}"), |m| {
            m.get("method") == Some(&json!("textDocument/publishDiagnostics"))
                && m["params"]["uri"] == json!(uri)
                && version.is_none_or(|v| m["params"]["version"] == json!(v))
        });
        message["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until a publish for `uri` has exactly `expected` (see [`summary`]): for changes whose
    /// effect arrives with a re-publish of the same version (settings).
    pub fn wait_summary(&mut self, uri: &str, expected: &[&str]) -> Vec<Value> {
        let message = self.wait_for(&format!("diagnostics {expected:?} for {uri}"), |m| {
            m.get("method") == Some(&json!("textDocument/publishDiagnostics"))
                && m["params"]["uri"] == json!(uri)
                && summary(m["params"]["diagnostics"].as_array().map_or(&[][..], |a| a.as_slice())) == expected
        });
        message["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    pub fn open(&mut self, uri: &str, language_id: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language_id, "version": 1, "text": text } }),
        );
    }

    /// One incremental change replacing `(line, character)..(line, character)` with `text`.
    pub fn change(&mut self, uri: &str, version: i64, start: (u32, u32), end: (u32, u32), text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{
                    "range": {
                        "start": { "line": start.0, "character": start.1 },
                        "end": { "line": end.0, "character": end.1 },
                    },
                    "text": text,
                }],
            }),
        );
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `shutdown` then `exit`; returns the exit status.
    pub fn shutdown(mut self) -> std::process::ExitStatus {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        self.stdin = None;
        wait_exit(&mut self.child)
    }

    /// `exit` after a `shutdown` already sent; returns the exit status.
    pub fn shutdown_after_shutdown(mut self) -> std::process::ExitStatus {
        self.notify("exit", Value::Null);
        self.stdin = None;
        wait_exit(&mut self.child)
    }

    /// Closes stdin without `shutdown` (an editor that crashed); returns the exit status.
    pub fn close_stdin(mut self) -> std::process::ExitStatus {
        self.stdin = None;
        wait_exit(&mut self.child)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// `code line:col-line:col` for each diagnostic, in order: compact for snapshots.
pub fn summary(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            let r = &d["range"];
            format!(
                "{} {}:{}-{}:{}",
                d["code"].as_str().unwrap_or("?"),
                r["start"]["line"],
                r["start"]["character"],
                r["end"]["line"],
                r["end"]["character"]
            )
        })
        .collect()
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("driftls-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `code line:col` (start only) for each diagnostic.
pub fn starts(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {}:{}",
                d["code"].as_str().unwrap_or("?"),
                d["range"]["start"]["line"],
                d["range"]["start"]["character"]
            )
        })
        .collect()
}

/// Byte offset of an LSP position (UTF-16 columns) in `text`.
pub fn offset_of(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap_or(0) as usize;
    let character = position["character"].as_u64().unwrap_or(0) as usize;
    let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[line_start..].char_indices() {
        if units >= character || c == '\n' {
            return line_start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// Applies LSP `TextEdit`s (non-overlapping) to `text`, as an editor does.
pub fn apply_edits(text: &str, edits: &[Value]) -> String {
    let mut ranges: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset_of(text, &e["range"]["start"]),
                offset_of(text, &e["range"]["end"]),
                e["newText"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    ranges.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut out = text.to_string();
    for (start, end, new_text) in ranges {
        out.replace_range(start..end, &new_text);
    }
    out
}

/// Copies a fixture directory (recursively, dot files included) into a fresh temp directory.
pub fn copy_fixture(name: &str) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).expect("copy");
            }
        }
    }
    let dir = temp_dir(name);
    copy(&fixtures().join(name), &dir);
    dir
}

/// Standard base64 (config.json `auth` values in the registry tests).
pub use driftls::registry::manifest::base64_lite::encode as base64;
