// The status bar item: registry lookups in progress (from the server's `driftls/status`
// notification), offline mode, and a server that is missing or stopped.
import * as vscode from 'vscode';

export type ServerState = 'starting' | 'running' | 'stopped' | 'missing';

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private lookups = 0;
  private state: ServerState = 'starting';
  private offline = false;
  private untrusted = false;

  constructor() {
    this.item = vscode.window.createStatusBarItem('driftls.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'driftls';
    this.item.command = 'driftls.showOutput';
    this.render();
    this.item.show();
  }

  private staleTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * From `driftls/status`. A count that is not updated for STALE_MS is dropped: each lookup ends
   * within the registry deadline and each end sends a new count, so a count that old is one whose
   * update was lost or overtaken (the server sends the start and end counts from different tasks).
   */
  setLookups(n: number): void {
    this.lookups = Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
    if (this.staleTimer) clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
    if (this.lookups > 0) {
      this.staleTimer = setTimeout(() => this.setLookups(0), StatusItem.STALE_MS);
    }
    this.render();
  }

  static STALE_MS = 30_000;

  setState(state: ServerState): void {
    this.state = state;
    if (state !== 'running') this.lookups = 0;
    this.render();
  }

  setOffline(offline: boolean, untrusted: boolean): void {
    this.offline = offline;
    this.untrusted = untrusted;
    this.render();
  }

  private render(): void {
    const item = this.item;
    item.backgroundColor = undefined;
    if (this.state === 'missing') {
      item.text = '$(error) driftls';
      item.tooltip = 'driftls: the language server was not found. Click to see the log.';
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      return;
    }
    if (this.state === 'stopped') {
      item.text = '$(debug-disconnect) driftls';
      item.tooltip = 'driftls: the language server is not running ("driftls: Restart server" starts it).';
      return;
    }
    if (this.state === 'starting') {
      item.text = '$(loading~spin) driftls';
      item.tooltip = 'driftls: starting';
      return;
    }
    // Offline, nothing is asked of a registry: a count would only be lookups answered "offline".
    if (this.lookups > 0 && !this.offline) {
      item.text = `$(sync~spin) driftls: ${this.lookups} registry lookup${this.lookups === 1 ? '' : 's'}`;
      item.tooltip = `driftls is asking registries about ${this.lookups} image reference${this.lookups === 1 ? '' : 's'}.`;
      return;
    }
    item.text = this.offline ? '$(cloud) driftls (offline)' : '$(check) driftls';
    item.tooltip = this.offline
      ? this.untrusted
        ? 'driftls runs offline in this untrusted workspace: no registry requests. Trust the workspace to allow them.'
        : 'driftls runs offline ("driftls.offline"): registry facts come only from the disk cache.'
      : 'driftls: no registry lookups running.';
  }

  /** For tests and the log. */
  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    if (this.staleTimer) clearTimeout(this.staleTimer);
    this.item.dispose();
  }
}
