import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Hugging Face's Rust `tokenizers` crate (0.22), the reference that transformers.js and Cria are
 * both measured against, through the `@anush008/tokenizers` Node binding (a native addon, a
 * devDependency used only by tests). Node strings reach Rust as UTF-8, so a lone surrogate
 * arrives as U+FFFD: tests hand it well-formed text.
 */
interface Binding {
  Tokenizer: {
    fromString(json: string): NativeTokenizer;
  };
}

interface NativeTokenizer {
  encode(text: string, pair: null, options: { addSpecialTokens: boolean }): Promise<{ getIds(): ArrayLike<number> }>;
  decode(ids: number[], skipSpecialTokens: boolean): Promise<string>;
  getPreTokenizer(): { preTokenizeString(text: string): Array<[string, [number, number]]> } | null;
  getNormalizer(): { normalizeString(text: string): string } | null;
  train(files: string[]): void;
  save(path: string, pretty?: boolean): void;
}

export interface RustTokenizer {
  encode(text: string, addSpecialTokens?: boolean): Promise<number[]>;
  decode(ids: number[], skipSpecialTokens?: boolean): Promise<string>;
  /** The pre-tokens of a text (byte-level vocabularies spell them in GPT-2 byte characters). */
  preTokenize(text: string): string[];
}

const binding = createRequire(import.meta.url)('@anush008/tokenizers') as Binding;

export function loadRustTokenizer(tokenizerJson: unknown): RustTokenizer {
  const native = binding.Tokenizer.fromString(JSON.stringify(tokenizerJson));
  return {
    encode: async (text, addSpecialTokens = false) => Array.from((await native.encode(text, null, { addSpecialTokens })).getIds()),
    decode: (ids, skipSpecialTokens = false) => native.decode(ids, skipSpecialTokens),
    preTokenize: (text) => native.getPreTokenizer()?.preTokenizeString(text).map(([piece]) => piece) ?? [text],
  };
}

/**
 * Trains the Rust `BpeTrainer` with its defaults (30 000 tokens, min frequency 0, alphabet = the
 * characters seen) on `lines`, each one a training sequence as `train(files)` reads lines, with
 * the normalizer and pre-tokenizer of `tokenizerJson`. Returns the saved tokenizer.json.
 */
export function trainWithRust(lines: readonly string[], tokenizerJson: Record<string, unknown>): { model: { vocab: Record<string, number>; merges: Array<string | [string, string]> } } {
  const empty = { ...tokenizerJson, added_tokens: [], model: { ...(tokenizerJson['model'] as object), vocab: {}, merges: [] } };
  const native = binding.Tokenizer.fromString(JSON.stringify(empty));
  const directory = mkdtempSync(join(tmpdir(), 'cria-rust-train-'));
  try {
    const corpus = join(directory, 'corpus.txt');
    writeFileSync(corpus, lines.join(''));
    native.train([corpus]);
    native.save(join(directory, 'tokenizer.json'));
    return JSON.parse(readFileSync(join(directory, 'tokenizer.json'), 'utf8'));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
