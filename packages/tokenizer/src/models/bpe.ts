import { tokenId, TokenizerFormatError, UnsupportedComponentError } from '../errors.js';
import { BYTE_TO_CHAR, CHAR_TO_BYTE, encodeUtf8, UTF8 } from '../text/byte-level.js';
import { ByteVocabulary } from './byte-vocabulary.js';
import { mergeSymbols } from './bpe-merge.js';
import { PairTable } from './pair-table.js';
import { byteLevelSpans, characterSpans, type SpanSource } from './token-spans.js';

export interface BpeOptions {
  /** token → id, from `model.vocab`. */
  vocab: Map<string, number>;
  /**
   * Ordered merges, the index is the rank: each as tokenizer.json writes it, a `"left right"` string
   * (split at the first space after the first character) or a `[left, right]` pair. Kept in that
   * form and split while the pair table is built: 280k merges (Llama 3) split up front were ~30 MiB
   * of short-lived arrays and strings.
   */
  merges: ReadonlyArray<string | readonly [string, string]>;
  unkToken: string | null;
  byteFallback: boolean;
  fuseUnk: boolean;
  /** Llama 3: a word that is a whole vocabulary entry is emitted as is, without merging. */
  ignoreMerges: boolean;
  /** Where the merges came from, for error messages. */
  field?: string;
}

/**
 * Byte-pair encoding: one model for both families.
 * - byte-level (GPT-2, Llama 3, Qwen): a word is its UTF-8 bytes, each starting as the token of its
 *   GPT-2 byte character; every byte has a token, so nothing is unknown.
 * - SentencePiece-style (Llama 2, Mistral, Gemma): a word is its characters; a character missing
 *   from the vocabulary becomes its UTF-8 bytes as `<0xAB>` tokens (byte fallback), else `unk`.
 */
export class BpeModel {
  readonly vocab: Map<string, number>;
  private readonly pairs: PairTable;
  private readonly unkId: number;
  private readonly byteLevelIds = new Int32Array(256).fill(-1);
  private readonly fallbackIds = new Int32Array(256).fill(-1);
  /**
   * Words already merged → where their ids sit in `cachePool`, packed as offset * 64 + count: no
   * object per entry. Bounded; dropped whole when full (cheaper than LRU bookkeeping).
   */
  private readonly cache = new Map<string, number>();
  private cachePool = new Int32Array(1 << 16);
  private cachePoolUsed = 0;
  /** Built on the first byte-level encode (SentencePiece-style models never need it). */
  private byteVocabulary: ByteVocabulary | null = null;
  /** Per token: 0 not yet known, 1 BPE on its bytes ends as the token itself, 2 it does not. */
  private reaches = new Uint8Array(0);
  private symbols = new Int32Array(1024);
  private bytes = new Uint8Array(4096);

  /** The model's switches (the options object itself is not kept: its merge list is large). */
  private readonly flags: Pick<BpeOptions, 'byteFallback' | 'fuseUnk' | 'ignoreMerges'>;

  constructor(options: BpeOptions) {
    this.flags = { byteFallback: options.byteFallback, fuseUnk: options.fuseUnk, ignoreMerges: options.ignoreMerges };
    const field = options.field ?? 'model';
    this.vocab = options.vocab;
    this.pairs = new PairTable(options.merges.length);
    const merges = options.merges;
    for (let rank = 0; rank < merges.length; rank++) {
      const merge: unknown = merges[rank];
      let left: string;
      let right: string;
      const space = typeof merge === 'string' ? merge.indexOf(' ', 1) : -1;
      if (space > 0) {
        left = (merge as string).slice(0, space);
        right = (merge as string).slice(space + 1);
      } else if (Array.isArray(merge) && merge.length === 2 && typeof merge[0] === 'string' && typeof merge[1] === 'string') {
        left = merge[0];
        right = merge[1];
      } else {
        throw new TokenizerFormatError(`${field}.merges[${rank}]`, 'a "left right" string or a [left, right] pair', merge);
      }
      const leftId = this.vocab.get(left);
      const rightId = this.vocab.get(right);
      const resultId = this.vocab.get(left + right);
      if (leftId === undefined || rightId === undefined || resultId === undefined) {
        const missing = leftId === undefined ? left : rightId === undefined ? right : left + right;
        throw new TokenizerFormatError(`${field}.merges[${rank}]`, `a merge of two tokens of ${field}.vocab whose concatenation is also in it`, `${left} ${right}`, `The token ${JSON.stringify(missing)} is not in the vocabulary: the merges and the vocabulary come from different tokenizers, or the file was edited`);
      }
      this.pairs.set(leftId, rightId, rank, resultId);
    }
    this.unkId = options.unkToken === null ? -1 : (this.vocab.get(options.unkToken) ?? -1);
    if (options.unkToken !== null && this.unkId === -1) {
      throw new TokenizerFormatError(`${field}.unk_token`, 'a token of the vocabulary', options.unkToken);
    }
    for (let byte = 0; byte < 256; byte++) {
      this.byteLevelIds[byte] = this.vocab.get(BYTE_TO_CHAR[byte]!) ?? -1;
      this.fallbackIds[byte] = this.vocab.get(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1;
    }
  }

  /**
   * Encodes one pre-token of a byte-level vocabulary, given as raw text: its UTF-8 bytes are the
   * symbols. A pre-token that is one token (most of them) is found by its bytes, without merging;
   * other pre-tokens go through BPE once and are then cached.
   */
  encodeBytes(word: string, out: number[]): void {
    if (this.bytes.length < word.length * 3) this.bytes = new Uint8Array(word.length * 3);
    const bytes = this.bytes;
    const length = encodeUtf8(word, bytes);
    const whole = (this.byteVocabulary ??= this.buildByteVocabulary()).find(bytes, length);
    // With ignore_merges (Llama 3) a whole-word token wins outright; otherwise only if BPE reaches it.
    if (whole !== -1 && (this.flags.ignoreMerges || this.mergesReach(whole, length))) {
      out.push(whole);
      return;
    }
    const cached = this.cache.get(word);
    if (cached !== undefined) {
      const pool = this.cachePool;
      for (let i = cached >>> 6, end = i + (cached & 63); i < end; i++) out.push(pool[i]!);
      return;
    }
    const count = this.byteSymbols(length);
    this.finish(word, this.symbols, count, out);
  }

  private buildByteVocabulary(): ByteVocabulary {
    let maxId = 0;
    for (const id of this.vocab.values()) maxId = Math.max(maxId, id);
    this.reaches = new Uint8Array(maxId + 1);
    return new ByteVocabulary(this.vocab);
  }

  /** Whether BPE on the word in `this.bytes` (the bytes of token `id`) ends as that one token; remembered per token. */
  private mergesReach(id: number, length: number): boolean {
    const known = this.reaches[id]!;
    if (known !== 0) return known === 1;
    const count = mergeSymbols(this.symbols, this.byteSymbols(length), this.pairs);
    const reached = count === 1 && this.symbols[0] === id;
    this.reaches[id] = reached ? 1 : 2;
    return reached;
  }

  /** Fills `this.symbols` with the byte tokens of `this.bytes[0..length)`; returns their count. */
  private byteSymbols(length: number): number {
    const symbols = this.symbolBuffer(length);
    let count = 0;
    for (let i = 0; i < length; i++) {
      const id = this.byteLevelIds[this.bytes[i]!]!;
      if (id !== -1) symbols[count++] = id;
      else if (this.unkId !== -1) symbols[count++] = this.unkId;
    }
    return count;
  }

  /** Encodes one pre-token as characters (SentencePiece-style BPE). */
  encodeChars(word: string, out: number[]): void {
    const cached = this.cache.get(word);
    if (cached !== undefined) {
      const pool = this.cachePool;
      for (let i = cached >>> 6, end = i + (cached & 63); i < end; i++) out.push(pool[i]!);
      return;
    }
    if (this.flags.ignoreMerges) {
      const whole = this.vocab.get(word);
      if (whole !== undefined) {
        out.push(whole);
        return;
      }
    }
    const symbols = this.symbolBuffer(word.length * 4);
    let count = 0;
    let previousUnknown = false;
    for (const char of word) {
      const id = this.vocab.get(char);
      if (id !== undefined) {
        symbols[count++] = id;
        previousUnknown = false;
        continue;
      }
      if (this.flags.byteFallback && this.pushFallback(char, symbols, count)) {
        count += UTF8.encode(char).length;
        previousUnknown = false;
        continue;
      }
      if (this.unkId === -1) continue; // as in the Rust crate: no unk token, the character is dropped
      if (!(this.flags.fuseUnk && previousUnknown)) symbols[count++] = this.unkId;
      previousUnknown = true;
    }
    this.finish(word, symbols, count, out);
  }

  private pushFallback(char: string, symbols: Int32Array, at: number): boolean {
    const bytes = UTF8.encode(char);
    for (const byte of bytes) if (this.fallbackIds[byte] === -1) return false;
    for (let i = 0; i < bytes.length; i++) symbols[at + i] = this.fallbackIds[bytes[i]!]!;
    return true;
  }

  private finish(word: string, symbols: Int32Array, count: number, out: number[]): void {
    const length = mergeSymbols(symbols, count, this.pairs);
    for (let i = 0; i < length; i++) out.push(symbols[i]!);
    if (length < 64 && word.length <= 256) this.remember(word, symbols, length);
  }

  private remember(word: string, ids: Int32Array, count: number): void {
    if (this.cache.size >= 100_000 || this.cachePoolUsed + count > 1 << 24) {
      this.cache.clear();
      this.cachePoolUsed = 0;
    }
    if (this.cachePoolUsed + count > this.cachePool.length) {
      const grown = new Int32Array(this.cachePool.length * 2);
      grown.set(this.cachePool.subarray(0, this.cachePoolUsed));
      this.cachePool = grown;
    }
    const pool = this.cachePool;
    for (let i = 0, at = this.cachePoolUsed; i < count; i++) pool[at + i] = ids[i]!;
    this.cache.set(word, this.cachePoolUsed * 64 + count);
    this.cachePoolUsed += count;
  }

  /**
   * Appends where each of ids[from..] (the tokens `encodeBytes` / `encodeChars` just gave for
   * `word`) lies in the word, as UTF-16 [start, end) pairs. Used only for offsets.
   */
  spansOf(word: string, byteLevel: boolean, ids: readonly number[], from: number, out: number[]): void {
    if (byteLevel) byteLevelSpans(word, this.spanSource(), ids, from, out);
    else characterSpans(word, this.spanSource(), ids, from, out);
  }

  private spanSourceCache: SpanSource | null = null;

  private spanSource(): SpanSource {
    if (this.spanSourceCache !== null) return this.spanSourceCache;
    const texts: string[] = [];
    for (const [token, id] of this.vocab) texts[id] = token;
    const fallbackBytes = new Map<number, number>();
    this.fallbackIds.forEach((id, byte) => {
      if (id !== -1) fallbackBytes.set(id, byte);
    });
    this.spanSourceCache = {
      tokenByteLength: (id) => {
        const text = texts[id];
        if (text === undefined) return -1;
        for (let i = 0; i < text.length; i++) if (!CHAR_TO_BYTE.has(text[i]!)) return -1;
        return text.length; // every GPT-2 byte character is one UTF-16 unit
      },
      tokenText: (id) => texts[id],
      fallbackByte: (id) => (this.flags.byteFallback ? (fallbackBytes.get(id) ?? -1) : -1),
      unkId: this.unkId,
      fuseUnk: this.flags.fuseUnk,
      isUnknown: (char) => {
        if (this.vocab.has(char)) return false;
        return !(this.flags.byteFallback && UTF8.encode(char).every((byte) => this.fallbackIds[byte] !== -1));
      },
    };
    return this.spanSourceCache;
  }

  private symbolBuffer(length: number): Int32Array {
    if (this.symbols.length < length) this.symbols = new Int32Array(1 << Math.ceil(Math.log2(length)));
    return this.symbols;
  }
}

/** Reads `model` of a tokenizer.json into BPE options; other model types fail with their name. */
export function bpeOptionsFromJson(model: unknown): BpeOptions {
  if (model === null || typeof model !== 'object') throw new TokenizerFormatError('model', 'an object with "type": "BPE"', model);
  const spec = model as Record<string, unknown>;
  const type = spec['type'] ?? (spec['merges'] !== undefined ? 'BPE' : undefined);
  if (type !== 'BPE') throw new UnsupportedComponentError('model', String(type), ['BPE']);
  const vocabObject = spec['vocab'];
  if (vocabObject === null || typeof vocabObject !== 'object' || Array.isArray(vocabObject)) {
    throw new TokenizerFormatError('model.vocab', 'an object mapping token to id', vocabObject);
  }
  // A Map is taken as is (tokenizerFromGguf builds one; JSON never gives one).
  const vocab = vocabObject instanceof Map ? (vocabObject as Map<string, number>) : vocabFromRecord(vocabObject as Record<string, unknown>);
  const merges: unknown = spec['merges'];
  if (!Array.isArray(merges)) throw new TokenizerFormatError('model.merges', 'an array of "left right" strings or [left, right] pairs', merges);
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
    if (typeof spec[key] === 'string' && spec[key] !== '') throw new UnsupportedComponentError(`model.${key}`, String(spec[key]), ['null', '""']);
  }
  if (typeof spec['dropout'] === 'number' && spec['dropout'] !== 0) throw new UnsupportedComponentError('model.dropout', String(spec['dropout']), ['null', '0']);
  return {
    vocab,
    merges: merges as Array<string | [string, string]>, // each one checked by BpeModel as it splits it
    unkToken: typeof spec['unk_token'] === 'string' ? spec['unk_token'] : null,
    byteFallback: spec['byte_fallback'] === true,
    fuseUnk: spec['fuse_unk'] === true,
    ignoreMerges: spec['ignore_merges'] === true,
  };
}

function vocabFromRecord(record: Record<string, unknown>): Map<string, number> {
  // Object.keys, not Object.entries: no [token, id] array per entry (128k of them for Llama 3).
  const vocab = new Map<string, number>();
  for (const token of Object.keys(record)) {
    vocab.set(token, tokenId(record[token], `model.vocab[${JSON.stringify(token)}]`));
  }
  return vocab;
}
