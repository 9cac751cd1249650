import { tokenId, TokenizerFormatError, UnsupportedComponentError } from '../errors.js';
import type { Tokenizer } from '../tokenizer.js';
import { loadTokenizer } from './tokenizer-json.js';

/**
 * Builds a Tokenizer from the tokenizer metadata of a GGUF file, given as the already-parsed
 * key/value object (the GGUF reader lives in the runtime). The metadata is turned into the
 * equivalent tokenizer.json, so both paths share one pipeline:
 * - `tokenizer.ggml.model = "gpt2"`: byte-level BPE; the split regex comes from `tokenizer.ggml.pre`.
 * - `tokenizer.ggml.model = "llama"`: SentencePiece BPE with byte fallback; merges are taken from
 *   `tokenizer.ggml.merges` when present, else derived from `tokenizer.ggml.scores` the way
 *   Hugging Face converts a SentencePiece model (a higher-scored merged piece merges first).
 */
export type GgufMetadata = Record<string, unknown>;

/** llama.cpp's `tokenizer.ggml.pre` names → the split regex of the model family. */
const PRE_TOKENIZER_PATTERNS: Record<string, string> = {
  'llama-bpe': "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  llama3: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  qwen2: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};
/** Names whose pre-tokenizer is plain GPT-2 (ByteLevel with its built-in regex). */
const GPT2_PRE = new Set(['default', 'gpt2', 'gpt-2']);

// llama.cpp token types.
const UNKNOWN = 2;
const CONTROL = 3;
const USER_DEFINED = 4;

export function tokenizerFromGguf(metadata: GgufMetadata): Tokenizer {
  const model = metadata['tokenizer.ggml.model'];
  const tokens = stringArray(metadata, 'tokenizer.ggml.tokens');
  const types = numberArray(metadata, 'tokenizer.ggml.token_type', tokens.length) ?? new Array<number>(tokens.length).fill(1);
  // A Map, which the BPE model takes as is: a JSON-shaped record would be copied into one.
  const vocab = new Map<string, number>();
  const addedTokens: object[] = [];
  for (let id = 0; id < tokens.length; id++) {
    const content = tokens[id]!;
    if (!vocab.has(content)) vocab.set(content, id); // a repeated token keeps its first id
    const type = types[id];
    if (type === CONTROL || type === USER_DEFINED || type === UNKNOWN) {
      addedTokens.push({ id, content, special: type !== USER_DEFINED, normalized: false, lstrip: false, rstrip: false, single_word: false });
    }
  }
  const bosId = optionalId(metadata, 'tokenizer.ggml.bos_token_id');
  const eosId = optionalId(metadata, 'tokenizer.ggml.eos_token_id');
  const config = {
    bos_token: bosId === undefined ? null : tokens[bosId],
    eos_token: eosId === undefined ? null : tokens[eosId],
    chat_template: metadata['tokenizer.chat_template'] ?? null,
    clean_up_tokenization_spaces: false,
  };
  const addBos = metadata['tokenizer.ggml.add_bos_token'] ?? model === 'llama';
  const addEos = metadata['tokenizer.ggml.add_eos_token'] === true;
  const template = [
    ...(addBos === true && bosId !== undefined ? [{ SpecialToken: { id: tokens[bosId], type_id: 0 } }] : []),
    { Sequence: { id: 'A', type_id: 0 } },
    ...(addEos && eosId !== undefined ? [{ SpecialToken: { id: tokens[eosId], type_id: 0 } }] : []),
  ];
  const specialTokens = Object.fromEntries(
    [bosId, eosId].filter((id): id is number => id !== undefined).map((id) => [tokens[id], { id: tokens[id], ids: [id], tokens: [tokens[id]] }]),
  );
  const postProcessor = template.length > 1 ? { type: 'TemplateProcessing', single: template, pair: template, special_tokens: specialTokens } : null;

  if (model === 'gpt2') {
    const merges = stringArray(metadata, 'tokenizer.ggml.merges');
    const pre = String(metadata['tokenizer.ggml.pre'] ?? 'default');
    let preTokenizer: unknown;
    if (GPT2_PRE.has(pre)) preTokenizer = { type: 'ByteLevel', add_prefix_space: false, use_regex: true };
    else if (PRE_TOKENIZER_PATTERNS[pre]) {
      preTokenizer = {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: PRE_TOKENIZER_PATTERNS[pre] }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, use_regex: false },
        ],
      };
    } else throw new UnsupportedComponentError('tokenizer.ggml.pre', pre, [...GPT2_PRE, ...Object.keys(PRE_TOKENIZER_PATTERNS)]);
    return loadTokenizer(
      {
        model: { type: 'BPE', vocab, merges, ignore_merges: pre === 'llama-bpe' || pre === 'llama3' },
        normalizer: null,
        pre_tokenizer: preTokenizer,
        post_processor: postProcessor,
        decoder: { type: 'ByteLevel' },
        added_tokens: addedTokens,
      },
      config,
    );
  }
  if (model === 'llama') {
    const merges = metadata['tokenizer.ggml.merges'] !== undefined ? stringArray(metadata, 'tokenizer.ggml.merges') : mergesFromScores(tokens, types, metadata);
    const unkId = optionalId(metadata, 'tokenizer.ggml.unknown_token_id') ?? types.indexOf(UNKNOWN);
    const spacePrefix = metadata['tokenizer.ggml.add_space_prefix'] !== false;
    return loadTokenizer(
      {
        model: { type: 'BPE', vocab, merges, unk_token: unkId >= 0 ? tokens[unkId] : null, byte_fallback: true, fuse_unk: true },
        normalizer: {
          type: 'Sequence',
          normalizers: [...(spacePrefix ? [{ type: 'Prepend', prepend: '▁' }] : []), { type: 'Replace', pattern: { String: ' ' }, content: '▁' }],
        },
        pre_tokenizer: null,
        post_processor: postProcessor,
        decoder: {
          type: 'Sequence',
          decoders: [
            { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
            { type: 'ByteFallback' },
            { type: 'Fuse' },
            ...(spacePrefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
          ],
        },
        added_tokens: addedTokens,
      },
      config,
    );
  }
  throw new UnsupportedComponentError('tokenizer.ggml.model', String(model), ['gpt2', 'llama']);
}

/**
 * SentencePiece BPE merges from piece scores, as Hugging Face's SentencePieceExtractor: every
 * split of a piece into two pieces of the vocabulary is a merge, ordered by the merged piece's
 * score (highest first), then by the ids of its parts.
 */
function mergesFromScores(tokens: string[], types: number[], metadata: GgufMetadata): string[] {
  const scores = numberArray(metadata, 'tokenizer.ggml.scores', tokens.length);
  if (!scores) throw new TokenizerFormatError('tokenizer.ggml.scores', 'one score per token (needed when tokenizer.ggml.merges is absent)', undefined);
  const ids = new Map<string, number>();
  tokens.forEach((token, id) => {
    if (types[id] === 1 && !ids.has(token)) ids.set(token, id);
  });
  const candidates: Array<[score: number, merged: number, left: number, right: number, text: string]> = [];
  for (const [token, id] of ids) {
    const chars = [...token];
    for (let split = 1; split < chars.length; split++) {
      const left = chars.slice(0, split).join('');
      const right = chars.slice(split).join('');
      const leftId = ids.get(left);
      const rightId = ids.get(right);
      if (leftId !== undefined && rightId !== undefined) candidates.push([scores[id]!, id, leftId, rightId, `${left} ${right}`]);
    }
  }
  candidates.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3]);
  return candidates.map((candidate) => candidate[4]);
}

function stringArray(metadata: GgufMetadata, key: string): string[] {
  const value = metadata[key];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new TokenizerFormatError(key, 'an array of strings', value);
  return value as string[];
}

function numberArray(metadata: GgufMetadata, key: string, length: number): number[] | undefined {
  const value = metadata[key];
  if (value === undefined) return undefined;
  const array = ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<number>) : value;
  if (!Array.isArray(array) || array.length !== length || !array.every((item) => typeof item === 'number')) {
    throw new TokenizerFormatError(key, `an array of ${length} numbers (one per token)`, value);
  }
  return array as number[];
}

function optionalId(metadata: GgufMetadata, key: string): number | undefined {
  const value = metadata[key];
  if (value === undefined || value === null) return undefined;
  return tokenId(typeof value === 'bigint' ? Number(value) : value, key);
}
