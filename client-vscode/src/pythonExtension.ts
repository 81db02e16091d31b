/**
 * The optional Python extension (`ms-python.python`): its active interpreter and its change event.
 *
 * Owns every use of that extension's API. nanscope does not depend on it: when it is not installed,
 * or its API does not look as expected, these functions return `undefined` / do nothing.
 * Two API generations are supported: `environments` (getActiveEnvironmentPath + resolveEnvironment)
 * and the older `settings.getExecutionDetails`.
 */
import * as vscode from 'vscode';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

interface EnvironmentPath {
    id: string;
    path: string;
}

interface ResolvedEnvironment {
    executable?: { uri?: vscode.Uri };
}

interface PythonExtensionApi {
    environments?: {
        getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath | undefined;
        resolveEnvironment(environment: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
        onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
    };
    settings?: {
        getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined };
        onDidChangeExecutionDetails?: vscode.Event<unknown>;
    };
}

export function pythonExtensionInstalled(): boolean {
    return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}

async function api(): Promise<PythonExtensionApi | undefined> {
    const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
    if (extension === undefined) {
        return undefined;
    }
    try {
        return extension.isActive ? extension.exports : await extension.activate();
    } catch {
        return undefined;
    }
}

/** The Python extension's active interpreter for `resource` as a command line, if it has one. */
export async function activePythonCommand(resource?: vscode.Uri): Promise<string[] | undefined> {
    const python = await api();
    if (python === undefined) {
        return undefined;
    }
    const environments = python.environments;
    if (environments?.getActiveEnvironmentPath && environments.resolveEnvironment) {
        const active = environments.getActiveEnvironmentPath(resource);
        if (active !== undefined) {
            const resolved = await environments.resolveEnvironment(active);
            const executable = resolved?.executable?.uri?.fsPath;
            if (executable) {
                return [executable];
            }
            if (active.path) {
                return [active.path];
            }
        }
    }
    const details = python.settings?.getExecutionDetails?.(resource);
    return details?.execCommand && details.execCommand.length > 0 ? details.execCommand : undefined;
}

/** Calls `listener` when the user picks another interpreter in the Python extension. */
export async function onDidChangePythonInterpreter(listener: () => void): Promise<vscode.Disposable> {
    const python = await api();
    const event = python?.environments?.onDidChangeActiveEnvironmentPath ?? python?.settings?.onDidChangeExecutionDetails;
    return event ? event(() => listener()) : new vscode.Disposable(() => undefined);
}
