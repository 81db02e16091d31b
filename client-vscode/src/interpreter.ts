/**
 * Which Python runs the nanscope server, and whether nanscope is installed in it.
 *
 * Owns the resolution order (the `nanscope.interpreter` setting, else the Python extension's active
 * interpreter, else `python3`), the expansion of `${workspaceFolder}`/`~` in the setting, and the
 * installation check (`python -c "import nanscope.server"`). Pure Node: it never imports `vscode` at
 * run time, so the unit tests run it without VS Code; the extension passes in what it reads from VS Code.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';

/** The fallback when neither the setting nor the Python extension names an interpreter. */
export const DEFAULT_PYTHON = 'python3';

export type InterpreterSource = 'setting' | 'python-extension' | 'default';

/** A command line that starts Python: `[executable, ...leading args]` (conda's `execCommand` can have args). */
export interface ResolvedInterpreter {
    command: string[];
    source: InterpreterSource;
}

export interface InterpreterInputs {
    /** The raw `nanscope.interpreter` setting (VS Code already drops a workspace value in an untrusted workspace). */
    setting: string | undefined;
    /** The first workspace folder's file system path, for `${workspaceFolder}` and relative paths. */
    workspaceFolder: string | undefined;
    /** The user's home directory, for `~`. */
    home: string;
    /** Whether the workspace is trusted. Untrusted: the Python extension is not asked, because its
     *  active interpreter is often a virtual environment inside the (untrusted) workspace. */
    trusted: boolean;
    /** The Python extension's active interpreter command, or undefined when that extension is absent,
     *  inactive or has no interpreter selected. Called only when the setting is empty. */
    pythonExtension?: () => Promise<string[] | undefined>;
}

/** The interpreter the server runs with, in the documented order. Never throws. */
export async function resolveInterpreter(inputs: InterpreterInputs): Promise<ResolvedInterpreter> {
    const setting = inputs.setting?.trim();
    if (setting) {
        return { command: [expandPath(setting, inputs.workspaceFolder, inputs.home)], source: 'setting' };
    }
    if (inputs.trusted && inputs.pythonExtension) {
        let command: string[] | undefined;
        try {
            command = await inputs.pythonExtension();
        } catch {
            command = undefined; // a broken or half-activated Python extension must not stop nanscope
        }
        const cleaned = (command ?? []).filter((part) => typeof part === 'string' && part.length > 0);
        if (cleaned.length > 0) {
            return { command: cleaned, source: 'python-extension' };
        }
    }
    return { command: [DEFAULT_PYTHON], source: 'default' };
}

/**
 * Expands `${workspaceFolder}`, `${userHome}` and a leading `~`; a relative path that names a folder
 * (`.venv/bin/python`) is taken relative to the workspace folder. A bare name (`python3`) stays a name
 * to be looked up on PATH.
 */
export function expandPath(value: string, workspaceFolder: string | undefined, home: string): string {
    let result = value.trim();
    if (workspaceFolder !== undefined) {
        result = result.split('${workspaceFolder}').join(workspaceFolder);
    }
    result = result.split('${userHome}').join(home);
    if (result === '~') {
        result = home;
    } else if (result.startsWith('~/') || result.startsWith('~\\')) {
        result = path.join(home, result.slice(2));
    }
    const hasSeparator = result.includes('/') || result.includes('\\');
    if (hasSeparator && !path.isAbsolute(result) && workspaceFolder !== undefined) {
        result = path.join(workspaceFolder, result);
    }
    return result;
}

/** How an interpreter is shown to the user: its command line, and where it came from. */
export function describeInterpreter(interpreter: ResolvedInterpreter): string {
    const where: Record<InterpreterSource, string> = {
        'setting': 'from the setting nanscope.interpreter',
        'python-extension': "the Python extension's active interpreter",
        'default': 'the default, found on PATH',
    };
    return `${interpreter.command.join(' ')} (${where[interpreter.source]})`;
}

export type CheckResult =
    | { ok: true; executable: string }
    | { ok: false; reason: 'not-found' | 'not-installed' | 'failed'; detail: string };

/** Runs a program and reports its exit; injectable so the tests need no Python. */
export type Runner = (
    file: string,
    args: string[],
    options: { cwd?: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
) => Promise<{ code: number | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException }>;

export const nodeRunner: Runner = (file, args, options) =>
    new Promise((resolve) => {
        execFile(
            file,
            args,
            { cwd: options.cwd, timeout: options.timeoutMs, env: options.env, windowsHide: true },
            (error, stdout, stderr) => {
                const err = error as (NodeJS.ErrnoException & { code?: unknown }) | null;
                const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
                resolve({ code, stdout: String(stdout), stderr: String(stderr), error: err ?? undefined });
            },
        );
    });

/** The Python statement whose success means "this interpreter can run the server". */
export const IMPORT_CHECK = 'import nanscope.server';
/** What the check runs: the import, then the interpreter's own path (the server is told it). */
export const CHECK_SCRIPT = `${IMPORT_CHECK}; import sys; print(sys.executable)`;

/**
 * Checks that `python -c "import nanscope.server"` succeeds with this interpreter, and returns the
 * interpreter's `sys.executable` (an absolute path even when the command was a bare `python3`).
 */
export async function checkInterpreter(
    interpreter: ResolvedInterpreter,
    options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; run?: Runner } = {},
): Promise<CheckResult> {
    const run = options.run ?? nodeRunner;
    const [file, ...lead] = interpreter.command;
    const result = await run(file, [...lead, '-c', CHECK_SCRIPT], {
        cwd: options.cwd,
        timeoutMs: options.timeoutMs ?? 60_000,
        env: options.env,
    });
    if (result.code === 0) {
        const printed = lastLine(result.stdout).trim();
        return { ok: true, executable: printed || file };
    }
    if (result.error?.code === 'ENOENT' || result.error?.code === 'EACCES') {
        return { ok: false, reason: 'not-found', detail: `${file}: ${result.error.message}` };
    }
    const stderr = result.stderr.trim();
    if (/ModuleNotFoundError|No module named/.test(stderr)) {
        return { ok: false, reason: 'not-installed', detail: lastLine(stderr) };
    }
    return {
        ok: false,
        reason: 'failed',
        detail: stderr ? lastLine(stderr) : (result.error?.message ?? `exit code ${String(result.code)}`),
    };
}

function lastLine(text: string): string {
    const lines = text.split(/\r?\n/).filter((line) => line.trim().length > 0);
    return lines[lines.length - 1] ?? text;
}

/** The message shown when the check fails; the extension adds the buttons. */
export function checkFailureMessage(interpreter: ResolvedInterpreter, result: CheckResult): string {
    if (result.ok) {
        return '';
    }
    const who = describeInterpreter(interpreter);
    switch (result.reason) {
        case 'not-found':
            return `nanscope: cannot run the Python interpreter ${who}. Pick an interpreter that has nanscope installed.`;
        case 'not-installed':
            return `nanscope is not installed in ${who}. Install it there (pip install nanscope, or pip install -e <nanscope checkout>) or pick an interpreter that has it.`;
        default:
            return `nanscope: "python -c \"${IMPORT_CHECK}\"" failed with ${who}: ${result.detail}. Pick another interpreter or see the nanscope output.`;
    }
}
