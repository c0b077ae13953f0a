// Random generators: shape from an attribute or from the input they are "Like".
import type { OpTable, ShapeFn } from '../context';

const randomFromAttr: ShapeFn = (ctx) => ctx.out(0, ctx.attrInt('dtype', 1), ctx.attrInts('shape') ?? null);

const randomLike: ShapeFn = (ctx) => ctx.out(0, ctx.attrInt('dtype') ?? ctx.type(0), ctx.shape(0));

/** Multinomial: [batch, sample_size] class indices, int32 unless dtype says otherwise. */
const multinomial: ShapeFn = (ctx) => ctx.out(0, ctx.attrInt('dtype', 6), [ctx.shape(0)?.[0] ?? null, ctx.attrInt('sample_size', 1)]);

export const randomOps: OpTable = {
  RandomNormal: randomFromAttr,
  RandomUniform: randomFromAttr,
  RandomNormalLike: randomLike,
  RandomUniformLike: randomLike,
  Bernoulli: randomLike,
  Multinomial: multinomial,
};
