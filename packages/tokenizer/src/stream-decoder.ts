import type { Tokenizer } from './tokenizer.js';

/**
 * Decodes a token stream one id at a time and emits text only when it is complete: a character
 * split over several byte tokens ("é" = two byte-level tokens, an emoji up to four) is held back
 * until its last byte arrives, so a UI never shows U+FFFD mid-stream.
 *
 * The algorithm of the Rust crate's `DecodeStream`: decode the ids since the last emitted
 * boundary with one token of left context, and emit the new suffix once it does not end in an
 * incomplete character. The left context keeps per-token decoders (Llama 2's leading-space
 * strip, Metaspace) behaving as in a whole-sequence decode, so the concatenated output equals
 * `decode(allIds)`.
 *
 * ```ts
 * const stream = tokenizer.createStreamDecoder();
 * for await (const id of generate()) process.stdout.write(stream.push(id));
 * process.stdout.write(stream.flush());
 * ```
 */
export class StreamDecoder {
  private ids: number[] = [];
  private prefix = '';
  private prefixIndex = 0;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly skipSpecialTokens = false,
  ) {}

  /** Adds one token; returns the text it completes (often '', never a partial character). */
  push(id: number): string {
    this.ids.push(id);
    const text = this.decode(this.ids);
    if (text.length <= this.prefix.length || text.endsWith('\ufffd') || !text.startsWith(this.prefix)) return '';
    const emitted = text.slice(this.prefix.length);
    // Keep the ids after the old boundary as left context for the next step.
    this.ids = this.ids.slice(this.prefixIndex);
    this.prefixIndex = this.ids.length;
    this.prefix = this.decode(this.ids);
    return emitted;
  }

  /** The text still held back at the end of the stream (incomplete bytes come out as U+FFFD). */
  flush(): string {
    const text = this.decode(this.ids);
    const rest = text.startsWith(this.prefix) ? text.slice(this.prefix.length) : '';
    this.ids = [];
    this.prefix = '';
    this.prefixIndex = 0;
    return rest;
  }

  private decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skipSpecialTokens: this.skipSpecialTokens, cleanUpTokenizationSpaces: false });
  }
}
