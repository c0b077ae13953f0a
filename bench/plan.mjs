// Per real model and strategy: arena / lower bound and planning time, with a geo-mean line; then a 10,000-node graph.
// Usage: node bench/plan.mjs [--time-limit-ms N]
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const tl = args.indexOf('--time-limit-ms');
const timeLimitMs = tl >= 0 ? Number(args[tl + 1]) : 2000;

mkdirSync('out/bench', { recursive: true });
writeFileSync('out/bench/planEntry.ts', `
export { readModelFile } from '../../server/src/modelFiles';
export { inferShapes } from '../../server/src/core/onnx/shapes/infer';
export { partitionModel } from '../../server/src/core/partition/partitionModel';
export { planMemory, strategyNames } from '../../server/src/core/memory/strategies';
`);
await esbuild.build({ entryPoints: ['out/bench/planEntry.ts'], outfile: 'out/bench/plan.js', bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
const core = createRequire(import.meta.url)(resolve('out/bench/plan.js'));

const MODELS = [
  ['examples/models/paddleocr-det.onnx', { x: [1, 3, 640, 640] }],
  ['test/fixtures/models/paddleocr-rec.onnx', { x: [1, 3, 48, 320] }],
  ['test/fixtures/models/paddleocr-cls.onnx', { x: [1, 3, 48, 192] }],
  ['test/fixtures/models/silero-vad-v5.onnx', { input: [1, 512], state: [2, 1, 128], sr: [] }],
  ['test/fixtures/models/wakeword-hello-deepa.onnx', { 'onnx::Flatten_0': [1, 25, 96] }],
];

/** One CPU with two units: the whole model is one device's memory problem. */
const config = (alignBytes) => ({
  devices: [{ name: 'cpu0', kind: 'cpu', memoryBytes: 2 ** 34, reserveBytes: 0, supports: '*', excludes: [], strategy: 'packed', alignBytes, inplace: true,
    units: [{ name: 'u0', count: 1, supports: '*', fuse: [] }, { name: 'u1', count: 1, supports: '*', fuse: [] }] }],
  priority: ['cpu0'], places: [], minSubfunction: 1, schedule: 'dfs',
});

function time(f) {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

const ratios = Object.fromEntries(core.strategyNames.map((s) => [s, []]));
console.log('model'.padEnd(30), 'tensors', 'lower bound'.padStart(12), ...core.strategyNames.map((s) => `${s} ratio / ms`.padStart(20)));
for (const [path, inputs] of MODELS) {
  const model = core.readModelFile(path).model;
  const shapes = core.inferShapes(model, { inputs });
  const part = core.partitionModel(model.graph, shapes, config(64));
  const problem = { ...part.devices[0].problem, timeLimitMs };
  const cells = [];
  let lb = 0;
  for (const s of core.strategyNames) {
    const [plan, ms] = time(() => core.planMemory(problem, s));
    lb = plan.lowerBoundBytes;
    const r = plan.arenaBytes / plan.lowerBoundBytes;
    ratios[s].push(r);
    cells.push(`${r.toFixed(4)}${s === 'optimal' ? (plan.proven ? '✓' : ' ') : ' '}/ ${ms.toFixed(1)}`.padStart(20));
  }
  console.log(path.split('/').pop().padEnd(30), String(problem.tensors.length).padStart(7), String(lb).padStart(12), ...cells);
}
const geo = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
console.log('geo-mean'.padEnd(30), ''.padStart(7), ''.padStart(12), ...core.strategyNames.map((s) => geo(ratios[s]).toFixed(4).padStart(20)));
console.log('✓ = optimal proven minimal');

// A 10,000-node graph: a residual chain with skip connections, planned end to end with `packed`.
function bigGraph(n) {
  const nodes = [];
  let x = 'x';
  for (let i = 0; i < n; i++) {
    const inputs = i % 7 === 6 ? [x, `t${i - 5}`] : [x];
    nodes.push({ name: `n${i}`, opType: inputs.length === 2 ? 'Add' : i % 3 ? 'Relu' : 'Sigmoid', domain: '', inputs, outputs: [`t${i}`], attributes: [] });
    x = `t${i}`;
  }
  return {
    irVersion: 8, opsetImports: [{ domain: '', version: 17 }], producerName: '', producerVersion: '', domain: '', modelVersion: 0, docString: '', functions: [], metadata: [],
    graph: { name: 'big', nodes, initializers: [], sparseInitializers: [], valueInfo: [], inputs: [{ name: 'x', type: { kind: 'tensor', elemType: 1, shape: [1, 64 + (n % 13), 32, 32] } }], outputs: [{ name: x, type: null }] },
  };
}
const big = bigGraph(10000);
const [shapes, shapeMs] = time(() => core.inferShapes(big, {}));
const [part, partMs] = time(() => core.partitionModel(big.graph, shapes, config(64)));
const [plan, packMs] = time(() => core.planMemory(part.devices[0].problem, 'packed'));
console.log(`10,000-node graph: shapes ${shapeMs.toFixed(0)} ms, partition ${partMs.toFixed(0)} ms, packed ${packMs.toFixed(0)} ms (${part.devices[0].problem.tensors.length} tensors, arena/LB ${(plan.arenaBytes / plan.lowerBoundBytes).toFixed(4)})`);
