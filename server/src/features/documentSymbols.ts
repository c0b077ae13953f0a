// The outline of a manifest: the model, devices with their computing units, priority and placements.
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver';
import { formatBytes } from '../core/format';
import type { SourceRange } from '../core/device';
import type { ManifestIndex } from './manifestIndex';
import { toRange } from './ranges';

function symbol(name: string, kind: SymbolKind, range: SourceRange, selection: SourceRange, detail?: string, children?: DocumentSymbol[]): DocumentSymbol {
  // LSP requires the selection inside the range; a recovered statement can have odd ranges, so clamp.
  const r = toRange(range);
  let sel = toRange(selection);
  const inside = (a: typeof r.start) => (a.line > r.start.line || (a.line === r.start.line && a.character >= r.start.character)) && (a.line < r.end.line || (a.line === r.end.line && a.character <= r.end.character));
  if (!inside(sel.start) || !inside(sel.end)) sel = { start: r.start, end: r.start };
  return { name: name || '?', kind, range: r, selectionRange: sel, detail, children };
}

export function manifestSymbols(index: ManifestIndex): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const s of index.ast.statements) {
    switch (s.kind) {
      case 'model':
        out.push(symbol(s.path?.text ?? 'model', SymbolKind.File, s.range, s.path?.range ?? s.keywordRange, 'model'));
        break;
      case 'input':
        if (s.name) out.push(symbol(s.name.text, SymbolKind.Variable, s.range, s.name.range, s.dims ? `[${s.dims.map((d) => d.value).join(', ')}]` : 'input'));
        break;
      case 'dim':
        if (s.name) out.push(symbol(s.name.text, SymbolKind.TypeParameter, s.range, s.name.range, s.value ? `= ${s.value.value}` : 'dim'));
        break;
      case 'device': {
        const mem = s.properties.find((p) => p.kind === 'memory');
        const detail = [s.deviceKind, mem?.kind === 'memory' && mem.size?.unit === 'bytes' ? formatBytes(mem.size.bytes) : undefined].filter(Boolean).join(' · ');
        const units = s.units.map((u) => symbol(u.name, SymbolKind.Method, u.range, u.nameRange, u.count ? `×${u.count.value}` : 'unit'));
        out.push(symbol(s.name, SymbolKind.Class, s.range, s.nameRange, detail, units));
        break;
      }
      case 'priority':
        out.push(symbol('priority', SymbolKind.Array, s.range, s.keywordRange, s.devices.map((d) => d.text).join(', ')));
        break;
      case 'place': {
        const what = s.byOp ? s.ops.map((o) => o.text) : s.nodes.map((n) => n.text);
        out.push(symbol(`place ${s.byOp ? 'op ' : ''}${what.join(', ')}`, SymbolKind.Event, s.range, s.keywordRange, s.device ? `on ${s.device.text}` : undefined));
        break;
      }
      default:
        break;
    }
  }
  return out;
}
