// Every strategy's plan of every backend test model passes the verifier, and lower bound ≤ optimal ≤ packed ≤ reuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferShapes } from '../../server/src/core/onnx/shapes/infer';
import { partitionModel } from '../../server/src/core/partition/partitionModel';
import { planMemory, strategyNames } from '../../server/src/core/memory/strategies';
import type { DeviceConfig, DeviceSpec } from '../../server/src/core/device';
import type { MemoryPlan } from '../../server/src/core/memory/types';
import { backendCases } from '../helpers/backendCases';

const op = (opType: string) => ({ domain: '', opType });

/** A GPU that takes the common dense ops and a CPU that takes the rest: most models get transfers both ways. */
function config(): DeviceConfig {
  const gpuOps = ['Conv', 'Relu', 'Add', 'Mul', 'MatMul', 'Gemm', 'Sigmoid', 'Tanh', 'Concat', 'Transpose', 'Reshape', 'Softmax', 'MaxPool', 'AveragePool', 'BatchNormalization'].map(op);
  const device = (name: string, kind: string, supports: DeviceSpec['supports']): DeviceSpec => ({
    name, kind, memoryBytes: 1 << 30, reserveBytes: 0, supports, excludes: [], strategy: 'packed', alignBytes: 64, inplace: true,
    units: [{ name: 'u0', count: 1, supports: '*', fuse: [] }, { name: 'u1', count: 1, supports: '*', fuse: [] }],
  });
  return { devices: [device('gpu0', 'gpu', gpuOps), device('cpu0', 'cpu', '*')], priority: ['gpu0', 'cpu0'], places: [], minSubfunction: 1, schedule: 'dfs' };
}

test('every strategy plans every backend test model, verified, ordered lower bound ≤ optimal ≤ packed ≤ reuse', () => {
  let cases = 0;
  let devicePlans = 0;
  for (const c of backendCases()) {
    const shapes = inferShapes(c.model, { inputs: c.inputs });
    const part = partitionModel(c.model.graph, shapes, config());
    for (const dp of part.devices) {
      const arena: Partial<Record<string, MemoryPlan>> = {};
      for (const s of strategyNames) {
        // planMemory throws when its verifier finds overlapping live tensors or unaligned offsets.
        arena[s] = planMemory({ ...dp.problem, timeLimitMs: 20 }, s);
        devicePlans++;
      }
      const lb = arena.packed!.lowerBoundBytes;
      assert.ok(lb <= arena.optimal!.arenaBytes, `${c.path} ${dp.name}: optimal below the lower bound`);
      assert.ok(arena.optimal!.arenaBytes <= arena.packed!.arenaBytes, `${c.path} ${dp.name}: optimal worse than packed`);
      assert.ok(arena.packed!.arenaBytes <= arena.reuse!.arenaBytes, `${c.path} ${dp.name}: packed worse than reuse`);
    }
    cases++;
  }
  assert.ok(cases > 900, `only ${cases} backend models planned`);
  console.log(`planned ${cases} backend models, ${devicePlans} device plans verified`);
});
