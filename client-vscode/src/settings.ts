/**
 * VS Code settings (`nanscope.*`) -> the server's settings object.
 *
 * Owns the contract with the server: the object sent as `initializationOptions` at start and, on every
 * change, as `params.settings` of `workspace/didChangeConfiguration` (the same flat object both times).
 * Its keys are camelCase and fixed: `trusted`, `interpreter`, `ranges`, `traceTimeout`, `entryPoints`,
 * `eps`, `severity` (code -> "error" | "warning" | "information" | "hint" | "off"), `tensor`, `relations`,
 * `split`, `logLevel`. A value of the wrong type falls back to the default here, so the server only
 * ever sees well-typed values (it validates again and says so in its log).
 * Pure: never imports `vscode` at run time (the unit tests run without VS Code).
 */

export const SECTION = 'nanscope';

export const SEVERITIES = ['error', 'warning', 'information', 'hint', 'off'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const TENSOR_MODES = ['partition', 'smash', 'expand'] as const;
export type TensorMode = (typeof TENSOR_MODES)[number];
export const RELATIONS = ['affine', 'none'] as const;
export type Relations = (typeof RELATIONS)[number];
export const LOG_LEVELS = ['error', 'warning', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Bound = number | '-inf' | 'inf';

/** What the server receives (initializationOptions and didChangeConfiguration's `settings`). */
export interface ServerSettings {
    trusted: boolean;
    interpreter: string;
    ranges: Record<string, [Bound, Bound]>;
    traceTimeout: number;
    entryPoints: string[];
    eps: number | null;   // null: the server's default epsilon per dtype
    severity: Record<string, Severity>;
    tensor: TensorMode;
    relations: Relations;
    split: boolean;
    logLevel: LogLevel;
}

/** The defaults; they must equal the manifest's (a unit test checks `package.json` against this). */
export const DEFAULTS = {
    interpreter: '',
    entryPoints: [] as string[],
    ranges: {} as Record<string, [Bound, Bound]>,
    traceTimeout: 60,
    eps: null as number | null,
    severity: {} as Record<string, Severity>,
    tensor: 'partition' as TensorMode,
    relations: 'affine' as Relations,
    split: true,
    logLevel: 'warning' as LogLevel,
};

/** Setting keys (under `nanscope.`) whose change needs a new server process rather than a notification. */
export const RESTART_KEYS = ['interpreter'] as const;

/** Every setting key the extension contributes, in the manifest's order. */
export const SETTING_KEYS = [
    'interpreter', 'entryPoints', 'ranges', 'traceTimeout', 'eps', 'severity',
    'tensor', 'relations', 'split', 'logLevel',
] as const;

/** The part of `vscode.WorkspaceConfiguration` this module needs. */
export interface ConfigReader {
    get<T>(key: string): T | undefined;
}

/** The server's settings from the `nanscope` configuration section and what only the extension knows. */
export function toServerSettings(
    config: ConfigReader,
    context: { trusted: boolean; interpreter: string },
): ServerSettings {
    return {
        trusted: context.trusted,
        interpreter: context.interpreter,
        ranges: readRanges(config.get<unknown>('ranges')),
        traceTimeout: positiveNumber(config.get<unknown>('traceTimeout'), DEFAULTS.traceTimeout),
        entryPoints: stringList(config.get<unknown>('entryPoints')),
        eps: config.get<unknown>('eps') === null ? null : positiveNumberOrNull(config.get<unknown>('eps')),
        severity: readSeverity(config.get<unknown>('severity')),
        tensor: oneOf(config.get<unknown>('tensor'), TENSOR_MODES, DEFAULTS.tensor),
        relations: oneOf(config.get<unknown>('relations'), RELATIONS, DEFAULTS.relations),
        split: typeof config.get<unknown>('split') === 'boolean' ? (config.get<boolean>('split') as boolean) : DEFAULTS.split,
        logLevel: oneOf(config.get<unknown>('logLevel'), LOG_LEVELS, DEFAULTS.logLevel),
    };
}

/** The value of the server's `NANSCOPE_LOG_LEVEL` environment variable for a log level setting. */
export function logLevelEnv(level: LogLevel): string {
    return level.toUpperCase();
}

/** Whether a configuration change needs a restart; `affects` is `event.affectsConfiguration`. */
export function needsRestart(affects: (section: string) => boolean): boolean {
    return RESTART_KEYS.some((key) => affects(`${SECTION}.${key}`));
}

function positiveNumberOrNull(value: unknown): number | null {
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}

function positiveNumber(value: unknown, fallback: number): number {
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

function stringList(value: unknown): string[] {
    if (!Array.isArray(value)) {
        return [];
    }
    return value.filter((item): item is string => typeof item === 'string' && item.trim().length > 0)
        .map((item) => item.trim());
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
    return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

function readBound(value: unknown): Bound | undefined {
    if (typeof value === 'number' && !Number.isNaN(value)) {
        if (value === Infinity) { return 'inf'; }
        if (value === -Infinity) { return '-inf'; }
        return value;
    }
    if (typeof value === 'string') {
        const text = value.trim().toLowerCase();
        if (text === 'inf' || text === '+inf' || text === 'infinity') { return 'inf'; }
        if (text === '-inf' || text === '-infinity') { return '-inf'; }
        if (text !== '' && Number.isFinite(Number(text))) { return Number(text); }
    }
    return undefined;
}

function boundValue(bound: Bound): number {
    return bound === 'inf' ? Infinity : bound === '-inf' ? -Infinity : bound;
}

/** `{name: [lo, hi]}`; entries that are not two bounds with lo <= hi are dropped. */
function readRanges(value: unknown): Record<string, [Bound, Bound]> {
    const ranges: Record<string, [Bound, Bound]> = {};
    if (!isPlainObject(value)) {
        return ranges;
    }
    for (const [name, raw] of Object.entries(value)) {
        if (!Array.isArray(raw) || raw.length !== 2) {
            continue;
        }
        const lo = readBound(raw[0]);
        const hi = readBound(raw[1]);
        if (lo !== undefined && hi !== undefined && boundValue(lo) <= boundValue(hi)) {
            ranges[name] = [lo, hi];
        }
    }
    return ranges;
}

/** `{code: severity}`, keeping only known severities (case-insensitive; "info" and "none" accepted). */
function readSeverity(value: unknown): Record<string, Severity> {
    const result: Record<string, Severity> = {};
    if (!isPlainObject(value)) {
        return result;
    }
    for (const [code, raw] of Object.entries(value)) {
        if (typeof raw !== 'string') {
            continue;
        }
        const level = raw.trim().toLowerCase();
        const normalized = level === 'info' ? 'information' : level === 'none' ? 'off' : level;
        if ((SEVERITIES as readonly string[]).includes(normalized)) {
            result[code.trim().toUpperCase()] = normalized as Severity;
        }
    }
    return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
