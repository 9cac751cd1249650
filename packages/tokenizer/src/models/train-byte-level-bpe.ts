import { AddedTokenMatcher } from '../added-tokens.js';
import { TokenizerError } from '../errors.js';
import { loadTokenizer } from '../loaders/tokenizer-json.js';
import { createNormalizer } from '../normalizers/normalizer.js';
import { createPreTokenizer } from '../pre-tokenizers/pre-tokenizer.js';
import { BYTE_TO_CHAR, UTF8 } from '../text/byte-level.js';
import type { Tokenizer } from '../tokenizer.js';
import { learnMerges } from './bpe-trainer.js';

/** The split regexes of the byte-level families, as their tokenizer.json files write them. */
export const SPLIT_PATTERNS = {
  /** Llama 3 (and tiktoken's cl100k_base): contractions, letters, numbers of up to 3 digits, punctuation, newlines. */
  llama3: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  /** Qwen 2/3: as Llama 3, with every digit on its own. */
  qwen2: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  /** GPT-2: the ByteLevel pre-tokenizer's own regex. */
  gpt2: null,
} as const;

export interface ByteLevelBpeTrainingOptions {
  /** Size of the vocabulary to learn, special tokens and the 256 byte tokens included. */
  vocabSize: number;
  /** Special tokens, given ids 0, 1, … in this order and never learned from the text (text that spells them is skipped). */
  specialTokens?: string[];
  /** Pre-tokenizer: the split regex of a model family. Default `'llama3'`. */
  pattern?: keyof typeof SPLIT_PATTERNS;
  /** Normalize text to NFC first (as Qwen does). Default false: bytes in, bytes out. */
  nfc?: boolean;
  /** Pairs seen fewer times than this are never merged. Default 2. */
  minFrequency?: number;
  /** Special tokens the tokenizer_config.json names as bos / eos (each must be in `specialTokens`). */
  bosToken?: string;
  eosToken?: string;
  /** Put `bosToken` before every encoded text (Llama 3 does). Default false. */
  addBosToken?: boolean;
}

export interface TrainedTokenizer {
  /** A Hugging Face tokenizer.json: write it with `JSON.stringify`. */
  tokenizerJson: Record<string, unknown>;
  /** The matching tokenizer_config.json. */
  tokenizerConfig: Record<string, unknown>;
  /** The vocabulary size reached: `vocabSize`, or less when the text ran out of pairs to merge. */
  vocabSize: number;
  /** The trained tokenizer, loaded. */
  load(): Tokenizer;
}

/** Training options that cannot give a tokenizer. */
export class TrainingOptionsError extends TokenizerError {}

/**
 * Learns a byte-level BPE vocabulary (the GPT-2 / Llama 3 / Qwen kind) of `vocabSize` tokens from
 * text, with Hugging Face's algorithm, and returns it as a tokenizer.json that Hugging Face
 * tokenizers, transformers.js and this package load. Deterministic: the same texts and options
 * give the same file.
 *
 * ```ts
 * const trained = trainByteLevelBpe(texts, { vocabSize: 4096, specialTokens: ['<|endoftext|>'] });
 * writeFileSync('tokenizer.json', JSON.stringify(trained.tokenizerJson));
 * const tokenizer = trained.load();
 * ```
 */
export function trainByteLevelBpe(texts: Iterable<string>, options: ByteLevelBpeTrainingOptions): TrainedTokenizer {
  const specialTokens = options.specialTokens ?? [];
  checkOptions(options, specialTokens);
  const split = SPLIT_PATTERNS[options.pattern ?? 'llama3'];
  const preTokenizerJson =
    split === null
      ? { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }
      : {
          type: 'Sequence',
          pretokenizers: [
            { type: 'Split', pattern: { Regex: split }, behavior: 'Isolated', invert: false },
            { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
          ],
        };
  const normalizerJson = options.nfc === true ? { type: 'NFC' } : null;

  // 1. Count the pre-tokens, with exactly the stages the saved tokenizer will run.
  const wordCounts = countWords(texts, specialTokens, normalizerJson, preTokenizerJson);

  // 2. Initial vocabulary, as the Rust trainer lays it out: special tokens, then the 256 byte
  //    characters in code point order.
  const alphabet = [...BYTE_TO_CHAR].sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0));
  const tokens = [...specialTokens, ...alphabet];
  const byteIds = BYTE_TO_CHAR.map((char) => specialTokens.length + alphabet.indexOf(char));
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push(Array.from(UTF8.encode(word), (byte) => byteIds[byte]!));
    counts.push(count);
  }

  // 3. Merges.
  const learned = learnMerges({ words, counts, tokens, vocabSize: options.vocabSize, minFrequency: options.minFrequency ?? 2 });

  const vocab = Object.fromEntries(learned.tokens.map((token, id) => [token, id]));
  const bosId = options.bosToken === undefined ? -1 : specialTokens.indexOf(options.bosToken);
  const tokenizerJson: Record<string, unknown> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: normalizerJson,
    pre_tokenizer: preTokenizerJson,
    post_processor:
      options.addBosToken === true && bosId >= 0
        ? {
            type: 'Sequence',
            processors: [
              { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
              {
                type: 'TemplateProcessing',
                single: [{ SpecialToken: { id: options.bosToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
                pair: [{ SpecialToken: { id: options.bosToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: options.bosToken, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
                special_tokens: { [options.bosToken!]: { id: options.bosToken, ids: [bosId], tokens: [options.bosToken] } },
              },
            ],
          }
        : { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      // "left right" strings: byte-level tokens never hold a space (it is spelled "Ġ"), and every
      // version of the Rust crate and transformers.js reads this form.
      merges: learned.merges.map(([left, right]) => `${learned.tokens[left]} ${learned.tokens[right]}`),
    },
  };
  const tokenizerConfig: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: options.bosToken ?? null,
    eos_token: options.eosToken ?? null,
    clean_up_tokenization_spaces: false,
  };
  return {
    tokenizerJson,
    tokenizerConfig,
    vocabSize: learned.tokens.length,
    load: () => loadTokenizer(tokenizerJson, tokenizerConfig),
  };
}

function countWords(texts: Iterable<string>, specialTokens: readonly string[], normalizerJson: unknown, preTokenizerJson: unknown): Map<string, number> {
  const normalizer = createNormalizer(normalizerJson);
  const preTokenizer = createPreTokenizer(preTokenizerJson)!;
  const matcher = new AddedTokenMatcher(specialTokens.map((content, id) => ({ id, content, special: true, normalized: false, lstrip: false, rstrip: false, singleWord: false })));
  const counts = new Map<string, number>();
  const count = (word: string) => counts.set(word, (counts.get(word) ?? 0) + 1);
  for (const text of texts) {
    let first = true;
    matcher.split(text, { allowed: 'all', refuseDisallowed: false }, (segment, id) => {
      if (id !== -1) return; // special tokens are never learned from
      preTokenizer.split(normalizer === null ? segment : normalizer.normalize(segment), first, count);
      first = false;
    });
  }
  return counts;
}

function checkOptions(options: ByteLevelBpeTrainingOptions, specialTokens: readonly string[]): void {
  const minimum = specialTokens.length + 256;
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < minimum) {
    throw new TrainingOptionsError(
      `vocabSize ${options.vocabSize} is below the ${minimum} tokens every byte-level vocabulary starts with (${specialTokens.length} special + 256 bytes)`,
      `Ask for at least ${minimum}; a few thousand is typical for a small model`,
    );
  }
  if (new Set(specialTokens).size !== specialTokens.length || specialTokens.some((token) => token.length === 0)) {
    throw new TrainingOptionsError('specialTokens has duplicates or empty strings', 'Pass each special token once, non-empty');
  }
  for (const [name, token] of [['bosToken', options.bosToken], ['eosToken', options.eosToken]] as const) {
    if (token !== undefined && !specialTokens.includes(token)) {
      throw new TrainingOptionsError(`${name} ${JSON.stringify(token)} is not one of specialTokens`, `Add it to specialTokens`);
    }
  }
  if (options.pattern !== undefined && !(options.pattern in SPLIT_PATTERNS)) {
    throw new TrainingOptionsError(`Unknown pattern ${JSON.stringify(options.pattern)}`, `Use one of ${Object.keys(SPLIT_PATTERNS).join(', ')}`);
  }
}
