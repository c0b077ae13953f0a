// The memory planner's rules, walked on small hand-built problems: the patent's example, in place, graph outputs, the verifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignUp, livePeak, lowerBound } from '../../server/src/core/memory/lowerBound';
import { reuseStrategy, reuseTrace } from '../../server/src/core/memory/reuseStrategy';
import { fastestStrategy } from '../../server/src/core/memory/fastestStrategy';
import { packedStrategy } from '../../server/src/core/memory/packedStrategy';
import { planViolations, verifyPlan } from '../../server/src/core/memory/verifier';
import type { MemoryPlan, MemoryProblem, TensorLifetime } from '../../server/src/core/memory/types';

function tensor(name: string, sizeBytes: number, producerStep: number, readerSteps: number[], extra: Partial<TensorLifetime> = {}): TensorLifetime {
  const firstStep = Math.max(0, producerStep);
  return { name, sizeBytes, firstStep, lastStep: Math.max(firstStep, ...readerSteps), producerStep, readerSteps, isGraphOutput: false, ...extra };
}

/**
 * Figure 4 of the patent: the sub-function's input x feeds operator 1; operator 1's output is read by
 * operators 2 and 3 (its use count is 2); operator 2 feeds operator 4; operators 3 and 4 give the outputs.
 * Depth-first execution order: op1, op2, op3, op4 = steps 0..3.
 */
function figure4(): MemoryProblem {
  return {
    stepCount: 4,
    alignBytes: 1,
    tensors: [
      tensor('x', 100, -1, [0]),
      tensor('t1', 100, 0, [1, 2]),
      tensor('t2', 50, 1, [3]),
      tensor('t3', 80, 2, [], { lastStep: 3, isGraphOutput: true }),
      tensor('t4', 100, 3, [], { lastStep: 3, isGraphOutput: true }),
    ],
  };
}

test('reuse walks the patent example: use counts, free blocks, reuse of the smallest sufficient block', () => {
  const { plan, trace } = reuseTrace(figure4());
  const view = trace.map((s) => ({ step: s.step, placed: s.placed.map((p) => `${p.tensor}→${p.block}${p.reused ? ' reused' : ''}`), blocks: s.blocks.map((b) => `${b.holder}:${b.useCount}${b.free ? ' free' : ''}`) }));
  assert.deepEqual(view, [
    // x (count 1) opens block 0; t1 cannot take it (count 1, x is read by this very step) and opens block 1
    // with count 2; after op1 runs, x's count drops to 0 and block 0 is free.
    { step: 0, placed: ['x→0', 't1→1'], blocks: ['x:0 free', 't1:2'] },
    // t2 (50 B) takes free block 0 (100 B suffices); op2 has read t1 once.
    { step: 1, placed: ['t2→0 reused'], blocks: ['t2:1', 't1:1'] },
    // No block has count 0: t3 opens block 2. op3 reads t1 for the last time: block 1 is free.
    { step: 2, placed: ['t3→2'], blocks: ['t2:1', 't1:0 free', 't3:0'] },
    // t4 takes block 1; t2's last reader runs. t3 and t4 are graph outputs and stay.
    { step: 3, placed: ['t4→1 reused'], blocks: ['t2:0 free', 't4:0', 't3:0'] },
  ]);
  // Blocks are laid out one after another: 100 + 100 + 80.
  assert.deepEqual(plan.blocks, [
    { id: 0, offset: 0, sizeBytes: 100 },
    { id: 1, offset: 100, sizeBytes: 100 },
    { id: 2, offset: 200, sizeBytes: 80 },
  ]);
  assert.equal(plan.arenaBytes, 280);
  assert.equal(plan.lowerBoundBytes, 230); // t1 + t2 + t3 at step 2
  verifyPlan(figure4(), plan);
});

test('reuse picks the smallest free block that suffices, and opens a new one when none does', () => {
  const problem: MemoryProblem = {
    stepCount: 4,
    alignBytes: 1,
    tensors: [
      tensor('big', 300, 0, [1]),
      tensor('small', 120, 0, [1]),
      tensor('mid', 100, 2, [3]), // both are free at step 2: takes `small` (120), not `big` (300)
      tensor('huge', 400, 2, [3]), // larger than every free block: a new block
    ],
  };
  const plan = reuseStrategy(problem);
  const block = (n: string) => plan.placements.find((p) => p.name === n)!.block;
  assert.equal(block('mid'), block('small'));
  assert.equal(block('huge'), 2);
  assert.equal(plan.blocks.length, 3);
  verifyPlan(problem, plan);
});

test('in place (claim 15): an elementwise output takes its input block when the input dies there', () => {
  const problem: MemoryProblem = {
    stepCount: 3,
    alignBytes: 64,
    tensors: [
      tensor('x', 1000, 0, [1]),
      tensor('relu', 1000, 1, [2], { inplaceCandidates: ['x'] }),
      tensor('y', 1000, 2, [], { lastStep: 2, isGraphOutput: true, inplaceCandidates: ['relu'] }),
    ],
  };
  const plan = reuseStrategy(problem);
  const at = (n: string) => plan.placements.find((p) => p.name === n)!;
  assert.equal(at('relu').block, at('x').block);
  assert.equal(at('relu').inplaceOf, 'x');
  assert.equal(at('y').inplaceOf, 'relu');
  assert.equal(plan.arenaBytes, 1024);
  // The lower bound counts an in-place pair once at the step they share, or it would exceed this plan.
  assert.equal(plan.lowerBoundBytes, 1024);
  verifyPlan(problem, plan);
  // With a second reader of x after step 1, x is not dead at step 1: no in place.
  const shared: MemoryProblem = { ...problem, tensors: [tensor('x', 1000, 0, [1, 2]), ...problem.tensors.slice(1)] };
  const plan2 = reuseStrategy(shared);
  assert.equal(plan2.placements.find((p) => p.name === 'relu')!.inplaceOf, undefined);
  assert.notEqual(plan2.placements.find((p) => p.name === 'relu')!.block, plan2.placements.find((p) => p.name === 'x')!.block);
  verifyPlan(shared, plan2);
  // Nor when the input is a graph output.
  const kept: MemoryProblem = { ...problem, tensors: [tensor('x', 1000, 0, [1], { isGraphOutput: true }), ...problem.tensors.slice(1)] };
  assert.equal(reuseStrategy(kept).placements.find((p) => p.name === 'relu')!.inplaceOf, undefined);
});

test('graph outputs never return to the pool', () => {
  const problem: MemoryProblem = {
    stepCount: 3,
    alignBytes: 1,
    tensors: [tensor('out', 100, 0, [1], { isGraphOutput: true }), tensor('tmp', 100, 0, [1]), tensor('late', 100, 2, [], { lastStep: 2 })],
  };
  for (const strategy of [reuseStrategy, fastestStrategy]) {
    const plan = strategy(problem);
    const at = (n: string) => plan.placements.find((p) => p.name === n)!;
    assert.notEqual(at('late').block, at('out').block, strategy.name);
    assert.equal(at('late').block, at('tmp').block, strategy.name);
  }
});

test('fastest refuses reuse between units the graph leaves concurrent, and reuses where it orders them', () => {
  // Steps 0 and 1 are independent branches (different computing units); step 2 joins them.
  const tensors = [tensor('a', 100, 0, [2]), tensor('b', 100, 1, [2]), tensor('c', 100, 2, [3]), tensor('d', 100, 3, [], { lastStep: 3 })];
  const base: MemoryProblem = { stepCount: 4, alignBytes: 1, tensors };
  // A chain (no deps): c may take nothing at step 2 (a and b are read there), d may take a's block.
  const chain = fastestStrategy(base);
  assert.equal(chain.arenaBytes, reuseStrategy(base).arenaBytes);
  // With deps: step 3 depends on 2, which depends on 0 and 1. d reusing a's block (read at 2 → 3) adds nothing.
  const deps = [[], [], [0, 1], [2]];
  const plan = fastestStrategy({ ...base, deps });
  assert.equal(plan.placements.find((p) => p.name === 'd')!.block, plan.placements.find((p) => p.name === 'a')!.block);
  // Now step 1 does not depend on step 0 and a is read at step 0 only: reusing a's block for b would order them.
  const split: MemoryProblem = { stepCount: 2, alignBytes: 1, tensors: [tensor('x', 100, -1, [0]), tensor('a', 100, 0, [], { lastStep: 0 }), tensor('b', 100, 1, [], { lastStep: 1 })], deps: [[], []] };
  const r = reuseStrategy(split);
  const f = fastestStrategy(split);
  const blockOf = (p: MemoryPlan, n: string) => p.placements.find((q) => q.name === n)!.block;
  assert.equal(blockOf(r, 'b'), blockOf(r, 'x'), 'reuse serializes the two units through memory');
  assert.notEqual(blockOf(f, 'b'), blockOf(f, 'x'), 'fastest does not');
  assert.notEqual(blockOf(f, 'b'), blockOf(f, 'a'));
  verifyPlan(split, f);
});

test('lower bound: the largest total of aligned sizes live at one step', () => {
  assert.equal(alignUp(1, 64), 64);
  assert.equal(alignUp(128, 64), 128);
  assert.equal(alignUp(7, 1), 7);
  const problem = figure4();
  assert.deepEqual(livePeak(problem), { bytes: 230, step: 2 });
  assert.equal(lowerBound({ ...problem, alignBytes: 64 }), 128 + 64 + 128);
  assert.equal(lowerBound({ tensors: [], stepCount: 0, alignBytes: 1 }), 0);
  // A tensor ending at step 1 and one starting at step 2 never meet.
  assert.equal(lowerBound({ stepCount: 3, alignBytes: 1, tensors: [tensor('p', 10, 0, [1]), tensor('q', 10, 2, [], { lastStep: 2 })] }), 10);
});

test('packed meets the lower bound on the patent example and is never worse than reuse', () => {
  const problem = figure4();
  const plan = packedStrategy(problem);
  verifyPlan(problem, plan);
  assert.equal(plan.arenaBytes, 230);
  assert.ok(plan.arenaBytes <= reuseStrategy(problem).arenaBytes);
});

test('the verifier rejects overlapping, misaligned, missing and duplicate placements', () => {
  const problem: MemoryProblem = { stepCount: 2, alignBytes: 64, tensors: [tensor('a', 64, 0, [1]), tensor('b', 64, 0, [1]), tensor('c', 64, 1, [], { lastStep: 1, inplaceCandidates: ['a'] })] };
  const plan = (placements: MemoryPlan['placements'], arenaBytes = 256): MemoryPlan => ({ strategy: 'packed', arenaBytes, lowerBoundBytes: 192, placements, blocks: [] });
  const good = plan([
    { name: 'a', offset: 0, block: 0 },
    { name: 'b', offset: 64, block: 1 },
    { name: 'c', offset: 128, block: 2 },
  ]);
  assert.deepEqual(planViolations(problem, good), []);
  const expect = (p: MemoryPlan, pattern: RegExp) => assert.throws(() => verifyPlan(problem, p), pattern);
  expect(plan([{ name: 'a', offset: 0, block: 0 }, { name: 'b', offset: 32, block: 1 }, { name: 'c', offset: 128, block: 2 }]), /'b' at offset 32 is not aligned to 64/);
  expect(plan([{ name: 'a', offset: 0, block: 0 }, { name: 'b', offset: 0, block: 1 }, { name: 'c', offset: 128, block: 2 }]), /'a'.*'b'.*live together and share bytes/);
  expect(plan([{ name: 'a', offset: 0, block: 0 }, { name: 'b', offset: 64, block: 1 }]), /'c' has no placement/);
  expect(plan([{ name: 'a', offset: 0, block: 0 }, { name: 'a', offset: 0, block: 0 }, { name: 'b', offset: 64, block: 1 }, { name: 'c', offset: 128, block: 2 }]), /'a' is placed twice/);
  expect(plan(good.placements, 128), /arena of 128 bytes is smaller than the highest tensor end, 192/);
  // c over a: allowed only when c says it was written in place over a (a ends at step 1, c begins there).
  expect(plan([{ name: 'a', offset: 0, block: 0 }, { name: 'b', offset: 64, block: 1 }, { name: 'c', offset: 0, block: 0 }]), /'a'.*'c'.*share bytes/);
  assert.deepEqual(planViolations(problem, plan([{ name: 'a', offset: 0, block: 0 }, { name: 'b', offset: 64, block: 1 }, { name: 'c', offset: 0, block: 0, inplaceOf: 'a' }])), []);
  // In place over b is not claimed: still a violation.
  expect(plan([{ name: 'a', offset: 0, block: 0 }, { name: 'b', offset: 64, block: 1 }, { name: 'c', offset: 64, block: 1, inplaceOf: 'a' }]), /'b'.*'c'.*share bytes/);
});
