import { AddedTokenMatcher, type AddedToken, type SpecialTokenPolicy } from './added-tokens.js';
import type { Decoder } from './decoders/decoder.js';
import { TokenBytesTable } from './decoders/token-bytes.js';
import type { BpeModel } from './models/bpe.js';
import type { Normalizer } from './normalizers/normalizer.js';
import type { PostProcessor } from './post-processors/post-processor.js';
import type { PreTokenizer } from './pre-tokenizers/pre-tokenizer.js';
import { UTF8_LOSSY } from './text/byte-level.js';
import { cleanUpTokenizationSpaces } from './text/clean-up.js';
import type { TokenizerConfig } from './tokenizer-config.js';
import { encodeChat, renderChat, type ChatMessage, type ChatTemplateOptions, type EncodedChat } from './chat-template.js';
import { StreamDecoder } from './stream-decoder.js';
import { alignedIdentity, type AlignedText } from './text/aligned-text.js';
import { OffsetsUnavailableError, TokenizerInputError } from './errors.js';

export interface EncodeOptions {
  /** Add the model's special tokens around the text (the post-processor: `<s>` for Llama 2). Default true. */
  addSpecialTokens?: boolean;
  /**
   * Special tokens spelled in the text that are encoded as control tokens. Default `'none'`: user
   * text that spells `<|eot_id|>` or `</s>` is encoded as ordinary text and cannot end a turn.
   * Pass `'all'` (or a list of token strings) only for trusted text such as a rendered chat prompt.
   */
  allowedSpecial?: 'all' | 'none' | Iterable<string>;
  /** What to do with a special token not in `allowedSpecial`: encode as text (`'plain'`, default) or throw `SpecialTokenInTextError`. */
  disallowedSpecial?: 'plain' | 'error';
}

export interface DecodeOptions {
  /** Leave out special tokens (`<s>`, `<|eot_id|>`). Default false. */
  skipSpecialTokens?: boolean;
  /** Remove the space before punctuation (" ." → "."), as transformers does. Default: tokenizer_config.json's `clean_up_tokenization_spaces`. */
  cleanUpTokenizationSpaces?: boolean;
}

export interface TokenizerParts {
  model: BpeModel;
  /** The model reads pieces as raw text to spell in GPT-2 byte characters (ByteLevel pre-tokenizer) rather than as characters. */
  byteLevel: boolean;
  normalizer: Normalizer | null;
  preTokenizer: PreTokenizer | null;
  postProcessor: PostProcessor | null;
  decoder: Decoder | null;
  /** The decoder is exactly ByteLevel: decode through a per-token byte table. */
  byteLevelDecoder: boolean;
  addedTokens: AddedToken[];
  config: TokenizerConfig;
}

const NO_SPECIAL: SpecialTokenPolicy = { allowed: new Set(), refuseDisallowed: false };
const ALL_SPECIAL: SpecialTokenPolicy = { allowed: 'all', refuseDisallowed: false };

class StopEncoding extends Error {}

/**
 * A Hugging Face-compatible tokenizer: normalizer → pre-tokenizer → BPE model → post-processor,
 * and the decoder back. Build one with `loadTokenizer` (tokenizer.json) or `tokenizerFromGguf`.
 */
export class Tokenizer {
  readonly config: TokenizerConfig;
  /** Number of ids, model vocabulary and added tokens together (the embedding rows a model needs at least). */
  readonly vocabSize: number;
  private readonly idToTokenTable: string[];
  private readonly addedById = new Map<number, AddedToken>();
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly rawMatcher: AddedTokenMatcher;
  private readonly normalizedMatcher: AddedTokenMatcher | null;
  /** Built on the first byte-level decode. */
  private byteTable: TokenBytesTable | null = null;
  private specialFlagTable: Uint8Array | null = null;

  constructor(private readonly parts: TokenizerParts) {
    this.config = parts.config;
    const table: string[] = [];
    parts.model.vocab.forEach((id, token) => (table[id] = token)); // no [token, id] array per entry
    for (const token of parts.addedTokens) {
      table[token.id] = token.content;
      this.addedById.set(token.id, token);
      this.addedByContent.set(token.content, token);
    }
    this.idToTokenTable = table;
    this.vocabSize = table.length;
    this.rawMatcher = new AddedTokenMatcher(parts.addedTokens.filter((token) => !token.normalized));
    const normalized = parts.addedTokens.filter((token) => token.normalized);
    this.normalizedMatcher = normalized.length > 0 ? new AddedTokenMatcher(normalized) : null;
  }

  /** Text → token ids. User text is safe by default: see `EncodeOptions.allowedSpecial`. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    expectText('encode', text);
    const ids: number[] = [];
    this.encodeInto(text, ids, specialPolicy(options), Infinity);
    return options.addSpecialTokens === false || this.parts.postProcessor === null ? ids : this.parts.postProcessor(ids);
  }

  /**
   * Number of tokens `encode` would give (without the post-processor's special tokens unless
   * `addSpecialTokens` is true). With `limit`, stops as soon as the count passes it and returns
   * a number > limit, so checking a long document against a context window costs only the limit.
   */
  countTokens(text: string, options: EncodeOptions & { limit?: number } = {}): number {
    expectText('countTokens', text);
    const ids: number[] = [];
    const limit = options.limit ?? Infinity;
    const extra = options.addSpecialTokens === true && this.parts.postProcessor ? this.parts.postProcessor([]).length : 0;
    try {
      this.encodeInto(text, ids, specialPolicy(options), limit - extra);
    } catch (error) {
      if (!(error instanceof StopEncoding)) throw error;
    }
    return ids.length + extra;
  }

  /** The token count when it is at most `limit`, else false; stops encoding early. */
  isWithinTokenLimit(text: string, limit: number, options: EncodeOptions = {}): number | false {
    const count = this.countTokens(text, { ...options, limit });
    return count <= limit ? count : false;
  }

  /**
   * Encodes like `encode` (same ids) and also says where each token comes from: `offsets[i]` is
   * the [start, end) of token i in `text`, in UTF-16 units (`text.slice(start, end)`). Tokens added
   * by the post-processor get [0, 0]. A token that holds part of a character (one byte of an
   * emoji) gets the whole character; one made from text a normalizer rewrote (NFC) gets the text
   * it was made from. Offsets may be wider than exact, never narrower.
   */
  encodeWithOffsets(text: string, options: EncodeOptions = {}): { ids: number[]; offsets: Array<[start: number, end: number]> } {
    expectText('encodeWithOffsets', text);
    const ids: number[] = [];
    const spans: number[] = [];
    this.encodeInto(text, ids, specialPolicy(options), Infinity, spans);
    let offsets: Array<[number, number]> = [];
    for (let i = 0; i < spans.length; i += 2) offsets.push([spans[i]!, spans[i + 1]!]);
    const postProcessor = options.addSpecialTokens === false ? null : this.parts.postProcessor;
    if (postProcessor === null) return { ids, offsets };
    // Where the post-processor puts the sequence: -1 is never an id, so it marks the place.
    const layout = postProcessor([-1]);
    const at = layout.indexOf(-1);
    const added = (count: number) => Array.from({ length: count }, (): [number, number] => [0, 0]);
    offsets = [...added(at), ...offsets, ...added(layout.length - at - 1)];
    return { ids: postProcessor(ids), offsets };
  }

  /** Token ids → text. Unknown ids are skipped, as in Hugging Face tokenizers. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    if (typeof ids !== 'object' || ids === null || typeof ids.length !== 'number') throw new TokenizerInputError('decode', 'an array of token ids', ids);
    const skipSpecial = options.skipSpecialTokens === true;
    let text: string;
    if (this.parts.byteLevelDecoder) {
      this.byteTable ??= new TokenBytesTable(this.idToTokenTable);
      text = UTF8_LOSSY.decode(this.byteTable.bytesOf(ids, skipSpecial ? this.specialFlags() : null));
    } else {
      const tokens: string[] = [];
      for (let i = 0; i < ids.length; i++) {
        const token = this.idToTokenTable[ids[i]!];
        if (token === undefined || (skipSpecial && this.addedById.get(ids[i]!)?.special)) continue;
        tokens.push(token);
      }
      text = this.parts.decoder ? this.parts.decoder(tokens).join('') : tokens.join(' ');
    }
    return (options.cleanUpTokenizationSpaces ?? this.config.cleanUpTokenizationSpaces) ? cleanUpTokenizationSpaces(text) : text;
  }

  /** A decoder for token-by-token streaming that emits text only once its UTF-8 is complete. */
  createStreamDecoder(options: { skipSpecialTokens?: boolean } = {}): StreamDecoder {
    return new StreamDecoder(this, options.skipSpecialTokens === true);
  }

  /** Renders a conversation with the chat template of tokenizer_config.json. */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    return renderChat(this, messages, options);
  }

  /** Renders and tokenizes a conversation, with the assistant-only loss mask (see `encodeChat`). */
  encodeChat(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): EncodedChat {
    return encodeChat(this, messages, options);
  }

  /** The vocabulary string of an id (byte-level spelling for GPT-2-style vocabularies), or undefined. */
  idToToken(id: number): string | undefined {
    return this.idToTokenTable[id];
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token)?.id ?? this.parts.model.vocab.get(token);
  }

  isSpecial(id: number): boolean {
    return this.addedById.get(id)?.special === true;
  }

  /** The special tokens (`special: true` added tokens), by content. */
  get specialTokens(): ReadonlyMap<string, number> {
    this.specialTokenMap ??= new Map(this.parts.addedTokens.filter((token) => token.special).map((token) => [token.content, token.id]));
    return this.specialTokenMap;
  }

  private specialTokenMap: ReadonlyMap<string, number> | undefined;

  get bosTokenId(): number | undefined {
    return this.config.bosToken === null ? undefined : this.tokenToId(this.config.bosToken);
  }

  get eosTokenId(): number | undefined {
    return this.config.eosToken === null ? undefined : this.tokenToId(this.config.eosToken);
  }

  /**
   * Encodes `text` into `ids`. With `spans`, also appends each token's [start, end) in `text`
   * (UTF-16): the same pass, so offsets can never describe different ids than `encode` gives.
   */
  private encodeInto(text: string, ids: number[], policy: SpecialTokenPolicy, limit: number, spans: number[] | null = null): void {
    const { model, normalizer, preTokenizer, byteLevel } = this.parts;
    const encodeWord = byteLevel ? (word: string) => model.encodeBytes(word, ids) : (word: string) => model.encodeChars(word, ids);
    const check = limit === Infinity ? null : () => {
      if (ids.length > limit) throw new StopEncoding();
    };
    // Offsets: the alignment of the span being encoded, and where the current piece starts in it.
    let aligned: AlignedText | null = null;
    let pieceStart = 0;
    const encodeWordWithSpans = (word: string, start: number) => {
      const from = ids.length;
      encodeWord(word);
      const local: number[] = [];
      model.spansOf(word, byteLevel, ids, from, local);
      if (Number.isNaN(start)) throw new OffsetsUnavailableError('the pre-tokenizer (Metaspace with a replacement longer than one UTF-16 unit)');
      const { starts, ends } = aligned!;
      const last = starts.length - 1;
      const base = pieceStart + start;
      for (let i = 0; i < local.length; i += 2) {
        spans!.push(starts[clamp(base + local[i]!, last)]!, ends[clamp(base + local[i + 1]! - 1, last)]!);
      }
    };
    const emitWord = spans !== null ? encodeWordWithSpans : check === null ? encodeWord : (word: string) => (encodeWord(word), check());
    let first = true;
    const encodeNormalized = (normalized: string, start: number) => {
      if (normalized.length === 0) return;
      pieceStart = start;
      if (preTokenizer === null) emitWord(normalized, 0);
      else preTokenizer.split(normalized, first, emitWord);
      first = false;
      check?.();
    };
    this.rawMatcher.split(text, policy, (segment, id, start, end) => {
      if (id !== -1) {
        ids.push(id);
        spans?.push(start, end);
        first = false;
        check?.();
        return;
      }
      const normalized = normalizer === null ? segment : normalizer.normalize(segment);
      if (spans !== null) {
        const identity = alignedIdentity(segment, start);
        aligned = normalizer === null || normalized === segment ? identity : normalizer.align(identity);
        if (aligned.text !== normalized) throw new OffsetsUnavailableError('the normalizer (its aligned rewrite differs from its plain one)');
      }
      if (this.normalizedMatcher === null) return encodeNormalized(normalized, 0);
      this.normalizedMatcher.split(normalized, policy, (piece, pieceId, pieceFrom, pieceTo) => {
        if (pieceId === -1) return encodeNormalized(piece, pieceFrom);
        ids.push(pieceId);
        if (spans !== null) spans.push(aligned!.starts[pieceFrom]!, aligned!.ends[pieceTo - 1]!);
        first = false;
      });
    });
  }

  /** 1 for the ids of special tokens (what `skipSpecialTokens` leaves out). */
  private specialFlags(): Uint8Array {
    if (this.specialFlagTable === null) {
      this.specialFlagTable = new Uint8Array(this.idToTokenTable.length);
      for (const [id, token] of this.addedById) if (token.special) this.specialFlagTable[id] = 1;
    }
    return this.specialFlagTable;
  }

}

function clamp(index: number, last: number): number {
  return index < 0 ? 0 : index > last ? last : index;
}

function specialPolicy(options: EncodeOptions): SpecialTokenPolicy {
  const allowed = options.allowedSpecial ?? 'none';
  const refuse = options.disallowedSpecial === 'error';
  if (allowed === 'all') return ALL_SPECIAL;
  if (allowed === 'none') return refuse ? { ...NO_SPECIAL, refuseDisallowed: true } : NO_SPECIAL;
  return { allowed: new Set(allowed), refuseDisallowed: refuse };
}

function expectText(method: string, text: unknown): void {
  if (typeof text !== 'string') throw new TokenizerInputError(method, 'a string', text);
}
