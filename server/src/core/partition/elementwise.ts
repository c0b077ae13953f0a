// Elementwise ONNX operators: output element i depends only on input element i, so the output may overwrite an input (claim 15).
import { opKey } from './support';

/**
 * Default-domain ops whose every output element reads only the same-index element of each input of the
 * same size. Broadcasting is fine: only an input as large as the output is ever a candidate, and such an
 * input maps index to index. Shape-changing or reducing ops (and Dropout, whose mask is a second output)
 * are left out on purpose.
 */
const ELEMENTWISE = new Set<string>([
  // unary math and activations
  'Abs', 'Acos', 'Acosh', 'Asin', 'Asinh', 'Atan', 'Atanh', 'BitwiseNot', 'Cast', 'Ceil', 'Celu', 'Clip',
  'Cos', 'Cosh', 'Elu', 'Erf', 'Exp', 'Floor', 'Gelu', 'HardSigmoid', 'HardSwish', 'Identity', 'LeakyRelu',
  'Log', 'Mish', 'Neg', 'Not', 'Reciprocal', 'Relu', 'Round', 'Selu', 'Shrink', 'Sigmoid', 'Sign', 'Sin',
  'Sinh', 'Softplus', 'Softsign', 'Sqrt', 'Tan', 'Tanh', 'ThresholdedRelu',
  // binary and variadic with broadcasting
  'Add', 'And', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'Div', 'Max', 'Mean', 'Min', 'Mod', 'Mul',
  'Or', 'Pow', 'PRelu', 'Sub', 'Sum', 'Where', 'Xor',
]);

export function isElementwise(domain: string, opType: string): boolean {
  return ELEMENTWISE.has(opKey(domain, opType));
}
