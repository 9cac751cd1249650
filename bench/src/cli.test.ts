import { describe, expect, it } from 'vitest';
import { parseCli, UsageError } from './cli.js';

const SUITES = ['kernels', 'tokenizer'];

describe('parseCli', () => {
  it('reads a suite and its flags', () => {
    expect(parseCli(['kernels'], SUITES)).toEqual({ kind: 'run', options: { suite: 'kernels', quick: false, only: null, outDir: null } });
    expect(parseCli(['--quick', 'tokenizer', '--only', 'cria-wasm, onnx', '--out', '/tmp/x'], SUITES)).toEqual({
      kind: 'run',
      options: { suite: 'tokenizer', quick: true, only: ['cria-wasm', 'onnx'], outDir: '/tmp/x' },
    });
  });

  it('answers --help without a suite', () => {
    expect(parseCli(['--help'], SUITES)).toEqual({ kind: 'help' });
  });

  it('refuses what it does not understand, with the usage attached', () => {
    expect(() => parseCli([], SUITES)).toThrow(UsageError);
    expect(() => parseCli(['train'], SUITES)).toThrow(/unknown suite "train"[\s\S]*usage: npm run bench/);
    expect(() => parseCli(['kernels', '--fast'], SUITES)).toThrow(/unknown option --fast/);
    expect(() => parseCli(['kernels', 'tokenizer'], SUITES)).toThrow(/one suite per run/);
    expect(() => parseCli(['kernels', '--only'], SUITES)).toThrow(/--only needs a value/);
  });
});
