// Signal processing (opset 17+): DFT, STFT, window functions, MelWeightMatrix.
import type { Dim } from '../../model';
import type { OpTable, ShapeFn } from '../context';
import { isNum, normAxis } from '../dims';

const half = (d: Dim): Dim => (isNum(d) ? Math.floor(d / 2) + 1 : null);

/** DFT: the transformed axis becomes dft_length (or its one-sided half); the last axis holds [re, im]. */
const dft: ShapeFn = (ctx) => {
  const x = ctx.shape(0);
  if (!x) return ctx.out(0, ctx.type(0), null);
  // The axis is an attribute up to opset 19 and an input (default -2) from 20.
  let axisRaw: number | undefined = ctx.opset >= 20 ? (ctx.has(2) ? ctx.scalar(2, 'axis') : -2) : ctx.attrInt('axis', 1);
  if (axisRaw === undefined) return ctx.out(0, ctx.type(0), x.map(() => null));
  const axis = normAxis(axisRaw, x.length);
  if (axis === undefined) return ctx.fail(`axis ${axisRaw} is out of range for rank ${x.length}`);
  let n: Dim = x[axis];
  if (ctx.has(1)) n = ctx.scalar(1, 'dft_length') ?? null;
  const onesided = ctx.attrInt('onesided', 0) === 1 && ctx.attrInt('inverse', 0) === 0;
  const out = x.slice();
  out[axis] = onesided ? half(n) : n;
  out[out.length - 1] = 2;
  ctx.out(0, ctx.type(0), out);
};

const stft: ShapeFn = (ctx) => {
  const x = ctx.shape(0);
  const step = ctx.scalar(1, 'frame_step');
  let frameLength: Dim = null;
  if (ctx.has(3)) frameLength = ctx.scalar(3, 'frame_length') ?? null;
  else if (ctx.has(2)) frameLength = ctx.shape(2)?.[0] ?? null;
  const len = x ? x[1] : null;
  const frames = isNum(len) && isNum(frameLength) && step ? Math.floor((len - frameLength) / step) + 1 : null;
  const bins = ctx.attrInt('onesided', 1) === 1 ? half(frameLength) : frameLength;
  ctx.out(0, ctx.type(0), [x ? x[0] : null, frames, bins, 2]);
};

const windowFn: ShapeFn = (ctx) => {
  const size = ctx.scalar(0, 'size');
  ctx.out(0, ctx.attrInt('output_datatype', 1), [size ?? null]);
};

const melWeightMatrix: ShapeFn = (ctx) => {
  const bins = ctx.scalar(0, 'num_mel_bins');
  const dftLength = ctx.scalar(1, 'dft_length');
  ctx.out(0, ctx.attrInt('output_datatype', 1), [half(dftLength ?? null), bins ?? null]);
};

export const signalOps: OpTable = {
  DFT: dft,
  STFT: stft,
  HannWindow: windowFn,
  HammingWindow: windowFn,
  BlackmanWindow: windowFn,
  MelWeightMatrix: melWeightMatrix,
};
