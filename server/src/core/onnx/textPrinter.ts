// Prints a Model in the ONNX textual syntax (current onnx grammar), with weights elided so that the text stays small.
import { AttrType, DataType, type Attribute, type FunctionDef, type Graph, type Model, type Node, type Tensor, type ValueInfo, type ValueType, type Dim } from './model';
import { onnxTypeName } from './dtypes';
import { isPlainIdentifier, isSafeBareName, quoteString } from './textLexer';
import { elementCount, formatElement, formatFloat32, formatInt64, storageField, tensorValues, utf8Decode, valuesPerElement } from './textValues';

// Elided weights. The grammar has no "declared but not shown" initializer: an entry without `= value` in the
// graph's `< >` list is a value_info. So an initializer whose values are not shown is written with an empty value,
// `float[64,3,7,7] w = {}`: onnx's parser (1.12 and current) reads that as an initializer of that type and shape
// with no data, and so does ours; a `{}` on a tensor that has elements means "values not shown".
// An initializer that is also a graph input (IR < 4 models) is written once in the input list, `(float[3] w = {})`,
// the grammar's own "input with an initializer", when the input's declared type is the initializer's type; otherwise
// the input keeps its declared type and the initializer goes to the `< >` list, which reads back to the same graph.

/**
 * `current`: the grammar of onnx's current parser (quoted names, `[name]` node labels, `""` for omitted inputs,
 * seq/optional/map types anywhere). `onnx-1.12`: text that onnx 1.12's parser (Debian's python3-onnx) reads:
 * names that are not plain identifiers are mangled with `legacyName`, node names are left out, non-tensor
 * types are left out (1.12 reads them only inside attributes), and only the element types 1.12 knows carry values.
 */
export type TextDialect = 'current' | 'onnx-1.12';

export interface PrintOptions {
  dialect?: TextDialect;
}

/**
 * How many values printModel writes out. Integer tensors (shapes, axes, indices: what shape inference reads)
 * up to 64 elements, wherever they are. Other tensors are data: Constant values up to 16 elements (scales,
 * epsilons, short tables), initializers only when scalar. Everything larger is a weight and prints as `{}`.
 */
export const PRINTED_INTEGER_ELEMENTS = 64;
export const PRINTED_CONSTANT_ELEMENTS = 16;

/** Whether printModel writes this tensor's values (otherwise `{}`); see PRINTED_INTEGER_ELEMENTS. */
export function printsTensorData(t: Tensor, role: 'initializer' | 'attribute', dialect: TextDialect = 'current'): boolean {
  const count = elementCount(t.dims);
  const limit = INTEGER_TYPES.has(t.dataType) ? PRINTED_INTEGER_ELEMENTS : role === 'attribute' ? PRINTED_CONSTANT_ELEMENTS : 1;
  if (count > limit || !storageField(t.dataType)) return false;
  if (dialect === 'onnx-1.12' && !LEGACY_VALUE_TYPES.has(t.dataType)) return false;
  const values = tensorValues(t);
  if (!values || values.length !== count * valuesPerElement(t.dataType)) return false;
  // 1.12 reads no inf/nan literals, and its std::stof rejects subnormal floats.
  if (dialect === 'onnx-1.12' && values.some((v) => typeof v === 'number' && (!Number.isFinite(v) || (v !== 0 && Math.abs(v) < FLOAT32_MIN_NORMAL)))) return false;
  return true;
}

const INTEGER_TYPES = new Set<number>([
  DataType.UINT8, DataType.INT8, DataType.UINT16, DataType.INT16, DataType.INT32, DataType.INT64, DataType.BOOL, DataType.UINT32, DataType.UINT64,
]);

const FLOAT32_MIN_NORMAL = 2 ** -126;

/** Element types whose values onnx 1.12's parser reads (it knows no float16, bfloat16, complex or float8). */
const LEGACY_VALUE_TYPES = new Set<number>([...INTEGER_TYPES, DataType.FLOAT, DataType.DOUBLE, DataType.STRING]);

const INDENT = '  ';

const LEGACY_PREFIX = '_q';

/**
 * The 1.12-dialect spelling of a name: plain identifiers stay, anything else (and anything that starts with the
 * prefix, to stay one-to-one) becomes `_q` + the hex of its UTF-8 bytes, so `onnx::Flatten_0` and `` are names too.
 */
export function legacyName(name: string): string {
  if (isSafeBareName(name) && !name.startsWith(LEGACY_PREFIX)) return name;
  let hex = '';
  for (const b of new TextEncoder().encode(name)) hex += b.toString(16).padStart(2, '0');
  return LEGACY_PREFIX + hex;
}

class Printer {
  private readonly lines: string[] = [];
  private elided = 0;
  private readonly legacy: boolean;

  constructor(private readonly dialect: TextDialect) {
    this.legacy = dialect === 'onnx-1.12';
  }

  /** A value, graph or function name. */
  private id(name: string): string {
    if (this.legacy) return legacyName(name);
    return isSafeBareName(name) ? name : quoteString(name);
  }

  private dim(d: Dim): string {
    if (d === null) return '?';
    if (typeof d === 'number') return String(d);
    if (this.legacy) return legacyName(d);
    return isPlainIdentifier(d) ? d : quoteString(d);
  }

  private shape(shape: Dim[] | null): string {
    if (shape === null) return '[]';
    return shape.length ? `[${shape.map((d) => this.dim(d)).join(',')}]` : '';
  }

  private elemName(elemType: number): string | undefined {
    if (this.legacy && elemType > 16) return undefined;
    return onnxTypeName(elemType);
  }

  /** The type as text, or undefined when the syntax (or the dialect) cannot write it. */
  type(t: ValueType | null): string | undefined {
    if (!t) return undefined;
    switch (t.kind) {
      case 'tensor': {
        const e = this.elemName(t.elemType);
        return e && e + this.shape(t.shape);
      }
      case 'sparse_tensor': {
        const e = this.elemName(t.elemType);
        return e && !this.legacy ? `sparse_tensor(${e}${this.shape(t.shape)})` : undefined;
      }
      case 'sequence': {
        const e = this.legacy ? undefined : this.type(t.elem);
        return e && `seq(${e})`;
      }
      case 'optional': {
        const e = this.legacy ? undefined : this.type(t.elem);
        return e && `optional(${e})`;
      }
      case 'map': {
        const k = this.elemName(t.keyType);
        const v = this.legacy ? undefined : this.type(t.value);
        return k && v && `map(${k}, ${v})`;
      }
    }
  }

  /** `type name`, or just the name when the type has no spelling (onnx reads an untyped value_info too). */
  private valueInfo(v: ValueInfo): string {
    const t = this.type(v.type);
    return t ? `${t} ${this.id(v.name)}` : this.id(v.name);
  }

  /** `float[2,3]` (no brackets for a scalar), or undefined for an element type without a name in this dialect. */
  private tensorType(t: Tensor): string | undefined {
    const e = this.elemName(t.dataType);
    return e && e + (t.dims.length ? `[${t.dims.join(',')}]` : '');
  }

  /** `{v, ...}` or `{}` (values not shown). */
  private tensorValuesText(t: Tensor, role: 'initializer' | 'attribute'): string {
    if (!printsTensorData(t, role, this.dialect)) {
      if (elementCount(t.dims) > 0) this.elided++;
      return '{}';
    }
    const values = tensorValues(t)!;
    return `{${(values as (number | string)[]).map((v) => formatElement(t.dataType, v)).join(', ')}}`;
  }

  private elisionNote(t: Tensor, role: 'initializer' | 'attribute'): string {
    const n = elementCount(t.dims);
    return !printsTensorData(t, role, this.dialect) && n > 0 ? `  # ${n.toLocaleString('en-US')} value${n === 1 ? '' : 's'} not shown` : '';
  }

  // ---- attributes ----

  private attrTypeWord(type: AttrType): string {
    return ATTR_WORDS[type] ?? 'undefined';
  }

  /** `name = value`, with `name: type = value` where the value alone would not say its type. */
  private attribute(a: Attribute, indent: string): string {
    if (a.refAttrName !== undefined) return `${a.name}: ${this.attrTypeWord(a.type)} = @${this.id(a.refAttrName)}`;
    const typed = (v: string) => `${a.name}: ${this.attrTypeWord(a.type)} = ${v}`;
    const plain = (v: string) => `${a.name} = ${v}`;
    switch (a.type) {
      case AttrType.FLOAT: return plain(formatFloat32(a.f ?? 0));
      case AttrType.INT: return plain(formatInt64(a.i ?? 0));
      case AttrType.STRING: return plain(quoteString(utf8Decode(a.s ?? new Uint8Array())));
      case AttrType.TENSOR: return plain(a.t ? this.attrTensor(a.t) : 'float {}');
      case AttrType.GRAPH: return plain(a.g ? this.inlineGraph(a.g, indent) : 'g () => () {}');
      // onnx 1.12 has no type_proto attributes at all, so both dialects write the current spelling.
      case AttrType.TYPE_PROTO: return plain(formatValueType(a.tp ?? null) ?? 'float[]');
      case AttrType.FLOATS: {
        const v = a.floats ?? [];
        return v.length ? plain(`[${v.map(formatFloat32).join(', ')}]`) : typed('[]');
      }
      case AttrType.INTS: {
        const v = a.ints ?? [];
        return v.length ? plain(`[${v.map(formatInt64).join(', ')}]`) : typed('[]');
      }
      case AttrType.STRINGS: {
        const v = a.strings ?? [];
        return v.length ? plain(`[${v.map((s) => quoteString(utf8Decode(s))).join(', ')}]`) : typed('[]');
      }
      case AttrType.TENSORS: return typed(`[${(a.tensors ?? []).map((t) => this.attrTensor(t)).join(', ')}]`);
      case AttrType.GRAPHS: return typed(`[${(a.graphs ?? []).map((g) => this.inlineGraph(g, indent)).join(', ')}]`);
      case AttrType.TYPE_PROTOS: return typed(`[${(a.tps ?? []).map((t) => formatValueType(t) ?? 'float[]').join(', ')}]`);
      default:
        return ''; // sparse tensors and untyped attributes have no syntax; the caller leaves them out
    }
  }

  /** A tensor attribute value: `float[2] {1.0, 2.0}`, named when the name is a plain identifier (onnx reads no quoted name there). */
  private attrTensor(t: Tensor): string {
    const name = t.name && isSafeBareName(t.name) && !(this.legacy && t.name.startsWith(LEGACY_PREFIX)) ? ` ${t.name}` : '';
    return `${this.tensorType(t)}${name} ${this.tensorValuesText(t, 'attribute')}`;
  }

  /** Attributes the syntax has no spelling for (sparse tensors, unset types, unknown element types) are left out. */
  private printable(a: Attribute): boolean {
    if (a.refAttrName !== undefined) return true;
    if (ATTR_WORDS[a.type] === undefined || a.type === AttrType.SPARSE_TENSOR || a.type === AttrType.SPARSE_TENSORS) return false;
    if (a.type === AttrType.TENSOR) return !a.t || this.tensorType(a.t) !== undefined;
    if (a.type === AttrType.TENSORS) return (a.tensors ?? []).every((t) => this.tensorType(t) !== undefined);
    return true;
  }

  private attrList(attrs: Attribute[], indent: string): string {
    return `<${attrs.filter((a) => this.printable(a)).map((a) => this.attribute(a, indent)).join(', ')}>`;
  }

  // ---- graphs and nodes ----

  private node(n: Node, indent: string): void {
    const label = n.name && !this.legacy ? `[${this.id(n.name)}] ` : '';
    const outs = n.outputs.map((o) => this.id(o)).join(', ');
    const op = (n.domain ? n.domain + '.' : '') + n.opType + (n.overload && !this.legacy ? ':' + n.overload : '');
    const ins = `(${n.inputs.map((x) => this.id(x)).join(', ')})`;
    const attrs = n.attributes.filter((a) => this.printable(a));
    const head = `${indent}${label}${outs}${outs ? ' ' : ''}= ${op}`;
    if (attrs.length === 0) {
      this.lines.push(`${head} ${ins}`);
    } else if (attrs.some((a) => a.type === AttrType.GRAPH || a.type === AttrType.GRAPHS)) {
      // Subgraphs read best after the inputs, one attribute per line.
      this.lines.push(`${head} ${ins} <`);
      const inner = indent + INDENT;
      attrs.forEach((a, k) => this.pushMultiline(inner + this.attribute(a, inner) + (k < attrs.length - 1 ? ',' : '')));
      this.lines.push(`${indent}>`);
    } else {
      this.lines.push(`${head} ${this.attrList(attrs, indent)} ${ins}`);
    }
  }

  private pushMultiline(text: string): void {
    for (const l of text.split('\n')) this.lines.push(l);
  }

  /** A subgraph as an attribute value: its header on the attribute's line, its body indented under it. */
  private inlineGraph(g: Graph, indent: string): string {
    const sub = new Printer(this.dialect);
    sub.graph(g, indent, false);
    this.elided += sub.elided;
    return sub.lines.join('\n').trimStart();
  }

  graph(g: Graph, indent: string, top: boolean): void {
    const inner = indent + INDENT;
    const inits = new Map(g.initializers.map((t) => [t.name, t]));
    const inlined = new Set<string>();
    const inputs = g.inputs.map((v) => {
      const t = inits.get(v.name);
      const declared = this.type(v.type);
      if (t && declared !== undefined && declared === this.tensorType(t) && !inlined.has(v.name)) {
        inlined.add(v.name);
        return { text: `${declared} ${this.id(v.name)} = ${this.tensorValuesText(t, 'initializer')}`, note: this.elisionNote(t, 'initializer') };
      }
      return { text: this.valueInfo(v), note: '' };
    });
    const outputs = g.outputs.map((v) => this.valueInfo(v)).join(', ');
    const extra: { text: string; note: string }[] = [];
    let untyped = 0;
    for (const t of g.initializers) {
      if (inlined.has(t.name)) continue;
      const type = this.tensorType(t);
      if (type === undefined) untyped++;
      else extra.push({ text: `${type} ${this.id(t.name)} = ${this.tensorValuesText(t, 'initializer')}`, note: this.elisionNote(t, 'initializer') });
    }
    for (const v of g.valueInfo) extra.push({ text: this.valueInfo(v), note: '' });
    if (untyped) this.lines.push(`${indent}# ${untyped} initializer(s) of an element type the text syntax cannot name are not shown`);
    const oneLine = `${indent}${this.id(g.name)} (${inputs.map((x) => x.text).join(', ')}) => (${outputs})`;
    if (inputs.length === 0 || (oneLine.length <= 100 && inputs.every((x) => !x.note))) this.lines.push(oneLine);
    else {
      this.lines.push(`${indent}${this.id(g.name)} (`);
      this.list(inputs, inner);
      this.lines.push(`${indent}) => (${outputs})`);
    }
    if (extra.length) {
      this.lines.push(`${indent}<`);
      this.list(extra, inner);
      this.lines.push(`${indent}>`);
      this.lines.push(`${indent}{`);
    } else this.lines[this.lines.length - 1] += ' {';
    for (const n of g.nodes) this.node(n, inner);
    this.lines.push(`${indent}}`);
    if (top && g.sparseInitializers.length) {
      this.lines.push(`# ${g.sparseInitializers.length} sparse initializer(s) not shown: the text syntax has no sparse tensors`);
    }
  }

  /** One entry per line, commas between, notes as trailing comments (after the comma, so they stay comments). */
  private list(items: { text: string; note: string }[], indent: string): void {
    items.forEach((x, k) => this.lines.push(`${indent}${x.text}${k < items.length - 1 ? ',' : ''}${x.note}`));
  }

  private func(f: FunctionDef): void {
    const header = [`domain: ${quoteString(f.domain)}`];
    if (f.overload && !this.legacy) header.push(`overload: ${quoteString(f.overload)}`);
    header.push(`opset_import: [${f.opsetImports.map((o) => `${quoteString(o.domain)} : ${o.version}`).join(', ')}]`);
    if (f.docString && !this.legacy) header.push(`doc_string: ${quoteString(f.docString)}`);
    this.lines.push('<');
    header.forEach((h, k) => this.lines.push(`${INDENT}${h}${k < header.length - 1 ? ',' : ''}`));
    this.lines.push('>');
    // 1.12 reads attribute names only: defaults are left out there (they came with IR 9).
    const defaults = f.attributeProtos.filter((a) => this.printable(a));
    const attrs = [...f.attributes.map((a) => this.id(a)), ...defaults.map((a) => (this.legacy ? this.id(a.name) : this.attribute(a, '')))];
    const io = (names: string[]) => `(${names.map((x) => this.id(x)).join(', ')})`;
    this.lines.push(`${this.id(f.name)}${attrs.length ? ` <${attrs.join(', ')}>` : ''} ${io(f.inputs)} => ${io(f.outputs)}`);
    const vis = this.legacy ? [] : f.valueInfo.filter((v) => this.type(v.type));
    if (vis.length) {
      this.lines.push('<');
      this.list(vis.map((v) => ({ text: this.valueInfo(v), note: '' })), INDENT);
      this.lines.push('>');
    }
    this.lines.push('{');
    for (const n of f.nodes) this.node(n, INDENT);
    this.lines.push('}');
  }

  model(m: Model): string {
    const header: string[] = [`ir_version: ${m.irVersion}`];
    header.push(`opset_import: [${m.opsetImports.map((o) => `${quoteString(o.domain)} : ${o.version}`).join(', ')}]`);
    const str = (key: string, v: string) => {
      if (v && !(this.legacy && /["\\]/.test(v))) header.push(`${key}: ${quoteString(v)}`);
    };
    str('producer_name', m.producerName);
    str('producer_version', m.producerVersion);
    str('domain', m.domain);
    if (m.modelVersion) header.push(`model_version: ${m.modelVersion}`);
    str('doc_string', m.docString);
    if (m.metadata.length) header.push(`metadata_props: [${m.metadata.map((e) => `${quoteString(e.key)} : ${quoteString(e.value)}`).join(', ')}]`);
    this.lines.push('<');
    header.forEach((h, k) => this.lines.push(`${INDENT}${h}${k < header.length - 1 ? ',' : ''}`));
    this.lines.push('>');
    this.graph(m.graph, '', true);
    for (const f of m.functions) {
      this.lines.push('');
      this.func(f);
    }
    if (this.elided) {
      this.lines.unshift(`# Weights are not shown: a tensor written "= {}" (or "{}") with a non-empty shape has values this text leaves out.`);
    }
    return this.lines.join('\n') + '\n';
  }
}

const ATTR_WORDS: Partial<Record<number, string>> = {
  [AttrType.FLOAT]: 'float', [AttrType.INT]: 'int', [AttrType.STRING]: 'string', [AttrType.TENSOR]: 'tensor',
  [AttrType.GRAPH]: 'graph', [AttrType.SPARSE_TENSOR]: 'sparse_tensor', [AttrType.TYPE_PROTO]: 'type_proto',
  [AttrType.FLOATS]: 'floats', [AttrType.INTS]: 'ints', [AttrType.STRINGS]: 'strings', [AttrType.TENSORS]: 'tensors',
  [AttrType.GRAPHS]: 'graphs', [AttrType.SPARSE_TENSORS]: 'sparse_tensors', [AttrType.TYPE_PROTOS]: 'type_protos',
};

/**
 * The model in ONNX textual syntax. Names that are not plain identifiers are quoted; weights are elided (see the
 * file comment); values onnx's grammar cannot hold (sparse tensors, doc strings of graphs and nodes) are left out.
 * The text parses back, with parseModelText and with onnx's parser, to the same graph.
 */
export function printModel(model: Model, options: PrintOptions = {}): string {
  return new Printer(options.dialect ?? 'current').model(model);
}

/** A value type as the text syntax writes it (`float[N,3]`, `seq(int64[])`), or undefined if it has no spelling. */
export function formatValueType(t: ValueType | null): string | undefined {
  return new Printer('current').type(t);
}
