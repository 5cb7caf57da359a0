// driftls for VS Code: starts `driftls lsp --stdio` for Dockerfiles, compose files, deploy scripts
// and CI pipelines, and adds the pin/restart/output commands and a status bar item.
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  CloseAction,
  ErrorAction,
} from 'vscode-languageclient/node';
import { documentSelector } from './selector';
import { INSTALL_HINT, resolveServer } from './server';
import { serverEnv, serverSettings } from './settings';
import { StatusItem } from './status';

const PIN_ALL_KIND = vscode.CodeActionKind.Source.append('pinDigests').append('driftls');

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let status: StatusItem;
let extensionContext: vscode.ExtensionContext;
/** One "not found" notification per session, not one per restart or opened file. */
let missingShown = false;
let restarting: Promise<void> = Promise.resolve();

function log(message: string): void {
  output.info(message);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionContext = context;
  output = vscode.window.createOutputChannel('driftls', { log: true });
  status = new StatusItem();
  context.subscriptions.push(output, status);

  context.subscriptions.push(
    vscode.commands.registerCommand('driftls.showOutput', () => output.show(true)),
    vscode.commands.registerCommand('driftls.restartServer', () => restart('restart requested')),
    vscode.commands.registerCommand('driftls.pinAllImages', pinAllImages),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('driftls')) return;
      if (e.affectsConfiguration('driftls.server')) {
        await restart('server settings changed');
      } else {
        await pushSettings();
      }
    }),
    // Trusting the workspace lifts the forced offline mode and lets the workspace's restricted
    // settings (server path and environment) apply: start again with them.
    vscode.workspace.onDidGrantWorkspaceTrust(() => restart('workspace trusted')),
  );

  await restart('activated');
}

export async function deactivate(): Promise<void> {
  await stopClient();
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) {
    try {
      await c.stop(5000);
    } catch (e) {
      log(`stopping the server: ${String(e)}`);
    }
    c.dispose();
  }
}

function restart(why: string): Promise<void> {
  restarting = restarting.then(() => startClient(why)).catch((e) => log(`restart failed: ${String(e)}`));
  return restarting;
}

async function startClient(why: string): Promise<void> {
  await stopClient();
  const trusted = vscode.workspace.isTrusted;
  const configured = vscode.workspace.getConfiguration('driftls').get<string>('server.path');
  const found = resolveServer(extensionContext, configured);
  if (!found.ok) {
    status.setState('missing');
    log(`${found.reason} ${INSTALL_HINT}`);
    if (!missingShown) {
      missingShown = true;
      void vscode.window
        .showWarningMessage(`driftls: ${found.reason} ${INSTALL_HINT}`, 'Open Settings', 'Show Output')
        .then((choice) => {
          if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'driftls.server.path');
          if (choice === 'Show Output') output.show(true);
        });
    }
    return;
  }
  missingShown = false;

  const settings = serverSettings(trusted);
  status.setState('starting');
  status.setOffline(settings.offline, !trusted);
  const env = { ...process.env, ...serverEnv() };
  const run = { command: found.binary.command, args: ['lsp', '--stdio'], options: { env } };
  const serverOptions: ServerOptions = { run, debug: run };
  log(`starting ${found.binary.command} (${found.binary.source}) lsp --stdio: ${why}` +
    `${trusted ? '' : '; untrusted workspace, offline'}`);

  let crashes: number[] = [];
  const clientOptions: LanguageClientOptions = {
    documentSelector,
    outputChannel: output,
    initializationOptions: settings,
    // The server pulls its section with workspace/configuration: answer with the effective
    // settings (offline forced on in untrusted workspaces), not the raw ones.
    middleware: {
      workspace: {
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) return result;
          return params.items.map((item, i) => (item.section === 'driftls' ? serverSettings() : result[i]));
        },
      },
    },
    // Restart after a crash, but at most 3 times in 3 minutes; then stop and say so once.
    errorHandler: {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => {
        const now = Date.now();
        crashes = crashes.filter((t) => now - t < 180_000);
        crashes.push(now);
        if (crashes.length <= 3) return { action: CloseAction.Restart, handled: true };
        status.setState('stopped');
        void vscode.window.showErrorMessage(
          'driftls: the language server stopped 4 times in 3 minutes and will not be restarted. See the output for why.',
          'Show Output', 'Restart',
        ).then((choice) => {
          if (choice === 'Show Output') output.show(true);
          if (choice === 'Restart') void restart('restart requested after crashes');
        });
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    },
  };

  const c = new LanguageClient('driftls', 'driftls', serverOptions, clientOptions);
  client = c;
  c.onDidChangeState((e) => {
    if (client !== c) return;
    if (e.newState === State.Running) status.setState('running');
    else if (e.newState === State.Starting) status.setState('starting');
    else status.setState('stopped');
  });
  c.onNotification('driftls/status', (params: { lookups?: number }) => {
    if (client === c) status.setLookups(Number(params?.lookups ?? 0));
  });
  try {
    await c.start();
    status.setState('running');
  } catch (e) {
    status.setState('stopped');
    log(`the server did not start: ${String(e)}`);
    void vscode.window.showErrorMessage(`driftls: the language server did not start (${found.binary.command}). See the output.`, 'Show Output')
      .then((choice) => { if (choice === 'Show Output') output.show(true); });
  }
}

/** Sends the effective settings after a change (offline stays forced on when untrusted). */
async function pushSettings(): Promise<void> {
  const settings = serverSettings();
  status.setOffline(settings.offline, !vscode.workspace.isTrusted);
  if (client && client.isRunning()) {
    await client.sendNotification('workspace/didChangeConfiguration', { settings: { driftls: settings } });
  }
}

/** "driftls: Pin all images in file": the server's `source.pinDigests.driftls` action, resolved and applied. */
async function pinAllImages(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('driftls: open a Dockerfile or compose file first.');
    return;
  }
  if (!client || !client.isRunning()) {
    void vscode.window.showWarningMessage('driftls: the language server is not running.');
    return;
  }
  const doc = editor.document;
  const whole = new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
  const version = doc.version;
  const applied = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'driftls: pinning images to digests', cancellable: false },
    async () => {
      // The 4th argument resolves the actions (codeAction/resolve waits for registry lookups).
      const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider', doc.uri, whole, PIN_ALL_KIND.value, 10)) || [];
      const pin = actions.find((a) => a.kind && PIN_ALL_KIND.contains(a.kind));
      if (!pin) return 'none' as const;
      if (doc.version !== version) return 'changed' as const;
      if (pin.edit && !(await vscode.workspace.applyEdit(pin.edit))) return 'failed' as const;
      if (pin.command) await vscode.commands.executeCommand(pin.command.command, ...(pin.command.arguments || []));
      return pin.edit || pin.command ? ('applied' as const) : ('none' as const);
    },
  );
  if (applied === 'none') void vscode.window.showInformationMessage('driftls: nothing to pin in this file (or no digests known yet).');
  else if (applied === 'changed') void vscode.window.showWarningMessage('driftls: the file changed while digests were looked up; run the command again.');
  else if (applied === 'failed') void vscode.window.showErrorMessage('driftls: the edit could not be applied.');
}
