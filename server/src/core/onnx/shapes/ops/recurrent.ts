// Recurrent layers (RNN, GRU, LSTM) in both layouts: sequence-first (0) and batch-first (1, opset 14+).
import type { Dim } from '../../model';
import type { OpTable, ShapeFn } from '../context';
import { dimDiv } from '../dims';

/** `gates`: how many gate blocks W stacks (RNN 1, GRU 3, LSTM 4), used when hidden_size is not given. */
function recurrent(gates: number): ShapeFn {
  return (ctx) => {
    const x = ctx.shape(0);
    const w = ctx.shape(1);
    const t = ctx.type(0);
    const batchFirst = ctx.attrInt('layout', 0) === 1;
    const dirs: Dim = ctx.attrString('direction') !== undefined ? (ctx.attrString('direction') === 'bidirectional' ? 2 : 1) : w?.[0] ?? 1;
    const hidden: Dim = ctx.attrInt('hidden_size') ?? (w ? dimDiv(w[1], gates) : null) ?? ctx.shape(2)?.[2] ?? null;
    const seq: Dim = x ? x[batchFirst ? 1 : 0] : null;
    const batch: Dim = x ? x[batchFirst ? 0 : 1] : null;
    ctx.out(0, t, batchFirst ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden]);
    const state = batchFirst ? [batch, dirs, hidden] : [dirs, batch, hidden];
    for (let i = 1; i < ctx.nOut; i++) if (ctx.hasOut(i)) ctx.out(i, t, state);
  };
}

export const recurrentOps: OpTable = {
  RNN: recurrent(1),
  GRU: recurrent(3),
  LSTM: recurrent(4),
};
