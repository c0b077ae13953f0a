// Shape inference through control flow (If, Loop, Scan with outer-scope values) and sequences/optionals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferShapes } from '../../server/src/core/onnx/shapes/infer';
import type { Node, Tensor, ValueInfo } from '../../server/src/core/onnx/model';
import type { ShapeResult } from '../../server/src/core/onnx/shapes/types';
import { BOOL, FLOAT, INT64, graph, ints, model, node, tensor, vi } from '../helpers/modelBuilder';

function infer(opset: number, inputs: ValueInfo[], nodes: Node[], initializers: Tensor[] = [], outputs?: string[]): ShapeResult {
  return inferShapes(model(opset, { inputs, nodes, initializers, outputs }));
}
const shape = (r: ShapeResult, name: string) => r.tensors.get(name)?.shape;

const thenBranch = graph({ inputs: [], nodes: [node('Transpose', ['x'], ['t'])], outputs: ['t'] });
const elseBranch = graph({ inputs: [], nodes: [node('Relu', ['x'], ['e'])], outputs: ['e'] });

test('If with a constant condition infers only the branch that runs (seeing outer-scope values)', () => {
  const r = infer(13, [vi('x', FLOAT, [2, 3])], [node('If', ['c'], ['y'], { then_branch: thenBranch, else_branch: elseBranch })], [tensor('c', BOOL, [], [1])]);
  assert.deepEqual(shape(r, 'y'), [3, 2]);
  const r2 = infer(13, [vi('x', FLOAT, [2, 3])], [node('If', ['c'], ['y'], { then_branch: thenBranch, else_branch: elseBranch })], [tensor('c', BOOL, [], [0])]);
  assert.deepEqual(shape(r2, 'y'), [2, 3]);
});

test('If with a run-time condition keeps what both branches agree on', () => {
  const r = infer(13, [vi('x', FLOAT, [2, 3]), vi('c', BOOL, [])], [node('If', ['c'], ['y'], { then_branch: thenBranch, else_branch: elseBranch })]);
  assert.deepEqual(shape(r, 'y'), [null, null]);
  const same = infer(13, [vi('x', FLOAT, [3, 3]), vi('c', BOOL, [])], [node('If', ['c'], ['y'], { then_branch: thenBranch, else_branch: elseBranch })]);
  assert.deepEqual(shape(same, 'y'), [3, 3]);
});

test('If: a branch that cannot run with the given shapes is not the one taken', () => {
  const bad = graph({ inputs: [], nodes: [node('MatMul', ['x', 'x'], ['m'])], outputs: ['m'] });
  const r = infer(13, [vi('x', FLOAT, [2, 3]), vi('c', BOOL, [])], [node('If', ['c'], ['y'], { then_branch: thenBranch, else_branch: bad })]);
  assert.deepEqual(shape(r, 'y'), [3, 2]);
  assert.ok(r.diagnostics.every((d) => d.severity !== 'error'));
  assert.match(r.diagnostics.find((d) => d.severity === 'info')!.message, /assuming then_branch/);
});

/** Loop body: (iter, cond, acc) → (cond, acc ++ [iter], iter * 2 as a scan output). */
function growingBody(condNode: Node): ReturnType<typeof graph> {
  return graph({
    inputs: [vi('i', INT64, []), vi('cin', BOOL, []), vi('acc', INT64, null)],
    nodes: [
      condNode,
      node('Unsqueeze', ['i', 'ax0'], ['iu']),
      node('Concat', ['acc', 'iu'], ['acc2'], { axis: 0 }),
      node('Add', ['i', 'i'], ['twice']),
    ],
    outputs: ['cout', 'acc2', 'twice'],
    initializers: [ints('ax0', [0])],
  });
}

test('Loop with a constant trip count is unrolled: carried values that grow come out exact', () => {
  const body = growingBody(node('Identity', ['cin'], ['cout']));
  const r = infer(13, [], [node('Loop', ['M', 'cond', 'init'], ['final', 'scan'], { body })], [ints('M', [5], []), tensor('cond', BOOL, [], [1]), ints('init', [], [0])]);
  assert.deepEqual(shape(r, 'final'), [5]);
  assert.deepEqual(r.tensors.get('final')!.value, [0, 1, 2, 3, 4]);
  assert.deepEqual(shape(r, 'scan'), [5]);
});

test('Loop whose body ends it early by a condition on the iteration number', () => {
  const body = growingBody(node('Less', ['i', 'two'], ['cout']));
  body.initializers.push(ints('two', [2], []));
  const r = infer(13, [], [node('Loop', ['M', 'cond', 'init'], ['final', 'scan'], { body })], [ints('M', [10], []), tensor('cond', BOOL, [], [1]), ints('init', [], [0])]);
  assert.deepEqual(shape(r, 'final'), [3]);
  assert.deepEqual(shape(r, 'scan'), [3]);
});

test('Loop with a run-time trip count: invariant carried shapes stay, scan outputs lose their length', () => {
  const body = graph({
    inputs: [vi('i', INT64, []), vi('cin', BOOL, []), vi('h', FLOAT, null)],
    nodes: [node('Identity', ['cin'], ['cout']), node('Tanh', ['h'], ['h2']), node('Identity', ['h2'], ['out'])],
    outputs: ['cout', 'h2', 'out'],
  });
  const r = infer(13, [vi('M', INT64, []), vi('h0', FLOAT, [2, 4])], [node('Loop', ['M', '', 'h0'], ['hN', 'hs'], { body })]);
  assert.deepEqual(shape(r, 'hN'), [2, 4]);
  assert.deepEqual(shape(r, 'hs'), [null, 2, 4]);
  assert.match(r.tensors.get('hs')!.unknownReason!, /Loop needs the value of 'M'/);
});

test('Scan (opset 9+): states carry, scan outputs stack along their axis', () => {
  const body = graph({
    inputs: [vi('s', FLOAT, null), vi('xi', FLOAT, null)],
    nodes: [node('Add', ['s', 'xi'], ['s2']), node('Identity', ['s2'], ['y'])],
    outputs: ['s2', 'y'],
  });
  const r = infer(16, [vi('s0', FLOAT, [2]), vi('xs', FLOAT, [3, 2])], [node('Scan', ['s0', 'xs'], ['sN', 'ys'], { body, num_scan_inputs: 1 })]);
  assert.deepEqual(shape(r, 'sN'), [2]);
  assert.deepEqual(shape(r, 'ys'), [3, 2]);
  const r2 = infer(16, [vi('s0', FLOAT, [2]), vi('xs', FLOAT, [2, 3])], [node('Scan', ['s0', 'xs'], ['sN', 'ys'], { body, num_scan_inputs: 1, scan_input_axes: [1], scan_output_axes: [1] })]);
  assert.deepEqual(shape(r2, 'ys'), [2, 3]);
});

test('sequences: elements are tracked one by one, so ConcatFromSequence is exact', () => {
  const r = infer(12, [vi('a', FLOAT, [2, 3, 4]), vi('b', FLOAT, [2, 5, 4]), vi('c', FLOAT, [2, 1, 4])], [
    node('SequenceConstruct', ['a', 'b', 'c'], ['s']),
    node('ConcatFromSequence', ['s'], ['cat'], { axis: 1 }),
    node('SequenceConstruct', ['a', 'a'], ['aa']),
    node('ConcatFromSequence', ['aa'], ['stack'], { axis: -1, new_axis: 1 }),
    node('SequenceLength', ['s'], ['n']),
    node('SequenceAt', ['s', 'one'], ['second']),
    node('SequenceErase', ['s'], ['s2']),
    node('SequenceInsert', ['s2', 'a', 'zero'], ['s3']),
    node('SequenceAt', ['s3', 'zero'], ['first']),
  ], [ints('one', [1], []), ints('zero', [0], [])]);
  assert.deepEqual(shape(r, 'cat'), [2, 9, 4]);
  assert.deepEqual(shape(r, 'stack'), [2, 3, 4, 2]);
  assert.deepEqual(r.tensors.get('n')!.value, [3]);
  assert.deepEqual(shape(r, 'second'), [2, 5, 4]);
  assert.deepEqual(shape(r, 'first'), [2, 3, 4]);
  assert.equal(r.tensors.get('s')!.valueKind, 'sequence');
  assert.equal(r.tensors.get('s')!.shape, null);
});

test('SplitToSequence, SequenceEmpty + SequenceInsert, SequenceMap, and optionals', () => {
  const r = infer(17, [vi('x', FLOAT, [6, 2])], [
    node('SplitToSequence', ['x'], ['parts'], { axis: 0, keepdims: 0 }),
    node('SequenceLength', ['parts'], ['np']),
    node('SplitToSequence', ['x', 'four'], ['chunks']),
    node('SequenceAt', ['chunks', 'one'], ['last']),
    node('SequenceEmpty', [], ['e']),
    node('SequenceInsert', ['e', 'x'], ['e1']),
    node('ConcatFromSequence', ['e1'], ['ec'], { axis: 0 }),
    node('SequenceMap', ['chunks'], ['mapped'], { body: graph({ inputs: [vi('t', FLOAT, null)], nodes: [node('Transpose', ['t'], ['tt'])], outputs: ['tt'] }) }),
    node('ConcatFromSequence', ['mapped'], ['mc'], { axis: 1 }),
    node('Optional', ['x'], ['opt']),
    node('OptionalGetElement', ['opt'], ['got']),
    node('OptionalHasElement', ['opt'], ['has']),
  ], [ints('four', [4], []), ints('one', [1], [])]);
  assert.deepEqual(r.tensors.get('np')!.value, [6]);
  assert.deepEqual(shape(r, 'last'), [2, 2]);
  assert.deepEqual(shape(r, 'ec'), [6, 2]);
  assert.deepEqual(shape(r, 'mc'), [2, 6]);
  assert.deepEqual(shape(r, 'got'), [6, 2]);
  assert.deepEqual(shape(r, 'opt'), [6, 2], 'an optional holding a tensor is reported as that tensor');
  assert.deepEqual(r.tensors.get('has')!.value, [1]);
});
