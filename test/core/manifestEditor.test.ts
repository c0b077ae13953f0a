// Manifest positions for the editor: what is under the cursor, device references, completion contexts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completionContext, deviceReferences, parseManifest, symbolAt } from '../../server/src/core/manifest';
import { SPEC_EXAMPLE } from './manifestExample';

const lines = SPEC_EXAMPLE.split('\n');
/** 0-based position of the n-th (0-based) occurrence of `needle` on the 0-based `line`, plus `delta`. */
const pos = (line: number, needle: string, delta = 0): [number, number] => {
  const c = lines[line].indexOf(needle);
  assert.ok(c >= 0, `${needle} on line ${line}`);
  return [line, c + delta];
};

describe('symbolAt', () => {
  const { ast } = parseManifest(SPEC_EXAMPLE);
  const at = (p: [number, number]) => symbolAt(ast, p[0], p[1]);

  it('finds devices, their references, units, ops, nodes, inputs, the model and keywords', () => {
    assert.deepEqual([at(pos(5, 'gpu0', 2))?.kind, (at(pos(5, 'gpu0')) as { name: string }).name], ['device', 'gpu0']);
    const ref = at(pos(27, 'gpu0', 1));
    assert.equal(ref?.kind, 'device-ref');
    assert.equal(ref?.kind === 'device-ref' && ref.declaration?.nameRange.line, 5);
    assert.equal(at(pos(28, 'on gpu0', 4))?.kind, 'device-ref');
    const unit = at(pos(16, 'conv_engine', 3));
    assert.equal(unit?.kind === 'unit' && `${unit.device.name}/${unit.name}`, 'fpga0/conv_engine');
    const op = at(pos(16, 'Clip', 4)); // the cursor just after the word still hits it
    assert.equal(op?.kind === 'op' && `${op.device?.name}:${op.op.opType}`, 'fpga0:Clip');
    assert.equal(at(pos(29, 'Softmax'))?.kind, 'op');
    assert.deepEqual(at(pos(28, 'Conv_3')), { kind: 'node', name: 'Conv_3', range: { line: 28, character: 16, endLine: 28, endCharacter: 24 } });
    assert.equal(at(pos(2, '"input"', 1))?.kind, 'input');
    assert.equal(at(pos(3, 'batch'))?.kind, 'dim');
    assert.equal(at(pos(1, 'mobilenet'))?.kind, 'model');
    assert.deepEqual(at(pos(6, 'memory')), { kind: 'keyword', keyword: 'memory', range: { line: 6, character: 2, endLine: 6, endCharacter: 8 } });
    assert.equal(at(pos(6, 'memory', -1)), undefined, 'indentation');
    assert.equal(at([0, 5]), undefined, 'a comment');
  });

  it('lists every place a device is named, its declaration first', () => {
    assert.deepEqual(deviceReferences(ast, 'gpu0').map((r) => [r.line, r.character]), [[5, 7], [27, 16], [28, 28]]);
  });
});

describe('completionContext', () => {
  const ctx = (text: string) => {
    const cursor = text.indexOf('|');
    const before = text.slice(0, cursor);
    const line = before.split('\n').length - 1;
    const character = cursor - (before.lastIndexOf('\n') + 1);
    return completionContext(text.replace('|', ''), line, character);
  };

  it('offers the keywords of the enclosing block', () => {
    assert.deepEqual([ctx('|').kind, ctx('|').block], ['keyword', 'top']);
    assert.ok(ctx('mod|').keywords?.includes('model'));
    assert.deepEqual(ctx('mod|').replaceRange, { line: 0, character: 0, endLine: 0, endCharacter: 3 });
    assert.equal(ctx('device a : gpu {\n  mem|\n}').block, 'device');
    assert.ok(ctx('device a : gpu {\n  |\n}').keywords?.includes('reserve'));
    assert.equal(ctx('device a : gpu {\n  unit u { supports Conv; | }\n}').block, 'unit');
    assert.equal(ctx('device a : gpu {\n  unit u { supports Conv }\n  |\n}').block, 'device');
    assert.equal(ctx('device a : gpu { memory 1 GiB }\n|').block, 'top');
  });

  it('offers op types, devices, nodes, inputs, choices and units where they go', () => {
    assert.equal(ctx('device a : gpu {\n  supports Conv, Re|').kind, 'op');
    assert.equal(ctx('device a : gpu {\n  supports Conv,\n    |').kind, 'op');
    assert.equal(ctx('device a : gpu {\n  unit u { fuse |').kind, 'op');
    assert.equal(ctx('place op |').kind, 'op');
    assert.equal(ctx('place "Conv_0", "|').kind, 'node');
    assert.equal(ctx('place "Conv_0", "|').inString, true);
    assert.equal(ctx('place "Conv_0" on |').kind, 'device');
    assert.equal(ctx('priority a, |').kind, 'device');
    assert.equal(ctx('input "|').kind, 'input');
    assert.equal(ctx('input "x" [1, |').kind, 'dim');
    assert.equal(ctx('device a : |').kind, 'device-kind');
    assert.equal(ctx('device a : gpu {\n  memory 256 |').kind, 'size-unit');
    assert.equal(ctx('device a : gpu {\n  strategy p|').kind, 'strategy');
    assert.equal(ctx('schedule |').kind, 'schedule');
    assert.equal(ctx('device a : gpu {\n  inplace |').kind, 'inplace');
    assert.equal(ctx('model "|').kind, 'none');
    assert.equal(ctx('priority a |').kind, 'none');
  });
});
