import { TokenizerError } from '../errors.js';

/**
 * Where each token of one encoded word lies in the word, as UTF-16 [start, end) pairs. BPE only
 * ever concatenates neighbouring symbols, so the tokens spell the word left to right and each
 * token's length in the word follows from the token alone: its byte count (byte-level), its
 * characters, one byte per `<0xAB>` fallback token, one character (or a fused run) per unk.
 * A token that covers part of a character (an emoji split over byte tokens) gets the whole
 * character. Any disagreement with the word throws instead of guessing.
 */
export interface SpanSource {
  /** Bytes a token stands for (byte-level), or -1 for a token that is not made of byte characters. */
  tokenByteLength(id: number): number;
  /** The vocabulary string of a token (SentencePiece-style models). */
  tokenText(id: number): string | undefined;
  /** The byte of a `<0xAB>` fallback token, or -1. */
  fallbackByte(id: number): number;
  unkId: number;
  fuseUnk: boolean;
  /** Whether a character has no token of its own and no byte fallback: it becomes unk (or is dropped). */
  isUnknown(char: string): boolean;
}

export class TokenSpanError extends TokenizerError {
  constructor(word: string, reason: string) {
    super(
      `Cannot place the tokens of the pre-token ${JSON.stringify(word.slice(0, 40))} in the text: ${reason}`,
      'This is a bug in @cria/tokenizer (the model produced tokens that do not spell the word); please report it with the text',
    );
  }
}

/** Spans of ids[from..] in a byte-level word (raw text; the model works on its UTF-8 bytes). */
export function byteLevelSpans(word: string, source: SpanSource, ids: readonly number[], from: number, out: number[]): void {
  const walker = new CharacterWalker(word);
  for (let index = from; index < ids.length; index++) {
    const id = ids[index]!;
    const bytes = id === source.unkId ? 1 : source.tokenByteLength(id);
    if (bytes <= 0) throw new TokenSpanError(word, `token ${id} is not made of byte-level characters`);
    const start = walker.unit;
    walker.consumeBytes(bytes, word);
    out.push(start, walker.endUnit());
  }
  if (!walker.done()) throw new TokenSpanError(word, 'the tokens cover fewer bytes than the word');
}

/** Spans of ids[from..] in a word encoded as characters (SentencePiece-style BPE with byte fallback / unk). */
export function characterSpans(word: string, source: SpanSource, ids: readonly number[], from: number, out: number[]): void {
  const walker = new CharacterWalker(word);
  const skipDropped = () => {
    // Without an unk token, an unknown character is dropped: it belongs to no token.
    if (source.unkId !== -1) return;
    while (walker.atCharacterStart() && !walker.done() && source.isUnknown(walker.character())) walker.consumeCharacter();
  };
  for (let index = from; index < ids.length; index++) {
    const id = ids[index]!;
    skipDropped();
    const start = walker.unit;
    const text = source.tokenText(id);
    if (text !== undefined && walker.atCharacterStart() && word.startsWith(text, walker.unit)) {
      walker.consumeUnits(text.length); // the token spells the next characters ("<0x41>" too, if the word says so)
    } else if (source.fallbackByte(id) !== -1) {
      walker.consumeBytes(1, word);
    } else if (id === source.unkId && walker.atCharacterStart() && !walker.done()) {
      walker.consumeCharacter();
      if (source.fuseUnk) while (!walker.done() && source.isUnknown(walker.character())) walker.consumeCharacter();
    } else {
      throw new TokenSpanError(word, `token ${id} (${JSON.stringify(text)}) does not continue the word at unit ${walker.unit}`);
    }
    out.push(start, walker.endUnit());
  }
  skipDropped();
  if (!walker.done()) throw new TokenSpanError(word, 'the tokens do not cover the whole word');
}

/** A cursor over a word's code points that can also stop inside one, between its UTF-8 bytes. */
class CharacterWalker {
  /** UTF-16 index of the code point the cursor is in. */
  unit = 0;
  /** Bytes of that code point already consumed (0 = at its start). */
  private byteInCharacter = 0;

  constructor(private readonly word: string) {}

  done(): boolean {
    return this.unit >= this.word.length && this.byteInCharacter === 0;
  }

  atCharacterStart(): boolean {
    return this.byteInCharacter === 0;
  }

  character(): string {
    return String.fromCodePoint(this.word.codePointAt(this.unit)!);
  }

  /** Where a token that ends here ends: after the whole code point if it stopped inside one. */
  endUnit(): number {
    return this.byteInCharacter === 0 ? this.unit : this.unit + this.characterUnits();
  }

  consumeCharacter(): void {
    this.unit += this.characterUnits();
    this.byteInCharacter = 0;
  }

  consumeUnits(units: number): void {
    this.unit += units;
  }

  consumeBytes(count: number, word: string): void {
    while (count > 0) {
      if (this.unit >= this.word.length) throw new TokenSpanError(word, 'the tokens cover more bytes than the word');
      const left = this.characterBytes() - this.byteInCharacter;
      if (count < left) {
        this.byteInCharacter += count;
        return;
      }
      count -= left;
      this.consumeCharacter();
    }
  }

  private characterUnits(): number {
    const code = this.word.charCodeAt(this.unit);
    const low = this.word.charCodeAt(this.unit + 1);
    return code >= 0xd800 && code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff ? 2 : 1;
  }

  /** UTF-8 length of the code point; a lone surrogate is written as U+FFFD (3 bytes), as TextEncoder does. */
  private characterBytes(): number {
    const code = this.word.charCodeAt(this.unit);
    if (code < 0x80) return 1;
    if (code < 0x800) return 2;
    if (code >= 0xd800 && code <= 0xdbff) return this.characterUnits() === 2 ? 4 : 3;
    return 3;
  }
}
