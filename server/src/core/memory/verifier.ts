// Checks a plan before it is published: a plan that fails is a bug in a strategy, so this throws.
import { alignUp, endStep } from './lowerBound';
import type { MemoryPlan, MemoryProblem, Placement, TensorLifetime } from './types';

/** How many violations an error lists; the first few are enough to find the bug. */
const MAX_LISTED = 10;

/** Returns the violations (empty when the plan is sound). */
export function planViolations(problem: MemoryProblem, plan: MemoryPlan): string[] {
  const problems: string[] = [];
  const report = (message: string) => {
    if (problems.length < MAX_LISTED) problems.push(message);
  };
  const align = Math.max(1, problem.alignBytes);
  const tensors = problem.tensors;
  const byName = new Map<string, Placement>();
  for (const p of plan.placements) {
    if (byName.has(p.name)) report(`tensor '${p.name}' is placed twice`);
    byName.set(p.name, p);
  }
  const known = new Set(tensors.map((t) => t.name));
  for (const p of plan.placements) if (!known.has(p.name)) report(`placement for unknown tensor '${p.name}'`);

  let height = 0;
  const placed: Array<{ index: number; offset: number; size: number }> = [];
  tensors.forEach((t, index) => {
    const p = byName.get(t.name);
    if (!p) return report(`tensor '${t.name}' has no placement`);
    if (!Number.isInteger(p.offset) || p.offset < 0) report(`tensor '${t.name}' has offset ${p.offset}, not a non-negative integer`);
    if (p.offset % align !== 0) report(`tensor '${t.name}' at offset ${p.offset} is not aligned to ${align} bytes`);
    const size = alignUp(t.sizeBytes, problem.alignBytes);
    height = Math.max(height, p.offset + size);
    if (size > 0) placed.push({ index, offset: p.offset, size });
  });
  if (plan.arenaBytes < height) report(`arena of ${plan.arenaBytes} bytes is smaller than the highest tensor end, ${height}`);

  // Sweep over time: each tensor is compared only with those still live when it starts.
  const byStart = [...placed].sort((a, b) => tensors[a.index].firstStep - tensors[b.index].firstStep);
  let active: typeof placed = [];
  for (const x of byStart) {
    const tx = tensors[x.index];
    active = active.filter((y) => endStep(tensors[y.index]) >= tx.firstStep);
    for (const y of active) {
      if (x.offset >= y.offset + y.size || y.offset >= x.offset + x.size) continue;
      const ty = tensors[y.index];
      if (isInplacePair(tx, ty) || isInplacePair(ty, tx)) continue;
      report(
        `tensors '${ty.name}' [steps ${ty.firstStep}..${endStep(ty)}, bytes ${y.offset}..${y.offset + y.size}) and ` +
          `'${tx.name}' [steps ${tx.firstStep}..${endStep(tx)}, bytes ${x.offset}..${x.offset + x.size}) are live together and share bytes`,
      );
    }
    active.push(x);
  }
  return problems;

  /** `output` was written over `input` (claim 15): they may meet only at the step where one ends and the other begins. */
  function isInplacePair(output: TensorLifetime, input: TensorLifetime): boolean {
    return byName.get(output.name)?.inplaceOf === input.name && endStep(input) === output.firstStep;
  }
}

/** Throws an Error listing the first violations; returns the plan unchanged when it is sound. */
export function verifyPlan(problem: MemoryProblem, plan: MemoryPlan): MemoryPlan {
  const problems = planViolations(problem, plan);
  if (problems.length) throw new Error(`memory plan (${plan.strategy}) is invalid:\n  ${problems.join('\n  ')}`);
  return plan;
}
