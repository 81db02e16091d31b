/**
 * Entry point of the nanscope VS Code extension.
 *
 * Owns activation: the output channel, the commands (`nanscope.restartServer`, `nanscope.showOutput`,
 * `nanscope.analyzeWorkspace`), and the events that restart the server or resend its settings:
 * a change of `nanscope.interpreter` or of the Python extension's interpreter restarts, granting
 * workspace trust restarts (the server was started with `trusted: false`), any other `nanscope.*`
 * change is sent as `workspace/didChangeConfiguration`. The server's lifecycle is in `server.ts`.
 */
import * as vscode from 'vscode';

import { onDidChangePythonInterpreter } from './pythonExtension';
import { ServerManager } from './server';
import { SECTION, needsRestart } from './settings';

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const output = vscode.window.createOutputChannel('nanscope', { log: true });
    context.subscriptions.push(output);
    output.info(`nanscope extension ${String(context.extension.packageJSON.version)} activated`);

    const servers = new ServerManager(context, output);
    manager = servers;
    context.subscriptions.push(servers);

    context.subscriptions.push(
        vscode.commands.registerCommand('nanscope.restartServer', () => servers.restart('requested by the user')),
        vscode.commands.registerCommand('nanscope.showOutput', () => output.show()),
        vscode.commands.registerCommand('nanscope.analyzeWorkspace', () => servers.analyzeWorkspace()),
        vscode.workspace.onDidChangeConfiguration(async (event) => {
            if (!event.affectsConfiguration(SECTION)) {
                return;
            }
            if (needsRestart((section) => event.affectsConfiguration(section))) {
                await servers.restart('nanscope.interpreter changed');
            } else {
                await servers.sendSettings();
            }
        }),
        vscode.workspace.onDidGrantWorkspaceTrust(() => servers.restart('the workspace is now trusted')),
    );

    // Activation does not wait for the server (the interpreter check alone takes a moment).
    void servers.start();
    void onDidChangePythonInterpreter(() => void servers.pythonInterpreterChanged())
        .then((subscription) => context.subscriptions.push(subscription));
}

export async function deactivate(): Promise<void> {
    const servers = manager;
    manager = undefined;
    await servers?.stop();
}
