import { gguf, type GgufValue } from '@cria/runtime';
import { TrainingInputError } from '../errors.js';

/** llama.cpp's token types (llama_token_type). */
const NORMAL = 1;
const CONTROL = 3;
const USER_DEFINED = 4;

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; merges?: Array<string | [string, string]> };
  added_tokens?: Array<{ id: number; content: string; special?: boolean }>;
  pre_tokenizer?: unknown;
}

/**
 * The `tokenizer.ggml.*` metadata of a byte-level BPE tokenizer.json (GPT-2, Llama 3, Qwen2 — the
 * `gpt2` model of llama.cpp), so an exported GGUF carries its tokenizer. `pre` (llama.cpp's
 * pre-tokenizer name) is detected from the split regex when not given: plain ByteLevel → `gpt-2`,
 * digits split by 1..3 → `llama-bpe`, single digits → `qwen2`. SentencePiece (`llama` model)
 * tokenizers are not converted: pass their GGUF metadata yourself.
 */
export interface GgufTokenizerOptions {
  /** llama.cpp's pre-tokenizer name; default: detected. */
  pre?: string;
  /** The model's vocabulary size: the token list is padded to it with `[PAD<id>]` as llama.cpp's converter does. */
  vocabSize?: number;
}

export function ggufTokenizerMetadata(tokenizerJson: string, tokenizerConfigJson: string | undefined, { pre, vocabSize = 0 }: GgufTokenizerOptions = {}): Record<string, GgufValue> {
  const tokenizer = JSON.parse(tokenizerJson) as TokenizerJson;
  const config = (tokenizerConfigJson ? JSON.parse(tokenizerConfigJson) : {}) as Record<string, unknown>;
  const model = tokenizer.model;
  if (model?.type !== 'BPE' || !model.vocab || !model.merges) {
    throw new TrainingInputError('tokenizer.json', 'a byte-level BPE model (GPT-2 / Llama 3 / Qwen2 style)', String(model?.type), 'export the GGUF without a tokenizer and convert it with llama.cpp, or export safetensors');
  }
  const size = Math.max(vocabSize - 1, ...Object.values(model.vocab), ...(tokenizer.added_tokens ?? []).map((token) => token.id)) + 1;
  const tokens = Array.from({ length: size }, (_, id) => `[PAD${id}]`);
  const types = new Int32Array(size).fill(NORMAL);
  for (const [content, id] of Object.entries(model.vocab)) tokens[id] = content;
  for (const token of tokenizer.added_tokens ?? []) {
    tokens[token.id] = token.content;
    types[token.id] = token.special === false ? USER_DEFINED : CONTROL;
  }
  const idOf = (key: string) => {
    const value = config[key];
    const content = typeof value === 'string' ? value : typeof value === 'object' && value !== null ? (value as { content?: string }).content : undefined;
    const id = content === undefined ? -1 : tokens.indexOf(content);
    return id >= 0 ? id : undefined;
  };
  const metadata: Record<string, GgufValue> = {
    'tokenizer.ggml.model': gguf.string('gpt2'),
    'tokenizer.ggml.pre': gguf.string(pre ?? detectPre(tokenizer.pre_tokenizer)),
    'tokenizer.ggml.tokens': gguf.strings(tokens),
    'tokenizer.ggml.token_type': gguf.array('i32', types),
    'tokenizer.ggml.merges': gguf.strings(model.merges.map((merge) => (typeof merge === 'string' ? merge : merge.join(' ')))),
    'tokenizer.ggml.add_bos_token': gguf.bool(config['add_bos_token'] === true),
  };
  const bos = idOf('bos_token');
  const eos = idOf('eos_token');
  const pad = idOf('pad_token');
  if (bos !== undefined) metadata['tokenizer.ggml.bos_token_id'] = gguf.u32(bos);
  if (eos !== undefined) metadata['tokenizer.ggml.eos_token_id'] = gguf.u32(eos);
  if (pad !== undefined) metadata['tokenizer.ggml.padding_token_id'] = gguf.u32(pad);
  if (typeof config['chat_template'] === 'string') metadata['tokenizer.chat_template'] = gguf.string(config['chat_template']);
  return metadata;
}

function detectPre(preTokenizer: unknown): string {
  const text = JSON.stringify(preTokenizer ?? null);
  if (!text.includes('"Split"')) return 'gpt-2';
  if (text.includes('\\\\p{N}{1,3}')) return 'llama-bpe';
  if (text.includes('\\\\p{N}|')) return 'qwen2';
  throw new TrainingInputError('tokenizer.json pre_tokenizer', 'a GPT-2, Llama 3 or Qwen2 split', text.slice(0, 120), "pass llama.cpp's pre-tokenizer name (tokenizer.ggml.pre) explicitly");
}
