/**
 * Text that remembers, for each UTF-16 unit, the range of the caller's string it came from: what
 * a normalizer's output needs so that token offsets point back into the original text (as the
 * Rust crate's `NormalizedString` alignments). Only `encodeWithOffsets` pays for it.
 *
 * The one rule every producer keeps: a unit's range contains the whole source of that unit. A
 * unit with no source (a prepended "▁") borrows its neighbour's range, which only makes ranges
 * wider, so a token can look as if it crosses a boundary when it does not, never the reverse.
 */
export interface AlignedText {
  text: string;
  /** Unit i of `text` came from [starts[i], ends[i]) of the original. */
  starts: Int32Array;
  ends: Int32Array;
}

/** `text` as found at `offset` of the original: unit i came from [offset + i, offset + i + 1). */
export function alignedIdentity(text: string, offset = 0): AlignedText {
  const starts = new Int32Array(text.length);
  const ends = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) {
    starts[i] = offset + i;
    ends[i] = offset + i + 1;
  }
  return { text, starts, ends };
}

/** Builds an AlignedText piece by piece from the units of a source AlignedText. */
export class AlignedBuilder {
  private readonly parts: string[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor(private readonly source: AlignedText) {}

  /** Appends source units [from, to) unchanged, each keeping its own range. */
  copy(from: number, to: number): void {
    if (to <= from) return;
    this.parts.push(this.source.text.slice(from, to));
    for (let i = from; i < to; i++) {
      this.starts.push(this.source.starts[i]!);
      this.ends.push(this.source.ends[i]!);
    }
  }

  /**
   * Appends `text` made from source units [from, to): every unit of it gets the whole range. An
   * empty source range (an insertion) takes the range of the unit at `from`, or the one before it.
   */
  replace(text: string, from: number, to: number): void {
    if (text.length === 0) return;
    const { starts, ends } = this.source;
    const length = starts.length;
    let start: number;
    let end: number;
    if (to > from) {
      start = starts[from]!;
      end = ends[to - 1]!;
    } else if (length === 0) {
      start = end = 0;
    } else {
      const at = Math.min(from, length - 1);
      start = starts[at]!;
      end = ends[at]!;
    }
    this.parts.push(text);
    for (let i = 0; i < text.length; i++) {
      this.starts.push(start);
      this.ends.push(end);
    }
  }

  build(): AlignedText {
    return { text: this.parts.join(''), starts: Int32Array.from(this.starts), ends: Int32Array.from(this.ends) };
  }
}

/**
 * Aligns a transform that works character by character except for combining sequences (Unicode
 * normalization, lowercasing). Canonical and compatibility normalization never reorder or compose
 * across an ASCII character (ASCII characters are starters and never the second half of a
 * composition), so the text is cut before each ASCII character and each chunk transformed alone:
 * unchanged chunks keep exact offsets, changed ones map to their whole chunk. If the chunks do
 * not reassemble to the transform of the whole text (a context-dependent rule such as Greek final
 * sigma), the whole text maps to its whole range: coarse, never wrong.
 */
export function alignChunked(input: AlignedText, transform: (text: string) => string): AlignedText {
  const text = input.text;
  const whole = transform(text);
  if (whole === text) return input;
  const builder = new AlignedBuilder(input);
  let chunkStart = 0;
  for (let i = 1; i <= text.length; i++) {
    if (i < text.length && text.charCodeAt(i) >= 0x80) continue;
    const chunk = text.slice(chunkStart, i);
    const transformed = transform(chunk);
    if (transformed === chunk) builder.copy(chunkStart, i);
    else builder.replace(transformed, chunkStart, i);
    chunkStart = i;
  }
  const result = builder.build();
  if (result.text === whole) return result;
  const coarse = new AlignedBuilder(input);
  coarse.replace(whole, 0, text.length);
  return coarse.build();
}
