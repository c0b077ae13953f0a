// Element types: numpy spelling, ONNX text-syntax spelling, and byte sizes, by TensorProto.DataType number.

interface DtypeRow { num: number; numpy: string; onnx: string; bits: number | null }

const ROWS: DtypeRow[] = [
  { num: 1, numpy: 'float32', onnx: 'float', bits: 32 },
  { num: 2, numpy: 'uint8', onnx: 'uint8', bits: 8 },
  { num: 3, numpy: 'int8', onnx: 'int8', bits: 8 },
  { num: 4, numpy: 'uint16', onnx: 'uint16', bits: 16 },
  { num: 5, numpy: 'int16', onnx: 'int16', bits: 16 },
  { num: 6, numpy: 'int32', onnx: 'int32', bits: 32 },
  { num: 7, numpy: 'int64', onnx: 'int64', bits: 64 },
  { num: 8, numpy: 'string', onnx: 'string', bits: null },
  { num: 9, numpy: 'bool', onnx: 'bool', bits: 8 },
  { num: 10, numpy: 'float16', onnx: 'float16', bits: 16 },
  { num: 11, numpy: 'float64', onnx: 'double', bits: 64 },
  { num: 12, numpy: 'uint32', onnx: 'uint32', bits: 32 },
  { num: 13, numpy: 'uint64', onnx: 'uint64', bits: 64 },
  { num: 14, numpy: 'complex64', onnx: 'complex64', bits: 64 },
  { num: 15, numpy: 'complex128', onnx: 'complex128', bits: 128 },
  { num: 16, numpy: 'bfloat16', onnx: 'bfloat16', bits: 16 },
  { num: 17, numpy: 'float8_e4m3fn', onnx: 'float8e4m3fn', bits: 8 },
  { num: 18, numpy: 'float8_e4m3fnuz', onnx: 'float8e4m3fnuz', bits: 8 },
  { num: 19, numpy: 'float8_e5m2', onnx: 'float8e5m2', bits: 8 },
  { num: 20, numpy: 'float8_e5m2fnuz', onnx: 'float8e5m2fnuz', bits: 8 },
  { num: 21, numpy: 'uint4', onnx: 'uint4', bits: 4 },
  { num: 22, numpy: 'int4', onnx: 'int4', bits: 4 },
  { num: 23, numpy: 'float4_e2m1', onnx: 'float4e2m1', bits: 4 },
  { num: 24, numpy: 'float8_e8m0', onnx: 'float8e8m0', bits: 8 },
  { num: 25, numpy: 'uint2', onnx: 'uint2', bits: 2 },
  { num: 26, numpy: 'int2', onnx: 'int2', bits: 2 },
];

const BY_NUM = new Map(ROWS.map((r) => [r.num, r]));
const BY_ONNX = new Map(ROWS.map((r) => [r.onnx, r]));

/** numpy spelling (`float32`); an unknown number prints as `dtype(N)`. */
export function numpyName(dataType: number): string {
  return BY_NUM.get(dataType)?.numpy ?? `dtype(${dataType})`;
}

/** ONNX text-syntax spelling (`float`), or undefined for numbers this table does not know. */
export function onnxTypeName(dataType: number): string | undefined {
  return BY_NUM.get(dataType)?.onnx;
}

/** DataType number for an ONNX text-syntax type name (`float`, `int64`...). */
export function dataTypeFromOnnxName(name: string): number | undefined {
  return BY_ONNX.get(name)?.num;
}

/** Bits per element, or null where the size is not fixed (string) or the type is unknown. */
export function elementBits(dataType: number): number | null {
  return BY_NUM.get(dataType)?.bits ?? null;
}

/** Bytes of a dense tensor of `count` elements (sub-byte types round up), or null if unknowable. */
export function tensorBytes(dataType: number, count: number): number | null {
  const bits = elementBits(dataType);
  if (bits === null) return null;
  return Math.ceil((count * bits) / 8);
}
