// Unit tests of client-vscode/src/interpreter.ts: resolution order, path expansion, the install check.
// Runs under plain Node (node:test); the check is driven by a fake runner, plus two real processes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import {
    CHECK_SCRIPT,
    DEFAULT_PYTHON,
    checkFailureMessage,
    checkInterpreter,
    expandPath,
    resolveInterpreter,
    type InterpreterInputs,
    type Runner,
} from '../src/interpreter';

const base: InterpreterInputs = { setting: undefined, workspaceFolder: '/ws', home: '/home/u', trusted: true };

describe('resolveInterpreter: setting, then the Python extension, then python3', () => {
    test('the setting wins over the Python extension', async () => {
        let asked = false;
        const resolved = await resolveInterpreter({
            ...base,
            setting: '/opt/py/bin/python',
            pythonExtension: async () => { asked = true; return ['/ext/python']; },
        });
        assert.deepEqual(resolved, { command: ['/opt/py/bin/python'], source: 'setting' });
        assert.equal(asked, false, 'the Python extension is not even asked when the setting is set');
    });

    test("an empty or blank setting falls through to the Python extension's interpreter", async () => {
        for (const setting of [undefined, '', '   ']) {
            const resolved = await resolveInterpreter({ ...base, setting, pythonExtension: async () => ['/ext/python'] });
            assert.deepEqual(resolved, { command: ['/ext/python'], source: 'python-extension' });
        }
    });

    test('a multi-part command from the Python extension is kept whole', async () => {
        const resolved = await resolveInterpreter({ ...base, pythonExtension: async () => ['conda', 'run', '-n', 'tf', 'python'] });
        assert.deepEqual(resolved.command, ['conda', 'run', '-n', 'tf', 'python']);
    });

    test('without the Python extension: python3', async () => {
        assert.deepEqual(await resolveInterpreter(base), { command: [DEFAULT_PYTHON], source: 'default' });
        assert.equal(DEFAULT_PYTHON, 'python3');
    });

    test('the Python extension with no interpreter, an empty one, or one that throws: python3', async () => {
        for (const pythonExtension of [
            async () => undefined,
            async () => [],
            async () => [''],
            async () => { throw new Error('not activated'); },
        ]) {
            const resolved = await resolveInterpreter({ ...base, pythonExtension });
            assert.deepEqual(resolved, { command: ['python3'], source: 'default' });
        }
    });

    test('an untrusted workspace never uses the Python extension (its venv may be workspace code)', async () => {
        let asked = false;
        const resolved = await resolveInterpreter({
            ...base,
            trusted: false,
            pythonExtension: async () => { asked = true; return ['/ws/.venv/bin/python']; },
        });
        assert.deepEqual(resolved, { command: ['python3'], source: 'default' });
        assert.equal(asked, false);
    });

    test('an untrusted workspace still uses the (user-level) setting', async () => {
        const resolved = await resolveInterpreter({ ...base, trusted: false, setting: '/usr/bin/python3.11' });
        assert.deepEqual(resolved, { command: ['/usr/bin/python3.11'], source: 'setting' });
    });
});

describe('expandPath', () => {
    test('${workspaceFolder}, ${userHome} and ~', () => {
        assert.equal(expandPath('${workspaceFolder}/.venv/bin/python', '/ws', '/home/u'), '/ws/.venv/bin/python');
        assert.equal(expandPath('${userHome}/py/bin/python', '/ws', '/home/u'), '/home/u/py/bin/python');
        assert.equal(expandPath('~/py/bin/python', '/ws', '/home/u'), path.join('/home/u', 'py/bin/python'));
    });

    test('a relative path with a folder is relative to the workspace; a bare name stays a name', () => {
        assert.equal(expandPath('.venv/bin/python', '/ws', '/home/u'), path.join('/ws', '.venv/bin/python'));
        assert.equal(expandPath('python3.11', '/ws', '/home/u'), 'python3.11');
        assert.equal(expandPath('  /abs/python  ', '/ws', '/home/u'), '/abs/python');
    });

    test('without a workspace folder a relative path is left alone', () => {
        assert.equal(expandPath('.venv/bin/python', undefined, '/home/u'), '.venv/bin/python');
    });
});

describe('checkInterpreter (fake runner)', () => {
    const interpreter = { command: ['/x/python'], source: 'setting' as const };

    test('runs `python -c "import nanscope.server ..."` with the leading args, and returns sys.executable', async () => {
        const calls: Array<{ file: string; args: string[]; cwd?: string }> = [];
        const run: Runner = async (file, args, options) => {
            calls.push({ file, args, cwd: options.cwd });
            return { code: 0, stdout: '/real/bin/python3.11\n', stderr: '' };
        };
        const result = await checkInterpreter({ command: ['conda', 'run', 'python'], source: 'python-extension' }, { cwd: '/ext', run });
        assert.deepEqual(result, { ok: true, executable: '/real/bin/python3.11' });
        assert.deepEqual(calls, [{ file: 'conda', args: ['run', 'python', '-c', CHECK_SCRIPT], cwd: '/ext' }]);
        assert.match(CHECK_SCRIPT, /^import nanscope\.server\b/);
    });

    test('a missing executable', async () => {
        const error = Object.assign(new Error('spawn /x/python ENOENT'), { code: 'ENOENT' });
        const result = await checkInterpreter(interpreter, { run: async () => ({ code: null, stdout: '', stderr: '', error }) });
        assert.equal(result.ok, false);
        assert.equal(!result.ok && result.reason, 'not-found');
        assert.match(checkFailureMessage(interpreter, result), /cannot run the Python interpreter \/x\/python/);
    });

    test('nanscope not installed', async () => {
        const stderr = 'Traceback (most recent call last):\n  File "<string>", line 1\nModuleNotFoundError: No module named \'nanscope\'\n';
        const result = await checkInterpreter(interpreter, { run: async () => ({ code: 1, stdout: '', stderr }) });
        assert.deepEqual(result, { ok: false, reason: 'not-installed', detail: "ModuleNotFoundError: No module named 'nanscope'" });
        const message = checkFailureMessage(interpreter, result);
        assert.match(message, /nanscope is not installed in \/x\/python \(from the setting nanscope\.interpreter\)/);
        assert.match(message, /pick an interpreter/);
    });

    test('another failure keeps the last line of stderr', async () => {
        const result = await checkInterpreter(interpreter, {
            run: async () => ({ code: 1, stdout: '', stderr: 'ImportError: cannot import name X from pygls\n' }),
        });
        assert.deepEqual(result, { ok: false, reason: 'failed', detail: 'ImportError: cannot import name X from pygls' });
    });
});

describe('checkInterpreter (real processes)', () => {
    test('a path that does not exist is reported as not found', async () => {
        const missing = path.join(os.tmpdir(), 'nanscope-no-such-python', 'python');
        const result = await checkInterpreter({ command: [missing], source: 'setting' }, { timeoutMs: 10_000 });
        assert.equal(!result.ok && result.reason, 'not-found');
    });

    test('python3 without site-packages has no nanscope', { skip: !hasPython3() && 'no python3 on PATH' }, async () => {
        const result = await checkInterpreter({ command: ['python3', '-I', '-S'], source: 'default' }, { cwd: os.tmpdir(), timeoutMs: 30_000 });
        assert.equal(!result.ok && result.reason, 'not-installed');
    });

    const venvPython = path.resolve(__dirname, '..', '..', '..', '.venv', 'bin', 'python');
    test("the checkout's .venv python has nanscope", { skip: !existsSync(venvPython) && 'no .venv in this checkout' }, async () => {
        const result = await checkInterpreter({ command: [venvPython], source: 'setting' }, { cwd: os.tmpdir(), timeoutMs: 60_000 });
        assert.equal(result.ok, true, JSON.stringify(result));
        assert.ok(result.ok && path.isAbsolute(result.executable));
    });
});

function hasPython3(): boolean {
    return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, 'python3')));
}
