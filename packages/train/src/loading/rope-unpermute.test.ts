import { dequantizeQ4_0, dequantizeQ8_0, quantizeQ4_0, quantizeQ8_0 } from '@cria/kernels';
import { permuteForInterleavedRope, SeededRandom } from '@cria/runtime';
import { describe, expect, it } from 'vitest';
import { TrainingInputError } from '../errors.js';
import { unpermuteInterleavedRope } from './rope-unpermute.js';

const [ROWS, COLUMNS, HEADS] = [24, 96, 3]; // head dim 8; 3 blocks of 32 per row

it('undoes llama.cpp’s q/k row permutation exactly', () => {
  const weight = Float32Array.from({ length: 16 * 3 }, (_, i) => i);
  expect(unpermuteInterleavedRope(permuteForInterleavedRope(weight, 16, 3, 2), 16, 3, 2)).toEqual(weight);
});

it('refuses rows that do not split into heads of even size, or a tensor of another size', () => {
  expect(() => unpermuteInterleavedRope(new Float32Array(12 * 4), 12, 4, 4)).toThrow(TrainingInputError); // head dim 3
  expect(() => unpermuteInterleavedRope(new Uint8Array(10), 4, 4, 2)).toThrow(/4 rows of 4/);
});

describe.each([
  ['Q8_0', quantizeQ8_0, dequantizeQ8_0, 34],
  ['Q4_0', quantizeQ4_0, dequantizeQ4_0, 18],
] as const)('%s rows unpermuted as stored blocks', (_type, quantize, dequantize, blockBytes) => {
  const rowBytes = (COLUMNS / 32) * blockBytes;
  const random = new SeededRandom(4);
  const hf = Float32Array.from({ length: ROWS * COLUMNS }, () => random.normal());
  const fileBlocks = quantize(permuteForInterleavedRope(hf, ROWS, COLUMNS, HEADS)); // what convert_hf_to_gguf.py + llama-quantize store

  it('give the tensor of dequantize → unpermute → requantize (the path before raw blocks)', () => {
    const viaF32 = quantize(unpermuteInterleavedRope(dequantize(fileBlocks, ROWS * COLUMNS), ROWS, COLUMNS, HEADS));
    expect(unpermuteInterleavedRope(fileBlocks, ROWS, rowBytes, HEADS)).toEqual(viaF32);
  });

  it('dequantize to the unpermuted dequantized values for any blocks, even ones requantizing would change', () => {
    const blocks = fileBlocks.slice();
    for (let block = 0; block < blocks.length / blockBytes; block++) blocks[block * blockBytes + 2 + (block % 7)] ^= 0x5a; // quants no quantizer would pick
    const values = dequantize(blocks, ROWS * COLUMNS);
    const unpermuted = unpermuteInterleavedRope(blocks, ROWS, rowBytes, HEADS);
    expect(dequantize(unpermuted, ROWS * COLUMNS)).toEqual(unpermuteInterleavedRope(values, ROWS, COLUMNS, HEADS));
    expect(quantize(values)).not.toEqual(blocks); // the old f32 round trip would not have kept these blocks
  });
});
