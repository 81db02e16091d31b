// Builds the nanscope VS Code extension with esbuild (owned by client-vscode/).
//   node client-vscode/build.mjs               src/extension.ts -> out/extension.js (bundled, with source map)
//   node client-vscode/build.mjs --production  the same, minified, no source map (what `vsce package` ships)
//   node client-vscode/build.mjs --watch       rebuild on change
//   node client-vscode/build.mjs --tests       test/*.test.ts -> out/test/*.test.js (for `node --test`)
// `vscode` is never bundled: VS Code provides it at run time, and the unit tests must not need it.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = new Set(process.argv.slice(2));
const production = args.has('--production');

const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'info',
};

if (args.has('--tests')) {
    const tests = readdirSync(join(here, 'test')).filter((name) => name.endsWith('.test.ts'));
    await esbuild.build({
        ...common,
        entryPoints: tests.map((name) => join(here, 'test', name)),
        outdir: join(here, 'out', 'test'),
        sourcemap: 'inline',
        logLevel: 'warning',
    });
} else {
    const options = {
        ...common,
        entryPoints: [join(here, 'src', 'extension.ts')],
        outfile: join(here, 'out', 'extension.js'),
        sourcemap: !production,
        minify: production,
    };
    if (args.has('--watch')) {
        const context = await esbuild.context(options);
        await context.watch();
    } else {
        await esbuild.build(options);
    }
}
