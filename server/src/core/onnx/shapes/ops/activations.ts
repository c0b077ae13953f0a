// Activations and normalizing functions: the output has the input's type and shape.
import type { OpTable, ShapeFn } from '../context';
import { unary } from './elementwise';

const same: ShapeFn = (ctx) => ctx.same(0, 0);

/** Clip folds (shape chains clamp indices with it); min/max are inputs from opset 11, attributes before. */
const clip: ShapeFn = (ctx) => {
  let lo = -Infinity;
  let hi = Infinity;
  if (ctx.opset < 11) {
    lo = ctx.attrFloat('min', -Infinity);
    hi = ctx.attrFloat('max', Infinity);
  } else {
    const a = ctx.has(1) ? ctx.scalar(1) : -Infinity;
    const b = ctx.has(2) ? ctx.scalar(2) : Infinity;
    if (a === undefined || b === undefined) return ctx.same(0, 0);
    lo = a;
    hi = b;
  }
  unary((x) => Math.min(Math.max(x, lo), hi))(ctx);
};

const relu = unary((x) => Math.max(x, 0));

export const activationOps: OpTable = {
  Relu: relu,
  LeakyRelu: same,
  PRelu: same,
  Elu: same,
  Selu: same,
  Celu: same,
  Gelu: same,
  Mish: same,
  Swish: same,
  Sigmoid: same,
  HardSigmoid: same,
  HardSwish: same,
  Softplus: same,
  Softsign: same,
  ThresholdedRelu: same,
  Shrink: same,
  Softmax: same,
  LogSoftmax: same,
  Hardmax: same,
  Clip: clip,
};
