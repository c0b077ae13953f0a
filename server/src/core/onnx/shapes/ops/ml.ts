// ai.onnx.ml: the classic-ML operators whose output shapes follow from attributes.
import type { Dim } from '../../model';
import type { OpTable, ShapeFn } from '../context';

const D = 'ai.onnx.ml';
const FLOAT = 1;
const INT64 = 7;
const STRING = 8;

const batch = (x: Dim[] | null): Dim => (x ? (x.length === 0 ? 1 : x[0]) : null);

/** Classifiers: labels [N] (strings or int64, by which class labels are given) and scores [N, classes]. */
function classifier(classes: (ctx: Parameters<ShapeFn>[0]) => number | null): ShapeFn {
  return (ctx) => {
    const n = batch(ctx.shape(0));
    const labels = ctx.attrStrings('classlabels_strings');
    ctx.out(0, labels?.length ? STRING : INT64, [n]);
    ctx.out(1, FLOAT, [n, classes(ctx)]);
  };
}

const countClasses = (ctx: Parameters<ShapeFn>[0]) =>
  ctx.attrStrings('classlabels_strings')?.length || ctx.attrInts('classlabels_ints')?.length || ctx.attrInts('classlabels_int64s')?.length || null;

/** LabelEncoder's output type is that of its values attribute. */
const labelEncoder: ShapeFn = (ctx) => {
  let t: number = INT64;
  if (ctx.attr('values_strings')) t = STRING;
  else if (ctx.attr('values_floats')) t = FLOAT;
  else if (ctx.attr('values_tensor')?.t) t = ctx.attr('values_tensor')!.t!.dataType;
  ctx.out(0, t, ctx.shape(0));
};

export const mlOps: OpTable = {
  [`${D}:Binarizer`]: (ctx) => ctx.same(0, 0),
  [`${D}:Normalizer`]: (ctx) => ctx.out(0, FLOAT, ctx.shape(0)),
  [`${D}:Scaler`]: (ctx) => ctx.out(0, FLOAT, ctx.shape(0)),
  [`${D}:Imputer`]: (ctx) => ctx.same(0, 0),
  [`${D}:CategoryMapper`]: (ctx) => ctx.out(0, ctx.type(0) === STRING ? INT64 : STRING, ctx.shape(0)),
  [`${D}:LabelEncoder`]: labelEncoder,
  [`${D}:ArrayFeatureExtractor`]: (ctx) => {
    const x = ctx.shape(0);
    const y = ctx.shape(1);
    const k = y ? y.reduce<Dim>((a, d) => (typeof a === 'number' && typeof d === 'number' ? a * d : null), 1) : null;
    ctx.out(0, ctx.type(0), x ? [...x.slice(0, -1), k] : null);
  },
  [`${D}:OneHotEncoder`]: (ctx) => {
    const x = ctx.shape(0);
    const cats = ctx.attrInts('cats_int64s')?.length || ctx.attrStrings('cats_strings')?.length || null;
    ctx.out(0, FLOAT, x ? [...x, cats] : null);
  },
  [`${D}:FeatureVectorizer`]: (ctx) => {
    const dims = ctx.attrInts('inputdimensions') ?? [];
    ctx.out(0, FLOAT, [batch(ctx.shape(0)), dims.reduce((a, b) => a + b, 0)]);
  },
  [`${D}:DictVectorizer`]: (ctx) => {
    const n = ctx.attrStrings('string_vocabulary')?.length || ctx.attrInts('int64_vocabulary')?.length || null;
    ctx.out(0, null, [1, n]);
  },
  [`${D}:LinearRegressor`]: (ctx) => ctx.out(0, FLOAT, [batch(ctx.shape(0)), ctx.attrInt('targets', 1)]),
  [`${D}:SVMRegressor`]: (ctx) => ctx.out(0, FLOAT, [batch(ctx.shape(0)), 1]),
  [`${D}:TreeEnsembleRegressor`]: (ctx) => ctx.out(0, FLOAT, [batch(ctx.shape(0)), ctx.attrInt('n_targets', 1)]),
  [`${D}:TreeEnsemble`]: (ctx) => ctx.out(0, ctx.type(0), [batch(ctx.shape(0)), ctx.attrInt('n_targets', 1)]),
  [`${D}:LinearClassifier`]: classifier(countClasses),
  [`${D}:SVMClassifier`]: classifier(countClasses),
  [`${D}:TreeEnsembleClassifier`]: classifier(countClasses),
  // CastMap: a map of int64 keys to a dense [1, N] tensor (N from max_map, or the map's size).
  [`${D}:CastMap`]: (ctx) => {
    const to = ctx.attrString('cast_to', 'TO_FLOAT');
    const t = to === 'TO_STRING' ? STRING : to === 'TO_INT64' ? INT64 : FLOAT;
    ctx.out(0, t, [1, ctx.attrString('map_form', 'DENSE') === 'SPARSE' ? ctx.attrInt('max_map', 1) : null]);
  },
  [`${D}:ZipMap`]: (ctx) => {
    const strings = ctx.attrStrings('classlabels_strings')?.length;
    ctx.set(0, { kind: 'sequence', elem: { kind: 'map', keyType: strings ? STRING : INT64, value: { kind: 'tensor', elemType: FLOAT, shape: [] } } });
  },
};
