// Which tensors are live at the same step: a sweep over lifetimes that lists every overlapping pair.
import { endStep } from './lowerBound';
import { column, sortIndices } from './sortIndices';
import type { TensorLifetime } from './types';

/**
 * The overlap graph in compressed form: the neighbors of tensor i are `list[start[i] .. start[i + 1])`.
 * Typed arrays rather than arrays of arrays, because a 10,000-tensor device can have a million pairs.
 */
export interface OverlapGraph {
  start: Int32Array;
  list: Int32Array;
}

/**
 * For each tensor (by index), the tensors whose lifetimes share at least one step with it. Cost is
 * O(n log n + pairs): a tensor is compared only with those still live when it starts. Two passes over the
 * same sweep — count, then fill — so that the result is allocated once.
 */
export function overlapGraph(tensors: readonly TensorLifetime[]): OverlapGraph {
  const n = tensors.length;
  const first = column(tensors, (t) => t.firstStep);
  const last = column(tensors, endStep);
  const byStart = sortIndices(first);
  const degree = new Int32Array(n);
  sweep((i, j) => {
    degree[i]++;
    degree[j]++;
  });
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i] + degree[i];
  const list = new Int32Array(start[n]);
  const fill = start.slice(0, n);
  sweep((i, j) => {
    list[fill[i]++] = j;
    list[fill[j]++] = i;
  });
  return { start, list };

  function sweep(pair: (i: number, j: number) => void): void {
    const active = new Int32Array(n);
    let live = 0;
    for (let k = 0; k < n; k++) {
      const i = byStart[k];
      const from = first[i];
      // Drop tensors that ended before this one starts, compacting in place.
      let kept = 0;
      for (let a = 0; a < live; a++) {
        const j = active[a];
        if (last[j] >= from) {
          active[kept++] = j;
          pair(i, j);
        }
      }
      active[kept++] = i;
      live = kept;
    }
  }
}
