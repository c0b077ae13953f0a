// Encodes a `Model` back to ONNX protobuf bytes: our own writer, for tests and fixtures built in code.
import { Writer } from 'protobufjs/minimal';
import type { Attribute, FunctionDef, Graph, Model, Node, SparseTensor, Tensor, ValueInfo, ValueType } from './model';

const LEN = 2;
const VARINT = 0;
const I32 = 5;

const tag = (field: number, wire: number) => (field << 3) | wire;

const TWO_63 = 2 ** 63;

function int64(w: Writer, v: number): void {
  // Our IR holds int64 as numbers, so INT64_MAX arrives as 2^63: write it back as INT64_MAX, not INT64_MIN.
  if (v >= TWO_63) w.int64({ low: -1, high: 0x7fffffff, unsigned: false } as never);
  else w.int64(v);
}

function str(w: Writer, field: number, s: string | undefined): void {
  if (s) w.uint32(tag(field, LEN)).string(s);
}

function msg(w: Writer, field: number, body: (w: Writer) => void): void {
  w.uint32(tag(field, LEN)).fork();
  body(w);
  w.ldelim();
}

function packed(w: Writer, field: number, values: number[] | undefined, one: (w: Writer, v: number) => void): void {
  if (!values || values.length === 0) return;
  w.uint32(tag(field, LEN)).fork();
  for (const v of values) one(w, v);
  w.ldelim();
}

function tensor(w: Writer, t: Tensor): void {
  packed(w, 1, t.dims, int64);
  if (t.dataType) w.uint32(tag(2, VARINT)).int32(t.dataType);
  packed(w, 4, t.floatData, (x, v) => x.float(v));
  packed(w, 5, t.int32Data, (x, v) => x.int32(v));
  for (const s of t.stringData ?? []) w.uint32(tag(6, LEN)).bytes(s);
  packed(w, 7, t.int64Data, int64);
  str(w, 8, t.name);
  if (t.raw) w.uint32(tag(9, LEN)).bytes(t.raw);
  packed(w, 10, t.doubleData, (x, v) => x.double(v));
  packed(w, 11, t.uint64Data, (x, v) => x.uint64(v));
  str(w, 12, t.docString);
  if (t.externalData) {
    const e = t.externalData;
    const entries: [string, string][] = [['location', e.location], ['offset', String(e.offset)]];
    if (e.length !== null) entries.push(['length', String(e.length)]);
    for (const [k, v] of entries) msg(w, 13, (x) => { str(x, 1, k); str(x, 2, v); });
    w.uint32(tag(14, VARINT)).int32(1);
  }
}

function sparse(w: Writer, s: SparseTensor): void {
  msg(w, 1, (x) => tensor(x, s.values));
  msg(w, 2, (x) => tensor(x, s.indices));
  packed(w, 3, s.dims, int64);
}

function typeProto(w: Writer, t: ValueType | null): void {
  if (!t) return;
  switch (t.kind) {
    case 'tensor':
    case 'sparse_tensor':
      msg(w, t.kind === 'tensor' ? 1 : 8, (x) => {
        if (t.elemType) x.uint32(tag(1, VARINT)).int32(t.elemType);
        if (t.shape) {
          const dims = t.shape;
          msg(x, 2, (y) => {
            for (const d of dims) msg(y, 1, (z) => {
              if (typeof d === 'number') { z.uint32(tag(1, VARINT)); int64(z, d); }
              else if (typeof d === 'string') str(z, 2, d);
            });
          });
        }
      });
      break;
    case 'sequence':
      msg(w, 4, (x) => { if (t.elem) msg(x, 1, (y) => typeProto(y, t.elem)); });
      break;
    case 'optional':
      msg(w, 9, (x) => { if (t.elem) msg(x, 1, (y) => typeProto(y, t.elem)); });
      break;
    case 'map':
      msg(w, 5, (x) => {
        x.uint32(tag(1, VARINT)).int32(t.keyType);
        if (t.value) msg(x, 2, (y) => typeProto(y, t.value));
      });
      break;
  }
}

function valueInfo(w: Writer, v: ValueInfo): void {
  str(w, 1, v.name);
  if (v.type) msg(w, 2, (x) => typeProto(x, v.type));
  str(w, 3, v.docString);
}

function attribute(w: Writer, a: Attribute): void {
  str(w, 1, a.name);
  if (a.f !== undefined) w.uint32(tag(2, I32)).float(a.f);
  if (a.i !== undefined) { w.uint32(tag(3, VARINT)); int64(w, a.i); }
  if (a.s !== undefined) w.uint32(tag(4, LEN)).bytes(a.s);
  if (a.t) msg(w, 5, (x) => tensor(x, a.t!));
  if (a.g) msg(w, 6, (x) => graph(x, a.g!));
  packed(w, 7, a.floats, (x, v) => x.float(v));
  packed(w, 8, a.ints, int64);
  for (const s of a.strings ?? []) w.uint32(tag(9, LEN)).bytes(s);
  for (const t of a.tensors ?? []) msg(w, 10, (x) => tensor(x, t));
  for (const g of a.graphs ?? []) msg(w, 11, (x) => graph(x, g));
  str(w, 13, a.docString);
  if (a.tp !== undefined) msg(w, 14, (x) => typeProto(x, a.tp ?? null));
  for (const t of a.tps ?? []) msg(w, 15, (x) => typeProto(x, t));
  w.uint32(tag(20, VARINT)).int32(a.type);
  str(w, 21, a.refAttrName);
  if (a.sparseTensor) msg(w, 22, (x) => sparse(x, a.sparseTensor!));
  for (const s of a.sparseTensors ?? []) msg(w, 23, (x) => sparse(x, s));
}

function node(w: Writer, n: Node): void {
  for (const i of n.inputs) w.uint32(tag(1, LEN)).string(i);
  for (const o of n.outputs) w.uint32(tag(2, LEN)).string(o);
  str(w, 3, n.name);
  str(w, 4, n.opType);
  for (const a of n.attributes) msg(w, 5, (x) => attribute(x, a));
  str(w, 6, n.docString);
  str(w, 7, n.domain);
  str(w, 8, n.overload);
}

function graph(w: Writer, g: Graph): void {
  for (const n of g.nodes) msg(w, 1, (x) => node(x, n));
  str(w, 2, g.name);
  for (const t of g.initializers) msg(w, 5, (x) => tensor(x, t));
  str(w, 10, g.docString);
  for (const v of g.inputs) msg(w, 11, (x) => valueInfo(x, v));
  for (const v of g.outputs) msg(w, 12, (x) => valueInfo(x, v));
  for (const v of g.valueInfo) msg(w, 13, (x) => valueInfo(x, v));
  for (const s of g.sparseInitializers) msg(w, 15, (x) => sparse(x, s));
}

function functionDef(w: Writer, f: FunctionDef): void {
  str(w, 1, f.name);
  for (const i of f.inputs) w.uint32(tag(4, LEN)).string(i);
  for (const o of f.outputs) w.uint32(tag(5, LEN)).string(o);
  for (const a of f.attributes) w.uint32(tag(6, LEN)).string(a);
  for (const n of f.nodes) msg(w, 7, (x) => node(x, n));
  str(w, 8, f.docString);
  for (const o of f.opsetImports) msg(w, 9, (x) => { str(x, 1, o.domain); x.uint32(tag(2, VARINT)); int64(x, o.version); });
  str(w, 10, f.domain);
  for (const a of f.attributeProtos) msg(w, 11, (x) => attribute(x, a));
  for (const v of f.valueInfo) msg(w, 12, (x) => valueInfo(x, v));
  str(w, 13, f.overload);
}

export function writeModel(m: Model): Uint8Array {
  const w = Writer.create();
  if (m.irVersion) { w.uint32(tag(1, VARINT)); int64(w, m.irVersion); }
  str(w, 2, m.producerName);
  str(w, 3, m.producerVersion);
  str(w, 4, m.domain);
  if (m.modelVersion) { w.uint32(tag(5, VARINT)); int64(w, m.modelVersion); }
  str(w, 6, m.docString);
  msg(w, 7, (x) => graph(x, m.graph));
  for (const o of m.opsetImports) msg(w, 8, (x) => { str(x, 1, o.domain); x.uint32(tag(2, VARINT)); int64(x, o.version); });
  for (const e of m.metadata) msg(w, 14, (x) => { str(x, 1, e.key); str(x, 2, e.value); });
  for (const f of m.functions) msg(w, 25, (x) => functionDef(x, f));
  return w.finish();
}

