import type { Suite } from '../suites.js';
import { renderTokenizerMarkdown } from './tokenizer-markdown.js';
import { runTokenizerSuite } from './tokenizer-suite.js';

/** `npm run bench -- tokenizer`: registered in suites.ts. */
export const TOKENIZER_SUITE: Suite = {
  description:
    'encode / decode MB/s on a 5 MB multilingual corpus and vocabulary load memory: Cria (Llama 3, Qwen 3) vs transformers.js, tiktoken, gpt-tokenizer',
  run: (options) => runTokenizerSuite(options),
  render: renderTokenizerMarkdown,
};
