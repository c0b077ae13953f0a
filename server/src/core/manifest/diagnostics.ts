// Diagnostics of the manifest: plain values with a severity, a message and the range they concern.
import type { SourceRange } from '../device';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Diagnostic {
  severity: Severity;
  message: string;
  range: SourceRange;
  /** Stable identifier of the kind of problem, e.g. `syntax`, `unknown-device`, `unknown-op`. */
  code?: string;
  /** Texts that could replace `range` to fix the problem (did-you-mean), best first; for quick fixes. */
  replacements?: string[];
}

export function diagnostic(
  severity: Severity,
  message: string,
  range: SourceRange,
  code?: string,
  replacements?: string[],
): Diagnostic {
  const d: Diagnostic = { severity, message, range };
  if (code) d.code = code;
  if (replacements && replacements.length) d.replacements = replacements;
  return d;
}

/** Sorts by position (line, then column), keeping the order of equal positions. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.range.line - b.d.range.line || a.d.range.character - b.d.range.character || a.i - b.i)
    .map((x) => x.d);
}
