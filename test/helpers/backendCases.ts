// The backend test models with the concrete shapes of their test_data_set_0 inputs, as `inspect --input` would pin them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadModel, loadTensor } from '../../server/src/core/onnx/load';
import type { Model } from '../../server/src/core/onnx/model';
import { backendModels } from './testData';

export interface BackendCase {
  path: string;
  model: Model;
  /** Non-initializer graph inputs with the shapes of the recorded input tensors. */
  inputs: Record<string, number[]>;
}

/** Every backend model that loads; cases whose inputs are not plain tensors get no pins. */
export function backendCases(): BackendCase[] {
  const out: BackendCase[] = [];
  for (const path of backendModels()) {
    const model = loadModel(readFileSync(path)).model;
    if (!model) continue;
    const inits = new Set(model.graph.initializers.map((t) => t.name));
    const inputs: Record<string, number[]> = {};
    const names = model.graph.inputs.map((v) => v.name).filter((n) => !inits.has(n));
    names.forEach((name, k) => {
      const p = join(dirname(path), 'test_data_set_0', `input_${k}.pb`);
      if (!existsSync(p)) return;
      const t = loadTensor(readFileSync(p));
      if (t && (t.dataType !== 0 || t.dims.length > 0)) inputs[name] = t.dims;
    });
    out.push({ path, model, inputs });
  }
  return out;
}
