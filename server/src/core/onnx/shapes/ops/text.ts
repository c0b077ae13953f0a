// String operators: normalizing, splitting, matching, n-gram vectorizing.
import type { OpTable, ShapeFn } from '../context';
import { broadcastInputs } from './common';

const STRING = 8;

/** StringNormalizer keeps its shape unless stopwords may remove elements (then the count is data). */
const stringNormalizer: ShapeFn = (ctx) => {
  const x = ctx.shape(0);
  if (!ctx.attrStrings('stopwords')?.length) return ctx.out(0, STRING, x);
  if (!x) return ctx.out(0, STRING, null);
  ctx.dataDependent(0, STRING, x.map((d, i) => (i === x.length - 1 ? null : d)), 'StringNormalizer output: how many strings are stop words is only known at run time');
};

const tfIdf: ShapeFn = (ctx) => {
  const x = ctx.shape(0);
  const idx = ctx.attrInts('ngram_indexes') ?? [];
  const width = idx.length ? Math.max(...idx) + 1 : 0;
  ctx.out(0, 1, x ? (x.length === 1 ? [width] : [x[0], width]) : null);
};

const stringSplit: ShapeFn = (ctx) => {
  const x = ctx.shape(0);
  ctx.dataDependent(0, STRING, x ? [...x, null] : null, 'StringSplit output: how many pieces a string splits into is only known at run time');
  ctx.out(1, 7, x);
};

export const textOps: OpTable = {
  StringNormalizer: stringNormalizer,
  TfIdfVectorizer: tfIdf,
  RegexFullMatch: (ctx) => ctx.out(0, 9, ctx.shape(0)),
  StringConcat: (ctx) => ctx.out(0, STRING, broadcastInputs(ctx, [0, 1])),
  StringSplit: stringSplit,
};
