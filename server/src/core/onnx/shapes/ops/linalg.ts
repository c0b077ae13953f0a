// Linear algebra: MatMul (numpy batch broadcasting), Gemm, the integer and quantized matmuls, Det.
import type { Dim } from '../../model';
import type { NodeContext, OpTable, ShapeFn } from '../context';
import { broadcastShapes, shapeToString, unifyDim } from '../dims';

/** numpy matmul: 1-D operands are promoted and the promoted dim dropped; batch dims broadcast. */
export function matmulShape(ctx: NodeContext, a: Dim[] | null, b: Dim[] | null): Dim[] | null {
  if (!a || !b) return null;
  if (a.length === 0 || b.length === 0) {
    ctx.fail('MatMul operands must not be scalars');
    return null;
  }
  const A = a.length === 1 ? [1, a[0]] : a;
  const B = b.length === 1 ? [b[0], 1] : b;
  const k = unifyDim(A[A.length - 1], B[B.length - 2]);
  if (k === undefined) {
    ctx.fail(`inner dimensions of ${shapeToString(a)} and ${shapeToString(b)} differ`);
    return null;
  }
  const batch = broadcastShapes([A.slice(0, -2), B.slice(0, -2)]);
  if (batch === undefined) {
    ctx.fail(`batch dimensions of ${shapeToString(a)} and ${shapeToString(b)} do not broadcast`);
    return null;
  }
  const out = [...batch!];
  if (a.length > 1) out.push(A[A.length - 2]);
  if (b.length > 1) out.push(B[B.length - 1]);
  return out;
}

const matmul: ShapeFn = (ctx) => ctx.out(0, ctx.type(0), matmulShape(ctx, ctx.shape(0), ctx.shape(1)));

const gemm: ShapeFn = (ctx) => {
  const a = ctx.shape(0);
  const b = ctx.shape(1);
  const ta = ctx.attrInt('transA', 0) === 1;
  const tb = ctx.attrInt('transB', 0) === 1;
  const m = a && a.length === 2 ? a[ta ? 1 : 0] : null;
  const n = b && b.length === 2 ? b[tb ? 0 : 1] : null;
  ctx.out(0, ctx.type(0), [m, n]);
};

const det: ShapeFn = (ctx) => {
  const x = ctx.shape(0);
  ctx.out(0, ctx.type(0), x ? x.slice(0, -2) : null);
};

export const linalgOps: OpTable = {
  MatMul: matmul,
  Gemm: gemm,
  MatMulInteger: (ctx) => ctx.out(0, 6, matmulShape(ctx, ctx.shape(0), ctx.shape(1))),
  QLinearMatMul: (ctx) => ctx.out(0, ctx.type(7) ?? ctx.type(2), matmulShape(ctx, ctx.shape(0), ctx.shape(3))),
  Det: det,
};
