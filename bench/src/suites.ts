import { DECODE_SUITE } from './decode/index.js';
import { renderKernelsMarkdown } from './kernels/kernels-markdown.js';
import { runKernelsSuite } from './kernels/kernels-suite.js';
import type { ResultFile } from './results/result-types.js';
import { TOKENIZER_SUITE } from './tokenizer/index.js';
import { TRAIN_SUITE } from './train/index.js';

/**
 * Every suite `npm run bench -- <suite>` knows. A new one (tokenizer, train, …) adds an entry:
 * a `run` that returns rows and a `render` that turns them into its markdown report.
 */
export interface SuiteRunOptions {
  quick: boolean;
  only: string[] | null;
  log: (line: string) => void;
}

export interface Suite {
  description: string;
  run(options: SuiteRunOptions): Promise<ResultFile>;
  render(result: ResultFile): string;
}

export const SUITES: Record<string, Suite> = {
  kernels: {
    description: 'matmul, decode matvec (f32 / Q8_0 / Q4_0) and attention: Cria wasm and WebGPU vs tfjs-backend-wasm, onnxruntime-node, naive JS',
    run: (options) => runKernelsSuite(options),
    render: renderKernelsMarkdown,
  },
  tokenizer: TOKENIZER_SUITE,
  decode: DECODE_SUITE,
  train: TRAIN_SUITE,
};
