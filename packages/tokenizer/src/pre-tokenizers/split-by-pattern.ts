/**
 * Splits text around the matches of a global regex, with the five Hugging Face
 * `SplitDelimiterBehavior`s. Mirrors `NormalizedString::split` in the Rust crate, including how
 * consecutive matches merge.
 */
export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
export const SPLIT_BEHAVIORS: readonly SplitBehavior[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];

/**
 * Receives each piece and where it starts in the splitter's input: unit k of the piece came from
 * unit `start + k` of the input (clamped to the input). A piece that grew a prefix ("▁", " ")
 * starts before 0; NaN means the piece cannot be mapped back (offsets then refuse to guess).
 */
export type Emit = (piece: string, start: number) => void;

export function splitByPattern(text: string, pattern: RegExp, behavior: SplitBehavior, invert: boolean, emit: Emit): void {
  if (behavior === 'Isolated' && !invert) return splitIsolated(text, pattern, emit);
  const spans = matchSpans(text, pattern, invert); // [start, end, isMatch] triples
  const pieces: number[] = []; // [start, end] pairs
  const count = spans.length / 3;
  switch (behavior) {
    case 'Removed':
    case 'Isolated':
      for (let s = 0; s < count; s++) {
        if (behavior === 'Removed' && spans[s * 3 + 2]) continue;
        pieces.push(spans[s * 3]!, spans[s * 3 + 1]!);
      }
      break;
    case 'Contiguous': {
      let previousMatch = false;
      for (let s = 0; s < count; s++) {
        const isMatch = spans[s * 3 + 2] === 1;
        if (isMatch && previousMatch) pieces[pieces.length - 1] = spans[s * 3 + 1]!;
        else pieces.push(spans[s * 3]!, spans[s * 3 + 1]!);
        previousMatch = isMatch;
      }
      break;
    }
    case 'MergedWithPrevious': {
      let previousMatch = false;
      for (let s = 0; s < count; s++) {
        const isMatch = spans[s * 3 + 2] === 1;
        if (isMatch && !previousMatch && pieces.length > 0) pieces[pieces.length - 1] = spans[s * 3 + 1]!;
        else pieces.push(spans[s * 3]!, spans[s * 3 + 1]!);
        previousMatch = isMatch;
      }
      break;
    }
    case 'MergedWithNext': {
      // Walk backwards: a match joins the span after it unless that span is a match too.
      const reversed: number[] = [];
      let nextMatch = false;
      for (let s = count - 1; s >= 0; s--) {
        const isMatch = spans[s * 3 + 2] === 1;
        if (isMatch && !nextMatch && reversed.length > 0) reversed[reversed.length - 2] = spans[s * 3]!;
        else reversed.push(spans[s * 3]!, spans[s * 3 + 1]!);
        nextMatch = isMatch;
      }
      for (let p = reversed.length - 2; p >= 0; p -= 2) pieces.push(reversed[p]!, reversed[p + 1]!);
      break;
    }
  }
  for (let p = 0; p < pieces.length; p += 2) {
    if (pieces[p + 1]! > pieces[p]!) emit(text.slice(pieces[p], pieces[p + 1]), pieces[p]!);
  }
}

/**
 * Isolated, the split of every byte-level tokenizer, on the hot path of encode. The regexes of
 * those tokenizers match at every position, so each piece is found with a sticky `test` at the end
 * of the previous one: no match array is allocated per piece. Where the sticky test fails, a
 * global search finds the next match, which is exactly what `exec` alone would have found.
 */
function splitIsolated(text: string, pattern: RegExp, emit: Emit): void {
  const sticky = stickyVersion(pattern);
  let position = 0;
  let previous = 0;
  while (position < text.length) {
    sticky.lastIndex = position;
    if (sticky.test(text)) {
      const end = sticky.lastIndex;
      if (end === position) {
        position = advance(text, position); // an empty match makes no piece
        continue;
      }
      if (position > previous) emit(text.slice(previous, position), previous);
      emit(text.slice(position, end), position);
      previous = position = end;
      continue;
    }
    pattern.lastIndex = position;
    const match = pattern.exec(text);
    if (match === null) break;
    position = match.index;
  }
  if (previous < text.length) emit(text.slice(previous), previous);
}

const stickyVersions = new WeakMap<RegExp, RegExp>();

function stickyVersion(pattern: RegExp): RegExp {
  let sticky = stickyVersions.get(pattern);
  if (sticky === undefined) {
    sticky = new RegExp(pattern.source, pattern.flags.replace('g', '') + 'y');
    stickyVersions.set(pattern, sticky);
  }
  return sticky;
}

function matchSpans(text: string, pattern: RegExp, invert: boolean): number[] {
  const spans: number[] = [];
  pattern.lastIndex = 0;
  let previous = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    const start = match.index;
    const end = start + match[0].length;
    if (end === start) {
      pattern.lastIndex = advance(text, pattern.lastIndex);
      continue;
    }
    if (start > previous) spans.push(previous, start, invert ? 1 : 0);
    spans.push(start, end, invert ? 0 : 1);
    previous = end;
  }
  if (previous < text.length) spans.push(previous, text.length, invert ? 1 : 0);
  return spans;
}

/** Steps past an empty match by one code point (not one UTF-16 unit) so surrogate pairs stay whole. */
function advance(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code >= 0xd800 && code <= 0xdbff && index + 1 < text.length ? index + 2 : index + 1;
}
