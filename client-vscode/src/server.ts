/**
 * The nanscope language server's lifecycle inside VS Code.
 *
 * Owns the `LanguageClient`: resolving and checking the interpreter before a start, starting
 * `python -m nanscope.server` with the settings as initializationOptions, stopping, restarting (all
 * serialized, so a burst of setting changes cannot start two servers), sending changed settings with
 * `workspace/didChangeConfiguration`, the middleware that feeds the status bar (`$/progress`, published
 * diagnostics, open/save) and `nanscope.analyzeWorkspace`'s request.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import {
    DidChangeConfigurationNotification,
    ExecuteCommandRequest,
    LanguageClient,
    State,
    type Executable,
    type LanguageClientOptions,
    type Middleware,
} from 'vscode-languageclient/node';

import {
    checkFailureMessage,
    checkInterpreter,
    describeInterpreter,
    resolveInterpreter,
    type ResolvedInterpreter,
} from './interpreter';
import { activePythonCommand, pythonExtensionInstalled } from './pythonExtension';
import { SECTION, logLevelEnv, toServerSettings, type ServerSettings } from './settings';
import { StatusModel } from './status';

export const CLIENT_ID = 'nanscope';
export const CLIENT_NAME = 'nanscope';
/** Commands the extension itself contributes; the server may advertise them too (see `ownCommands`). */
export const ANALYZE_WORKSPACE = 'nanscope.analyzeWorkspace';
const OWN_COMMANDS = new Set([ANALYZE_WORKSPACE, 'nanscope.restartServer', 'nanscope.showOutput']);
const PICK_INTERPRETER = 'Pick Interpreter...';
const SHOW_OUTPUT = 'Show Output';

export class ServerManager implements vscode.Disposable {
    readonly status = new StatusModel();
    private client: LanguageClient | undefined;
    private interpreter: ResolvedInterpreter | undefined;
    /** `sys.executable` of the interpreter, as its check printed it: the `interpreter` the server is told. */
    private executable = '';
    private queue: Promise<void> = Promise.resolve();
    private stopping = false;
    private readonly item: vscode.StatusBarItem;
    private readonly timer: NodeJS.Timeout;

    constructor(
        private readonly context: vscode.ExtensionContext,
        readonly output: vscode.LogOutputChannel,
    ) {
        this.item = vscode.window.createStatusBarItem('nanscope.status', vscode.StatusBarAlignment.Left, 0);
        this.item.name = 'nanscope';
        this.item.command = 'nanscope.showOutput';
        this.item.show();
        // Waiting-for-a-result entries expire with time, so the view is refreshed now and then.
        this.timer = setInterval(() => this.render(), 5_000);
        this.status.setTrusted(vscode.workspace.isTrusted);
        this.render();
    }

    /** The interpreter the running (or last started) server uses. */
    get currentInterpreter(): ResolvedInterpreter | undefined {
        return this.interpreter;
    }

    start(): Promise<void> {
        return this.enqueue(() => this.doStart());
    }

    restart(reason: string): Promise<void> {
        return this.enqueue(async () => {
            this.output.info(`Restarting the server: ${reason}`);
            await this.doStop();
            await this.doStart();
        });
    }

    stop(): Promise<void> {
        return this.enqueue(() => this.doStop());
    }

    /** Sends the current settings to the running server (`workspace/didChangeConfiguration`). */
    async sendSettings(): Promise<void> {
        const client = this.client;
        if (client === undefined || !client.isRunning()) {
            return;
        }
        const settings = this.settings();
        this.output.debug(`Sending settings: ${JSON.stringify(settings)}`);
        await client.sendNotification(DidChangeConfigurationNotification.type, { settings });
    }

    /** The Python extension's interpreter changed: restart if the server would now use another one. */
    async pythonInterpreterChanged(): Promise<void> {
        const current = this.interpreter;
        if (current?.source === 'setting' || !vscode.workspace.isTrusted) {
            return;   // the setting wins; untrusted workspaces never use the Python extension's choice
        }
        const now = await activePythonCommand(this.workspaceFolder()?.uri);
        if (JSON.stringify(now ?? null) !== JSON.stringify(current?.source === 'python-extension' ? current.command : null)) {
            await this.restart("the Python extension's interpreter changed");
        }
    }

    /** `nanscope.analyzeWorkspace`: asks the server to analyse every file of the workspace. */
    async analyzeWorkspace(): Promise<void> {
        const client = this.client;
        if (client === undefined || !client.isRunning()) {
            void vscode.window.showWarningMessage('nanscope: the server is not running.', SHOW_OUTPUT)
                .then((choice) => choice === SHOW_OUTPUT && this.output.show());
            return;
        }
        const advertised = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
        if (!advertised.includes(ANALYZE_WORKSPACE)) {
            void vscode.window.showInformationMessage(
                'nanscope: this version of the server cannot analyse the whole workspace yet; '
                + 'it analyses each Python file when you open or save it.',
            );
            return;
        }
        try {
            const result = await vscode.window.withProgress(
                { location: vscode.ProgressLocation.Notification, title: 'nanscope: analysing the workspace', cancellable: false },
                () => client.sendRequest(ExecuteCommandRequest.type, { command: ANALYZE_WORKSPACE, arguments: [] }),
            ) as { files?: number } | null;
            const files = result?.files ?? 0;
            void vscode.window.showInformationMessage(
                `nanscope: analysed ${files} file${files === 1 ? '' : 's'} of the workspace (findings are in the Problems panel).`,
            );
        } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            this.output.error(`${ANALYZE_WORKSPACE} failed: ${message}`);
            void vscode.window.showErrorMessage(`nanscope: analysing the workspace failed: ${message}`);
        }
    }

    /** Lets the user choose an interpreter; the setting change then restarts the server. */
    async pickInterpreter(): Promise<void> {
        type Choice = vscode.QuickPickItem & { action: () => Promise<void> };
        const config = vscode.workspace.getConfiguration(SECTION);
        const choices: Choice[] = [{
            label: '$(folder-opened) Browse for a Python executable...',
            description: 'sets nanscope.interpreter',
            action: async () => {
                const picked = await vscode.window.showOpenDialog({
                    canSelectFiles: true, canSelectFolders: false, canSelectMany: false,
                    openLabel: 'Use this Python', title: 'Python interpreter for nanscope',
                });
                if (picked?.[0]) {
                    await config.update('interpreter', picked[0].fsPath, this.settingTarget());
                }
            },
        }];
        if (pythonExtensionInstalled() && !config.get<string>('interpreter')?.trim()) {
            choices.push({
                label: "$(symbol-namespace) Use the Python extension's interpreter picker",
                description: 'python.setInterpreter',
                action: async () => { await vscode.commands.executeCommand('python.setInterpreter'); },
            });
        }
        choices.push({
            label: '$(gear) Open the setting nanscope.interpreter',
            action: async () => {
                await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.interpreter`);
            },
        });
        const choice = await vscode.window.showQuickPick(choices, { title: 'nanscope: pick an interpreter that has nanscope installed' });
        await choice?.action();
    }

    dispose(): void {
        clearInterval(this.timer);
        this.item.dispose();
        void this.stop();
    }

    // -- internals ------------------------------------------------------------------------------------

    private enqueue(task: () => Promise<void>): Promise<void> {
        const next = this.queue.then(task, task);
        this.queue = next.catch((error: unknown) => {
            this.output.error(`nanscope: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
        });
        return this.queue;
    }

    private settingTarget(): vscode.ConfigurationTarget {
        return vscode.workspace.workspaceFolders?.length && vscode.workspace.isTrusted
            ? vscode.ConfigurationTarget.Workspace
            : vscode.ConfigurationTarget.Global;
    }

    private workspaceFolder(): vscode.WorkspaceFolder | undefined {
        return vscode.workspace.workspaceFolders?.[0];
    }

    /** The server's settings now, for initializationOptions and didChangeConfiguration alike. */
    settings(): ServerSettings {
        const config = vscode.workspace.getConfiguration(SECTION, this.workspaceFolder()?.uri);
        const settings = toServerSettings(config, { trusted: vscode.workspace.isTrusted, interpreter: this.executable });
        // A requested analysis that has produced nothing by the trace timeout (plus some slack) never will.
        this.status.setWaitLimit((settings.traceTimeout + 30) * 1000);
        return settings;
    }

    private async doStart(): Promise<void> {
        const trusted = vscode.workspace.isTrusted;
        this.status.setTrusted(trusted);
        this.status.starting();
        this.render();

        const folder = this.workspaceFolder();
        const config = vscode.workspace.getConfiguration(SECTION, folder?.uri);
        const interpreter = await resolveInterpreter({
            setting: config.get<string>('interpreter'),
            workspaceFolder: folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined,
            home: os.homedir(),
            trusted,
            pythonExtension: () => activePythonCommand(folder?.uri),
        });
        this.interpreter = interpreter;
        this.output.info(`Interpreter: ${describeInterpreter(interpreter)}`);

        // The server runs from the extension's own folder, never from the workspace: `python -m` puts the
        // working directory first on sys.path, and a workspace must not be able to shadow nanscope itself.
        const cwd = this.context.extensionPath;
        const logLevel = toServerSettings(config, { trusted, interpreter: '' }).logLevel;
        const env = { ...process.env, NANSCOPE_LOG_LEVEL: logLevelEnv(logLevel), PYTHONUNBUFFERED: '1' };

        const check = await checkInterpreter(interpreter, { cwd, env });
        if (!check.ok) {
            const message = checkFailureMessage(interpreter, check);
            this.output.error(`${message} (${check.detail})`);
            this.status.error(message);
            this.render();
            void vscode.window.showErrorMessage(message, PICK_INTERPRETER, SHOW_OUTPUT).then(async (choice) => {
                if (choice === PICK_INTERPRETER) {
                    await this.pickInterpreter();
                } else if (choice === SHOW_OUTPUT) {
                    this.output.show();
                }
            });
            return;
        }
        this.executable = check.executable;
        const settings = this.settings();

        const [command, ...lead] = interpreter.command;
        const server: Executable = { command, args: [...lead, '-m', 'nanscope.server'], options: { cwd, env } };
        const clientOptions: LanguageClientOptions = {
            documentSelector: [{ scheme: 'file', language: 'python' }],
            outputChannel: this.output,
            initializationOptions: settings,
            diagnosticCollectionName: CLIENT_ID,
            middleware: this.middleware(),
        };
        const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, server, clientOptions);
        ownCommands(client, OWN_COMMANDS);
        client.onDidChangeState((event) => {
            if (event.newState === State.Running) {
                this.status.running();
            } else if (event.newState === State.Starting) {
                this.status.starting();
            } else if (event.newState === State.Stopped && !this.stopping) {
                this.status.error('the server stopped; see the nanscope output.');
            } else if (event.newState === State.Stopped) {
                this.status.stopped();
            }
            this.render();
        });
        this.client = client;
        this.output.info(`Starting: ${[command, ...server.args!].join(' ')} (trusted: ${String(trusted)})`);
        try {
            await client.start();
            this.status.running();
        } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            this.output.error(`The server did not start: ${message}`);
            this.status.error(`the server did not start: ${message}`);
        }
        this.render();
    }

    private async doStop(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        if (client === undefined) {
            return;
        }
        this.stopping = true;
        try {
            if (client.needsStop()) {
                await client.stop(5_000);
            }
        } catch (error) {
            this.output.warn(`Stopping the server: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
            await client.dispose().catch(() => undefined);
            this.stopping = false;
            this.status.stopped();
            this.render();
        }
    }

    private middleware(): Middleware {
        const requested = (document: vscode.TextDocument): void => {
            if (document.uri.scheme === 'file' && vscode.workspace.isTrusted) {
                this.status.analysisRequested(document.uri.toString(), Date.now());
                this.render();
            }
        };
        return {
            didOpen: (document, next) => { requested(document); return next(document); },
            didSave: (document, next) => { requested(document); return next(document); },
            didClose: (document, next) => {
                this.status.documentClosed(document.uri.toString());
                this.render();
                return next(document);
            },
            handleDiagnostics: (uri, diagnostics, next) => {
                this.status.setDiagnostics(uri.toString(), diagnostics.length);
                this.render();
                next(uri, diagnostics);
            },
            handleWorkDoneProgress: (token, params, next) => {
                if (params.kind === 'begin') {
                    this.status.progressBegin(token, params.title, params.message);
                } else if (params.kind === 'report') {
                    this.status.progressReport(token, params.message);
                } else {
                    this.status.progressEnd(token);
                }
                this.render();
                next(token, params);
            },
            workspace: {
                // A server that pulls its settings (workspace/configuration, section "nanscope") gets the
                // same object as initializationOptions, not VS Code's raw section.
                configuration: (params, token, next) => {
                    if (!params.items.some((item) => item.section === SECTION)) {
                        return next(params, token);
                    }
                    const ours = this.settings();
                    return Promise.resolve(next(params, token)).then((values) => {
                        if (!Array.isArray(values)) {
                            return values;
                        }
                        return params.items.map((item, index) => (item.section === SECTION ? ours : values[index]));
                    });
                },
            },
        };
    }

    private render(): void {
        const view = this.status.view(Date.now());
        this.item.text = view.text;
        this.item.tooltip = view.tooltip;
        this.item.accessibilityInformation = { label: view.label, role: 'button' };
        this.item.backgroundColor = view.kind === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    }
}

/**
 * Keeps vscode-languageclient from registering VS Code commands that this extension contributes
 * itself: when the server lists e.g. `nanscope.analyzeWorkspace` in `executeCommandProvider`, the
 * library would register the same command id again and VS Code rejects a duplicate.
 */
function ownCommands(client: LanguageClient, owned: Set<string>): void {
    const feature = client.getFeature(ExecuteCommandRequest.method) as
        | { register(data: { id: string; registerOptions: { commands?: string[] } }): void }
        | undefined;
    if (feature === undefined) {
        return;
    }
    const register = feature.register.bind(feature);
    feature.register = (data) => {
        const commands = (data.registerOptions.commands ?? []).filter((command) => !owned.has(command));
        register({ ...data, registerOptions: { ...data.registerOptions, commands } });
    };
}
