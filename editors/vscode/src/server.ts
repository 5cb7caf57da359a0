// Finding the driftls binary: the `driftls.server.path` setting, else the binary bundled in a
// platform-specific .vsix (`server/driftls`), else `driftls` on PATH.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

export interface ServerBinary {
  command: string;
  /** Where it came from, for the log and the not-found message. */
  source: 'setting' | 'bundled' | 'PATH';
}

export type Resolution = { ok: true; binary: ServerBinary } | { ok: false; reason: string };

const EXE = process.platform === 'win32' ? 'driftls.exe' : 'driftls';

function isExecutable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return false;
    if (process.platform !== 'win32') fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** `driftls` on PATH, searched here so that a missing binary is reported once, not as a spawn error. */
export function findOnPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = (env.PATH || env.Path || '').split(path.delimiter).filter(Boolean);
  // The extension host rebuilds PATH from a login shell; cargo's default bin dir is often not on it.
  const cargoHome = env.CARGO_HOME || path.join(os.homedir(), '.cargo');
  dirs.push(path.join(cargoHome, 'bin'));
  for (const dir of dirs) {
    const candidate = path.join(dir, EXE);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function resolveServer(context: vscode.ExtensionContext, configured: string | undefined): Resolution {
  const setting = (configured || '').trim();
  if (setting) {
    const file = path.resolve(expandHome(setting));
    if (isExecutable(file)) return { ok: true, binary: { command: file, source: 'setting' } };
    return { ok: false, reason: `driftls.server.path is set to "${setting}", which is not an executable file.` };
  }
  const bundled = context.asAbsolutePath(path.join('server', EXE));
  if (isExecutable(bundled)) return { ok: true, binary: { command: bundled, source: 'bundled' } };
  const onPath = findOnPath();
  if (onPath) return { ok: true, binary: { command: onPath, source: 'PATH' } };
  return { ok: false, reason: 'The driftls language server was not found: this extension has no bundled binary for this platform and `driftls` is not on PATH.' };
}

export const INSTALL_HINT =
  'Install it with `cargo install --path server` from a driftls checkout (it goes to ~/.cargo/bin), ' +
  'or set "driftls.server.path" to the binary.';
