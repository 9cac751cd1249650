import type { Suite } from '../suites.js';
import { renderTrainMarkdown } from './train-markdown.js';
import { runTrainSuite } from './train-suite.js';

/** `npm run bench -- train`: registered in suites.ts. */
export const TRAIN_SUITE: Suite = {
  description:
    'training tokens/s (forward + backward + AdamW, f32): nanoGPT sizes on Cria wasm / WebGPU vs PyTorch CPU and tfjs-wasm; LoRA and QLoRA (Q4_0 base) on SmolLM2-135M shapes',
  run: (options) => runTrainSuite(options),
  render: renderTrainMarkdown,
};
