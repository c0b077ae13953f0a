// Builds and runs a few test files in isolation: node test/quick.mjs test/core/foo.test.ts [...]
// (for working on one area without rebuilding everything; `npm test` runs them all).
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join, relative } from 'node:path';

const files = process.argv.slice(2);
// Inside the project so that external packages resolve from node_modules.
mkdirSync('out', { recursive: true });
const outdir = mkdtempSync(join('out', 'quick-'));
await esbuild.build({ entryPoints: files, outdir, bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', sourcemap: 'inline', logLevel: 'warning', absWorkingDir: process.cwd(), outbase: 'test' });
const outs = files.map((f) => join(outdir, relative('test', f).replace(/\.ts$/, '.js')));
const r = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', ...outs], { stdio: 'inherit', cwd: process.cwd() });
process.exit(r.status ?? 1);
