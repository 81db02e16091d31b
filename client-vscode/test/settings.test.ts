// Unit tests of client-vscode/src/settings.ts: VS Code settings -> the server's settings object.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { DEFAULTS, logLevelEnv, needsRestart, toServerSettings, type ConfigReader } from '../src/settings';

function config(values: Record<string, unknown>): ConfigReader {
    return { get: <T>(key: string) => values[key] as T | undefined };
}

const context = { trusted: true, interpreter: '/venv/bin/python' };

describe('toServerSettings', () => {
    test('the keys are exactly the agreed camelCase names', () => {
        const settings = toServerSettings(config({}), context);
        assert.deepEqual(Object.keys(settings).sort(), [
            'entryPoints', 'eps', 'interpreter', 'logLevel', 'ranges', 'relations', 'severity', 'split',
            'tensor', 'trusted', 'traceTimeout',
        ].sort());
    });

    test('an empty configuration gives the defaults plus trust and the interpreter', () => {
        assert.deepEqual(toServerSettings(config({}), { trusted: false, interpreter: '/usr/bin/python3' }), {
            trusted: false,
            interpreter: '/usr/bin/python3',
            ranges: {},
            traceTimeout: 60,
            entryPoints: [],
            eps: null,
            severity: {},
            tensor: 'partition',
            relations: 'affine',
            split: true,
            logLevel: 'warning',
        });
    });

    test('every setting is passed through', () => {
        const settings = toServerSettings(config({
            interpreter: 'ignored: the resolved interpreter is sent',
            entryPoints: ['train.py', ' models/main.py '],
            ranges: { x: [0, 1], W: [-1, 1] },
            traceTimeout: 30,
            eps: 1e-6,
            severity: { NS101: 'error', NS105: 'hint' },
            tensor: 'expand',
            relations: 'none',
            split: false,
            logLevel: 'debug',
        }), context);
        assert.deepEqual(settings, {
            trusted: true,
            interpreter: '/venv/bin/python',
            ranges: { x: [0, 1], W: [-1, 1] },
            traceTimeout: 30,
            entryPoints: ['train.py', 'models/main.py'],
            eps: 1e-6,
            severity: { NS101: 'error', NS105: 'hint' },
            tensor: 'expand',
            relations: 'none',
            split: false,
            logLevel: 'debug',
        });
    });

    test('the result is plain JSON (it crosses the wire as initializationOptions)', () => {
        const settings = toServerSettings(config({ ranges: { x: [-Infinity, Infinity] } }), context);
        assert.deepEqual(JSON.parse(JSON.stringify(settings)), settings);
    });

    test('bad values fall back to the defaults', () => {
        const settings = toServerSettings(config({
            entryPoints: 'train.py',
            traceTimeout: -5,
            eps: 'small',
            tensor: 'blocks',
            relations: 42,
            split: 'yes',
            logLevel: 'verbose',
            severity: ['NS101'],
            ranges: [[0, 1]],
        }), context);
        assert.equal(settings.traceTimeout, DEFAULTS.traceTimeout);
        assert.equal(settings.eps, DEFAULTS.eps);
        assert.deepEqual(settings.entryPoints, []);
        assert.equal(settings.tensor, 'partition');
        assert.equal(settings.relations, 'affine');
        assert.equal(settings.split, true);
        assert.equal(settings.logLevel, 'warning');
        assert.deepEqual(settings.severity, {});
        assert.deepEqual(settings.ranges, {});
    });

    test('ranges: infinite and textual bounds become "-inf"/"inf"; malformed entries are dropped', () => {
        const settings = toServerSettings(config({
            ranges: {
                a: [0, 'inf'],
                b: ['-inf', 3],
                c: [-Infinity, Infinity],
                d: ['0.5', '2'],
                bad_order: [2, 1],
                bad_length: [1],
                bad_type: [null, 1],
                bad_text: ['low', 1],
            },
        }), context);
        assert.deepEqual(settings.ranges, { a: [0, 'inf'], b: ['-inf', 3], c: ['-inf', 'inf'], d: [0.5, 2] });
    });

    test('severity: levels are normalised, unknown ones dropped', () => {
        const settings = toServerSettings(config({
            severity: { NS101: 'Error', ns102: 'info', NS103: 'warning', NS104: 'fatal', NS105: 3, NS106: 'off', NS107: 'none' },
        }), context);
        assert.deepEqual(settings.severity, { NS101: 'error', NS102: 'information', NS103: 'warning', NS106: 'off', NS107: 'off' });
    });
});

describe('restart or notify', () => {
    test('only nanscope.interpreter needs a new server process', () => {
        assert.equal(needsRestart((section) => section === 'nanscope.interpreter'), true);
        for (const key of ['eps', 'ranges', 'severity', 'tensor', 'logLevel', 'entryPoints', 'traceTimeout']) {
            assert.equal(needsRestart((section) => section === `nanscope.${key}`), false, key);
        }
    });

    test('the log level is also passed as NANSCOPE_LOG_LEVEL', () => {
        assert.equal(logLevelEnv('debug'), 'DEBUG');
        assert.equal(logLevelEnv('warning'), 'WARNING');
    });
});
