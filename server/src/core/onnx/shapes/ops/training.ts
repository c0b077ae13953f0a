// ai.onnx.preview.training: Gradient and the optimizers, whose outputs mirror tensors they are given.
import type { OpTable, ShapeFn } from '../context';

const D = 'ai.onnx.preview.training';

/** Gradient: one output per name in `xs`, shaped like that tensor. */
const gradient: ShapeFn = (ctx) => {
  const xs = ctx.attrStrings('xs') ?? [];
  xs.forEach((name, i) => {
    const v = ctx.hooks.lookup(ctx.env, name);
    if (v && v.kind === 'tensor') ctx.out(i, v.elemType, v.shape);
  });
};

/**
 * Optimizers take R, T, then `groups` blocks of n tensors (X, G, then state); output block g mirrors
 * input block `blocks[g]` (the new X, then the new states).
 */
function optimizer(groups: number, blocks: number[]): ShapeFn {
  return (ctx) => {
    const n = Math.floor((ctx.nIn - 2) / groups);
    for (let g = 0; g < blocks.length; g++) for (let i = 0; i < n; i++) ctx.same(g * n + i, 2 + blocks[g] * n + i);
  };
}

export const trainingOps: OpTable = {
  [`${D}:Gradient`]: gradient,
  [`${D}:Adagrad`]: optimizer(3, [0, 2]),
  [`${D}:Momentum`]: optimizer(3, [0, 2]),
  [`${D}:Adam`]: optimizer(4, [0, 2, 3]),
};
