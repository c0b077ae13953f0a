// The table of shape functions, keyed by operator (`Conv`, or `ai.onnx.ml:Scaler` outside the default domain).
import type { OpTable, ShapeFn } from './context';
import { activationOps } from './ops/activations';
import { controlOps } from './ops/control';
import { elementwiseOps } from './ops/elementwise';
import { linalgOps } from './ops/linalg';
import { microsoftOps } from './ops/microsoft';
import { mlOps } from './ops/ml';
import { nnOps } from './ops/nn';
import { quantizationOps } from './ops/quantization';
import { randomOps } from './ops/random';
import { recurrentOps } from './ops/recurrent';
import { reduceOps } from './ops/reduce';
import { sequenceOps } from './ops/sequence';
import { signalOps } from './ops/signal';
import { tensorOps } from './ops/tensor';
import { textOps } from './ops/text';
import { trainingOps } from './ops/training';

const TABLES: OpTable[] = [
  elementwiseOps, activationOps, nnOps, tensorOps, reduceOps, linalgOps, recurrentOps, quantizationOps,
  controlOps, sequenceOps, signalOps, randomOps, textOps, trainingOps, mlOps, microsoftOps,
];

const REGISTRY = new Map<string, ShapeFn>();
for (const t of TABLES) for (const k of Object.keys(t)) REGISTRY.set(k, t[k]);

/** The table key of an operator: the default domain ('' or 'ai.onnx') is left out. */
export function opKey(domain: string, opType: string): string {
  return domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`;
}

export function shapeFunction(domain: string, opType: string): ShapeFn | undefined {
  return REGISTRY.get(opKey(domain, opType));
}

/** Every operator with a shape function (for completion lists and coverage reports). */
export function knownOperators(): string[] {
  return [...REGISTRY.keys()].sort();
}
