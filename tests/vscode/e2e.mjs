// End-to-end test of the nanscope VS Code extension in a real VS Code (owned by tests/vscode/).
//
// code-server 4.100.3 (VS Code 1.100.3, from npm) installs the packaged .vsix and serves a temporary
// workspace holding a copy of examples/mnist_softmax.py; Debian's chromium, driven by playwright-core,
// opens the file like a person would, waits for the squiggle under the `tf.log(y)` call (and the status
// bar's "nanscope: 1 finding"), reads the Problems panel (Ctrl+Shift+M) and checks it says NS101; then
// runs "nanscope: Analyze Workspace" (a message must answer) and "nanscope: Restart Server" (the finding
// must come back), and checks that the status bar went through tracing/analysing. With
// NANSCOPE_E2E_QUICKFIX=1 it also applies the quick fix (Ctrl+. then Enter), saves (Ctrl+S) and checks
// that the file on disk changed and the squiggle is gone after the server re-analysed it.
// Screenshots, the Problems panel's text and the logs (nanscope-output.log: the extension's output
// channel) go to test-artifacts/vscode/.
//
// Run: node tests/vscode/e2e.mjs   (after `bash scripts/vscode-setup.sh`; tests/vscode/test_vscode_e2e.py
// runs it under pytest). Exit code 0: passed; 1: failed (the reason is the last line of stderr).
//
// Environment (all optional):
//   NANSCOPE_E2E_QUICKFIX=1        also apply the quick fix and check the result
//   NANSCOPE_E2E_MISSING_NANSCOPE=1  start with an interpreter without nanscope (a bare venv): the error
//                                  message must offer "Pick Interpreter..."; it is used (Browse..., VS Code's
//                                  file dialog, the checkout's python), the setting changes, the extension
//                                  restarts the server, and the rest runs as usual
//   NANSCOPE_E2E_UNTRUSTED=1       open the folder untrusted first: the status bar must say "restricted" and
//                                  no squiggle may appear; then trust it (Manage Workspace Trust -> Trust)
//                                  and the rest runs as usual (the extension restarts the server on the grant)
//   NANSCOPE_E2E_PYTHON            interpreter for nanscope.interpreter (default: <checkout>/.venv/bin/python)
//   NANSCOPE_VSIX                  the extension package (default: client-vscode/out/nanscope.vsix)
//   NANSCOPE_E2E_ARTIFACTS         screenshot folder (default: <checkout>/test-artifacts/vscode)
//   CHROMIUM                       browser executable (default: /usr/bin/chromium)
//   NANSCOPE_E2E_SQUIGGLE_TIMEOUT  seconds to wait for the squiggle (default 120)
//   NANSCOPE_E2E_KEEP=1            keep the temporary folder (user data, extensions, workspace)
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const env = process.env;
const quickFix = env.NANSCOPE_E2E_QUICKFIX === '1';
const untrusted = env.NANSCOPE_E2E_UNTRUSTED === '1';
const missingNanscope = env.NANSCOPE_E2E_MISSING_NANSCOPE === '1';
const python = env.NANSCOPE_E2E_PYTHON || join(repo, '.venv', 'bin', 'python');
const vsix = env.NANSCOPE_VSIX || join(repo, 'client-vscode', 'out', 'nanscope.vsix');
const artifacts = env.NANSCOPE_E2E_ARTIFACTS || join(repo, 'test-artifacts', 'vscode');
const browserPath = env.CHROMIUM || '/usr/bin/chromium';
const codeServer = join(here, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const squiggleTimeoutMs = Number(env.NANSCOPE_E2E_SQUIGGLE_TIMEOUT || 120) * 1000;
const example = join(repo, 'examples', 'mnist_softmax.py');
const fileName = 'mnist_softmax.py';
const target = 'tf.log(y)';
const targetLine = 'cross_entropy ='; // the docstring mentions tf.log(y) too: the call is on this line

const started = Date.now();
const timings = {};
function log(message) {
    process.stdout.write(`[e2e ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);
}
function mark(name) {
    timings[name] = Number(((Date.now() - started) / 1000).toFixed(1));
}
class Failure extends Error {}
function check(condition, message) {
    if (!condition) {
        throw new Failure(message);
    }
}

for (const [what, path] of [['the .vsix (npm run package)', vsix], ['code-server (bash scripts/vscode-setup.sh)', codeServer],
    ['chromium (apt-get install chromium)', browserPath], ['the interpreter with nanscope', python], ['the example', example]]) {
    check(existsSync(path), `missing ${what}: ${path}`);
}

rmSync(artifacts, { recursive: true, force: true });
mkdirSync(artifacts, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'nanscope-vscode-e2e-'));
const userData = join(tmp, 'user-data');
const extensions = join(tmp, 'extensions');
const workspace = join(tmp, 'workspace');
mkdirSync(join(userData, 'User'), { recursive: true });
mkdirSync(extensions, { recursive: true });
mkdirSync(workspace, { recursive: true });
const modelPath = join(workspace, fileName);
copyFileSync(example, modelPath);
const original = readFileSync(modelPath, 'utf8');
const userSettings = (nanscopeInterpreter) => writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({
    'nanscope.interpreter': nanscopeInterpreter,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': untrusted,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'never',
    'editor.minimap.enabled': false,
    'editor.hover.delay': 300,
    'files.autoSave': 'off',
    'window.restoreWindows': 'none',
}, null, 2));
userSettings(missingNanscope ? bareVenvPython(join(tmp, 'bare-venv')) : python);

// Its own config file too: code-server would otherwise write one (with a password) under ~/.config.
const codeServerArgs = ['--config', join(tmp, 'code-server.yaml'), '--user-data-dir', userData, '--extensions-dir', extensions];
writeFileSync(join(tmp, 'code-server.yaml'), 'auth: none\n');
let server;
let browser;
let page;
let status = 0;

try {
    // 1. Install the extension the way a user installs a .vsix.
    log(`installing ${basename(vsix)}`);
    const install = spawnSync(process.execPath, [codeServer, ...codeServerArgs, '--install-extension', vsix], { encoding: 'utf8', timeout: 120_000 });
    writeFileSync(join(artifacts, 'install-extension.log'), `${install.stdout}\n${install.stderr}`);
    check(install.status === 0, `code-server --install-extension failed (exit ${install.status}): ${install.stderr || install.stdout}`);
    check(readdirSync(extensions).some((name) => name.startsWith('nanscope.nanscope-')), `the extension is not in ${extensions}`);
    mark('installed');

    // 2. Serve VS Code on a free loopback port.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
    server = spawn(process.execPath, [codeServer, ...codeServerArgs, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
        '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
        ...(untrusted ? [] : ['--disable-workspace-trust']), workspace], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const serverLog = [];
    server.stdout.on('data', (chunk) => serverLog.push(String(chunk)));
    server.stderr.on('data', (chunk) => serverLog.push(String(chunk)));
    server.on('exit', () => writeFileSync(join(artifacts, 'code-server.log'), serverLog.join('')));
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
    log(`code-server is up on port ${port}`);
    mark('codeServerUp');

    // 3. Open the workspace and the model file in chromium.
    browser = await chromium.launch({
        executablePath: browserPath,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    const consoleLog = [];
    page.on('console', (message) => consoleLog.push(`${message.type()}: ${message.text()}`));
    page.on('close', () => writeFileSync(join(artifacts, 'browser-console.log'), consoleLog.join('\n')));
    await page.goto(url);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60_000 });
    log('workbench loaded');
    // Record every state the nanscope status bar item goes through (its aria-label is its text sans icons).
    await page.evaluate(() => {
        const seen = [];
        window.nanscopeStatusSeen = seen;
        const record = () => {
            for (const item of document.querySelectorAll('.statusbar-item[aria-label^="nanscope"]')) {
                const label = item.getAttribute('aria-label');
                if (seen[seen.length - 1] !== label) {
                    seen.push(label);
                }
            }
        };
        new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label'] });
        record();
    });
    await openFile(page, fileName);
    await page.waitForSelector('.monaco-editor .view-lines', { timeout: 30_000 });
    log(`${fileName} is open`);
    mark('fileOpen');

    if (missingNanscope) {
        await waitFor(async () => await page.locator('.statusbar-item[aria-label^="nanscope error"][aria-label*="not installed"]').count() > 0,
            60_000, 'the status bar does not report that nanscope is not installed');
        const toast = page.locator('.notification-toast', { hasText: 'nanscope is not installed' }).first();
        await toast.waitFor({ state: 'visible', timeout: 30_000 });
        await toast.locator('.monaco-button', { hasText: 'Pick Interpreter' }).click();
        await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Browse for a Python executable' })
            .first().waitFor({ state: 'visible', timeout: 15_000 });
        await page.screenshot({ path: join(artifacts, '00-missing-nanscope.png') });
        log('without nanscope: the error offers Pick Interpreter..., which offers to browse for a Python');
        // Browse...: VS Code's own file dialog (a path box in the browser); the pick is saved as
        // nanscope.interpreter, and the change restarts the server.
        await page.keyboard.press('Enter');
        await page.waitForSelector('.quick-input-widget input', { timeout: 15_000 });
        await sleep(500);
        await page.keyboard.press('Control+A');
        await page.keyboard.insertText(python);
        await sleep(500);
        await page.screenshot({ path: join(artifacts, '00-pick-interpreter.png') });
        await page.keyboard.press('Enter');
        await waitFor(async () => await page.locator('.statusbar-item[aria-label^="nanscope error"]').count() === 0,
            60_000, 'the extension did not restart after nanscope.interpreter changed');
        log('nanscope.interpreter fixed: the server restarted');
        mark('interpreterFixed');
    }

    if (untrusted) {
        await waitForText(page.locator('.statusbar-item', { hasText: 'nanscope' }), (text) => text.includes('restricted'), 60_000);
        await sleep(10_000);   // a trusted server would have published by now (tracing takes ~4 s)
        check(await page.locator('.monaco-editor .squiggly-warning').count() === 0, 'a squiggle in an untrusted workspace');
        await page.screenshot({ path: join(artifacts, '00-untrusted.png') });
        log('untrusted: the status bar says restricted and nothing is reported');
        await page.keyboard.press('F1');
        await page.waitForSelector('.quick-input-widget input', { timeout: 10_000 });
        await page.keyboard.type('Manage Workspace Trust');
        await page.waitForSelector('.quick-input-list .monaco-list-row', { timeout: 10_000 });
        await page.keyboard.press('Enter');
        const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust/ }).first();
        await trust.waitFor({ state: 'visible', timeout: 15_000 });
        await trust.click();
        log('trusted the workspace');
        await page.locator(`.tabs-container .tab[data-resource-name="${fileName}"]`).click();
        mark('trusted');
    }

    // 4. The squiggle, on the tf.log(y) call (tracing imports TensorFlow: allow a long wait).
    // The status bar item's aria-label says "nanscope error: ..." when the server cannot run: stop early then.
    let serverError = '';
    await waitFor(async () => {
        const failed = page.locator('.statusbar-item[aria-label^="nanscope error"]');
        if (await failed.count() > 0) {
            serverError = await failed.first().getAttribute('aria-label');
            return true;
        }
        return (await page.locator('.monaco-editor .squiggly-warning').count()) > 0;
    }, squiggleTimeoutMs, `no squiggle after ${squiggleTimeoutMs / 1000} s`);
    check(!serverError, `the extension reports: ${serverError}`);
    mark('squiggle');
    log('squiggle shown');
    const where = await squiggleOnTarget(page, target, targetLine);
    check(where.ok, `no squiggle on ${target}: ${JSON.stringify(where)}`);
    log(`the squiggle covers ${target} (line box ${JSON.stringify(where.target)})`);
    const statusText = await waitForText(page.locator('.statusbar-item', { hasText: 'nanscope' }),
        (text) => /nanscope: 1 finding/.test(text), 30_000);
    log(`status bar: ${statusText.trim()}`);
    await page.mouse.move(where.target.x + 4, where.target.y + where.target.height / 2);
    const hover = page.locator('.monaco-hover', { hasText: 'NS101' }).first();
    await hover.waitFor({ state: 'visible', timeout: 10_000 }).catch(() => log('no hover shown (not required)'));
    await page.screenshot({ path: join(artifacts, '01-squiggle.png') });

    // 5. The Problems panel names the rule.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+M');
    const problems = await waitForText(page.locator('.markers-panel'), (text) => text.includes('NS101'), 30_000);
    writeFileSync(join(artifacts, 'problems.txt'), problems);
    check(problems.includes('NS101'), `the Problems panel does not mention NS101: ${problems}`);
    log(`Problems panel: ${problems.replace(/\s+/g, ' ').slice(0, 200)}`);
    await page.screenshot({ path: join(artifacts, '02-problems.png') });
    mark('problems');

    // 6. The commands: Analyze Workspace runs (a progress toast, then how many files were analysed);
    //    Restart Server restarts, and the finding comes back. (In the plain scenario only.)
    const plain = !untrusted && !missingNanscope;
    if (plain) {
        await runCommand(page, 'nanscope: Analyze Workspace');
        const toast = page.locator('.notification-toast', { hasText: /nanscope: (analysing the workspace|analysed \d+ files? of the workspace)/ }).first();
        await toast.waitFor({ state: 'visible', timeout: 30_000 });
        log(`Analyze Workspace: ${(await toast.innerText()).replace(/\s+/g, ' ').slice(0, 160)}`);
        await page.screenshot({ path: join(artifacts, '02b-analyze-workspace.png') });
        await runCommand(page, 'nanscope: Restart Server');
        // A second "Starting:" line: the new server is starting, and the status has forgotten the old finding.
        await waitFor(async () => {
            const text = outputLog(join(userData, 'logs'));
            return text.includes('Restarting the server: requested by the user')
                && text.split('\n').filter((line) => line.includes('] Starting: ')).length >= 2;
        }, 30_000, 'nanscope: Restart Server did not restart the server');
        await waitForText(page.locator('.statusbar-item', { hasText: 'nanscope' }), (text) => /nanscope: 1 finding/.test(text), squiggleTimeoutMs);
        await page.waitForSelector('.monaco-editor .squiggly-warning', { timeout: squiggleTimeoutMs });
        await page.keyboard.press('Control+Shift+M');
        await waitForText(page.locator('.markers-panel'), (text) => text.includes('NS101'), 30_000);
        log('Restart Server: restarted, and the finding is back');
        mark('commands');
        const seen = await page.evaluate(() => window.nanscopeStatusSeen);
        log(`status bar states: ${seen.join(' -> ')}`);
        check(seen.some((label) => /^nanscope: (tracing|analysing)/.test(label)), 'the status bar never showed tracing or analysing');
        check(seen.includes('nanscope: 1 finding'), 'the status bar never showed 1 finding');
    }

    // 7. Optionally: the quick fix, then save; the squiggle goes and the file changes.
    if (quickFix) {
        const box = (await squiggleOnTarget(page, target, targetLine)).target;
        await page.mouse.click(box.x + Math.min(8, box.width / 2), box.y + box.height / 2);
        await page.keyboard.press('Escape');
        await page.keyboard.press('Control+.');
        await page.waitForSelector('.action-widget .monaco-list-row', { timeout: 30_000 });
        await page.screenshot({ path: join(artifacts, '03-quickfix-menu.png') });
        const offered = await page.locator('.action-widget').innerText();
        log(`quick fixes offered: ${offered.replace(/\s+/g, ' ')}`);
        await page.keyboard.press('Enter');
        await page.waitForTimeout(500);
        await page.keyboard.press('Control+S');
        await waitFor(async () => readFileSync(modelPath, 'utf8') !== original, 30_000, 'the file on disk did not change after the quick fix and save');
        const fixed = readFileSync(modelPath, 'utf8');
        writeFileSync(join(artifacts, 'fixed-' + fileName), fixed);
        log(`the file changed: ${fixed.split('\n').find((line) => line.includes('cross_entropy ='))?.trim()}`);
        // Gone for real: the server re-analysed the saved file and published no finding (the status bar
        // reads plain "nanscope" only then: not "analysing", not "1 finding"), and it stays gone.
        const settled = async () => (await page.locator('.monaco-editor .squiggly-warning').count()) === 0
            && (await page.locator('.statusbar-item[aria-label="nanscope"]').count()) > 0
            && !(await page.locator('.markers-panel').first().innerText().catch(() => '')).includes('NS101');
        await waitFor(settled, squiggleTimeoutMs, 'the squiggle or the finding is still there after the fix was saved');
        await sleep(3_000);
        check(await settled(), 'the squiggle or the finding came back after the fix was saved');
        log('the squiggle is gone');
        mark('quickFix');
    } else {
        log('quick fix part skipped (set NANSCOPE_E2E_QUICKFIX=1 to run it)');
    }

    await page.screenshot({ path: join(artifacts, quickFix ? '04-final.png' : '03-final.png') });
    log(`PASSED ${JSON.stringify(timings)}`);
} catch (error) {
    status = 1;
    if (page) {
        await page.screenshot({ path: join(artifacts, 'failure.png') }).catch(() => undefined);
    }
    process.stderr.write(`${error instanceof Failure ? '' : `${error?.stack ?? error}\n`}FAILED: ${error?.message ?? error}\n`);
} finally {
    await browser?.close().catch(() => undefined);
    if (server?.pid && server.exitCode === null) {
        const exited = new Promise((done) => server.once('exit', done));
        try { process.kill(-server.pid, 'SIGTERM'); } catch { /* already gone */ }
        await Promise.race([exited, sleep(5_000)]);
        try { process.kill(-server.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    copyLogs(join(userData, 'logs'), join(artifacts, 'logs'));
    copyOutputLog(join(artifacts, 'logs'), join(artifacts, 'nanscope-output.log'));
    if (env.NANSCOPE_E2E_KEEP === '1') {
        log(`kept ${tmp}`);
    } else {
        rmSync(tmp, { recursive: true, force: true });
    }
}
process.exit(status);

// -- helpers ------------------------------------------------------------------------------------------

function sleep(ms) {
    return new Promise((done) => setTimeout(done, ms));
}

async function waitFor(predicate, timeoutMs, message) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (await predicate()) {
            return;
        }
        await sleep(250);
    }
    throw new Failure(message);
}

function freePort() {
    return new Promise((done, fail) => {
        const probe = createServer();
        probe.once('error', fail);
        probe.listen(0, '127.0.0.1', () => {
            const { port } = probe.address();
            probe.close(() => done(port));
        });
    });
}

async function waitForHttp(url, timeoutMs) {
    await waitFor(async () => {
        try {
            return (await fetch(url)).ok;
        } catch {
            return false;
        }
    }, timeoutMs, `code-server did not answer on ${url}`);
}

/** Opens a file of the workspace with Quick Open (Ctrl+P), falling back to the Explorer. */
async function openFile(page, name) {
    const tab = `.tabs-container .tab[data-resource-name="${name}"]`;
    try {
        await page.locator('.explorer-folders-view').click();
        await page.keyboard.press('Control+P');
        await page.waitForSelector('.quick-input-widget input', { timeout: 10_000 });
        await page.keyboard.type(name);
        await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${name}"]`, { timeout: 15_000 });
        await page.keyboard.press('Enter');
        await page.waitForSelector(tab, { timeout: 15_000 });
    } catch {
        await page.keyboard.press('Escape');
        await page.locator(`.explorer-folders-view .monaco-list-row[aria-label*="${name}"]`).dblclick();
        await page.waitForSelector(tab, { timeout: 15_000 });
    }
}

/** The text of the first element of `locator`, once `accept(text)` holds. */
async function waitForText(locator, accept, timeoutMs) {
    let text = '';
    try {
        await waitFor(async () => {
            text = await locator.first().innerText({ timeout: 1_000 }).catch(() => '');
            return accept(text);
        }, timeoutMs, '');
    } catch {
        throw new Failure(`${locator} never showed the expected text; last seen: ${JSON.stringify(text)}`);
    }
    return text;
}

/**
 * Where `needle` is rendered in the editor (on the line that also contains `lineMarker`), and whether a
 * warning squiggle overlaps it: the squiggle must sit on the same line box and cover the needle's
 * horizontal extent (within a few pixels).
 */
async function squiggleOnTarget(page, needle, lineMarker) {
    return page.evaluate(([needle, lineMarker]) => {
        const box = (rect) => ({ x: rect.x, y: rect.y, width: rect.width, height: rect.height });
        let found;
        for (const line of document.querySelectorAll('.monaco-editor .view-lines .view-line')) {
            const nodes = [];
            const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                nodes.push(node);
            }
            const text = nodes.map((node) => node.data.replace(/\u00a0/g, ' ')).join('');
            const index = text.indexOf(needle);
            if (index < 0 || !text.includes(lineMarker)) {
                continue;
            }
            const range = document.createRange();
            let offset = 0;
            for (const node of nodes) {
                const end = offset + node.data.length;
                if (offset <= index && index < end) {
                    range.setStart(node, index - offset);
                }
                if (offset < index + needle.length && index + needle.length <= end) {
                    range.setEnd(node, index + needle.length - offset);
                }
                offset = end;
            }
            found = box(range.getBoundingClientRect());
            break;
        }
        const squiggles = [...document.querySelectorAll('.monaco-editor .squiggly-warning')]
            .map((element) => box(element.getBoundingClientRect()));
        if (found === undefined) {
            return { ok: false, reason: `${needle} is not rendered`, squiggles };
        }
        const slack = 3;
        const ok = squiggles.some((s) => s.y < found.y + found.height && found.y < s.y + s.height
            && s.x <= found.x + slack && found.x + found.width <= s.x + s.width + slack);
        return { ok, target: found, squiggles };
    }, [needle, lineMarker]);
}

/** Runs a command from the Command Palette (F1), by its title. */
async function runCommand(page, title) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await page.waitForSelector('.quick-input-widget input', { timeout: 10_000 });
    await page.keyboard.type(title);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.press('Enter');
}

/** The nanscope output channel's log so far (VS Code writes it under the user data's logs/). */
function outputLog(logs) {
    return findOutputLogs(logs).map((path) => readFileSync(path, 'utf8')).join('\n');
}

/** A virtual environment without nanscope (nor anything else): its python. */
function bareVenvPython(dir) {
    const made = spawnSync(python, ['-m', 'venv', '--without-pip', dir], { encoding: 'utf8', timeout: 60_000 });
    check(made.status === 0, `python -m venv failed: ${made.stderr}`);
    return join(dir, 'bin', 'python');
}

/** The nanscope output channel's log (written by VS Code under logs/SESSION/exthostN/nanscope.nanscope/). */
function copyOutputLog(logs, to) {
    const text = outputLog(logs);
    if (text) {
        writeFileSync(to, text);
    }
}

function findOutputLogs(dir, found = []) {
    for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
            findOutputLogs(path, found);
        } else if (entry.name === 'nanscope.log' && basename(dirname(path)) === 'nanscope.nanscope') {
            found.push(path);
        }
    }
    return found;
}

function copyLogs(from, to) {
    try {
        if (existsSync(from) && statSync(from).isDirectory()) {
            cpSync(from, to, { recursive: true });
        }
    } catch {
        // logs are a convenience; never fail the run on them
    }
}
