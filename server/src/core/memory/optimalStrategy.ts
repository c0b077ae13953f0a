// The `optimal` strategy: exact search for the lowest arena under a time limit, never worse than its seed.
import { alignUp, endStep, lowerBound } from './lowerBound';
import { type SearchInstance, searchInstance } from './optimalInstance';
import { CanonicalSearch, type Preordering } from './optimalSearch';
import type { MemoryBlock, MemoryPlan, MemoryProblem, Placement } from './types';

/** SPEC §3: 2 s per device unless the problem says otherwise. */
export const DEFAULT_TIME_LIMIT_MS = 2000;

/**
 * Plans `problem` with the lowest arena the search can find in `problem.timeLimitMs`. `seed` is the best
 * plan known so far (the `packed` one): it is returned when nothing better turns up. `proven` is set only
 * when no lower arena exists: the arena equals the lower bound, or the search ruled out everything below.
 * In-place candidates are ignored: every tensor gets bytes of its own for its whole lifetime.
 */
export function optimalStrategy(problem: MemoryProblem, seed?: MemoryPlan): MemoryPlan {
  const deadline = performance.now() + (problem.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS);
  const { tensors } = problem;
  const bound = lowerBound(problem);
  const sizes = tensors.map((t) => alignUp(t.sizeBytes, problem.alignBytes));
  const seedHeight = seed ? validSeedHeight(problem, seed, sizes) : undefined;
  // The seed keeps its placements (and any in-place sharing) when the search cannot beat it.
  const seedPlan = (proven: boolean) => toPlan(problem, sizes, seed!.placements, seedHeight!, bound, proven);
  if (seedHeight !== undefined && seedHeight <= bound) return seedPlan(true);

  // Zero-size tensors take no bytes; they sit at offset 0 outside the search.
  const live = tensors.flatMap((_, i) => (sizes[i] > 0 ? [i] : []));
  const inst = searchInstance(
    live.map((i) => tensors[i].firstStep),
    live.map((i) => endStep(tensors[i]) + 1),
    live.map((i) => sizes[i]),
  );
  const offsets = new Float64Array(tensors.length);
  if (!inst) {
    // Too large to search: the seed, or else a plain greedy placement.
    if (seedHeight !== undefined) return seedPlan(false);
    const placed = greedyWithoutInstance(problem, sizes);
    let height = 0;
    tensors.forEach((_, i) => (height = Math.max(height, placed[i] + sizes[i])));
    return ownPlan(placed, height, height <= bound);
  }
  let start: Float64Array;
  let startHeight: number;
  if (seed && seedHeight !== undefined) {
    const offsetOf = new Map(seed.placements.map((p) => [p.name, p.offset]));
    start = Float64Array.from(live, (i) => offsetOf.get(tensors[i].name)!);
    startHeight = seedHeight;
  } else {
    start = greedy(inst);
    startHeight = heightOf(inst, start);
  }
  const result = minimizeHeight(inst, start, startHeight, deadline);
  if (seedHeight !== undefined && seedHeight <= result.height) return seedPlan(result.proven);
  live.forEach((i, k) => (offsets[i] = result.offsets[k]));
  return ownPlan(offsets, result.height, result.proven);

  function ownPlan(at: Float64Array, height: number, proven: boolean): MemoryPlan {
    const placements: Placement[] = tensors.map((t, i) => ({ name: t.name, offset: at[i], block: i }));
    return toPlan(problem, sizes, placements, height, bound, proven || height <= bound);
  }
}

interface Minimized {
  offsets: Float64Array;
  height: number;
  proven: boolean;
}

/**
 * MiniMalloc's three preorderings: an instance hard under one order is often easy under another, so
 * rounds cycle through them (see Preordering for the letters).
 */
const PREORDERINGS: readonly Preordering[] = ['WAT', 'TAW', 'TWA'];

/**
 * Lowers the arena from `startHeight` with decisions "fits under C?". Each round doubles the node
 * budget. It first asks, under each preordering, for the lower bound itself: a yes ends the search
 * with a proof, an exhausted search raises the bound by one step (MiniMalloc's round robin). The lower
 * bound goes first because on most real and benchmark problems it is reachable, and only a direct
 * attempt finds such tight packings. Then, with as many nodes again, it tries to undercut the best
 * arena, aiming closer to it after each attempt that runs out of budget.
 */
function minimizeHeight(inst: SearchInstance, startOffsets: Float64Array, startHeight: number, deadline: number): Minimized {
  const step = inst.granularity;
  let lo = inst.lowerBound;
  let hi = startHeight;
  let best = startOffsets;
  if (hi <= lo || inst.count === 0) return { offsets: best, height: hi, proven: true };
  const search = new CanonicalSearch(inst);
  const roundDown = (x: number) => Math.floor(x / step) * step;
  const timeLeft = () => performance.now() < deadline;
  /** Runs one decision; returns the nodes it used. */
  const attempt = (capacity: number, preordering: Preordering, nodeLimit: number): number => {
    const outcome = search.decide(capacity, preordering, nodeLimit, deadline);
    if (outcome === 'found') {
      const h = heightOf(inst, search.solution);
      if (h < hi) {
        hi = h;
        best = search.solution.slice();
      }
    } else if (outcome === 'infeasible') {
      // A proof: nothing fits under capacity, so no arena below capacity + step exists.
      lo = Math.max(lo, capacity + step);
    } else {
      aborted = true;
    }
    return search.nodes;
  };
  let aborted = false;
  let nodeLimit = Math.max(64, inst.count);
  let turn = 0;
  while (lo < hi && timeLeft()) {
    nodeLimit *= 2;
    let spent = 0;
    for (const preordering of PREORDERINGS) {
      if (lo >= hi || !timeLeft()) break;
      spent += attempt(lo, preordering, nodeLimit);
    }
    // Undercut the best arena, with about as many nodes as the lower bound just had.
    let cut = Math.max(step, roundDown((hi - lo) / 2));
    let budget = spent;
    while (lo < hi && budget > 0 && timeLeft()) {
      cut = Math.min(cut, hi - lo);
      aborted = false;
      budget -= attempt(hi - cut, PREORDERINGS[turn++ % PREORDERINGS.length], Math.min(nodeLimit, budget));
      if (aborted) {
        if (cut === step) break;
        cut = Math.max(step, roundDown(cut / 4));
      }
    }
  }
  return { offsets: best, height: hi, proven: lo >= hi };
}

/** First fit at the lowest offset, in order of decreasing size (then longer lifetime): a start point. */
function greedy(inst: SearchInstance): Float64Array {
  const { count, size, length, overlapStart, overlapList } = inst;
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => size[b] - size[a] || length[b] - length[a] || a - b);
  const offsets = new Float64Array(count);
  const placed = new Uint8Array(count);
  const busy: Array<[number, number]> = [];
  for (const i of order) {
    busy.length = 0;
    for (let e = overlapStart[i]; e < overlapStart[i + 1]; e++) {
      const j = overlapList[e];
      if (placed[j]) busy.push([offsets[j], offsets[j] + size[j]]);
    }
    offsets[i] = lowestGap(busy, size[i]);
    placed[i] = 1;
  }
  return offsets;
}

/** Lowest offset where `size` bytes fit between the busy ranges. */
function lowestGap(busy: Array<[number, number]>, size: number): number {
  busy.sort((a, b) => a[0] - b[0]);
  let offset = 0;
  for (const [from, to] of busy) {
    if (from >= offset + size) break;
    if (to > offset) offset = to;
  }
  return offset;
}

/** For problems too large for the search's tables: the same greedy, with overlaps found by scanning. */
function greedyWithoutInstance(problem: MemoryProblem, sizes: number[]): Float64Array {
  const ts = problem.tensors;
  const order = ts.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const offsets = new Float64Array(ts.length);
  const done: number[] = [];
  for (const i of order) {
    if (sizes[i] === 0) continue;
    const busy: Array<[number, number]> = [];
    for (const j of done) {
      if (ts[j].firstStep <= endStep(ts[i]) && ts[i].firstStep <= endStep(ts[j])) busy.push([offsets[j], offsets[j] + sizes[j]]);
    }
    offsets[i] = lowestGap(busy, sizes[i]);
    done.push(i);
  }
  return offsets;
}

function heightOf(inst: SearchInstance, offsets: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < inst.count; i++) h = Math.max(h, offsets[i] + inst.size[i]);
  return h;
}

/**
 * The seed's arena if the seed places every tensor at an aligned offset without unsanctioned sharing,
 * else undefined (a broken seed must not leak into this plan).
 */
function validSeedHeight(problem: MemoryProblem, seed: MemoryPlan, sizes: number[]): number | undefined {
  const align = Math.max(1, problem.alignBytes);
  const byName = new Map(seed.placements.map((p) => [p.name, p]));
  const ts = problem.tensors;
  let height = 0;
  for (let i = 0; i < ts.length; i++) {
    const p = byName.get(ts[i].name);
    if (!p || !Number.isInteger(p.offset) || p.offset < 0 || p.offset % align !== 0) return undefined;
    height = Math.max(height, p.offset + sizes[i]);
  }
  const order = ts.map((_, i) => i).filter((i) => sizes[i] > 0).sort((a, b) => ts[a].firstStep - ts[b].firstStep);
  let active: number[] = [];
  for (const i of order) {
    const pi = byName.get(ts[i].name)!;
    active = active.filter((j) => endStep(ts[j]) >= ts[i].firstStep);
    for (const j of active) {
      const pj = byName.get(ts[j].name)!;
      if (pi.offset >= pj.offset + sizes[j] || pj.offset >= pi.offset + sizes[i]) continue;
      // Claim 15: an output written over its input shares bytes with it at the one step they meet.
      const inplace =
        (pi.inplaceOf === ts[j].name && endStep(ts[j]) === ts[i].firstStep) ||
        (pj.inplaceOf === ts[i].name && endStep(ts[i]) === ts[j].firstStep);
      if (!inplace) return undefined;
    }
    active.push(i);
  }
  return height;
}

/** One block per tensor (id = tensor index), as the search assigns offsets tensor by tensor. */
function toPlan(
  problem: MemoryProblem,
  sizes: number[],
  placements: readonly Placement[],
  arenaBytes: number,
  lowerBoundBytes: number,
  proven: boolean,
): MemoryPlan {
  const offsetOf = new Map(placements.map((p) => [p.name, p]));
  const blocks: MemoryBlock[] = [];
  const out: Placement[] = problem.tensors.map((t, i) => {
    const p = offsetOf.get(t.name)!;
    blocks.push({ id: i, offset: p.offset, sizeBytes: sizes[i] });
    return p.inplaceOf === undefined ? { name: t.name, offset: p.offset, block: i } : { name: t.name, offset: p.offset, block: i, inplaceOf: p.inplaceOf };
  });
  return { strategy: 'optimal', arenaBytes: Math.max(0, arenaBytes), lowerBoundBytes, placements: out, blocks, proven };
}
