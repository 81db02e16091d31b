// Unit tests of client-vscode/src/status.ts: the status bar text from lifecycle, $/progress and diagnostics.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { StatusModel, findingsText, phaseOf } from '../src/status';

function running(): StatusModel {
    const model = new StatusModel(60_000);
    model.starting();
    model.running();
    return model;
}

describe('status text', () => {
    test('lifecycle: stopped, starting, idle', () => {
        const model = new StatusModel();
        assert.equal(model.view(0).text, '$(circle-slash) nanscope');
        model.starting();
        assert.equal(model.view(0).text, '$(loading~spin) nanscope');
        model.running();
        assert.deepEqual(model.view(0), {
            text: '$(check) nanscope',
            tooltip: 'nanscope: idle. No findings in open files.\nClick to show the nanscope output.',
            label: 'nanscope',
            kind: 'normal',
        });
    });

    test('findings are counted over all documents and cleared per document', () => {
        const model = running();
        model.setDiagnostics('file:///a.py', 1);
        assert.equal(model.view(0).text, '$(warning) nanscope: 1 finding');
        assert.equal(model.view(0).label, 'nanscope: 1 finding');
        model.setDiagnostics('file:///b.py', 2);
        assert.equal(model.view(0).text, '$(warning) nanscope: 3 findings');
        model.setDiagnostics('file:///a.py', 0);
        assert.equal(model.view(0).text, '$(warning) nanscope: 2 findings');
        model.setDiagnostics('file:///b.py', 0);
        assert.equal(model.view(0).text, '$(check) nanscope');
    });

    test('$/progress: tracing, then analysing, then the findings', () => {
        const model = running();
        model.progressBegin('t1', 'nanscope: tracing model.py');
        assert.equal(model.view(0).text, '$(sync~spin) nanscope: tracing');
        assert.match(model.view(0).tooltip, /tracing model\.py/);
        model.progressReport('t1', 'analysing 90 ops');
        assert.equal(model.view(0).text, '$(sync~spin) nanscope: analysing');
        model.progressEnd('t1');
        model.setDiagnostics('file:///model.py', 1);
        assert.equal(model.view(0).text, '$(warning) nanscope: 1 finding');
    });

    test('the most recently begun progress is shown; an unknown title counts as analysing', () => {
        const model = running();
        model.progressBegin(1, 'Tracing a.py');
        model.progressBegin(2, 'nanscope');
        assert.equal(model.view(0).text, '$(sync~spin) nanscope: analysing');
        model.progressEnd(2);
        assert.equal(model.view(0).text, '$(sync~spin) nanscope: tracing');
        model.progressReport('unknown-token', 'ignored');
        model.progressEnd(1);
        assert.equal(model.view(0).text, '$(check) nanscope');
    });

    test('open/save without progress: analysing until the diagnostics arrive or the wait expires', () => {
        const model = running();
        model.analysisRequested('file:///a.py', 1_000);
        assert.equal(model.view(2_000).text, '$(sync~spin) nanscope: analysing');
        model.setDiagnostics('file:///a.py', 0);
        assert.equal(model.view(3_000).text, '$(check) nanscope');

        model.analysisRequested('file:///b.py', 10_000);
        assert.equal(model.view(69_000).text, '$(sync~spin) nanscope: analysing');
        assert.equal(model.view(70_001).text, '$(check) nanscope', 'gives up after the wait limit');

        model.analysisRequested('file:///c.py', 100_000);
        model.documentClosed('file:///c.py');
        assert.equal(model.view(100_001).text, '$(check) nanscope');
    });

    test('error wins over everything, and a restart clears it with the old findings', () => {
        const model = running();
        model.setDiagnostics('file:///a.py', 4);
        model.progressBegin('t', 'tracing');
        model.error('nanscope is not installed in python3');
        const view = model.view(0);
        assert.equal(view.text, '$(error) nanscope');
        assert.equal(view.kind, 'error');
        assert.equal(view.label, 'nanscope error: nanscope is not installed in python3');
        assert.match(view.tooltip, /not installed in python3/);
        model.starting();
        model.running();
        assert.equal(model.view(0).text, '$(check) nanscope');
    });

    test('an untrusted workspace shows restricted', () => {
        const model = running();
        model.setTrusted(false);
        model.analysisRequested('file:///a.py', 0);
        assert.equal(model.view(1).text, '$(shield) nanscope: restricted');
        assert.match(model.view(1).tooltip, /not trusted/);
    });
});

describe('helpers', () => {
    test('phaseOf', () => {
        assert.equal(phaseOf('Tracing mnist.py'), 'tracing');
        assert.equal(phaseOf('nanscope: trace'), 'tracing');
        assert.equal(phaseOf('Analysing the graph'), 'analysing');
        assert.equal(phaseOf('analyzing'), 'analysing');
        assert.equal(phaseOf('analysis'), 'analysing');
        assert.equal(phaseOf('Loading'), undefined);
        assert.equal(phaseOf(undefined), undefined);
    });

    test('findingsText', () => {
        assert.equal(findingsText(1), '1 finding');
        assert.equal(findingsText(0), '0 findings');
        assert.equal(findingsText(12), '12 findings');
    });
});
