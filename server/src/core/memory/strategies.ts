// The table of memory strategies, and `planMemory`, which runs one and checks its plan before anyone sees it.
import { fastestStrategy } from './fastestStrategy';
import { optimalStrategy } from './optimalStrategy';
import { packedStrategy } from './packedStrategy';
import { reuseStrategy } from './reuseStrategy';
import type { MemoryPlan, MemoryProblem, StrategyName } from './types';
import { verifyPlan } from './verifier';
import { planWithInplaceChains } from './inplaceChains';

export type Strategy = (problem: MemoryProblem) => MemoryPlan;

export const strategies: Record<StrategyName, Strategy> = {
  reuse: reuseStrategy,
  fastest: fastestStrategy,
  // Offset strategies pack in-place chains as single buffers (see inplaceChains.ts).
  packed: (problem) => bestOf(planWithInplaceChains(problem, packedStrategy), reuseStrategy(problem), 'packed'),
  // The exact search starts from the packed plan: an upper bound to beat, and the answer if time runs out.
  optimal: (problem) => {
    const packed = strategies.packed(problem);
    const optimal = planWithInplaceChains(problem, (p) => optimalStrategy(p, packedStrategy(p)));
    return optimal.arenaBytes <= packed.arenaBytes ? optimal : { ...packed, strategy: 'optimal', proven: packed.arenaBytes <= packed.lowerBoundBytes };
  },
};

/** The lower arena of two valid plans, labelled with the strategy that chose it. */
function bestOf(a: MemoryPlan, b: MemoryPlan, strategy: StrategyName): MemoryPlan {
  return { ...(b.arenaBytes < a.arenaBytes ? b : a), strategy };
}

export const strategyNames = Object.keys(strategies) as StrategyName[];

export function isStrategyName(name: string): name is StrategyName {
  return Object.prototype.hasOwnProperty.call(strategies, name);
}

/** Plans a device's memory with `strategy`; throws (a bug) if the plan breaks a rule of SPEC §3. */
export function planMemory(problem: MemoryProblem, strategy: StrategyName): MemoryPlan {
  return verifyPlan(problem, strategies[strategy](problem));
}
