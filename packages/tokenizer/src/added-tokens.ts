import { SpecialTokenInTextError, tokenId, TokenizerFormatError } from './errors.js';
import { escapeRegExp } from './text/pattern.js';

/** An entry of tokenizer.json's `added_tokens`: matched in the raw text before the pipeline runs. */
export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  /** Matched after normalization (on the normalized text) instead of before. */
  normalized: boolean;
  lstrip: boolean;
  rstrip: boolean;
  singleWord: boolean;
}

/** What to do with special tokens spelled in the text: see `EncodeOptions.allowedSpecial`. */
export interface SpecialTokenPolicy {
  /** Special tokens recognized as control tokens; all others are encoded as text (or refused). */
  allowed: ReadonlySet<string> | 'all';
  refuseDisallowed: boolean;
}

/**
 * A span of the input, [start, end): plain text (`id` -1) or an added token. An added token's span
 * includes the whitespace its `lstrip` / `rstrip` swallowed.
 */
export type SegmentSink = (text: string, id: number, start: number, end: number) => void;

const WHITE_SPACE_CHAR = /[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const WORD_CHAR = /[\p{L}\p{N}_]/u;

/**
 * Finds added tokens in text, leftmost-longest like the Rust crate's Aho-Corasick automaton:
 * one regex of all contents, longest first, so at each position the longest token wins.
 */
export class AddedTokenMatcher {
  private readonly pattern: RegExp | null;
  private readonly byContent = new Map<string, AddedToken>();

  constructor(readonly tokens: readonly AddedToken[]) {
    for (const token of tokens) this.byContent.set(token.content, token);
    const contents = [...this.byContent.keys()].filter((content) => content.length > 0).sort((a, b) => b.length - a.length);
    this.pattern = contents.length === 0 ? null : new RegExp(contents.map(escapeRegExp).join('|'), 'gu');
  }

  split(text: string, policy: SpecialTokenPolicy, emit: SegmentSink): void {
    const pattern = this.pattern;
    if (pattern === null || text.length === 0) {
      if (text.length > 0) emit(text, -1, 0, text.length);
      return;
    }
    pattern.lastIndex = 0;
    let offset = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(text)) !== null) {
      const token = this.byContent.get(match[0])!;
      let start = match.index;
      let stop = start + match[0].length;
      if (token.special && policy.allowed !== 'all' && !policy.allowed.has(token.content)) {
        // As the Rust crate's `encode_special_tokens`: the match is skipped and stays text.
        if (policy.refuseDisallowed) throw new SpecialTokenInTextError(token.content, start);
        continue;
      }
      if (token.singleWord) {
        const wordBefore = start > 0 && WORD_CHAR.test(lastChar(text, start));
        const wordAfter = stop < text.length && WORD_CHAR.test(String.fromCodePoint(text.codePointAt(stop)!));
        if (wordBefore || wordAfter) continue;
      }
      if (token.lstrip) {
        while (start > offset && WHITE_SPACE_CHAR.test(text[start - 1]!)) start--;
      }
      if (token.rstrip) {
        while (stop < text.length && WHITE_SPACE_CHAR.test(text[stop]!)) stop++;
        pattern.lastIndex = stop;
      }
      if (start > offset) emit(text.slice(offset, start), -1, offset, start);
      emit(token.content, token.id, start, stop);
      offset = stop;
    }
    if (offset < text.length) emit(text.slice(offset), -1, offset, text.length);
  }
}

function lastChar(text: string, end: number): string {
  const code = text.charCodeAt(end - 1);
  return code >= 0xdc00 && code <= 0xdfff && end >= 2 ? text.slice(end - 2, end) : text[end - 1]!;
}

export function addedTokensFromJson(list: unknown): AddedToken[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new TokenizerFormatError('added_tokens', 'an array', list);
  return list.map((item, index): AddedToken => {
    const entry = item as Record<string, unknown>;
    const field = `added_tokens[${index}]`;
    if (typeof entry?.['content'] !== 'string') throw new TokenizerFormatError(`${field}.content`, 'a string', entry?.['content']);
    const id = tokenId(entry['id'], `${field}.id`);
    const special = entry['special'] === true;
    return {
      id,
      content: entry['content'],
      special,
      // tokenizers defaults `normalized` to !special when absent.
      normalized: typeof entry['normalized'] === 'boolean' ? entry['normalized'] : !special,
      lstrip: entry['lstrip'] === true,
      rstrip: entry['rstrip'] === true,
      singleWord: entry['single_word'] === true,
    };
  });
}
