// The exact search's view of a problem: buffers over a compressed time axis of sections, with overlap lists.

/**
 * Buffers by index, all of positive size. Time is cut into sections (maximal spans over which the set of
 * live buffers does not change); a buffer covers sections [sectionLo, sectionHi).
 */
export interface SearchInstance {
  count: number;
  /** Aligned sizes; every one is a multiple of `granularity`. */
  size: Float64Array;
  /** Lifetime length in original time units (for ordering heuristics). */
  length: Float64Array;
  sectionLo: Int32Array;
  sectionHi: Int32Array;
  sectionCount: number;
  /** CSR lists: the buffers overlapping buffer i in time are overlapList[overlapStart[i] .. overlapStart[i+1]). */
  overlapStart: Int32Array;
  overlapList: Int32Array;
  /** CSR lists: the buffers live in section s are sectionList[sectionStart[s] .. sectionStart[s+1]). */
  sectionStart: Int32Array;
  sectionList: Int32Array;
  /** Initial total size live in each section. */
  sectionTotal: Float64Array;
  /** gcd of all sizes: the arena of a canonical placement is a sum of sizes, so capacities step by it. */
  granularity: number;
  /** Largest section total: no arena can be lower. */
  lowerBound: number;
}

/** Beyond this many overlap-list entries or section memberships, building and searching would take too long. */
export const MAX_INSTANCE_ENTRIES = 8_000_000;

/**
 * Builds the instance from half-open lifetimes [start, end) (end > start) and positive sizes. Returns
 * undefined when the overlap graph is too large to search (millions of pairs).
 */
export function searchInstance(start: ArrayLike<number>, end: ArrayLike<number>, size: ArrayLike<number>): SearchInstance | undefined {
  const n = size.length;
  // Compress time to the distinct event points: the instances' times can be in the millions.
  const points = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    points[2 * i] = start[i];
    points[2 * i + 1] = end[i];
  }
  points.sort();
  let distinct = 0;
  for (let k = 0; k < points.length; k++) if (k === 0 || points[k] !== points[k - 1]) points[distinct++] = points[k];
  const sectionCount = Math.max(0, distinct - 1);
  const indexOf = (t: number): number => {
    let a = 0;
    let b = distinct - 1;
    while (a < b) {
      const m = (a + b) >> 1;
      if (points[m] < t) a = m + 1;
      else b = m;
    }
    return a;
  };
  const sectionLo = new Int32Array(n);
  const sectionHi = new Int32Array(n);
  const sizes = new Float64Array(n);
  const length = new Float64Array(n);
  let granularity = 0;
  let memberships = 0;
  for (let i = 0; i < n; i++) {
    sectionLo[i] = indexOf(start[i]);
    sectionHi[i] = indexOf(end[i]);
    sizes[i] = size[i];
    length[i] = end[i] - start[i];
    granularity = gcd(granularity, size[i]);
    memberships += sectionHi[i] - sectionLo[i];
  }
  if (memberships > MAX_INSTANCE_ENTRIES) return undefined;

  const sectionStart = new Int32Array(sectionCount + 1);
  for (let i = 0; i < n; i++) for (let s = sectionLo[i]; s < sectionHi[i]; s++) sectionStart[s + 1]++;
  for (let s = 0; s < sectionCount; s++) sectionStart[s + 1] += sectionStart[s];
  const sectionList = new Int32Array(memberships);
  const fill = sectionStart.slice(0, sectionCount);
  const sectionTotal = new Float64Array(sectionCount);
  for (let i = 0; i < n; i++) {
    for (let s = sectionLo[i]; s < sectionHi[i]; s++) {
      sectionList[fill[s]++] = i;
      sectionTotal[s] += sizes[i];
    }
  }
  let lowerBound = 0;
  for (let s = 0; s < sectionCount; s++) lowerBound = Math.max(lowerBound, sectionTotal[s]);

  // Two buffers overlap iff both live in the section where the later one starts: pair each buffer with
  // the others live in its first section, which lists every overlapping pair exactly once.
  const degree = new Int32Array(n);
  let pairs = 0;
  const forEachPair = (visit: (a: number, b: number) => void) => {
    for (let i = 0; i < n; i++) {
      const s = sectionLo[i];
      for (let k = sectionStart[s]; k < sectionStart[s + 1]; k++) {
        const j = sectionList[k];
        // j starts strictly earlier than i, or at the same section with a lower index: each pair once.
        if (sectionLo[j] < s || (sectionLo[j] === s && j < i)) visit(i, j);
      }
    }
  };
  forEachPair((a, b) => {
    degree[a]++;
    degree[b]++;
    pairs++;
  });
  if (2 * pairs > MAX_INSTANCE_ENTRIES) return undefined;
  const overlapStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) overlapStart[i + 1] = overlapStart[i] + degree[i];
  const overlapList = new Int32Array(2 * pairs);
  const next = overlapStart.slice(0, n);
  forEachPair((a, b) => {
    overlapList[next[a]++] = b;
    overlapList[next[b]++] = a;
  });

  return {
    count: n,
    size: sizes,
    length,
    sectionLo,
    sectionHi,
    sectionCount,
    overlapStart,
    overlapList,
    sectionStart,
    sectionList,
    sectionTotal,
    granularity: Math.max(1, granularity),
    lowerBound,
  };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
