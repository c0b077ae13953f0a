// Decodes a binary ONNX model (ModelProto) into the plain `Model` of model.ts, by field number.
//
// We read the wire format ourselves (wireReader.ts) with the field numbers of the current onnx.proto,
// rather than through onnx-proto's generated classes: those stop at ONNX 1.10 and silently drop newer
// fields (function value_info and attribute defaults, overloads), they build a second object tree that
// we would then copy, and they need the whole file in memory. Here weight payloads are views into the
// bytes (in memory) or stay on disk (file mode). protobufjs's Writer serves the test writer (write.ts).
import { WireReader, type ReadAt } from './wireReader';
import type {
  Attribute, ExternalDataRef, FunctionDef, Graph, Model, Node, OpsetImport, SparseTensor, Tensor, ValueInfo, ValueType, Dim,
} from './model';

export interface LoadDiagnostic {
  severity: 'error' | 'warning' | 'info';
  message: string;
}

export interface LoadResult {
  model?: Model;
  diagnostics: LoadDiagnostic[];
}

type Reader = WireReader;
const WIRE_LEN = 2;
/** In file mode, tensor payloads from this size on stay on disk (`payloadRef`). */
const LARGE_PAYLOAD_BYTES = 4096;

const int64 = (r: Reader) => r.int64();
const uint64 = (r: Reader) => r.uint64();
const readFloat = (r: Reader) => r.float();
const readDouble = (r: Reader) => r.double();
const readInt32 = (r: Reader) => r.int32();

/** Reads a repeated scalar field that may be packed (length-delimited) or not. */
function repeated(r: Reader, wire: number, out: number[], one: (r: Reader) => number): void {
  if (wire === WIRE_LEN) {
    const end = r.sub();
    while (r.pos < end) out.push(one(r));
  } else out.push(one(r));
}

/** Iterates the fields of a length-delimited message. */
function fields(r: Reader, end: number, onField: (field: number, wire: number) => boolean): void {
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    // ONNX uses no groups (3, 4) and wire types 6, 7 do not exist: such a tag means the bytes are not a model.
    if (wire > 5 || wire === 3 || wire === 4 || field === 0) throw new RangeError(`invalid field tag ${tag} at byte ${r.pos}`);
    if (!onField(field, wire)) r.skip(wire);
  }
}

function sub(r: Reader): number {
  return r.sub();
}

function stringEntry(r: Reader, end: number): { key: string; value: string } {
  let key = '';
  let value = '';
  fields(r, end, (f) => {
    if (f === 1) key = r.string();
    else if (f === 2) value = r.string();
    else return false;
    return true;
  });
  return { key, value };
}

function opsetImport(r: Reader, end: number): OpsetImport {
  let domain = '';
  let version = 0;
  fields(r, end, (f) => {
    if (f === 1) domain = r.string();
    else if (f === 2) version = int64(r);
    else return false;
    return true;
  });
  return { domain, version };
}

/** File mode: leaves a large packed payload on disk and records where it is. */
function ref(t: Tensor, r: Reader, field: number, wire: number): boolean {
  if (wire !== WIRE_LEN || !r.windowed) return false;
  const at = r.largePayload(LARGE_PAYLOAD_BYTES);
  if (!at) return false;
  t.payloadRef = { ...at, field };
  return true;
}

function tensor(r: Reader, end: number): Tensor {
  const t: Tensor = { name: '', dataType: 0, dims: [] };
  let external: { key: string; value: string }[] | undefined;
  let dataLocation = 0;
  fields(r, end, (f, w) => {
    switch (f) {
      case 1: repeated(r, w, t.dims, int64); break;
      case 2: t.dataType = r.int32(); break;
      case 4: if (!ref(t, r, f, w)) repeated(r, w, (t.floatData ??= []), readFloat); break;
      case 5: if (!ref(t, r, f, w)) repeated(r, w, (t.int32Data ??= []), readInt32); break;
      case 6: (t.stringData ??= []).push(r.bytes()); break;
      case 7: if (!ref(t, r, f, w)) repeated(r, w, (t.int64Data ??= []), int64); break;
      case 8: t.name = r.string(); break;
      case 9: if (!ref(t, r, f, w)) t.raw = r.bytes(); break;
      case 10: if (!ref(t, r, f, w)) repeated(r, w, (t.doubleData ??= []), readDouble); break;
      case 11: if (!ref(t, r, f, w)) repeated(r, w, (t.uint64Data ??= []), uint64); break;
      case 12: t.docString = r.string(); break;
      case 13: (external ??= []).push(stringEntry(r, sub(r))); break;
      case 14: dataLocation = r.int32(); break;
      default: return false;
    }
    return true;
  });
  if (dataLocation === 1 || external) {
    const ref: ExternalDataRef = { location: '', offset: 0, length: null };
    for (const e of external ?? []) {
      if (e.key === 'location') ref.location = e.value;
      else if (e.key === 'offset') ref.offset = Number(e.value);
      else if (e.key === 'length') ref.length = Number(e.value);
    }
    t.externalData = ref;
  }
  return t;
}

function sparseTensor(r: Reader, end: number): SparseTensor {
  const s: SparseTensor = { values: { name: '', dataType: 0, dims: [] }, indices: { name: '', dataType: 0, dims: [] }, dims: [] };
  fields(r, end, (f, w) => {
    if (f === 1) s.values = tensor(r, sub(r));
    else if (f === 2) s.indices = tensor(r, sub(r));
    else if (f === 3) repeated(r, w, s.dims, int64);
    else return false;
    return true;
  });
  return s;
}

function shape(r: Reader, end: number): Dim[] {
  const dims: Dim[] = [];
  fields(r, end, (f) => {
    if (f !== 1) return false;
    const dend = sub(r);
    let d: Dim = null;
    fields(r, dend, (g) => {
      if (g === 1) d = int64(r);
      else if (g === 2) d = r.string() || null;
      else return false;
      return true;
    });
    dims.push(d);
    return true;
  });
  return dims;
}

function tensorTypeBody(r: Reader, end: number, kind: 'tensor' | 'sparse_tensor'): ValueType {
  let elemType = 0;
  let dims: Dim[] | null = null;
  fields(r, end, (f) => {
    if (f === 1) elemType = r.int32();
    else if (f === 2) dims = shape(r, sub(r));
    else return false;
    return true;
  });
  return { kind, elemType, shape: dims };
}

function inner(r: Reader, end: number, field: number): ValueType | null {
  let t: ValueType | null = null;
  fields(r, end, (f) => {
    if (f !== field) return false;
    t = typeProto(r, sub(r));
    return true;
  });
  return t;
}

function typeProto(r: Reader, end: number): ValueType | null {
  let t: ValueType | null = null;
  fields(r, end, (f) => {
    switch (f) {
      case 1: t = tensorTypeBody(r, sub(r), 'tensor'); break;
      case 8: t = tensorTypeBody(r, sub(r), 'sparse_tensor'); break;
      case 4: t = { kind: 'sequence', elem: inner(r, sub(r), 1) }; break;
      case 9: t = { kind: 'optional', elem: inner(r, sub(r), 1) }; break;
      case 5: {
        const mend = sub(r);
        let keyType = 0;
        let value: ValueType | null = null;
        fields(r, mend, (g) => {
          if (g === 1) keyType = r.int32();
          else if (g === 2) value = typeProto(r, sub(r));
          else return false;
          return true;
        });
        t = { kind: 'map', keyType, value };
        break;
      }
      default: return false;
    }
    return true;
  });
  return t;
}

function valueInfo(r: Reader, end: number): ValueInfo {
  const v: ValueInfo = { name: '', type: null };
  fields(r, end, (f) => {
    if (f === 1) v.name = r.string();
    else if (f === 2) v.type = typeProto(r, sub(r));
    else if (f === 3) v.docString = r.string();
    else return false;
    return true;
  });
  return v;
}

function attribute(r: Reader, end: number): Attribute {
  const a: Attribute = { name: '', type: 0 };
  fields(r, end, (f, w) => {
    switch (f) {
      case 1: a.name = r.string(); break;
      case 2: a.f = r.float(); break;
      case 3: a.i = int64(r); break;
      case 4: a.s = r.bytes(); break;
      case 5: a.t = tensor(r, sub(r)); break;
      case 6: a.g = graph(r, sub(r)); break;
      case 7: repeated(r, w, (a.floats ??= []), readFloat); break;
      case 8: repeated(r, w, (a.ints ??= []), int64); break;
      case 9: (a.strings ??= []).push(r.bytes()); break;
      case 10: (a.tensors ??= []).push(tensor(r, sub(r))); break;
      case 11: (a.graphs ??= []).push(graph(r, sub(r))); break;
      case 13: a.docString = r.string(); break;
      case 14: a.tp = typeProto(r, sub(r)); break;
      case 15: (a.tps ??= []).push(typeProto(r, sub(r))); break;
      case 20: a.type = r.int32(); break;
      case 21: a.refAttrName = r.string(); break;
      case 22: a.sparseTensor = sparseTensor(r, sub(r)); break;
      case 23: (a.sparseTensors ??= []).push(sparseTensor(r, sub(r))); break;
      default: return false;
    }
    return true;
  });
  if (a.type === 0) a.type = inferAttrType(a);
  return a;
}

/** Very old models (IR < 3) left `type` unset; infer it from the field that is present. */
function inferAttrType(a: Attribute): number {
  if (a.f !== undefined) return 1;
  if (a.i !== undefined) return 2;
  if (a.s !== undefined) return 3;
  if (a.t !== undefined) return 4;
  if (a.g !== undefined) return 5;
  if (a.floats) return 6;
  if (a.ints) return 7;
  if (a.strings) return 8;
  if (a.tensors) return 9;
  if (a.graphs) return 10;
  return 0;
}

function node(r: Reader, end: number): Node {
  const n: Node = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
  fields(r, end, (f) => {
    switch (f) {
      case 1: n.inputs.push(r.string()); break;
      case 2: n.outputs.push(r.string()); break;
      case 3: n.name = r.string(); break;
      case 4: n.opType = r.string(); break;
      case 5: n.attributes.push(attribute(r, sub(r))); break;
      case 6: n.docString = r.string(); break;
      case 7: n.domain = r.string(); break;
      case 8: n.overload = r.string(); break;
      default: return false;
    }
    return true;
  });
  return n;
}

function graph(r: Reader, end: number): Graph {
  const g: Graph = { name: '', nodes: [], inputs: [], outputs: [], initializers: [], sparseInitializers: [], valueInfo: [] };
  fields(r, end, (f) => {
    switch (f) {
      case 1: g.nodes.push(node(r, sub(r))); break;
      case 2: g.name = r.string(); break;
      case 5: g.initializers.push(tensor(r, sub(r))); break;
      case 10: g.docString = r.string(); break;
      case 11: g.inputs.push(valueInfo(r, sub(r))); break;
      case 12: g.outputs.push(valueInfo(r, sub(r))); break;
      case 13: g.valueInfo.push(valueInfo(r, sub(r))); break;
      case 15: g.sparseInitializers.push(sparseTensor(r, sub(r))); break;
      default: return false;
    }
    return true;
  });
  return g;
}

function functionDef(r: Reader, end: number): FunctionDef {
  const fn: FunctionDef = { name: '', domain: '', inputs: [], outputs: [], attributes: [], attributeProtos: [], nodes: [], opsetImports: [], valueInfo: [] };
  fields(r, end, (f) => {
    switch (f) {
      case 1: fn.name = r.string(); break;
      case 4: fn.inputs.push(r.string()); break;
      case 5: fn.outputs.push(r.string()); break;
      case 6: fn.attributes.push(r.string()); break;
      case 7: fn.nodes.push(node(r, sub(r))); break;
      case 8: fn.docString = r.string(); break;
      case 9: fn.opsetImports.push(opsetImport(r, sub(r))); break;
      case 10: fn.domain = r.string(); break;
      case 11: fn.attributeProtos.push(attribute(r, sub(r))); break;
      case 12: fn.valueInfo.push(valueInfo(r, sub(r))); break;
      case 13: fn.overload = r.string(); break;
      default: return false;
    }
    return true;
  });
  return fn;
}

function emptyGraph(): Graph {
  return { name: '', nodes: [], inputs: [], outputs: [], initializers: [], sparseInitializers: [], valueInfo: [] };
}

function modelProto(r: Reader): Model {
  const m: Model = {
    irVersion: 0, opsetImports: [], producerName: '', producerVersion: '', domain: '', modelVersion: 0,
    docString: '', graph: emptyGraph(), functions: [], metadata: [],
  };
  let sawGraph = false;
  fields(r, r.total, (f) => {
    switch (f) {
      case 1: m.irVersion = int64(r); break;
      case 2: m.producerName = r.string(); break;
      case 3: m.producerVersion = r.string(); break;
      case 4: m.domain = r.string(); break;
      case 5: m.modelVersion = int64(r); break;
      case 6: m.docString = r.string(); break;
      case 7: m.graph = graph(r, sub(r)); sawGraph = true; break;
      case 8: m.opsetImports.push(opsetImport(r, sub(r))); break;
      case 14: m.metadata.push(stringEntry(r, sub(r))); break;
      case 25: m.functions.push(functionDef(r, sub(r))); break;
      default: return false;
    }
    return true;
  });
  if (!sawGraph) throw new RangeError('the file has no graph (field 7 of ModelProto)');
  return m;
}

/** Every tensor in the model whose data lives in an external file (reported, never read here). */
export function externalDataTensors(model: Model): Tensor[] {
  const out: Tensor[] = [];
  const visit = (g: Graph) => {
    for (const t of g.initializers) if (t.externalData) out.push(t);
    for (const n of g.nodes) for (const a of n.attributes) {
      if (a.t?.externalData) out.push(a.t);
      if (a.g) visit(a.g);
      for (const sg of a.graphs ?? []) visit(sg);
    }
  };
  visit(model.graph);
  return out;
}

function decode(r: WireReader): LoadResult {
  const diagnostics: LoadDiagnostic[] = [];
  if (r.total === 0) return { diagnostics: [{ severity: 'error', message: 'the file is empty: expected an ONNX model (protobuf ModelProto)' }] };
  let model: Model;
  try {
    model = modelProto(r);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { diagnostics: [{ severity: 'error', message: `not a valid ONNX model (protobuf decoding failed: ${why})` }] };
  }
  if (model.opsetImports.length === 0 && model.irVersion < 3) model.opsetImports.push({ domain: '', version: 1 });
  const external = externalDataTensors(model);
  if (external.length > 0) {
    const files = [...new Set(external.map((t) => t.externalData!.location))];
    diagnostics.push({
      severity: 'info',
      message: `${external.length} tensor(s) keep their data in external file(s) ${files.map((f) => `"${f}"`).join(', ')}; shapes and sizes come from the model, the data is not read`,
    });
  }
  return { model, diagnostics };
}

/**
 * Decodes ONNX protobuf bytes. Bad input is a diagnostic, never an exception. The returned model keeps
 * views into `bytes` (raw tensor data), so the caller must not reuse the buffer.
 */
export function loadModel(bytes: Uint8Array): LoadResult {
  return decode(new WireReader(bytes));
}

/** Decodes a serialized TensorProto (the backend test data's input_N.pb); undefined when the bytes are not one. */
export function loadTensor(bytes: Uint8Array): Tensor | undefined {
  try {
    const r = new WireReader(bytes);
    return tensor(r, r.total);
  } catch {
    return undefined;
  }
}

/**
 * Decodes a model through positioned reads (a file), reading it in windows: tensor payloads of 4 KiB or
 * more are not read but located (`Tensor.payloadRef`), so a large model costs little memory.
 */
export function loadModelFrom(readAt: ReadAt, size: number): LoadResult {
  return decode(new WireReader({ readAt, size }));
}
