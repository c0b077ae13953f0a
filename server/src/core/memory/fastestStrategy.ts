// The `fastest` strategy: the reuse method, but reusing a block only where the graph already orders the two units.
import { runBlockReuse } from './reuseStrategy';
import type { MemoryPlan, MemoryProblem, TensorLifetime } from './types';

/**
 * Which steps precede which, transitively. Reusing the block of tensor P for tensor T makes T's producer
 * wait for every reader of P; if those readers already precede T's producer in the graph, the reuse adds
 * no ordering, so units on different computing units can still run concurrently.
 */
export interface StepOrder {
  /** True when step `a` must finish before step `b` starts (a is a strict ancestor of b). */
  precedes(a: number, b: number): boolean;
}

/** Without deps the steps form a chain 0→1→2→…, so every earlier step precedes every later one. */
const chain: StepOrder = { precedes: (a, b) => a < b };

/**
 * Ancestor sets as bitsets, built in one pass over the steps in order (deps point backwards in a valid
 * schedule). Edges implied by the tensors themselves (producer → reader) are added: a reader always waits
 * for the tensor it reads.
 */
export function stepOrder(problem: MemoryProblem): StepOrder {
  const deps = problem.deps;
  if (!deps) return chain;
  const count = Math.max(problem.stepCount, deps.length);
  const parents: number[][] = Array.from({ length: count }, (_, s) => [...(deps[s] ?? [])]);
  for (const t of problem.tensors) {
    if (t.producerStep < 0) continue;
    for (const r of t.readerSteps) if (r > t.producerStep && r < count) parents[r].push(t.producerStep);
  }
  const words = (count + 31) >>> 5;
  const ancestors = new Uint32Array(count * words);
  for (let s = 0; s < count; s++) {
    const row = s * words;
    for (const p of parents[s]) {
      // A dependency on a later step would mean the schedule is not topological; ignore it rather than loop.
      if (p < 0 || p >= s) continue;
      ancestors[row + (p >>> 5)] |= 1 << (p & 31);
      const prow = p * words;
      for (let w = 0; w < words; w++) ancestors[row + w] |= ancestors[prow + w];
    }
  }
  return {
    precedes(a, b) {
      if (a < 0) return b >= 0; // present before step 0: before everything
      if (b < 0 || a >= count || b >= count) return a < b;
      return (ancestors[b * words + (a >>> 5)] & (1 << (a & 31))) !== 0;
    },
  };
}

/** May `next` take the block `previous` held without ordering units the graph leaves concurrent? */
export function reuseAddsNoOrdering(order: StepOrder, previous: TensorLifetime, next: TensorLifetime): boolean {
  // Every reader of the previous tensor must precede the new tensor's producer; with no readers, its
  // producer must (someone wrote it, and the write must be over).
  const before = previous.readerSteps.length ? previous.readerSteps : [previous.producerStep];
  return before.every((s) => order.precedes(s, next.producerStep));
}

export function fastestStrategy(problem: MemoryProblem): MemoryPlan {
  const order = stepOrder(problem);
  return runBlockReuse(problem, 'fastest', (previous, next) => reuseAddsNoOrdering(order, previous, next)).plan;
}
