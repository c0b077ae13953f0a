// Numbers and tensor values in the ONNX textual syntax: exact formatting, and decoding a tensor's elements from raw or typed data.
import { DataType, type Tensor } from './model';
import { quoteString } from './textLexer';

const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/**
 * An int64 as text. Our IR holds int64 as JS numbers, so INT64_MAX arrives as 2^63: anything at or past
 * the int64 range prints as the range's end, which reads back to the same number.
 */
export function formatInt64(v: number): string {
  if (v >= TWO_63) return '9223372036854775807';
  if (v <= -TWO_63) return '-9223372036854775808';
  return BigInt(Math.trunc(v)).toString();
}

export function formatUint64(v: number): string {
  if (v >= TWO_64) return '18446744073709551615';
  if (v <= 0) return '0';
  return BigInt(Math.trunc(v)).toString();
}

function special(x: number): string | undefined {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0';
  return undefined;
}

/** Makes sure the onnx parser reads the literal as a float (a bare `1` would be an int). */
function floatLiteral(s: string): string {
  return /[.eE]/.test(s) ? s : s + '.0';
}

/** The shortest decimal that reads back (rounded to float32) as exactly `x`; always a float literal. */
export function formatFloat32(x: number): string {
  const sp = special(x);
  if (sp) return sp;
  for (let p = 1; p <= 9; p++) {
    const s = x.toPrecision(p);
    const d = Number(s);
    // String(d) spells the same decimal without toPrecision's exponents for small magnitudes.
    if (Math.fround(d) === x) return floatLiteral(String(d));
  }
  return floatLiteral(String(x));
}

/** The shortest decimal that reads back as exactly `x` (JS's own shortest round trip); always a float literal. */
export function formatFloat64(x: number): string {
  return special(x) ?? floatLiteral(String(x));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s);
}

export function utf8Decode(b: Uint8Array): string {
  return decoder.decode(b);
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Which typed field of TensorProto the text syntax fills for an element type (as onnx's parser does). */
export type StorageField = 'floatData' | 'doubleData' | 'int32Data' | 'int64Data' | 'uint64Data' | 'stringData';

export function storageField(dataType: number): StorageField | undefined {
  switch (dataType) {
    case DataType.FLOAT: case DataType.COMPLEX64: return 'floatData';
    case DataType.DOUBLE: case DataType.COMPLEX128: return 'doubleData';
    case DataType.INT64: return 'int64Data';
    case DataType.UINT32: case DataType.UINT64: return 'uint64Data';
    case DataType.STRING: return 'stringData';
    case DataType.INT8: case DataType.INT16: case DataType.INT32: case DataType.UINT8: case DataType.UINT16:
    case DataType.BOOL: case DataType.FLOAT16: case DataType.BFLOAT16: case DataType.FLOAT8E4M3FN:
    case DataType.FLOAT8E4M3FNUZ: case DataType.FLOAT8E5M2: case DataType.FLOAT8E5M2FNUZ: case DataType.FLOAT8E8M0:
      return 'int32Data';
    default: return undefined; // sub-byte types are packed; the text never carries their values
  }
}

/** Complex numbers are written as their (real, imaginary) parts, one after the other. */
export function valuesPerElement(dataType: number): number {
  return dataType === DataType.COMPLEX64 || dataType === DataType.COMPLEX128 ? 2 : 1;
}

/**
 * The elements of a tensor as numbers (strings for STRING tensors), from `raw` or the typed fields, or null
 * when the values are not in the model (external data, no data) or the type is packed below a byte.
 * 16-bit and 8-bit floats come back as their bit patterns, which is how the text syntax writes them.
 */
export function tensorValues(t: Tensor): number[] | string[] | null {
  if (t.externalData) return null;
  const field = storageField(t.dataType);
  if (!field) return null;
  const count = elementCount(t.dims) * valuesPerElement(t.dataType);
  if (t.raw && t.dataType !== DataType.STRING) return decodeRaw(t.dataType, t.raw, count);
  if (field === 'stringData') {
    if (t.stringData) return t.stringData.map(utf8Decode);
  } else {
    const typed = t[field];
    if (typed) return typed;
  }
  return count === 0 ? [] : null;
}

function decodeRaw(dataType: number, raw: Uint8Array, count: number): number[] | null {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: number[] = new Array(count);
  const need = (size: number) => raw.byteLength >= count * size;
  switch (dataType) {
    case DataType.FLOAT: case DataType.COMPLEX64:
      if (!need(4)) return null;
      for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    case DataType.DOUBLE: case DataType.COMPLEX128:
      if (!need(8)) return null;
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    case DataType.INT8:
      if (!need(1)) return null;
      for (let i = 0; i < count; i++) out[i] = dv.getInt8(i);
      return out;
    case DataType.UINT8: case DataType.BOOL: case DataType.FLOAT8E4M3FN: case DataType.FLOAT8E4M3FNUZ:
    case DataType.FLOAT8E5M2: case DataType.FLOAT8E5M2FNUZ: case DataType.FLOAT8E8M0:
      if (!need(1)) return null;
      for (let i = 0; i < count; i++) out[i] = dv.getUint8(i);
      return out;
    case DataType.INT16:
      if (!need(2)) return null;
      for (let i = 0; i < count; i++) out[i] = dv.getInt16(i * 2, true);
      return out;
    case DataType.UINT16: case DataType.FLOAT16: case DataType.BFLOAT16:
      if (!need(2)) return null;
      for (let i = 0; i < count; i++) out[i] = dv.getUint16(i * 2, true);
      return out;
    case DataType.INT32:
      if (!need(4)) return null;
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(i * 4, true);
      return out;
    case DataType.UINT32:
      if (!need(4)) return null;
      for (let i = 0; i < count; i++) out[i] = dv.getUint32(i * 4, true);
      return out;
    case DataType.INT64:
      if (!need(8)) return null;
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      return out;
    case DataType.UINT64:
      if (!need(8)) return null;
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigUint64(i * 8, true));
      return out;
    default:
      return null;
  }
}

/** One element as the text syntax writes it for `dataType`. */
export function formatElement(dataType: number, v: number | string): string {
  if (typeof v === 'string') return quoteString(v);
  switch (dataType) {
    case DataType.FLOAT: case DataType.COMPLEX64: return formatFloat32(v);
    case DataType.DOUBLE: case DataType.COMPLEX128: return formatFloat64(v);
    case DataType.INT64: return formatInt64(v);
    case DataType.UINT32: case DataType.UINT64: return formatUint64(v);
    default: return String(Math.trunc(v));
  }
}
