// The `driftls` settings section as the server reads it (initializationOptions,
// workspace/configuration, workspace/didChangeConfiguration), with Workspace Trust applied.
import * as vscode from 'vscode';

export interface ServerSettings {
  rules: Record<string, string>;
  offline: boolean;
  registry: {
    timeoutMs?: number;
    tagTtlSeconds?: number;
    platform?: string;
    insecure: string[];
    allowPrivateNetworks: boolean;
    caFiles: string[];
  };
}

function defined<T>(v: T | null | undefined): T | undefined {
  return v === null ? undefined : v;
}

/**
 * What the server is told. In an untrusted workspace `offline` is forced on: opening a file
 * someone else wrote must not make the editor contact the registries it names.
 */
export function serverSettings(trusted: boolean = vscode.workspace.isTrusted): ServerSettings {
  const c = vscode.workspace.getConfiguration('driftls');
  const strings = (key: string) => (c.get<unknown[]>(key) || []).filter((s): s is string => typeof s === 'string');
  const registry: ServerSettings['registry'] = {
    insecure: strings('registry.insecure'),
    allowPrivateNetworks: c.get<boolean>('registry.allowPrivateNetworks') === true,
    caFiles: strings('registry.caFiles'),
  };
  const timeoutMs = defined(c.get<number | null>('registry.timeoutMs'));
  if (typeof timeoutMs === 'number') registry.timeoutMs = timeoutMs;
  const ttl = defined(c.get<number | null>('registry.tagTtlSeconds'));
  if (typeof ttl === 'number') registry.tagTtlSeconds = ttl;
  const platform = defined(c.get<string | null>('registry.platform'));
  if (platform) registry.platform = platform;
  return {
    rules: { ...(c.get<Record<string, string>>('rules') || {}) },
    offline: !trusted || c.get<boolean>('offline') === true,
    registry,
  };
}

/** Extra environment for the server process (`driftls.server.env`). */
export function serverEnv(): Record<string, string> {
  const raw = vscode.workspace.getConfiguration('driftls').get<Record<string, unknown>>('server.env') || {};
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') env[k] = v;
  return env;
}
