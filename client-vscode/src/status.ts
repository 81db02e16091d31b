/**
 * The status bar's state: what nanscope is doing, from the server's lifecycle, `$/progress` and the
 * published diagnostics.
 *
 * Owns `StatusModel` (events in, one `StatusView` out) and the precedence between states:
 * error > starting > progress (tracing / analysing) > waiting for a result > restricted > n findings > idle.
 * Pure: no `vscode` import, no timers (the caller passes the clock), so the unit tests drive it directly.
 */

export type Phase = 'tracing' | 'analysing';

export type Lifecycle = 'stopped' | 'starting' | 'running' | 'error';

export interface StatusView {
    /** Status bar text, with VS Code `$(icon)` syntax. */
    text: string;
    tooltip: string;
    /** For screen readers (and the e2e test): the text without icons; an error says "nanscope error: ...". */
    label: string;
    /** Colours the item: 'error' -> the theme's errorBackground. */
    kind: 'normal' | 'error';
}

/** The phase a progress title or message names; `undefined` when it names neither. */
export function phaseOf(text: string | undefined): Phase | undefined {
    if (!text) {
        return undefined;
    }
    const lower = text.toLowerCase();
    if (/\btrac(e|es|ing)\b/.test(lower)) {
        return 'tracing';
    }
    if (/\banaly[sz](e|es|ing|is)\b/.test(lower)) {
        return 'analysing';
    }
    return undefined;
}

export function findingsText(count: number): string {
    return count === 1 ? '1 finding' : `${count} findings`;
}

interface ActiveProgress {
    title: string;
    message?: string;
    phase: Phase;
    order: number;
}

/** How long a requested analysis may stay without a result before the status stops waiting for it. */
export const DEFAULT_WAIT_LIMIT_MS = 150_000;

export class StatusModel {
    private lifecycle: Lifecycle = 'stopped';
    private errorMessage = '';
    private trusted = true;
    private readonly progress = new Map<string, ActiveProgress>();
    private progressOrder = 0;
    private readonly findings = new Map<string, number>();
    /** uri -> time (ms) the client asked for an analysis (open/save) and has had no diagnostics since. */
    private readonly waiting = new Map<string, number>();

    constructor(private waitLimitMs = DEFAULT_WAIT_LIMIT_MS) {}

    setWaitLimit(ms: number): void {
        this.waitLimitMs = ms;
    }

    // -- lifecycle ------------------------------------------------------------------------------------

    starting(): void {
        this.lifecycle = 'starting';
        this.errorMessage = '';
        this.resetServerState();
    }

    running(): void {
        this.lifecycle = 'running';
        this.errorMessage = '';
    }

    stopped(): void {
        this.lifecycle = 'stopped';
        this.resetServerState();
    }

    error(message: string): void {
        this.lifecycle = 'error';
        this.errorMessage = message;
        this.progress.clear();
        this.waiting.clear();
    }

    setTrusted(trusted: boolean): void {
        this.trusted = trusted;
    }

    // -- $/progress -----------------------------------------------------------------------------------

    progressBegin(token: string | number, title: string, message?: string): void {
        const phase = phaseOf(title) ?? phaseOf(message) ?? 'analysing';
        this.progress.set(String(token), { title, message, phase, order: ++this.progressOrder });
    }

    progressReport(token: string | number, message?: string): void {
        const active = this.progress.get(String(token));
        if (active === undefined) {
            return;
        }
        if (message !== undefined) {
            active.message = message;
            active.phase = phaseOf(message) ?? active.phase;
        }
    }

    progressEnd(token: string | number): void {
        this.progress.delete(String(token));
    }

    // -- documents ------------------------------------------------------------------------------------

    /** The client sent didOpen/didSave for `uri`: a result is on its way. */
    analysisRequested(uri: string, nowMs: number): void {
        this.waiting.set(uri, nowMs);
    }

    /** The server published `count` diagnostics for `uri` (0 clears it). */
    setDiagnostics(uri: string, count: number): void {
        this.waiting.delete(uri);
        if (count > 0) {
            this.findings.set(uri, count);
        } else {
            this.findings.delete(uri);
        }
    }

    /** The document was closed: no result is expected any more (the server clears its diagnostics). */
    documentClosed(uri: string): void {
        this.waiting.delete(uri);
    }

    totalFindings(): number {
        let total = 0;
        for (const count of this.findings.values()) {
            total += count;
        }
        return total;
    }

    // -- the view -------------------------------------------------------------------------------------

    view(nowMs: number): StatusView {
        const view = this.rawView(nowMs);
        const plain = view.text.replace(/\$\([^)]*\)\s*/g, '').trim();
        const label = view.kind === 'error' ? `nanscope error: ${this.errorMessage}` : plain;
        return { ...view, label };
    }

    private rawView(nowMs: number): Omit<StatusView, 'label'> {
        const findings = this.totalFindings();
        const findingsLine = findings === 0 ? 'No findings in open files.' : `${findingsText(findings)} in open files.`;
        const click = 'Click to show the nanscope output.';
        if (this.lifecycle === 'error') {
            return { text: '$(error) nanscope', tooltip: `nanscope: ${this.errorMessage}\n${click}`, kind: 'error' };
        }
        if (this.lifecycle === 'stopped') {
            return { text: '$(circle-slash) nanscope', tooltip: `nanscope: the server is not running.\n${click}`, kind: 'normal' };
        }
        if (this.lifecycle === 'starting') {
            return { text: '$(loading~spin) nanscope', tooltip: `nanscope: starting the server...\n${click}`, kind: 'normal' };
        }
        const latest = this.latestProgress();
        if (latest !== undefined) {
            const detail = [latest.title, latest.message].filter(Boolean).join(': ');
            return {
                text: `$(sync~spin) nanscope: ${latest.phase}`,
                tooltip: `nanscope: ${detail}\n${findingsLine}\n${click}`,
                kind: 'normal',
            };
        }
        const waitingFor = this.waitingCount(nowMs);
        if (waitingFor > 0 && this.trusted) {
            return {
                text: '$(sync~spin) nanscope: analysing',
                tooltip: `nanscope: analysing ${waitingFor === 1 ? '1 file' : `${waitingFor} files`}...\n${findingsLine}\n${click}`,
                kind: 'normal',
            };
        }
        if (!this.trusted) {
            return {
                text: '$(shield) nanscope: restricted',
                tooltip: 'nanscope: this workspace is not trusted, so nanscope runs none of its code and shows no findings. '
                    + `Trust the workspace to enable the analysis.\n${click}`,
                kind: 'normal',
            };
        }
        if (findings > 0) {
            return { text: `$(warning) nanscope: ${findingsText(findings)}`, tooltip: `nanscope: ${findingsLine}\n${click}`, kind: 'normal' };
        }
        return { text: '$(check) nanscope', tooltip: `nanscope: idle. ${findingsLine}\n${click}`, kind: 'normal' };
    }

    private latestProgress(): ActiveProgress | undefined {
        let latest: ActiveProgress | undefined;
        for (const active of this.progress.values()) {
            if (latest === undefined || active.order > latest.order) {
                latest = active;
            }
        }
        return latest;
    }

    private waitingCount(nowMs: number): number {
        let count = 0;
        for (const [uri, since] of this.waiting) {
            if (nowMs - since > this.waitLimitMs) {
                this.waiting.delete(uri);
            } else {
                count += 1;
            }
        }
        return count;
    }

    private resetServerState(): void {
        this.progress.clear();
        this.waiting.clear();
        this.findings.clear();
    }
}
