// The arguments `memplan plan` and `memplan pack` share: one file, --json, --strategy, --time-limit.
import { isStrategyName } from './core/memory/strategies';
import type { StrategyName } from './core/memory/types';

export interface PlanningArgs {
  file?: string;
  json: boolean;
  strategy?: StrategyName;
  timeLimitMs?: number;
  errors: string[];
}

/** Parses `FILE [--json] [--strategy S] [--time-limit SECONDS]`; `what` names the file in messages. */
export function parsePlanningArgs(args: string[], command: string, what: string, usage: string): PlanningArgs {
  const out: PlanningArgs = { json: false, errors: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = () => (eq > 0 ? a.slice(eq + 1) : args[++i]);
    if (flag === '--json') out.json = true;
    else if (flag === '--strategy') {
      const s = value();
      if (s !== undefined && isStrategyName(s)) out.strategy = s;
      else out.errors.push(`--strategy ${s === undefined ? 'needs a value' : `"${s}"`}: expected reuse, fastest, packed or optimal`);
    } else if (flag === '--time-limit') {
      const s = value();
      const seconds = Number(s);
      if (s === undefined || s.trim() === '' || !(seconds > 0) || !Number.isFinite(seconds)) out.errors.push(`--time-limit ${s === undefined ? 'needs a value' : `"${s}"`}: expected a positive number of seconds`);
      else out.timeLimitMs = seconds * 1000;
    } else if (flag.startsWith('--')) out.errors.push(`unknown option ${flag} (${command} takes --strategy, --time-limit, --json)`);
    else if (out.file === undefined) out.file = a;
    else out.errors.push(`${command} takes one ${what}, got another: ${a}`);
  }
  if (out.file === undefined) out.errors.push(`${command} expects a ${what}: ${usage}`);
  return out;
}
