// Quantization: QuantizeLinear/DequantizeLinear/DynamicQuantizeLinear and QLinearConv.
import type { OpTable, ShapeFn } from '../context';
import { convLike } from './nn';

const UINT8 = 2;
const FLOAT = 1;

/** The quantized type comes from the zero point, else output_dtype (opset 21), else uint8. */
const quantize: ShapeFn = (ctx) => {
  const t = ctx.type(2) ?? (ctx.attrInt('output_dtype', 0) || UINT8);
  ctx.out(0, t, ctx.shape(0));
};

/** Dequantized values take the scale's type from opset 19 (float16, bfloat16), float before. */
const dequantize: ShapeFn = (ctx) => {
  const t = ctx.attrInt('output_dtype', 0) || (ctx.opset >= 19 ? ctx.type(1) ?? FLOAT : FLOAT);
  ctx.out(0, t, ctx.shape(0));
};

const dynamicQuantize: ShapeFn = (ctx) => {
  ctx.out(0, UINT8, ctx.shape(0));
  ctx.out(1, FLOAT, []);
  ctx.out(2, UINT8, []);
};

export const quantizationOps: OpTable = {
  QuantizeLinear: quantize,
  DequantizeLinear: dequantize,
  DynamicQuantizeLinear: dynamicQuantize,
  QLinearConv: (ctx) => convLike(ctx, 0, 3, ctx.type(7) ?? ctx.type(0)),
};
