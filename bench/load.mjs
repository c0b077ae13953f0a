// Times our load + shape inference against python onnx's onnx.load + infer_shapes on the same models, in one run.
// Prints per model, for each side: the median of N runs in one process (warm, as in the language server) and
// the first run (cold, as one CLI call), their ratios (ours / python), and each side's peak RSS.
// Usage: node bench/load.mjs [--reps N] [MODEL...]
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const repsAt = args.indexOf('--reps');
const reps = repsAt >= 0 ? Number(args.splice(repsAt, 2)[1]) : 21;
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

mkdirSync('out/bench', { recursive: true });
const entry = 'out/bench/loadEntry.ts';
writeFileSync(entry, `
import { readModelFile } from '../../server/src/modelFiles';
import { inferShapes } from '../../server/src/core/onnx/shapes/infer';
const [path, reps] = [process.argv[2], Number(process.argv[3])];
const times: number[] = [];
let known = 0, total = 0;
for (let i = 0; i < reps; i++) {
  const t0 = process.hrtime.bigint();
  const r = readModelFile(path);
  const s = inferShapes(r.model!, {});
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  total = s.tensors.size; known = [...s.tensors.values()].filter((t) => t.bytes !== null).length;
}
const first = times[0];
times.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ first, ms: times[times.length >> 1], rss: process.resourceUsage().maxRSS * 1024, known, total }));
`);
await esbuild.build({ entryPoints: [entry], outfile: 'out/bench/load.js', bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });

const PY_SRC = `
import sys, time, json, resource, onnx
path, reps = sys.argv[1], int(sys.argv[2])
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    m = onnx.load(path)
    m = onnx.shape_inference.infer_shapes(m, data_prop=True)
    times.append((time.perf_counter() - t0) * 1000)
first = times[0]
times.sort()
print(json.dumps({"first": first, "ms": times[len(times) // 2], "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
`;

function models() {
  if (args.length) return args.map((a) => resolve(a));
  const list = [join('examples', 'models', 'paddleocr-det.onnx')];
  for (const f of readdirSync(join('test', 'fixtures', 'models'))) if (f.endsWith('.onnx')) list.push(join('test', 'fixtures', 'models', f));
  return list;
}

const mb = (b) => (b / 1048576).toFixed(0).padStart(5) + ' MiB';
const rows = [];
console.log(`model${' '.repeat(30)}  warm: ours ms   python ms   ratio   cold: ours ms  python ms  ratio   ours RSS  python RSS   known`);
const cold = [];
for (const m of models()) {
  const ours = spawnSync(process.execPath, ['out/bench/load.js', m, String(reps)], { encoding: 'utf8' });
  const py = spawnSync(PY, ['-c', PY_SRC, m, String(reps)], { encoding: 'utf8' });
  if (ours.status !== 0 || py.status !== 0) {
    console.log(`${m}: failed: ${(ours.stderr || py.stderr).split('\n')[0]}`);
    continue;
  }
  const a = JSON.parse(ours.stdout);
  const b = JSON.parse(py.stdout);
  const ratio = a.ms / b.ms;
  rows.push(ratio);
  cold.push(a.first / b.first);
  const name = m.split('/').pop().padEnd(34);
  console.log(`${name} ${a.ms.toFixed(2).padStart(15)} ${b.ms.toFixed(2).padStart(11)} ${ratio.toFixed(2).padStart(7)} ${a.first.toFixed(2).padStart(15)} ${b.first.toFixed(2).padStart(10)} ${(a.first / b.first).toFixed(2).padStart(6)} ${mb(a.rss)} ${mb(b.rss).padStart(11)}  ${a.known}/${a.total}`);
}
const geo = (xs) => Math.exp(xs.reduce((s, r) => s + Math.log(r), 0) / xs.length);
console.log(`geo-mean ratio (ours / python onnx load + infer_shapes): warm ${geo(rows).toFixed(2)} (median of ${reps} runs in one process), cold ${geo(cold).toFixed(2)} (first run) over ${rows.length} models`);
