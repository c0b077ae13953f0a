// Runs every bundled test under node's built-in runner (`node --test`), which prints the summary.
// First makes sure the system packages the tests use are there: installs them where it can (root with
// apt-get), and otherwise says what is missing (the tests that need them then fail, loudly).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const NEEDS = [
  { pkg: 'python3-onnx', present: () => spawnSync('/usr/bin/python3', ['-c', 'import onnx']).status === 0, why: 'python onnx, the peer for loader/printer/shape tests' },
  { pkg: 'libonnx-testdata', present: () => existsSync('/usr/share/libonnx-testdata/data'), why: 'the ONNX backend test models' },
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium'), why: 'the webview tests in real Chromium' },
];

function ensureSystemPackages() {
  const missing = NEEDS.filter((n) => !n.present());
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (isRoot && hasApt) {
    console.log(`installing ${missing.map((m) => m.pkg).join(', ')} with apt-get`);
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing.map((m) => m.pkg)], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  for (const m of NEEDS.filter((n) => !n.present())) {
    console.error(`missing system package ${m.pkg} (${m.why}); install it with: sudo apt-get install -y ${m.pkg}`);
  }
}

function find(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return find(p);
    return p.endsWith('.test.js') ? [p] : [];
  });
}

ensureSystemPackages();
const filter = process.argv.slice(2);
const files = find('out/test').filter((f) => filter.length === 0 || filter.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error('no test files found under out/test (did the build run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
