// Unit tests of the extension manifest (the repository root's package.json) against the code:
// every setting the code reads is contributed with a description and the same default, the
// workspace trust declaration, the commands, and the bundle the manifest points at.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import { DEFAULTS, LOG_LEVELS, RELATIONS, SECTION, SETTING_KEYS, SEVERITIES, TENSOR_MODES } from '../src/settings';

// Compiled to client-vscode/out/test/: the manifest is three folders up.
const root = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const properties: Record<string, Record<string, unknown>> = manifest.contributes.configuration.properties;

describe('package.json (extension manifest)', () => {
    test('every setting is contributed with a description and the default the code uses', () => {
        for (const key of SETTING_KEYS) {
            const property = properties[`${SECTION}.${key}`];
            assert.ok(property, `nanscope.${key} is contributed`);
            assert.ok(property.markdownDescription || property.description, `nanscope.${key} has a description`);
            assert.deepEqual(property.default, DEFAULTS[key], `nanscope.${key} default`);
        }
    });

    test('no contributed setting is unknown to the code (but the client trace switch)', () => {
        const known = new Set([...SETTING_KEYS.map((key) => `${SECTION}.${key}`), 'nanscope.trace.server']);
        assert.deepEqual(Object.keys(properties).filter((key) => !known.has(key)), []);
    });

    test('enums match the code', () => {
        assert.deepEqual(properties['nanscope.tensor'].enum, [...TENSOR_MODES]);
        assert.deepEqual(properties['nanscope.relations'].enum, [...RELATIONS]);
        assert.deepEqual(properties['nanscope.logLevel'].enum, [...LOG_LEVELS]);
        const severity = properties['nanscope.severity'] as { additionalProperties: { enum: string[] } };
        assert.deepEqual(severity.additionalProperties.enum, [...SEVERITIES]);
    });

    test('limited support in untrusted workspaces, restricting interpreter and entry points', () => {
        assert.deepEqual(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
        assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations,
            ['nanscope.interpreter', 'nanscope.entryPoints']);
    });

    test('the commands', () => {
        const commands = manifest.contributes.commands.map((command: { command: string }) => command.command);
        assert.deepEqual(commands.sort(), ['nanscope.analyzeWorkspace', 'nanscope.restartServer', 'nanscope.showOutput']);
    });

    test('main is the esbuild bundle and the packaged files include it', () => {
        assert.equal(manifest.main, './client-vscode/out/extension.js');
        assert.ok(manifest.files.includes('client-vscode/out/extension.js'));
        assert.ok(manifest.activationEvents.includes('onLanguage:python'));
        assert.ok(manifest.engines.vscode.startsWith('^1.'));
    });
});
