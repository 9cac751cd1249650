import type { Suite } from '../suites.js';
import { renderDecodeMarkdown } from './decode-markdown.js';
import { runDecodeSuite } from './decode-suite.js';

/** `npm run bench -- decode`: registered in suites.ts. */
export const DECODE_SUITE: Suite = {
  description:
    'prefill and decode tokens/s and peak RSS on SmolLM2-135M (Q8_0, Q4_0) and TinyLlama-1.1B (Q4_0) shapes, random weights: Cria wasm and WebGPU vs llama.cpp (node-llama-cpp)',
  run: (options) => runDecodeSuite(options),
  render: renderDecodeMarkdown,
};
