// Conversions between the core's plain positions (SourceRange, 0-based) and LSP ranges, and position tests.
import type { Position, Range } from 'vscode-languageserver';
import type { SourceRange } from '../core/device';

export function toRange(r: SourceRange): Range {
  return { start: { line: r.line, character: r.character }, end: { line: r.endLine, character: r.endCharacter } };
}

export function lineRange(line: number, from = 0, to = from): Range {
  return { start: { line, character: from }, end: { line, character: to } };
}

/** Inclusive of both ends: a cursor just after a name is still on it (as editors expect for hover and completion). */
export function contains(r: SourceRange, p: Position): boolean {
  if (p.line < r.line || p.line > r.endLine) return false;
  if (p.line === r.line && p.character < r.character) return false;
  if (p.line === r.endLine && p.character > r.endCharacter) return false;
  return true;
}

export function before(a: SourceRange, p: Position): boolean {
  return a.endLine < p.line || (a.endLine === p.line && a.endCharacter <= p.character);
}
