// Structural comparison of two models over what the text syntax carries: the first difference, as a path and both values.
import { AttrType, type Attribute, type FunctionDef, type Graph, type Model, type Node, type Tensor, type ValueInfo } from './model';
import { isSafeBareName } from './textLexer';
import { formatValueType, printsTensorData } from './textPrinter';
import { tensorValues, utf8Decode } from './textValues';

export interface DiffOptions {
  /** Compare node names (the text keeps them as `[name]` labels). Default true. */
  nodeNames?: boolean;
}

/**
 * The first difference between `a` (the original) and `b` (e.g. the model read back from printModel's text), or
 * null when they are the same graph: model properties, opsets, every node (name, op, domain, overload, inputs,
 * outputs, attributes with types and values), declared types of inputs, outputs and value_info, initializer names,
 * types and dims (and values where the text shows them), functions, recursively into subgraphs.
 * Not compared, because the syntax has no place for them: doc strings of graphs, nodes, values and attributes,
 * sparse initializers and sparse-tensor attributes, type denotations.
 */
export function modelDifference(a: Model, b: Model, options: DiffOptions = {}): string | null {
  const d = new Differ(options.nodeNames ?? true);
  try {
    d.model(a, b);
    return null;
  } catch (e) {
    if (e instanceof Difference) return e.message;
    throw e;
  }
}

/** The first difference between two graphs, or null (see modelDifference). */
export function graphDifference(a: Graph, b: Graph, options: DiffOptions = {}): string | null {
  const d = new Differ(options.nodeNames ?? true);
  try {
    d.graph(a, b, 'graph');
    return null;
  } catch (e) {
    if (e instanceof Difference) return e.message;
    throw e;
  }
}

class Difference extends Error {}

const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));

function sameNumber(x: number | undefined, y: number | undefined): boolean {
  return x === y || Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
}

class Differ {
  constructor(private readonly nodeNames: boolean) {}

  private eq(path: string, x: unknown, y: unknown): void {
    if (typeof x === 'number' && typeof y === 'number' ? !sameNumber(x, y) : x !== y) {
      throw new Difference(`${path}: ${show(x)} vs ${show(y)}`);
    }
  }

  private list<T>(path: string, xs: readonly T[], ys: readonly T[], each: (p: string, x: T, y: T) => void): void {
    this.eq(`${path}.length`, xs.length, ys.length);
    xs.forEach((x, k) => each(`${path}[${k}]`, x, ys[k]));
  }

  model(a: Model, b: Model): void {
    this.eq('irVersion', a.irVersion, b.irVersion);
    this.list('opsetImports', a.opsetImports, b.opsetImports, (p, x, y) => {
      this.eq(`${p}.domain`, x.domain, y.domain);
      this.eq(`${p}.version`, x.version, y.version);
    });
    this.eq('producerName', a.producerName, b.producerName);
    this.eq('producerVersion', a.producerVersion, b.producerVersion);
    this.eq('domain', a.domain, b.domain);
    this.eq('modelVersion', a.modelVersion, b.modelVersion);
    this.eq('docString', a.docString, b.docString);
    this.list('metadata', a.metadata, b.metadata, (p, x, y) => {
      this.eq(`${p}.key`, x.key, y.key);
      this.eq(`${p}.value`, x.value, y.value);
    });
    this.graph(a.graph, b.graph, 'graph');
    this.list('functions', a.functions, b.functions, (p, x, y) => this.func(x, y, p));
  }

  private valueInfos(path: string, xs: readonly ValueInfo[], ys: readonly ValueInfo[]): void {
    this.list(path, xs, ys, (p, x, y) => {
      this.eq(`${p}.name`, x.name, y.name);
      this.eq(`${p}(${x.name}).type`, formatValueType(x.type) ?? null, formatValueType(y.type) ?? null);
    });
  }

  graph(a: Graph, b: Graph, path: string): void {
    this.eq(`${path}.name`, a.name, b.name);
    this.valueInfos(`${path}.inputs`, a.inputs, b.inputs);
    this.valueInfos(`${path}.outputs`, a.outputs, b.outputs);
    this.valueInfos(`${path}.valueInfo`, a.valueInfo, b.valueInfo);
    // Initializers that are inputs are written with the inputs, so the text may reorder them: match by name.
    this.eq(`${path}.initializers.length`, a.initializers.length, b.initializers.length);
    const byName = new Map(b.initializers.map((t) => [t.name, t]));
    for (const t of a.initializers) {
      const u = byName.get(t.name);
      if (!u) throw new Difference(`${path}.initializers: '${t.name}' is missing`);
      this.tensor(`${path}.initializers(${t.name})`, t, u, 'initializer');
    }
    this.list(`${path}.nodes`, a.nodes, b.nodes, (p, x, y) => this.node(x, y, p));
  }

  private node(a: Node, b: Node, path: string): void {
    const p = `${path}(${a.name || a.opType})`;
    if (this.nodeNames) this.eq(`${p}.name`, a.name, b.name);
    this.eq(`${p}.opType`, a.opType, b.opType);
    this.eq(`${p}.domain`, a.domain, b.domain);
    this.eq(`${p}.overload`, a.overload ?? '', b.overload ?? '');
    this.list(`${p}.inputs`, a.inputs, b.inputs, (q, x, y) => this.eq(q, x, y));
    this.list(`${p}.outputs`, a.outputs, b.outputs, (q, x, y) => this.eq(q, x, y));
    const attrs = (n: Node) => n.attributes.filter((x) => x.type !== AttrType.SPARSE_TENSOR && x.type !== AttrType.SPARSE_TENSORS);
    this.list(`${p}.attributes`, attrs(a), attrs(b), (q, x, y) => this.attribute(x, y, q));
  }

  private attribute(a: Attribute, b: Attribute, path: string): void {
    const p = `${path}(${a.name})`;
    this.eq(`${p}.name`, a.name, b.name);
    this.eq(`${p}.type`, a.type, b.type);
    this.eq(`${p}.refAttrName`, a.refAttrName, b.refAttrName);
    if (a.refAttrName !== undefined) return;
    const nums = (q: string, x: readonly number[] | undefined, y: readonly number[] | undefined) =>
      this.list(q, x ?? [], y ?? [], (r, u, v) => this.eq(r, u, v));
    const strs = (x: Uint8Array[] | undefined) => (x ?? []).map(utf8Decode);
    switch (a.type) {
      case AttrType.FLOAT: this.eq(`${p}.f`, a.f ?? 0, b.f ?? 0); break;
      case AttrType.INT: this.eq(`${p}.i`, a.i ?? 0, b.i ?? 0); break;
      case AttrType.STRING: this.eq(`${p}.s`, strs(a.s ? [a.s] : [])[0] ?? '', strs(b.s ? [b.s] : [])[0] ?? ''); break;
      case AttrType.FLOATS: nums(`${p}.floats`, a.floats, b.floats); break;
      case AttrType.INTS: nums(`${p}.ints`, a.ints, b.ints); break;
      case AttrType.STRINGS: this.list(`${p}.strings`, strs(a.strings), strs(b.strings), (q, x, y) => this.eq(q, x, y)); break;
      case AttrType.TENSOR: this.tensor(`${p}.t`, a.t!, b.t!, 'attribute'); break;
      case AttrType.TENSORS: this.list(`${p}.tensors`, a.tensors ?? [], b.tensors ?? [], (q, x, y) => this.tensor(q, x, y, 'attribute')); break;
      case AttrType.GRAPH: this.graph(a.g!, b.g!, `${p}.g`); break;
      case AttrType.GRAPHS: this.list(`${p}.graphs`, a.graphs ?? [], b.graphs ?? [], (q, x, y) => this.graph(x, y, q)); break;
      case AttrType.TYPE_PROTO: this.eq(`${p}.tp`, formatValueType(a.tp ?? null) ?? null, formatValueType(b.tp ?? null) ?? null); break;
      case AttrType.TYPE_PROTOS:
        this.list(`${p}.tps`, a.tps ?? [], b.tps ?? [], (q, x, y) => this.eq(q, formatValueType(x) ?? null, formatValueType(y) ?? null));
        break;
    }
  }

  /** Name (where the syntax can write it), element type, dims, and the values when printModel shows them. */
  private tensor(path: string, a: Tensor, b: Tensor, role: 'initializer' | 'attribute'): void {
    if (role === 'initializer' || isSafeBareName(a.name) || a.name === '') this.eq(`${path}.name`, a.name, b.name);
    this.eq(`${path}.dataType`, a.dataType, b.dataType);
    this.eq(`${path}.dims`, a.dims.join(','), b.dims.join(','));
    if (!printsTensorData(a, role)) return;
    const x = tensorValues(a);
    const y = tensorValues(b);
    if (!x || !y) throw new Difference(`${path}: values ${x ? 'present' : 'missing'} vs ${y ? 'present' : 'missing'}`);
    this.list(`${path}.values`, x as (number | string)[], y as (number | string)[], (q, u, v) => this.eq(q, u, v));
  }

  private func(a: FunctionDef, b: FunctionDef, path: string): void {
    const p = `${path}(${a.name})`;
    this.eq(`${p}.name`, a.name, b.name);
    this.eq(`${p}.domain`, a.domain, b.domain);
    this.eq(`${p}.overload`, a.overload ?? '', b.overload ?? '');
    this.list(`${p}.inputs`, a.inputs, b.inputs, (q, x, y) => this.eq(q, x, y));
    this.list(`${p}.outputs`, a.outputs, b.outputs, (q, x, y) => this.eq(q, x, y));
    this.list(`${p}.attributes`, a.attributes, b.attributes, (q, x, y) => this.eq(q, x, y));
    this.list(`${p}.attributeProtos`, a.attributeProtos, b.attributeProtos, (q, x, y) => this.attribute(x, y, q));
    this.list(`${p}.opsetImports`, a.opsetImports, b.opsetImports, (q, x, y) => {
      this.eq(`${q}.domain`, x.domain, y.domain);
      this.eq(`${q}.version`, x.version, y.version);
    });
    this.valueInfos(`${p}.valueInfo`, a.valueInfo, b.valueInfo);
    this.list(`${p}.nodes`, a.nodes, b.nodes, (q, x, y) => this.node(x, y, q));
  }
}
