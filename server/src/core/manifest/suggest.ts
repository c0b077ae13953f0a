// Did-you-mean: the closest candidate to a misspelt name by edit distance.

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), stopping early past `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Candidates close enough to `name` to be what was meant, best first: a case-only difference wins,
 * then the smallest edit distance (at most a third of the name's length, at least 1).
 */
export function suggestions(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const lower = name.toLowerCase();
  const max = Math.max(1, Math.floor(name.length / 3));
  const scored: { c: string; score: number }[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (c === name || seen.has(c)) continue;
    seen.add(c);
    // Case-insensitive distance first, the exact one breaks ties: `relu` → `Relu` beats `relu` → `Elu`.
    const d = editDistance(lower, c.toLowerCase(), max);
    if (d > max) continue;
    const score = d * 1000 + editDistance(name, c, 999);
    scored.push({ c, score });
  }
  scored.sort((a, b) => a.score - b.score || (a.c < b.c ? -1 : a.c > b.c ? 1 : 0));
  return scored.slice(0, limit).map((s) => s.c);
}

/** The best candidate, or undefined when none is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  return suggestions(name, candidates, 1)[0];
}

/** ``; did you mean `Conv`?`` or empty: appended to a message. */
export function didYouMeanText(name: string, candidates: Iterable<string>): string {
  const s = didYouMean(name, candidates);
  return s === undefined ? '' : `; did you mean \`${s}\`?`;
}
