// Builds in-memory ONNX models for tests, compactly: nodes, typed inputs, initializers, attributes by JS value.
import { AttrType } from '../../server/src/core/onnx/model';
import type { Attribute, Dim, FunctionDef, Graph, Model, Node, Tensor, ValueInfo, ValueType } from '../../server/src/core/onnx/model';

export const FLOAT = 1;
export const UINT8 = 2;
export const INT8 = 3;
export const INT32 = 6;
export const INT64 = 7;
export const STRING = 8;
export const BOOL = 9;
export const FLOAT16 = 10;
export const DOUBLE = 11;

/** A float attribute value (plain JS numbers are read as ints). */
export class F {
  constructor(readonly v: number) {}
}
export const f = (v: number) => new F(v);
/** A float list attribute value. */
export class Fs {
  constructor(readonly v: number[]) {}
}
export const fs = (...v: number[]) => new Fs(v);

export type AttrValue = number | number[] | string | string[] | F | Fs | Tensor | Graph;

const te = new TextEncoder();

function toAttr(name: string, v: AttrValue): Attribute {
  if (v instanceof F) return { name, type: AttrType.FLOAT, f: v.v };
  if (v instanceof Fs) return { name, type: AttrType.FLOATS, floats: v.v };
  if (typeof v === 'number') return { name, type: AttrType.INT, i: v };
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: te.encode(v) };
  if (Array.isArray(v)) {
    if (v.length && typeof v[0] === 'string') return { name, type: AttrType.STRINGS, strings: (v as string[]).map((s) => te.encode(s)) };
    return { name, type: AttrType.INTS, ints: v as number[] };
  }
  if ('nodes' in v) return { name, type: AttrType.GRAPH, g: v };
  return { name, type: AttrType.TENSOR, t: v };
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, domain = ''): Node {
  return {
    name: `${opType}_${outputs[0] ?? ''}`,
    opType,
    domain,
    inputs,
    outputs,
    attributes: Object.entries(attrs).map(([k, v]) => toAttr(k, v)),
  };
}

export function tensorType(elemType: number, shape: Dim[] | null): ValueType {
  return { kind: 'tensor', elemType, shape };
}

export function vi(name: string, elemType: number, shape: Dim[] | null): ValueInfo {
  return { name, type: tensorType(elemType, shape) };
}

/** A tensor with typed data (int64 in int64Data, float in floatData...), or without data when `data` is omitted. */
export function tensor(name: string, dataType: number, dims: number[], data?: number[]): Tensor {
  const t: Tensor = { name, dataType, dims };
  if (!data) return t;
  if (dataType === FLOAT) t.floatData = data;
  else if (dataType === INT64) t.int64Data = data;
  else if (dataType === DOUBLE) t.doubleData = data;
  else t.int32Data = data;
  return t;
}

/** An int64 tensor of the given values (1-D unless `dims` says otherwise). */
export const ints = (name: string, values: number[], dims: number[] = [values.length]) => tensor(name, INT64, dims, values);
export const floats = (name: string, values: number[], dims: number[] = [values.length]) => tensor(name, FLOAT, dims, values);

export interface GraphSpec {
  inputs: ValueInfo[];
  nodes: Node[];
  outputs?: (string | ValueInfo)[];
  initializers?: Tensor[];
  valueInfo?: ValueInfo[];
  name?: string;
}

export function graph(spec: GraphSpec): Graph {
  const produced = spec.nodes.flatMap((n) => n.outputs);
  const outs = spec.outputs ?? (produced.length ? [produced[produced.length - 1]] : []);
  return {
    name: spec.name ?? 'g',
    nodes: spec.nodes,
    inputs: spec.inputs,
    outputs: outs.map((o) => (typeof o === 'string' ? { name: o, type: null } : o)),
    initializers: spec.initializers ?? [],
    sparseInitializers: [],
    valueInfo: spec.valueInfo ?? [],
  };
}

export function model(opset: number, spec: GraphSpec, extra: { functions?: FunctionDef[]; opsets?: { domain: string; version: number }[] } = {}): Model {
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: opset }, ...(extra.opsets ?? [])],
    producerName: 'test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    graph: graph(spec),
    functions: extra.functions ?? [],
    metadata: [],
  };
}
