// The standard ONNX operator set (ai.onnx opsets 1-28 incl. deprecated ops, ai.onnx.ml 1-5): names and versions.

/** The default domain is spelled `''` everywhere; `ai.onnx` is its long name. */
export const ONNX_DOMAIN = '';
export const ML_DOMAIN = 'ai.onnx.ml';
export const TRAINING_DOMAIN = 'ai.onnx.preview.training';
export const PREVIEW_DOMAIN = 'ai.onnx.preview';

export interface OperatorInfo {
  domain: string;
  opType: string;
  /** The opset version that introduced the operator. */
  since: number;
  /** Every opset version of the domain in which the operator changed, ascending (first = since). */
  versions: number[];
  /** Opset version from which the operator is deprecated, with the operator that replaces it. */
  deprecatedSince?: number;
  replacedBy?: string;
  /** Removed experimental operators of early ONNX (before opset 9) that old models may still use. */
  experimental?: boolean;
}

// `Name v1 v2 ...` rows separated by `|`: every version in which the operator changed. Taken from
// onnx's docs/Changelog.md and Changelog-ml.md (onnx 1.23; opset 23 = onnx 1.18, 28 = onnx 1.23).
const AI_ONNX = `
Abs 1 6 13 | Acos 7 22 | Acosh 9 22 | Add 1 6 7 13 14 | AffineGrid 20 | And 1 7 | ArgMax 1 11 12 13
ArgMin 1 11 12 13 | Asin 7 22 | Asinh 9 22 | Atan 7 22 | Atanh 9 22 | Attention 23 24 25
AveragePool 1 7 10 11 19 22 | BatchNormalization 1 6 7 9 14 15 | Bernoulli 15 22 | BitCast 26
BitShift 11 | BitwiseAnd 18 | BitwiseNot 18 | BitwiseOr 18 | BitwiseXor 18 | BlackmanWindow 17
Cast 1 6 9 13 19 21 23 24 25 | CastLike 15 19 21 23 24 25 | CausalConvWithState 27 | Ceil 1 6 13
Celu 12 28 | CenterCropPad 18 | Clip 1 6 11 12 13 | Col2Im 18 | Compress 9 11 | Concat 1 4 11 13
ConcatFromSequence 11 | Constant 1 9 11 12 13 19 21 23 24 25 | ConstantOfShape 9 20 21 23 24 25
Conv 1 11 22 | ConvInteger 10 | ConvTranspose 1 11 22 | Cos 7 22 | Cosh 9 22 | CumProd 26
CumSum 11 14 | DFT 17 20 | DeformConv 19 22 | DepthToSpace 1 11 13
DequantizeLinear 10 13 19 21 23 24 25 | Det 11 22 | Div 1 6 7 13 14 | Dropout 1 6 7 10 12 13 22
DynamicQuantizeLinear 11 | Einsum 12 | Elu 1 6 22 | Equal 1 7 11 13 19 | Erf 9 13 | Exp 1 6 13
Expand 8 13 | EyeLike 9 22 | Flatten 1 9 11 13 21 23 24 25 | Floor 1 6 13 | GRU 1 3 7 14 22
Gather 1 11 13 | GatherElements 11 13 | GatherND 11 12 13 | Gelu 20 | Gemm 1 6 7 9 11 13
GlobalAveragePool 1 22 | GlobalLpPool 1 2 22 | GlobalMaxPool 1 22 | Greater 1 7 9 13
GreaterOrEqual 12 16 | GridSample 16 20 22 | GroupNormalization 18 21 | HammingWindow 17
HannWindow 17 | HardSigmoid 1 6 22 | HardSwish 14 22 | Hardmax 1 11 13
Identity 1 13 14 16 19 21 23 24 25 | If 1 11 13 16 19 21 23 24 25 | ImageDecoder 20
InstanceNormalization 1 6 22 | IsInf 10 20 | IsNaN 9 13 20 | LRN 1 13 | LSTM 1 7 14 22
LayerNormalization 17 | LeakyRelu 1 6 16 | Less 1 7 9 13 | LessOrEqual 12 16 | LinearAttention 27
Log 1 6 13 | LogSoftmax 1 11 13 | Loop 1 11 13 16 19 21 23 24 25 | LpNormalization 1 22
LpPool 1 2 11 18 22 | MatMul 1 9 13 | MatMulInteger 10 | Max 1 6 8 12 13 | MaxPool 1 8 10 11 12 22
MaxRoiPool 1 22 | MaxUnpool 9 11 22 | Mean 1 6 8 13 | MeanVarianceNormalization 9 13
MelWeightMatrix 17 | Min 1 6 8 12 13 | Mish 18 22 | Mod 10 13 | Mul 1 6 7 13 14 | Multinomial 7 22
Neg 1 6 13 | NegativeLogLikelihoodLoss 12 13 22 | NonMaxSuppression 10 11 | NonZero 9 13 | Not 1
OneHot 9 11 | Optional 15 | OptionalGetElement 15 18 | OptionalHasElement 15 18 | Or 1 7
PRelu 1 6 7 9 16 | Pad 1 2 11 13 18 19 21 23 24 25 | Pow 1 7 12 13 15 | QLinearConv 10
QLinearMatMul 10 21 | QuantizeLinear 10 13 19 21 23 24 25 | RMSNormalization 23 | RNN 1 7 14 22
RandomNormal 1 22 | RandomNormalLike 1 22 | RandomUniform 1 22 | RandomUniformLike 1 22
Range 11 27 | Reciprocal 1 6 13 | ReduceL1 1 11 13 18 | ReduceL2 1 11 13 18
ReduceLogSum 1 11 13 18 | ReduceLogSumExp 1 11 13 18 | ReduceMax 1 11 12 13 18 20
ReduceMean 1 11 13 18 | ReduceMin 1 11 12 13 18 20 | ReduceProd 1 11 13 18 | ReduceSum 1 11 13
ReduceSumSquare 1 11 13 18 | RegexFullMatch 20 | Relu 1 6 13 14 | Reshape 1 5 13 14 19 21 23 24 25
Resize 10 11 13 18 19 | ReverseSequence 10 | RoiAlign 10 16 22 | RotaryEmbedding 23 | Round 11 22
STFT 17 | Scan 8 9 11 16 19 21 23 24 25 | Scatter 9 11 | ScatterElements 11 13 16 18
ScatterND 11 13 16 18 | Selu 1 6 22 | SequenceAt 11 | SequenceConstruct 11 | SequenceEmpty 11
SequenceErase 11 | SequenceInsert 11 | SequenceLength 11 | SequenceMap 17
Shape 1 13 15 19 21 23 24 25 | Shrink 9 | Sigmoid 1 6 13 | Sign 9 13 | Sin 7 22 | Sinh 9 22
Size 1 13 19 21 23 24 25 | Slice 1 10 11 13 | Softmax 1 11 13 | SoftmaxCrossEntropyLoss 12 13
Softplus 1 22 | Softsign 1 22 | SpaceToDepth 1 13 | Split 1 2 11 13 18 | SplitToSequence 11 24
Sqrt 1 6 13 | Squeeze 1 11 13 21 23 24 25 | StringConcat 20 | StringNormalizer 10 | StringSplit 20
Sub 1 6 7 13 14 | Sum 1 6 8 13 | SwiGLU 28 | Swish 24 | Tan 7 22 | Tanh 1 6 13 | TensorScatter 24
TfIdfVectorizer 9 | ThresholdedRelu 10 22 | Tile 1 6 13 | TopK 1 10 11 24
Transpose 1 13 21 23 24 25 | Trilu 14 | Unique 11 | Unsqueeze 1 11 13 21 23 24 25
Upsample 1 7 9 10 | Where 9 16 | Xor 1 7
`;

const AI_ONNX_ML = `
ArrayFeatureExtractor 1 | Binarizer 1 | CastMap 1 | CategoryMapper 1 | DictVectorizer 1
FeatureVectorizer 1 | Imputer 1 | LabelEncoder 1 2 4 | LinearClassifier 1 | LinearRegressor 1
Normalizer 1 | OneHotEncoder 1 | SVMClassifier 1 | SVMRegressor 1 | Scaler 1 | TreeEnsemble 5
TreeEnsembleClassifier 1 3 5 | TreeEnsembleRegressor 1 3 5 | ZipMap 1
`;

const PREVIEW_TRAINING = 'Adagrad 1 | Adam 1 | Gradient 1 | Momentum 1';
const PREVIEW = 'FlexAttention 1';

// Experimental operators of onnx <= 1.4 (removed later); old model-zoo models (e.g. tiny-yolov2) use ImageScaler.
const EXPERIMENTAL = 'ATen 1 | Affine 1 | ConstantFill 1 | Crop 1 | DynamicSlice 1 | GRUUnit 1 | GivenTensorFill 1 | ImageScaler 1 | ParametricSoftplus 1 | Scale 1 | ScaledTanh 1';

const DEPRECATED: Record<string, [since: number, replacedBy: string]> = {
  Upsample: [10, 'Resize'],
  Scatter: [11, 'ScatterElements'],
  'ai.onnx.ml.TreeEnsembleClassifier': [5, 'TreeEnsemble'],
  'ai.onnx.ml.TreeEnsembleRegressor': [5, 'TreeEnsemble'],
};

const byDomain = new Map<string, Map<string, OperatorInfo>>();

function load(domain: string, table: string, experimental = false): void {
  let ops = byDomain.get(domain);
  if (!ops) byDomain.set(domain, (ops = new Map()));
  for (const row of table.split(/[|\n]/)) {
    const [opType, ...rest] = row.trim().split(/\s+/);
    if (!opType) continue;
    const versions = rest.map(Number);
    const info: OperatorInfo = { domain, opType, since: versions[0], versions };
    const deprecated = DEPRECATED[qualifiedOpName(domain, opType)];
    if (deprecated) [info.deprecatedSince, info.replacedBy] = deprecated;
    if (experimental) info.experimental = true;
    ops.set(opType, info);
  }
}

load(ONNX_DOMAIN, AI_ONNX);
load(ONNX_DOMAIN, EXPERIMENTAL, true);
load(ML_DOMAIN, AI_ONNX_ML);
load(TRAINING_DOMAIN, PREVIEW_TRAINING);
load(PREVIEW_DOMAIN, PREVIEW);

/** `ai.onnx` and `` are the same domain; everything else is kept as written. */
export function normalizeDomain(domain: string): string {
  return domain === 'ai.onnx' ? ONNX_DOMAIN : domain;
}

/** `Conv` for the default domain, `ai.onnx.ml.Scaler` otherwise (the manifest's and the model summary's spelling). */
export function qualifiedOpName(domain: string, opType: string): string {
  const d = normalizeDomain(domain);
  return d === ONNX_DOMAIN ? opType : `${d}.${opType}`;
}

/** Whether the domain is one whose operator set we know (so an unknown op in it is an error, not a custom op). */
export function isKnownDomain(domain: string): boolean {
  return byDomain.has(normalizeDomain(domain));
}

export function lookupOperator(domain: string, opType: string): OperatorInfo | undefined {
  return byDomain.get(normalizeDomain(domain))?.get(opType);
}

/** Every operator of a known domain (empty for an unknown one), in name order. */
export function operatorsOf(domain: string): OperatorInfo[] {
  return [...(byDomain.get(normalizeDomain(domain))?.values() ?? [])].sort((a, b) => (a.opType < b.opType ? -1 : 1));
}

export function knownDomains(): string[] {
  return [...byDomain.keys()];
}

/** The operator's version in force in a model that imports `opset` of its domain (undefined: not yet defined). */
export function versionAt(info: OperatorInfo, opset: number): number | undefined {
  let found: number | undefined;
  for (const v of info.versions) if (v <= opset) found = v;
  return found;
}

/**
 * Elementwise operators of the default domain: each output element depends only on the matching
 * element of each input (other inputs broadcast: a bias, a residual, a per-channel scale), and the
 * output has the shape of the first input. A computing unit can absorb them (`fuse`) into the node
 * whose output they read, and they may write their output in place over that input (claim 15).
 * Layout ops (Reshape, Transpose...), reductions (Softmax, pools) and anything that mixes elements are not.
 */
const ELEMENTWISE = new Set(
  [
    // unary math and logic
    'Abs Acos Acosh Asin Asinh Atan Atanh Ceil Cos Cosh Erf Exp Floor Log Neg Reciprocal Round Sign Sin Sinh Sqrt Tan Tanh',
    'Not IsNaN IsInf BitwiseNot',
    // activations
    'Relu LeakyRelu PRelu Elu Selu Celu Sigmoid HardSigmoid HardSwish Softplus Softsign Gelu Mish Swish ThresholdedRelu Shrink Clip',
    // binary and variadic with broadcasting
    'Add Sub Mul Div Pow Mod Max Min Sum Mean And Or Xor Equal Greater GreaterOrEqual Less LessOrEqual Where',
    'BitShift BitwiseAnd BitwiseOr BitwiseXor',
    // per-element or per-channel at inference; type and quantization casts
    'BatchNormalization Dropout Identity Cast CastLike QuantizeLinear DequantizeLinear',
    // removed experimental ops of early ONNX
    'Affine ImageScaler ParametricSoftplus ScaledTanh',
  ]
    .join(' ')
    .split(' '),
);

export function isElementwise(domain: string, opType: string): boolean {
  return normalizeDomain(domain) === ONNX_DOMAIN && ELEMENTWISE.has(opType);
}

/** The elementwise operators, in name order (for messages and completion). */
export function elementwiseOperators(): string[] {
  return [...ELEMENTWISE].sort();
}
